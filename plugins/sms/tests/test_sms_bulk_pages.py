"""The 短信群发 and 短信充值 pages with CSRF on: Chinese list / form / detail, the live estimate, creating a send from
the form (and bad input refused with nothing written), the recharge page (tenant admins only, audit-logged, bounded)
and tenant isolation of every page."""

from __future__ import annotations

import re

import pytest
from sqlmodel import func, select

from scrm.sdk.testing import ADMIN_PASSWORD  # noqa: F401

CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


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
            self.get("/bulk/")
        return self.client.post(self.base + path, data={**(data or {}), "csrf_token": self.token}, **kwargs)


@pytest.fixture(autouse=True)
def csrf_off_afterwards(app):
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def ops(db, tenant, enable_plugins, make_channel_account, make_user, login, client):
    enable_plugins(tenant, "members", "sms")
    account = make_channel_account(tenant, "sms", name="阿里云短信", config={})
    from sms_testkit import approve_signature

    approve_signature(db, tenant.id, account.id, "星巢生活")
    login(make_user("ops@acme.test", tenant, role="operator"))
    client.get("/lang/zh_CN")
    return CsrfClient(client, f"/t/{tenant.slug}/sms"), account


def _bulks(db, tenant_id):
    from scrm_sms.bulk.models import SmsBulkSend

    return db.exec(select(func.count()).select_from(SmsBulkSend).where(SmsBulkSend.tenant_id == tenant_id)).one()


def test_the_pages_speak_chinese_and_the_estimate_follows_the_70_67_rule(db, tenant, ops):
    web, account = ops
    page = web.get("/bulk/").get_data(as_text=True)
    assert "短信群发" in page and "剩余短信" in page and "去充值" in page
    form = web.get("/bulk/new").get_data(as_text=True)
    assert "群发对象" in form and "预计发送条数" in form and "确认发送" in form
    answer = web.get("/bulk/estimate", query_string={
        "mode": "phones", "phones": "13800000001\n13800000002\n13800000001\n12345", "category": "notification",
        "signature": "星巢生活", "content": "您" * 65}).get_json()
    # 【星巢生活】 + 65 = 71 characters: 2 segments; 2 valid numbers after dedupe, 1 invalid
    assert answer == {"recipients": 2, "billed": 4, "invalid": 1, "per_message": 2, "length": 71}
    answer = web.get("/bulk/estimate", query_string={
        "mode": "phones", "phones": "13800000001", "category": "notification", "signature": "星巢生活",
        "content": "您" * 64}).get_json()
    assert answer["billed"] == 1 and answer["length"] == 70


def test_the_form_creates_a_send_and_refuses_bad_input(db, tenant, ops):
    from scrm_sms.quota import service as quota

    web, account = ops
    quota.top_up(db, tenant.id, "marketing", 10)
    db.commit()
    base = {"account_id": str(account.id), "category": "marketing", "signature": "星巢生活", "mode": "phones",
            "send_mode": "now"}
    for bad, message in ((dict(phones="123\nabc", content="周末会员日"), "EMPTY_AUDIENCE"),
                         (dict(phones="13800000001", content="好" * 495), "494"),
                         (dict(phones="13800000001", content=""), "content"),
                         (dict(phones="13800000001", content="好", send_mode="later", send_at="2020-01-01T10:00"),
                          "发送时间须晚于现在")):
        response = web.post("/bulk/new", {**base, **bad})
        assert response.status_code == 400, bad
        assert message in response.get_data(as_text=True) or bad.get("content") == ""
    assert _bulks(db, tenant.id) == 0 and quota.remaining(db, tenant.id, "marketing") == 10
    response = web.post("/bulk/new", {**base, "phones": "13800000001\n13800000002", "content": "周末会员日全场8折"})
    assert response.status_code == 302
    assert _bulks(db, tenant.id) == 1 and quota.remaining(db, tenant.id, "marketing") == 8
    response = web.post("/bulk/new", {**base, "phones": "\n".join(f"1380000{i:04d}" for i in range(20)),
                                      "content": "周末会员日全场8折"})
    assert response.status_code == 400 and "INSUFFICIENT_BALANCE" in response.get_data(as_text=True)
    assert _bulks(db, tenant.id) == 1


