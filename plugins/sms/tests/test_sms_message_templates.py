"""The SMS plugin's answer to the ``message_templates`` hook (templates other plugins send through ``send_message``)
and the ``${code}`` variable: only approved custom templates with a vendor code, an approved signature on the same
active account and of the asking tenant are offered; each builds the vendor's template message; ``${code}`` is a
template variable that a bulk send refuses (nothing could fill it)."""

from __future__ import annotations

import pytest
from scrm_sms.smstemplates.models import SmsTemplate
from sms_testkit import SIGN, approve_signature

from scrm.sdk import message_templates


def _template(db, tenant, account, signature, code: str, content: str, **kw) -> SmsTemplate:
    row = SmsTemplate(tenant_id=tenant.id, name=kw.pop("name", code), account_id=account.id,
                      signature_id=signature.id, category=kw.pop("category", "notification"), content=content,
                      status=kw.pop("status", "approved"), provider_code=code, **kw)
    db.add(row)
    db.commit()
    return row


def test_only_sendable_templates_of_the_tenant_are_offered(db, tenant, other_tenant, sms_account):
    account = sms_account(tenant)
    signature = approve_signature(db, tenant.id, account.id)
    coded = _template(db, tenant, account, signature, "SMS_700001", "兑换码${code}，${employee_name}辛苦了",
                      name="A奖励")
    _template(db, tenant, account, signature, "SMS_700002", "${customer_nickname}周末见", name="B营销",
              category="marketing")
    _template(db, tenant, account, signature, "SMS_700003", "待审${code}", status="pending", name="C待审")
    _template(db, tenant, account, signature, "", "无编码${code}", name="D无编码")
    theirs_account = sms_account(other_tenant, name="别家短信")
    _template(db, other_tenant, theirs_account, approve_signature(db, other_tenant.id, theirs_account.id),
              "SMS_700004", "别家${code}", name="别家")
    offered = message_templates.offered(db, tenant)
    assert [c.name for c in offered] == ["A奖励", "B营销"]
    assert [c.name for c in message_templates.offered(db, tenant, variable="code")] == ["A奖励"]
    choice = offered[0]
    assert (choice.plugin, choice.account_id, choice.template_id, choice.key) == (
        "sms", account.id, str(coded.id), f"sms:{account.id}:{coded.id}")
    assert choice.variables == ("code", "employee_name") and choice.address == "mobile"
    assert (choice.purpose, offered[1].purpose) == ("sms_notification", "sms")
    message = choice.message({"employee_name": "张三", "code": "AB12CD34", "other": "x"})
    assert message.kind == "template"
    assert message.payload["template_id"] == "SMS_700001" and message.payload["sign_name"] == SIGN
    assert list(message.payload["params"].items()) == [("code", "AB12CD34"), ("employee_name", "张三")]
    assert message.payload["content"] == f"【{SIGN}】兑换码AB12CD34，张三辛苦了" and message.payload["segments"] == 1
    assert offered[1].message({}).payload["content"].endswith("回TD退订")  # marketing
    assert message_templates.find(db, other_tenant, choice.key) is None


def test_a_withdrawn_signature_or_an_inactive_account_offers_nothing(db, tenant, sms_account):
    account = sms_account(tenant)
    signature = approve_signature(db, tenant.id, account.id)
    _template(db, tenant, account, signature, "SMS_700011", "兑换码${code}")
    assert len(message_templates.offered(db, tenant)) == 1
    signature.status = "rejected"
    db.add(signature)
    db.commit()
    assert message_templates.offered(db, tenant) == []
    signature.status = "approved"
    account.active = False
    db.add_all([signature, account])
    db.commit()
    assert message_templates.offered(db, tenant) == []


def test_a_bulk_send_refuses_the_code_variable(db, tenant, sms_account):
    from scrm_sms.bulk import service
    from scrm_sms.bulk.service import BulkError

    account = sms_account(tenant)
    approve_signature(db, tenant.id, account.id)
    with pytest.raises(BulkError) as err:
        service.create(db, tenant, account_id=account.id, category="notification", signature=SIGN,
                       content="您的兑换码是${code}", audience={"mode": "phones", "text": "13800000001"})
    assert err.value.code == "INVALID_INPUT" and err.value.field == "content" and "${code}" in err.value.message
    db.rollback()
