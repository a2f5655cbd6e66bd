"""The channel contract (issue 14 item 3): ``deliver`` of customer-service messages (text, image, voice, video,
news, mini program) and template messages against the sandbox, WeChat's error codes mapped to ledger codes (45015
outside the 48-hour window, 45047 over the reply quota, 40003, 43004, 40037 ...), ``query_outcome`` of a template
send, and the whole path through ``scrm.sdk.send_message`` and the send job."""

from __future__ import annotations

import pytest
from oa_fixtures import *  # noqa: F403
from scrm_official_account.channel import ERRORS

from scrm.sdk import DeliveryStatus, MessageDelivery, OutboundMessage, Outgoing, send_message


@pytest.fixture
def account(tenant, enable_plugins, oa_sandbox, make_oa_account):
    url, control = oa_sandbox
    enable_plugins(tenant, "official_account")
    control.fans(["oRecent", "oQuota"], interacted_ago=3600)
    control.fans(["oOld"], interacted_ago=49 * 3600)
    control.fans(["oGone"], subscribed=False, interacted_ago=60)
    control.post("accounts", appid="wx2c2769f8efd9abc2", secret="0123456789abcdef0123456789abcdef",
                 templates=["TPL_ORDER"])
    return make_oa_account(tenant, api_base=url)


@pytest.fixture
def plugin(platform):
    return platform.registry.plugin("official_account")


def out(recipient: str, kind: str, payload: dict, key: str = "k1") -> Outgoing:
    return Outgoing(delivery_id=1, tenant_id=1, idempotency_key=key, recipient=recipient,
                    message=OutboundMessage(kind, payload))


@pytest.mark.parametrize(("kind", "payload", "msgtype"), [
    ("text", {"content": "您好"}, "text"),
    ("image", {"media_id": "MEDIA_IMG"}, "image"),
    ("voice", {"media_id": "MEDIA_VOICE"}, "voice"),
    ("video", {"media_id": "MEDIA_VIDEO", "title": "新品", "description": "秋冬新品"}, "video"),
    ("news", {"articles": [{"title": "会员日", "description": "全场八折", "url": "https://brand.example/d",
                            "picurl": "https://brand.example/p.jpg"}]}, "news"),
    ("miniprogram", {"appid": "wx286b93c14bbf93aa", "page": "pages/index", "title": "商城",
                     "thumb_media_id": "THUMB"}, "miniprogrampage"),
])
def test_customer_service_messages_of_every_kind_are_sent(account, oa_sandbox, plugin, kind, payload, msgtype):
    _, control = oa_sandbox
    result = plugin.deliver(account, out("oRecent", kind, payload))
    assert result.ok, result
    [sent] = control.sent()
    assert sent["kind"] == "custom" and sent["msgtype"] == msgtype and sent["touser"] == "oRecent"
    assert sent["body"][msgtype]


@pytest.mark.parametrize(("openid", "code"), [("oOld", "oa_out_of_window"), ("oGone", "oa_out_of_window"),
                                              ("oStranger", "oa_invalid_openid")])
def test_outside_the_window_or_to_strangers_the_send_fails_with_the_mapped_code(account, plugin, openid, code):
    result = plugin.deliver(account, out(openid, "text", {"content": "x"}))
    assert not result.ok and result.error_code == code and not result.retryable


def test_the_sixth_message_after_one_interaction_hits_the_quota(account, plugin):
    results = [plugin.deliver(account, out("oQuota", "text", {"content": str(i)})) for i in range(6)]
    assert [r.ok for r in results] == [True] * 5 + [False]
    assert results[-1].error_code == "oa_window_quota"


def test_a_mass_send_row_is_never_sent_one_by_one(account, oa_sandbox, plugin):
    _, control = oa_sandbox
    result = plugin.deliver(account, out("oRecent", "text", {"content": "会员日", "mass_send_id": 7}))
    assert not result.ok and result.error_code == "oa_mass_row" and not result.retryable
    assert control.sent() == []


def test_error_codes_are_mapped():
    assert ERRORS[45015] == ("oa_out_of_window", False) and ERRORS[45047] == ("oa_window_quota", False)
    assert ERRORS[40003][0] == "oa_invalid_openid" and ERRORS[43004][0] == "oa_not_subscribed"
    assert ERRORS[45009][1] is True and ERRORS[-1][1] is True


def test_template_messages_return_the_msgid_and_an_unknown_outcome_is_resolved_without_a_second_send(
        account, oa_sandbox, plugin):
    _, control = oa_sandbox
    message = out("oRecent", "template",
                  {"template_id": "TPL_ORDER", "params": {"thing1": "羊毛大衣", "amount2": "899元"},
                   "url": "https://brand.example/order/1"}, key="order:1")
    first = plugin.deliver(account, message)
    assert first.ok and first.provider_id
    again = plugin.query_outcome(account, message)
    assert again.ok and again.provider_id == first.provider_id
    assert len([s for s in control.sent() if s["kind"] == "template"]) == 1
    body = control.sent()[0]["body"]
    assert body["data"] == {"thing1": {"value": "羊毛大衣"}, "amount2": {"value": "899元"}}
    assert body["client_msg_id"] == "order:1"


@pytest.mark.parametrize(("recipient", "payload", "code"), [
    ("oRecent", {"template_id": "TPL_NONE", "params": {"a": "b"}}, "oa_invalid_template"),
    ("oGone", {"template_id": "TPL_ORDER", "params": {"a": "b"}}, "oa_not_subscribed"),
    ("oRecent", {"template_id": "TPL_ORDER", "params": {"a": "超过二十个字的模板字段内容会被微信拒绝的啊啊"}},
     "oa_invalid_argument"),
])
def test_template_errors_are_mapped(account, plugin, recipient, payload, code):
    result = plugin.deliver(account, out(recipient, "template", payload))
    assert not result.ok and result.error_code == code


def test_a_custom_message_has_no_outcome_to_ask_for(account, plugin):
    assert plugin.query_outcome(account, out("oRecent", "text", {"content": "x"})) is None


def test_send_message_through_the_kit_and_the_send_job(account, oa_sandbox, db, tenant, worker):
    _, control = oa_sandbox
    ok = send_message(db, tenant.id, account=account.id, recipient="oRecent",
                      message=OutboundMessage.text("到店有礼"), purpose="oa_message")
    late = send_message(db, tenant.id, account=account.id, recipient="oOld",
                        message=OutboundMessage.text("太晚了"), purpose="oa_message")
    db.commit()
    worker.join()
    db.expire_all()
    assert db.get(MessageDelivery, ok.id).status in (DeliveryStatus.SENT, DeliveryStatus.DELIVERED)
    failed = db.get(MessageDelivery, late.id)
    assert failed.status == DeliveryStatus.FAILED and failed.error_code == "oa_out_of_window"
    assert [s["touser"] for s in control.sent()] == ["oRecent"]


def test_an_unsupported_kind_is_refused_before_anything_is_written(account, db, tenant):
    from scrm.sdk import UnsupportedMessageKind

    with pytest.raises(UnsupportedMessageKind):
        send_message(db, tenant.id, account=account.id, recipient="oRecent",
                     message=OutboundMessage("redpacket", {"amount": 100}), purpose="oa_message")