def test_recharge_is_for_tenant_admins_audited_and_bounded(db, tenant, ops, make_user, login, client):
    from scrm_sms.quota import service as quota
    from scrm_sms.quota.models import SmsRecharge

    from scrm.core.models import AuditLog

    web, _ = ops
    assert "短信充值" in web.get("/recharge/").get_data(as_text=True)
    assert web.post("/recharge/", {"category": "marketing", "amount": "100"}).status_code == 403  # operator
    client.application.config["WTF_CSRF_ENABLED"] = False  # the login fixture posts without a token
    login(make_user("boss@acme.test", tenant, role="tenant_admin"))
    client.application.config["WTF_CSRF_ENABLED"] = True
    client.get("/lang/zh_CN")
    web.token = None
    web.get("/recharge/")
    assert web.post("/recharge/", {"category": "marketing", "amount": "0"}).status_code == 400
    assert web.post("/recharge/", {"category": "marketing", "amount": str(quota.MAX_TOP_UP + 1)}).status_code == 400
    assert web.post("/recharge/", {"category": "ads", "amount": "5"}).status_code == 400
    assert web.post("/recharge/", {"category": "marketing", "package": "p999"}).status_code == 400
    assert db.exec(select(func.count()).select_from(SmsRecharge)).one() == 0
    assert web.post("/recharge/", {"category": "marketing", "package": "p1000"}).status_code == 302
    assert web.post("/recharge/", {"category": "notification", "amount": "250", "note": "补发"}).status_code == 302
    assert quota.remaining(db, tenant.id, "marketing") == 1000
    assert quota.purchased(db, tenant.id, "notification") == 250
    page = web.get("/recharge/").get_data(as_text=True)
    assert "充值记录" in page and "¥60.00" in page and "补发" in page
    assert db.exec(select(func.count()).select_from(AuditLog).where(AuditLog.action == "sms.quota.top_up")).one() == 2


def test_other_tenants_see_nothing(db, tenant, other_tenant, ops, enable_plugins, make_user, login):
    from scrm_sms.bulk import service
    from scrm_sms.quota import service as quota

    web, account = ops
    quota.top_up(db, tenant.id, "marketing", 10)
    db.commit()
    bulk = service.create(db, tenant, account_id=account.id, category="marketing", signature="星巢生活",
                          content="周末会员日", audience={"mode": "phones", "text": "13800000001"})
    db.commit()
    enable_plugins(other_tenant, "sms")
    web.client.application.config["WTF_CSRF_ENABLED"] = False  # the login fixture posts without a token
    login(make_user("ops@other.test", other_tenant, role="tenant_admin"))
    other = CsrfClient(web.client, f"/t/{other_tenant.slug}/sms")  # CSRF on again
    assert f'data-bulk-id="{bulk.id}"' not in other.get("/bulk/").get_data(as_text=True)
    assert other.get(f"/bulk/{bulk.id}").status_code == 404
    for action in ("pause", "resume", "cancel"):
        assert other.post(f"/bulk/{bulk.id}/{action}").status_code == 404
    page = other.get("/recharge/").get_data(as_text=True)
    assert 'data-remaining>0<' in page
    # another tenant's account cannot be used for a send
    response = other.post("/bulk/new", {"account_id": str(account.id), "category": "marketing",
                                        "signature": "星巢生活", "mode": "phones", "phones": "13800000001",
                                        "content": "周末会员日", "send_mode": "now"})
    assert response.status_code == 400 and _bulks(db, other_tenant.id) == 0
    db.refresh(bulk)
    assert bulk.status == "scheduled"


def test_the_form_offers_only_approved_signatures_and_refuses_others(db, tenant, ops):
    """Spec 2.2 / 3.9: the signature is a select of the account's approved signatures; a pending or typed one is
    refused with a clear message and nothing is written."""
    from scrm_sms.quota import service as quota
    from scrm_sms.signatures.models import SmsSignature

    web, account = ops
    db.add(SmsSignature(tenant_id=tenant.id, account_id=account.id, text="待审签名", status="pending"))
    quota.top_up(db, tenant.id, "marketing", 10)
    db.commit()
    form = web.get("/bulk/new").get_data(as_text=True)
    assert '<select name="signature"' in form and 'input name="signature"' not in form
    assert f'<option value="星巢生活" data-account="{account.id}" selected>' in form
    assert "待审签名" not in form
    base = {"account_id": str(account.id), "category": "marketing", "mode": "phones", "phones": "13800000001",
            "content": "周末会员日全场8折", "send_mode": "now"}
    for text in ("待审签名", "随便写的"):
        response = web.post("/bulk/new", {**base, "signature": text})
        assert response.status_code == 400
        assert "请选择该短信账号下已审核通过的签名" in response.get_data(as_text=True)
    assert _bulks(db, tenant.id) == 0 and quota.remaining(db, tenant.id, "marketing") == 10
    assert web.post("/bulk/new", {**base, "signature": "星巢生活"}).status_code == 302
