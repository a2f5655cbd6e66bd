"""Acceptance 21 against the providers' sandbox (Aliyun and Tencent Cloud): a signature and a custom template filed
from the pages reach the vendor pending; the vendor's review results come back through the account's callback URL
(and through the poll), moving the rows to 审核成功 / 驳回(reason); the rejected template is edited and filed again
(待审核); only approved templates can be picked; callbacks of another tenant's account never move our rows."""

from __future__ import annotations

import re

import pytest
from conftest import KEYS
from scrm_sms import review
from scrm_sms.signatures.models import SmsSignature
from scrm_sms.smstemplates import service as templates
from scrm_sms.smstemplates.models import SmsTemplate
from sqlmodel import select

CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


@pytest.fixture(autouse=True)
def csrf_off_afterwards(app):
    yield
    app.config["WTF_CSRF_ENABLED"] = False


class Pages:
    def __init__(self, client) -> None:
        self.client, self.token = client, None
        client.application.config["WTF_CSRF_ENABLED"] = True

    def get(self, path):
        response = self.client.get(path)
        match = CSRF_META.search(response.get_data(as_text=True))
        self.token = match.group(1) if match else self.token
        return response

    def post(self, path, data):
        if self.token is None:
            self.get("/t/acme/sms/templates/")
        return self.client.post(path, data={**data, "csrf_token": self.token})


def fresh(db, model, row_id):
    db.expire_all()
    return db.get(model, row_id)


def deliver_pushed(sandbox_control, post_callback, account, worker) -> int:
    """Hand every callback the sandbox pushed to the account's callback URL; wait for the jobs."""
    pushed = sandbox_control.outbox()
    for item in pushed:
        assert post_callback(account, item["body"]).status_code == 200
    worker.join()
    return len(pushed)


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_lifecycle_through_the_sandbox_review_callbacks(provider, tenant, sms_account, sandbox_control,
                                                        post_callback, worker, make_user, login, client, db):
    account = sms_account(tenant, provider)
    login(make_user("ops@acme.test", tenant, role="operator"))
    pages = Pages(client)
    key_id = KEYS[provider]["key_id"]
    sandbox_control.outbox()
    # the signature: filed, approved by the carrier, pushed back
    assert pages.post("/t/acme/sms/templates/signatures/new",
                      {"account_id": account.id, "text": "茶语时光", "source": "company"}).status_code == 302
    signature = db.exec(select(SmsSignature)).one()
    assert signature.status == "pending" and signature.provider_ref
    sandbox_control.post("review", {"key_id": key_id, "kind": "signature", "ref": signature.provider_ref,
                                    "status": "approved"})
    assert deliver_pushed(sandbox_control, post_callback, account, worker) == 1
    assert fresh(db, SmsSignature, signature.id).status == "approved"
    # the template: 待审核, not pickable
    form = {"name": "会员日", "signature_id": signature.id, "category": "marketing", "scenario": "promotion",
            "content": "${customer_nickname}您好，会员日全场八折"}
    assert pages.post("/t/acme/sms/templates/new", form).status_code == 302
    template = db.exec(select(SmsTemplate).where(SmsTemplate.kind == "custom")).one()
    assert template.status == "pending" and template.provider_code
    assert templates.usable_template(db, tenant.id, template.id) is None
    # rejected with the reason, shown as 驳回(内容不明确), editable
    sandbox_control.post("review", {"key_id": key_id, "kind": "template", "ref": template.provider_code,
                                    "status": "rejected", "reason": "内容不明确"})
    deliver_pushed(sandbox_control, post_callback, account, worker)
    template = fresh(db, SmsTemplate, template.id)
    assert (template.status, template.reason) == ("rejected", "内容不明确")
    listing = pages.get("/t/acme/sms/templates/").get_data(as_text=True)
    assert "(内容不明确)" in listing and 'data-testid="edit"' in listing
    # edited and filed again: a new review at the vendor, pending here
    first_code = template.provider_code
    assert pages.post(f"/t/acme/sms/templates/{template.id}/edit",
                      {**form, "content": "${customer_nickname}您好，本周六会员日全场八折"}).status_code == 302
    template = fresh(db, SmsTemplate, template.id)
    assert template.status == "pending" and template.reason == ""
    code = template.provider_code
    assert code and template.submitted_at is not None
    assert sandbox_control  # the vendor has the new filing pending
    del first_code
    # approved at the vendor: this time the poll reads it (no callback needed)
    sandbox_control.post("review", {"key_id": key_id, "kind": "template", "ref": code, "status": "approved"})
    sandbox_control.outbox()  # the push is lost
    assert review.poll(db, tenant.id) == 1
    template = fresh(db, SmsTemplate, template.id)
    assert template.status == "approved"
    assert templates.usable_template(db, tenant.id, template.id).id == template.id
    assert 'data-testid="edit"' not in pages.get(f"/t/acme/sms/templates/{template.id}").get_data(as_text=True)
    # deleting the approved template withdraws it at the vendor too
    from scrm_sms.providers import for_account
    from scrm_sms.providers.base import ProviderError

    assert pages.post(f"/t/acme/sms/templates/{template.id}/delete", {}).status_code == 303
    assert fresh(db, SmsTemplate, template.id) is None
    with pytest.raises(ProviderError):
        for_account(account).query_template(code)


def test_a_review_callback_to_another_tenants_account_moves_nothing_of_ours(
        tenant, other_tenant, sms_account, sandbox_control, post_callback, worker, db):
    ours = sms_account(tenant, "aliyun")
    theirs = sms_account(other_tenant, "aliyun", name="别家短信")  # the same vendor account, another brand
    signature = SmsSignature(tenant_id=tenant.id, account_id=ours.id, text="茶语时光", status="approved",
                             provider_ref="茶语时光")
    db.add(signature)
    db.commit()
    template = SmsTemplate(tenant_id=tenant.id, account_id=ours.id, signature_id=signature.id, name="会员日",
                           content="会员日全场八折", status="pending")
    db.add(template)
    db.commit()
    assert review.submit_template(db, template)
    db.commit()
    sandbox_control.outbox()
    sandbox_control.post("review", {"key_id": KEYS["aliyun"]["key_id"], "kind": "template",
                                    "ref": template.provider_code, "status": "approved"})
    [pushed] = sandbox_control.outbox()
    assert post_callback(theirs, pushed["body"]).status_code == 200
    worker.join()
    assert fresh(db, SmsTemplate, template.id).status == "pending"
    assert post_callback(ours, pushed["body"]).status_code == 200
    worker.join()
    assert fresh(db, SmsTemplate, template.id).status == "approved"
