"""SMS signatures and templates (spec §2.2, §3.8, §4.6, acceptance 21–22), CSRF on: the limits at their boundaries
on the pages, the review lifecycle (pending → approved / rejected with the reason, edit of rejected only, resubmit
back to pending, delete of pending and approved), the review poll (a durable schedule), system templates seeded
usable and read-only, the list (tabs, filters, 10 per page, sort by usage), only approved templates pickable, and
tenant isolation of every page, row and the poll job."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from scrm_sms import review
from scrm_sms.providers.base import CONTENT, ProviderError, ReviewResult, Unreachable
from scrm_sms.signatures import service as signatures
from scrm_sms.signatures.models import SmsSignature
from scrm_sms.smstemplates import service as templates
from scrm_sms.smstemplates import system
from scrm_sms.smstemplates.models import SmsTemplate
from sqlmodel import select

from scrm.sdk import ScheduledJob

CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


@dataclass
class ReviewDesk:
    """The provider side of the review as the tests drive it: what was filed, and the verdicts to answer."""

    name: str = "aliyun"
    filed_templates: list = field(default_factory=list)
    filed_signatures: list = field(default_factory=list)
    verdicts: dict = field(default_factory=dict)
    refuse: Exception | None = None
    deleted: list = field(default_factory=list)

    def __call__(self, account):
        return self

    def submit_template(self, draft):
        if self.refuse:
            raise self.refuse
        self.filed_templates.append(draft)
        return f"SMS_{100 + len(self.filed_templates)}"

    def submit_signature(self, draft):
        if self.refuse:
            raise self.refuse
        self.filed_signatures.append(draft)
        return draft.name

    def query_template(self, code):
        status, reason = self.verdicts.get(code, ("pending", ""))
        return ReviewResult("template", code, status, reason)

    def query_signature(self, name):
        status, reason = self.verdicts.get(name, ("pending", ""))
        return ReviewResult("signature", name, status, reason)

    def delete_template(self, code):
        self.deleted.append(code)

    def delete_signature(self, name):
        self.deleted.append(name)


class CsrfClient:
    def __init__(self, client, base: str) -> None:
        self.client, self.base, self.token = client, base, None
        client.application.config["WTF_CSRF_ENABLED"] = True

    def get(self, path: str, **kwargs):
        response = self.client.get(self.base + path, **kwargs)
        match = CSRF_META.search(response.get_data(as_text=True))
        if match:
            self.token = match.group(1)
        return response

    def post(self, path: str, data: dict | None = None, **kwargs):
        if self.token is None:
            self.get("/templates/")
        return self.client.post(self.base + path, data={**(data or {}), "csrf_token": self.token}, **kwargs)


@pytest.fixture(autouse=True)
def csrf_off_afterwards(app):
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def desk(monkeypatch):
    desk = ReviewDesk()
    monkeypatch.setattr(review, "default_provider", desk)
    return desk


@pytest.fixture
def sms(tenant, enable_plugins, make_channel_account, make_user, login, client, desk):
    enable_plugins(tenant, "sms")
    account = make_channel_account(tenant, "sms", name="阿里云短信", credentials={}, config={})
    login(make_user("ops@acme.test", tenant, role="operator"))
    return CsrfClient(client, f"/t/{tenant.slug}/sms"), account


def approved_signature(db, tenant, account, text="茶语时光"):
    row = SmsSignature(tenant_id=tenant.id, account_id=account.id, text=text, status="approved",
                       provider_ref=text)
    db.add(row)
    db.commit()
    return row


def fresh(db, model, row_id):
    db.expire_all()
    return db.get(model, row_id)


def template_form(signature_id, **overrides):
    return {"name": "双十二会员日", "signature_id": str(signature_id), "category": "marketing",
            "scenario": "promotion", "content": "${customer_nickname}您好，双十二会员日全场八折", "link_url": "",
            "remark": "", **overrides}


# -- limits on the pages ----------------------------------------------------------------------------------------------


def test_the_template_form_refuses_31_names_and_495_contents_and_saves_nothing(sms, db, tenant):
    page, account = sms
    sig = approved_signature(db, tenant, account)
    assert page.post("/templates/new", template_form(sig.id, name="名" * 31)).status_code == 422
    response = page.post("/templates/new", template_form(sig.id, content="好" * 495))
    assert response.status_code == 422 and "495" in response.get_data(as_text=True)
    assert db.exec(select(SmsTemplate).where(SmsTemplate.kind == "custom")).all() == []
    assert page.post("/templates/new", template_form(sig.id, name="名" * 30, content="好" * 494)).status_code == 302
    assert len(db.exec(select(SmsTemplate).where(SmsTemplate.kind == "custom")).all()) == 1


def test_a_post_without_the_csrf_token_is_refused(sms, db, tenant):
    page, account = sms
    sig = approved_signature(db, tenant, account)
    assert page.client.post(page.base + "/templates/new", data=template_form(sig.id)).status_code == 400


def test_signature_20_is_filed_21_refused(sms, db, tenant, desk):
    page, account = sms
    refused = page.post("/templates/signatures/new", {"account_id": account.id, "text": "签" * 21,
                                                      "source": "company"})
    assert refused.status_code == 422
    assert db.exec(select(SmsSignature)).all() == []
    assert page.post("/templates/signatures/new", {"account_id": account.id, "text": "签" * 20,
                                                   "source": "trademark"}).status_code == 302
    [row] = db.exec(select(SmsSignature)).all()
    assert (row.status, row.provider_ref) == ("pending", "签" * 20)
    assert desk.filed_signatures[0].source == "5"  # Aliyun's SignSource of a trademark


def test_the_signature_limit_follows_the_tenant_setting(db, tenant, enable_plugins, make_channel_account):
    enable_plugins(tenant, "sms")
    account = make_channel_account(tenant, "sms", credentials={}, config={})
    data = signatures.SignatureInput(account.id, "签" * 25, "company", "")
    with pytest.raises(signatures.SignatureError):
        signatures.create(db, tenant.id, data)
    assert signatures.create(db, tenant.id, data, limit=30).text == "签" * 25


def test_unapproved_signatures_cannot_be_used(sms, db, tenant):
    page, account = sms
    pending = SmsSignature(tenant_id=tenant.id, account_id=account.id, text="待审签名", status="pending")
    db.add(pending)
    db.commit()
    response = page.post("/templates/new", template_form(pending.id))
    assert response.status_code == 422
    assert signatures.approved(db, tenant.id) == []


def test_compliance_blocks_ids_and_brackets_warns_on_topics(sms, db, tenant):
    page, account = sms
    sig = approved_signature(db, tenant, account)
    assert page.post("/templates/new", template_form(sig.id, content="加微信 teashop888 领券")).status_code == 422
    assert page.post("/templates/new", template_form(sig.id, content="【新品】上市")).status_code == 422
    ok = page.post("/templates/new", template_form(sig.id, content="新春理财礼包上线"), follow_redirects=True)
    assert ok.status_code == 200 and "data-warning" in ok.get_data(as_text=True)


def test_a_link_variable_needs_its_target(sms, db, tenant):
    page, account = sms
    sig = approved_signature(db, tenant, account)
    assert page.post("/templates/new", template_form(sig.id, content="详情：${link}")).status_code == 422
    assert page.post("/templates/new", template_form(sig.id, content="详情：${link}",
                                                     link_url="javascript:alert(1)")).status_code == 422
    assert page.post("/templates/new", template_form(sig.id, content="详情：${link}",
                                                     link_url="https://shop.example.com/1212")).status_code == 302


# -- the lifecycle (acceptance 21) ------------------------------------------------------------------------------------


def test_template_lifecycle_pending_approved_rejected_edit_resubmit(sms, db, tenant, desk):
    page, account = sms
    sig = approved_signature(db, tenant, account)
    assert page.post("/templates/new", template_form(sig.id)).status_code == 302
    [row] = db.exec(select(SmsTemplate).where(SmsTemplate.kind == "custom")).all()
    assert (row.status, row.provider_code) == ("pending", "SMS_101")
    # marketing templates are filed as they are sent: with the unsubscribe suffix
    assert desk.filed_templates[0].content.endswith(" 回TD退订") and desk.filed_templates[0].category == "marketing"
    # pending: not pickable, not editable, deletable
    assert templates.usable_template(db, tenant.id, row.id) is None
    assert page.get(f"/templates/{row.id}/edit").status_code == 303
    listing = page.get("/templates/?tab=custom").get_data(as_text=True)
    assert "待审核" in listing or "Pending review" in listing
    # a rejection through the provider's review callback moves it to 驳回 with the reason
    assert review.apply_review(db, account, ReviewResult("template", "SMS_101", "rejected", "内容不明确")) == 1
    db.commit()
    html = page.get("/templates/").get_data(as_text=True)
    assert "(内容不明确)" in html and 'data-testid="edit"' in html
    assert templates.usable_template(db, tenant.id, row.id) is None
    # a rejected template is not deleted, it is edited; saving resubmits: back to pending
    assert page.post(f"/templates/{row.id}/delete").status_code == 303
    assert fresh(db, SmsTemplate, row.id) is not None
    assert page.post(f"/templates/{row.id}/edit", template_form(sig.id, content="会员日全场八折")).status_code == 302
    row = fresh(db, SmsTemplate, row.id)
    assert (row.status, row.reason, row.provider_code, row.content) == ("pending", "", "SMS_102", "会员日全场八折")
    # the poll reads the verdict: approved, pickable, no longer editable
    desk.verdicts["SMS_102"] = ("approved", "")
    assert review.poll(db, tenant.id) == 1
    row = fresh(db, SmsTemplate, row.id)
    assert row.status == "approved" and templates.usable_template(db, tenant.id, row.id).id == row.id
    assert page.get(f"/templates/{row.id}/edit").status_code == 303
    # a late or repeated callback changes nothing
    assert review.apply_review(db, account, ReviewResult("template", "SMS_102", "rejected", "x")) == 0
    # approved templates can be deleted
    assert page.post(f"/templates/{row.id}/delete").status_code == 303
    assert fresh(db, SmsTemplate, row.id) is None
    assert desk.deleted == ["SMS_102"]  # withdrawn at the vendor too


def test_signature_lifecycle_and_the_durable_poll(sms, db, tenant, desk):
    page, account = sms
    page.post("/templates/signatures/new", {"account_id": account.id, "text": "茶语时光", "source": "company"})
    [row] = db.exec(select(SmsSignature)).all()
    job = db.exec(select(ScheduledJob).where(ScheduledJob.key == review.poll_key(tenant.id))).one()
    assert job.actor == review.POLL_JOB and job.tenant_id == tenant.id and job.status == "pending"
    desk.verdicts["茶语时光"] = ("rejected", "资质材料不全")
    assert review.poll(db, tenant.id) == 1
    row = fresh(db, SmsSignature, row.id)
    assert (row.status, row.reason) == ("rejected", "资质材料不全")
    assert "资质材料不全" in page.get("/templates/signatures/").get_data(as_text=True)
    assert page.post(f"/templates/signatures/{row.id}/edit", {"text": "茶语时光", "source": "trademark",
                                                              "remark": "附商标注册证"}).status_code == 302
    row = fresh(db, SmsSignature, row.id)
    assert (row.status, row.source) == ("pending", "trademark")
    assert review.apply_review(db, account, ReviewResult("signature", "茶语时光", "approved")) == 1
    db.commit()
    assert [s.text for s in signatures.approved(db, tenant.id)] == ["茶语时光"]
    assert signatures.approved_text(db, tenant.id, account.id, "【茶语时光】").id == row.id
    assert signatures.approved_text(db, tenant.id, account.id + 1000, "茶语时光") is None
    # an approved signature cannot be "edited" back to pending
    assert page.post(f"/templates/signatures/{row.id}/edit", {"text": "别的", "source": "company"}).status_code == 303
    assert fresh(db, SmsSignature, row.id).text == "茶语时光"


def test_a_filing_refused_for_its_content_is_rejected_an_outage_is_retried(sms, db, tenant, desk):
    page, account = sms
    sig = approved_signature(db, tenant, account)
    desk.refuse = ProviderError(CONTENT, "isv.SMS_TEMPLATE_ILLEGAL", "模板内容含有违禁词")
    page.post("/templates/new", template_form(sig.id))
    [row] = db.exec(select(SmsTemplate).where(SmsTemplate.kind == "custom")).all()
    assert (row.status, row.reason) == ("rejected", "模板内容含有违禁词")
    desk.refuse = Unreachable("connection refused")
    page.post(f"/templates/{row.id}/edit", template_form(sig.id, content="会员日全场八折"))
    row = fresh(db, SmsTemplate, row.id)
    assert row.status == "pending" and row.submit_error == "Unreachable" and not row.provider_code
    desk.refuse = None
    review.poll(db, tenant.id)  # the poll files it again
    row = fresh(db, SmsTemplate, row.id)
    assert row.provider_code and row.submit_error == "" and row.status == "pending"


# -- system templates and the list -------------------------------------------------------------------------------------


def test_system_templates_are_seeded_usable_and_read_only(sms, db, tenant):
    page, _account = sms
    rows = db.exec(select(SmsTemplate).where(SmsTemplate.tenant_id == tenant.id, SmsTemplate.kind == "system")).all()
    assert {r.name for r in rows} >= {"会员生日祝福", "订单发货通知", "活动邀请"}
    assert all(r.status == "approved" for r in rows)
    assert system.seed(db, tenant.id) == 0  # a second enabling adds nothing
    birthday = next(r for r in rows if r.system_key == "member_birthday")
    assert templates.usable_template(db, tenant.id, birthday.id).id == birthday.id
    assert page.get(f"/templates/{birthday.id}/edit").status_code == 303
    assert page.post(f"/templates/{birthday.id}/delete").status_code == 303
    assert fresh(db, SmsTemplate, birthday.id) is not None
    html = page.get("/templates/?tab=system").get_data(as_text=True)
    assert "会员生日祝福" in html and 'data-testid="delete"' not in html


def test_the_list_pages_by_10_filters_and_sorts_by_usage(sms, db, tenant):
    page, account = sms
    sig = approved_signature(db, tenant, account)
    for i in range(12):
        db.add(SmsTemplate(tenant_id=tenant.id, name=f"模板{i:02d}", signature_id=sig.id, account_id=account.id,
                           category="notification", content="您好", status="approved" if i % 2 else "pending",
                           usage_count=i))
    db.commit()
    first = page.get("/templates/?tab=custom").get_data(as_text=True)
    assert first.count("data-template-id=") == 10 and "1 / 2" not in first and "2" in first
    second = page.get("/templates/?tab=custom&page=2").get_data(as_text=True)
    assert second.count("data-template-id=") == 2
    by_usage = page.get("/templates/?tab=custom&sort=-usage").get_data(as_text=True)
    assert by_usage.index("模板11") < by_usage.index("模板10") < by_usage.index("模板09")
    approved_only = page.get("/templates/?tab=custom&status=approved").get_data(as_text=True)
    assert approved_only.count("data-template-id=") == 6
    named = page.get("/templates/?tab=custom&name=模板0").get_data(as_text=True)
    assert named.count("data-template-id=") == 10
    assert page.get("/templates/?tab=custom&from=2000-01-01&to=2000-01-02").get_data(as_text=True).count(
        "data-template-id=") == 0
    templates.count_use(db, tenant.id, db.exec(select(SmsTemplate).where(SmsTemplate.name == "模板00")).one().id)
    db.commit()
    assert db.exec(select(SmsTemplate).where(SmsTemplate.name == "模板00")).one().usage_count == 1


def test_the_form_has_the_variable_buttons_and_counters(sms, db, tenant):
    page, account = sms
    approved_signature(db, tenant, account)
    html = page.get("/templates/new").get_data(as_text=True)
    for variable in ("customer_nickname", "employee_name", "company_name", "link"):
        assert f'data-insert-variable="${{{variable}}}"' in html
    assert 'data-counter="30"' in html and 'data-counter="494"' in html
    assert "template_form.js" in html and "<script>" not in html
    assert page.client.get(page.base + "/templates/static/sms/template_form.js").status_code == 200


# -- tenant isolation ------------------------------------------------------------------------------------------------


def test_tenants_never_see_or_touch_each_others_signatures_templates_or_reviews(
        sms, db, tenant, other_tenant, enable_plugins, make_channel_account, desk):
    page, account = sms
    enable_plugins(other_tenant, "sms")
    other_account = make_channel_account(other_tenant, "sms", credentials={}, config={})
    theirs_sig = approved_signature(db, other_tenant, other_account, text="别家签名")
    theirs = SmsTemplate(tenant_id=other_tenant.id, name="别家模板", signature_id=theirs_sig.id,
                         account_id=other_account.id, content="别家内容", status="pending", provider_code="SMS_9")
    db.add(theirs)
    db.commit()
    assert page.get(f"/templates/{theirs.id}").status_code == 404
    assert page.get(f"/templates/{theirs.id}/edit").status_code == 404
    assert page.post(f"/templates/{theirs.id}/delete").status_code == 404
    assert page.post(f"/templates/signatures/{theirs_sig.id}/delete").status_code == 404
    assert "别家" not in page.get("/templates/").get_data(as_text=True)
    assert "别家" not in page.get("/templates/signatures/").get_data(as_text=True)
    # another tenant's approved signature cannot be used, nor their account for filing
    assert page.post("/templates/new", template_form(theirs_sig.id)).status_code == 422
    assert page.post("/templates/signatures/new", {"account_id": other_account.id, "text": "借用",
                                                   "source": "company"}).status_code == 422
    # a review result reaching our account never moves their row (same code at another account)
    assert review.apply_review(db, account, ReviewResult("template", "SMS_9", "approved")) == 0
    assert signatures.approved_text(db, tenant.id, other_account.id, "别家签名") is None
    # our poll never asks about their rows
    desk.verdicts["SMS_9"] = ("approved", "")
    review.poll(db, tenant.id)
    assert fresh(db, SmsTemplate, theirs.id).status == "pending"
    assert templates.usable(db, tenant.id) and all(t.tenant_id == tenant.id for t in templates.usable(db, tenant.id))


def test_the_signature_limit_is_a_tenant_setting_of_at_most_30(tenant, enable_plugins, make_channel_account,
                                                               make_user, login, client, db, desk, platform):
    import pydantic

    plugin = platform.registry.plugin("sms")
    assert plugin.default_settings() == {"signature_max_length": 20}
    with pytest.raises(pydantic.ValidationError):
        plugin.validate_settings({"signature_max_length": 31})
    enable_plugins(tenant, "sms", settings={"sms": {"signature_max_length": 30}})
    account = make_channel_account(tenant, "sms", credentials={}, config={})
    login(make_user("ops@acme.test", tenant, role="operator"))
    page = CsrfClient(client, f"/t/{tenant.slug}/sms")
    assert "30" in page.get("/templates/signatures/").get_data(as_text=True)
    assert page.post("/templates/signatures/new", {"account_id": account.id, "text": "签" * 31,
                                                   "source": "company"}).status_code == 422
    assert page.post("/templates/signatures/new", {"account_id": account.id, "text": "签" * 30,
                                                   "source": "company"}).status_code == 302
