"""Typed domain events of inbound callbacks (issue 14 item 2; shapes of protocols.md §3.2), their dedupe keys, and
their publication by the processing job."""

from __future__ import annotations

import pytest
from oa_fixtures import *  # noqa: F403
from oa_fixtures import ORIGINAL_ID
from scrm_official_account import events as ev
from scrm_official_account.jobs import process_callbacks
from scrm_official_account.sandbox import message_xml
from sqlmodel import select

from scrm.sdk import InboundCallback
from scrm.sdk.wechat import parse_xml

FAN = "oFanEvents"


def parsed(msg_type: str, **fields):
    return ev.parse_inbound(parse_xml(message_xml(ORIGINAL_ID, FAN, msg_type, create_time=1348831860, **fields)))


@pytest.mark.parametrize(("msg_type", "fields", "type", "expected"), [
    ("event", {"Event": "subscribe"}, ev.EVENT_SUBSCRIBED, {"scene": None, "ticket": None}),
    ("event", {"Event": "subscribe", "EventKey": "qrscene_123123", "Ticket": "TICKET"}, ev.EVENT_SUBSCRIBED,
     {"scene": "123123", "ticket": "TICKET"}),
    ("event", {"Event": "unsubscribe"}, ev.EVENT_UNSUBSCRIBED, {}),
    ("event", {"Event": "SCAN", "EventKey": "store_88", "Ticket": "T2"}, ev.EVENT_SCANNED,
     {"scene": "store_88", "ticket": "T2"}),
    ("text", {"Content": "this is a test", "MsgId": "1234567890123456"}, ev.EVENT_TEXT,
     {"content": "this is a test", "msg_id": "1234567890123456"}),
    ("image", {"PicUrl": "http://p", "MediaId": "M1", "MsgId": "2"}, ev.EVENT_IMAGE,
     {"pic_url": "http://p", "media_id": "M1"}),
    ("voice", {"MediaId": "M2", "Format": "amr", "Recognition": "你好", "MsgId": "3"}, ev.EVENT_VOICE,
     {"media_id": "M2", "format": "amr", "recognition": "你好"}),
    ("video", {"MediaId": "M3", "ThumbMediaId": "T3", "MsgId": "4"}, ev.EVENT_VIDEO,
     {"media_id": "M3", "thumb_media_id": "T3", "short": False}),
    ("shortvideo", {"MediaId": "M4", "ThumbMediaId": "T4", "MsgId": "5"}, ev.EVENT_VIDEO, {"short": True}),
    ("location", {"Location_X": "23.134521", "Location_Y": "113.358803", "Scale": "20", "Label": "广州",
                  "MsgId": "6"}, ev.EVENT_LOCATION,
     {"latitude": 23.134521, "longitude": 113.358803, "scale": 20, "label": "广州"}),
    ("link", {"Title": "公众平台", "Description": "官网", "Url": "https://mp.weixin.qq.com", "MsgId": "7"},
     ev.EVENT_LINK, {"title": "公众平台", "url": "https://mp.weixin.qq.com"}),
    ("event", {"Event": "CLICK", "EventKey": "V1001_TODAY_MUSIC"}, ev.EVENT_MENU_CLICK, {"key": "V1001_TODAY_MUSIC"}),
    ("event", {"Event": "VIEW", "EventKey": "https://brand.example", "MenuId": "208"}, ev.EVENT_MENU_VIEW,
     {"url": "https://brand.example", "menu_id": 208}),
    ("event", {"Event": "LOCATION", "Latitude": "23.1", "Longitude": "113.3", "Precision": "119.3"},
     ev.EVENT_LOCATION_REPORTED, {"latitude": 23.1, "longitude": 113.3}),
    ("event", {"Event": "TEMPLATESENDJOBFINISH", "MsgID": "200163836", "Status": "success"},
     ev.EVENT_TEMPLATE_SEND_FINISHED, {"msg_id": "200163836", "status": "success", "ok": True}),
    ("event", {"Event": "TEMPLATESENDJOBFINISH", "MsgID": "200163840", "Status": "failed: system failed"},
     ev.EVENT_TEMPLATE_SEND_FINISHED, {"status": "failed:system failed", "ok": False}),
    ("event", {"Event": "TEMPLATESENDJOBFINISH", "MsgID": "200163841", "Status": "failed:user block"},
     ev.EVENT_TEMPLATE_SEND_FINISHED, {"status": "failed:user block", "ok": False}),
    ("event", {"Event": "MASSSENDJOBFINISH", "MsgID": "1000001625", "Status": "send success", "TotalCount": "100",
               "FilterCount": "80", "SentCount": "75", "ErrorCount": "5"}, ev.EVENT_MASS_SEND_FINISHED,
     {"msg_id": "1000001625", "status": "send success", "total_count": 100, "filter_count": 80, "sent_count": 75,
      "error_count": 5}),
    ("event", {"Event": "kf_create_session", "KfAccount": "test1@test"}, ev.EVENT_OTHER,
     {"event": "kf_create_session", "kf_account": "test1@test"}),
])
def test_each_callback_shape_has_its_typed_event(msg_type, fields, type, expected):
    event = parsed(msg_type, **fields)
    assert event.type == type and event.openid == FAN and event.create_time == 1348831860
    assert expected.items() <= event.payload.items()
    assert event.is_message == (type in ev.MESSAGE_TYPES)


