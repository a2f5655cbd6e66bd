"""Template messages for notifications (protocols.md 3.4): the template list synced from WeChat, ``send_template``
through the outbound path (verified service accounts only, each value at most 20 characters without line breaks),
WeChat's msgid kept as the provider id and TEMPLATESENDJOBFINISH moving the ledger row, isolation."""

from __future__ import annotations

import pytest
from oa_fixtures import *  # noqa: F403
from oa_fixtures import APPID, ORIGINAL_ID
from oa_materials_support import *  # noqa: F403
from oa_materials_support import fresh
from scrm_official_account.accounts import NotVerifiedServiceAccount
from scrm_official_account.masssend import TemplateError, send_template
from scrm_official_account.masssend.models import TemplateMessageTemplate
from scrm_official_account.sandbox import message_xml
from sqlmodel import select

from scrm.sdk import DeliveryStatus, MessageDelivery

ORDER = {"template_id": "TPL_ORDER_SHIPPED", "title": "订单发货通知",
         "content": "订单号：{{character_string1.DATA}}\n商品：{{thing2.DATA}}\n快递：{{thing3.DATA}}",
         "example": "", "primary_industry": "IT科技", "deputy_industry": "互联网"}
PARAMS = {"character_string1": "SO20261206001", "thing2": "限定色口红礼盒", "thing3": "顺丰速运"}


@pytest.fixture
def templates_synced(oa_world):
    oa_world.control.http.post("/sandbox/templates", json={"appid": APPID, "templates": [ORDER]})
    response = oa_world.staff.post(oa_world.url("/masssend/templates/sync"), data={"account_id": str(oa_world.account.id)})
    assert response.status_code == 302
    return oa_world


def test_the_template_list_is_synced_from_wechat(templates_synced, db):
    fresh(db)
    [template] = db.exec(select(TemplateMessageTemplate)).all()
    assert template.title == "订单发货通知" and template.fields == ["character_string1", "thing2", "thing3"]
    page = templates_synced.staff.get(templates_synced.url("/masssend/?tab=templates")).get_data(as_text=True)
    assert "TPL_ORDER_SHIPPED" in page


def test_an_unverified_account_cannot_sync_or_send(tenant, enable_plugins, oa_sandbox, make_oa_account, oa_admin, db):
    base, control = oa_sandbox
    enable_plugins(tenant, "official_account")
    account = make_oa_account(tenant, api_base=base, verified=False)
    staff = oa_admin(tenant)
    staff.post(f"/t/{tenant.slug}/official_account/masssend/templates/sync", data={"account_id": str(account.id)})
    assert [c for c in control.calls() if "template" in c["path"]] == []
    with pytest.raises(NotVerifiedServiceAccount):
        send_template(db, tenant.id, account, openid="oFan1", template_id="T", params={"thing1": "x"})
    assert db.exec(select(MessageDelivery)).all() == []


def test_values_are_at_most_20_characters_without_line_breaks(templates_synced, db):
    world = templates_synced
    ok = send_template(db, world.tenant.id, world.account, openid="oFan1", template_id="TPL_ORDER_SHIPPED",
                       params={**PARAMS, "thing2": "字" * 20})
    assert ok.status == DeliveryStatus.QUEUED and ok.message["kind"] == "template"
    for bad in ({**PARAMS, "thing2": "字" * 21}, {**PARAMS, "thing2": "第一行\n第二行"}):
        with pytest.raises(TemplateError) as caught:
            send_template(db, world.tenant.id, world.account, openid="oFan1", template_id="TPL_ORDER_SHIPPED",
                          params=bad)
        assert caught.value.code == "VALUE_TOO_LONG" and caught.value.field == "thing2"
    with pytest.raises(TemplateError) as caught:
        send_template(db, world.tenant.id, world.account, openid="oFan1", template_id="TPL_ORDER_SHIPPED",
                      params={"character_string1": "SO1"})
    assert caught.value.code == "MISSING_VALUE"
    with pytest.raises(TemplateError) as caught:
        send_template(db, world.tenant.id, world.account, openid="oFan1", template_id="TPL_UNKNOWN", params=PARAMS)
    assert caught.value.code == "UNKNOWN_TEMPLATE"
    db.rollback()


@pytest.mark.parametrize("status,final,code", [("success", DeliveryStatus.DELIVERED, None),
                                               ("failed:user block", DeliveryStatus.FAILED, "oa_template_user_block"),
                                               ("failed: system failed", DeliveryStatus.FAILED,
                                                "oa_template_system_failed")])
def test_a_template_message_is_sent_and_its_finished_event_settles_the_row(templates_synced, db, worker, fire, status,
                                                                           final, code):
    world = templates_synced
    world.control.fans(["oFanTpl"])
    row = send_template(db, world.tenant.id, world.account, openid="oFanTpl", template_id="TPL_ORDER_SHIPPED",
                        params=PARAMS, url="https://shop.example.com/orders/SO20261206001",
                        idempotency_key="order_shipped:SO20261206001")
    db.commit()
    worker.join()
    fresh(db)
    row = db.get(MessageDelivery, row.id)
    assert row.status == DeliveryStatus.SENT and row.provider_id
    [sent] = [s for s in world.control.sent() if s["kind"] == "template"]
    assert sent["body"]["data"]["thing2"] == {"value": "限定色口红礼盒"}
    assert sent["body"]["client_msg_id"] == "order_shipped:SO20261206001"
    event = message_xml(ORIGINAL_ID, "oFanTpl", "event", Event="TEMPLATESENDJOBFINISH", MsgID=row.provider_id,
                        Status=status)
    assert fire(world.account, event).status_code == 200
    worker.join()
    fresh(db)
    row = db.get(MessageDelivery, row.id)
    assert row.status == final and row.error_code == code


def test_a_finished_event_of_another_tenant_leaves_the_row_alone(templates_synced, db, worker, fire, make_tenant,
                                                                 enable_plugins, make_oa_account):
    world = templates_synced
    world.control.fans(["oFanTpl"])
    row = send_template(db, world.tenant.id, world.account, openid="oFanTpl", template_id="TPL_ORDER_SHIPPED",
                        params=PARAMS)
    db.commit()
    worker.join()
    fresh(db)
    msgid = db.get(MessageDelivery, row.id).provider_id
    other = make_tenant("other")
    enable_plugins(other, "official_account")
    from oa_fixtures import OTHER_APPID, OTHER_ORIGINAL_ID

    foreign = make_oa_account(other, api_base=world.base, appid=OTHER_APPID)
    event = message_xml(OTHER_ORIGINAL_ID, "oFanTpl", "event", Event="TEMPLATESENDJOBFINISH", MsgID=msgid,
                        Status="failed:user block")
    assert fire(foreign, event).status_code == 200
    worker.join()
    fresh(db)
    assert db.get(MessageDelivery, row.id).status == DeliveryStatus.SENT