def test_message_types_are_the_fan_messages():
    assert ev.MESSAGE_TYPES == {ev.EVENT_TEXT, ev.EVENT_IMAGE, ev.EVENT_VOICE, ev.EVENT_VIDEO, ev.EVENT_LOCATION,
                                ev.EVENT_LINK}


def test_dedupe_keys():
    text = parse_xml(message_xml(ORIGINAL_ID, FAN, "text", create_time=1, Content="a", MsgId="99"))
    assert ev.dedupe_key(text, "") == "msg:99"
    sub = parse_xml(message_xml(ORIGINAL_ID, FAN, "event", create_time=1, Event="subscribe"))
    same = parse_xml(message_xml(ORIGINAL_ID, FAN, "event", create_time=1, Event="subscribe"))
    other_time = parse_xml(message_xml(ORIGINAL_ID, FAN, "event", create_time=2, Event="subscribe"))
    other_fan = parse_xml(message_xml(ORIGINAL_ID, "oOther", "event", create_time=1, Event="subscribe"))
    keys = {ev.dedupe_key(m, "") for m in (sub, other_time, other_fan)}
    assert ev.dedupe_key(sub, "") == ev.dedupe_key(same, "") and len(keys) == 3


def test_the_processing_job_publishes_each_event_once(client, db, tenant, enable_plugins, make_oa_account, fire):
    enable_plugins(tenant, "official_account")
    account = make_oa_account(tenant)
    fire(account, message_xml(ORIGINAL_ID, FAN, "event", Event="subscribe", EventKey="qrscene_store_1",
                              Ticket="TK"))
    fire(account, message_xml(ORIGINAL_ID, FAN, "event", Event="CLICK", EventKey="MEMBER_CARD"))
    ids = [r.id for r in db.exec(select(InboundCallback).where(InboundCallback.account_id == account.id))]
    process_callbacks(tenant.id, inbound_ids=ids)
    process_callbacks(tenant.id, inbound_ids=ids)
    from scrm.core.models import Outbox  # the platform's outbox: read-only in this test

    rows = db.exec(select(Outbox).where(Outbox.tenant_id == tenant.id,
                                        Outbox.type.startswith(ev.PREFIX))).all()
    assert sorted(r.type for r in rows) == sorted([ev.EVENT_SUBSCRIBED, ev.EVENT_MENU_CLICK])
    subscribed = next(r for r in rows if r.type == ev.EVENT_SUBSCRIBED)
    assert subscribed.payload["scene"] == "store_1" and subscribed.payload["account_id"] == account.id
    assert subscribed.payload["appid"] == account.external_id and subscribed.payload["openid"] == FAN
