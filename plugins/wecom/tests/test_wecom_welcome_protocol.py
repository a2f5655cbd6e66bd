"""The welcome against WeCom's protocol edges (protocols.md §4.2, spec §4.2.6): the 20-second welcome code, the body
WeCom takes for each attachment type, the 4000-byte text after the variables are filled, and a customer name WeCom
cannot tell."""

from __future__ import annotations

import re
import time

import httpx
from scrm_wecom.sandbox import CallbackTarget, event_xml, fire_callback
from scrm_wecom.welcome import service
from sqlmodel import select
from wecom_livecodes_fixtures import *  # noqa: F403
from wecom_livecodes_fixtures import CALLBACK, CORP_ID, deliver, fresh, friend_event

from scrm.sdk import DeliveryStatus, MessageDelivery

SEND = "/cgi-bin/externalcontact/send_welcome_msg"
CONTACT_GET = "/cgi-bin/externalcontact/get"
TARGET = CallbackTarget(CORP_ID, CALLBACK["callback_token"], CALLBACK["encoding_aes_key"])


def welcome(db, world, text, attachments=()):
    values = service.validate(db, world.tenant.id, service.WelcomeInput(
        all_employees=True, employee_ids=[], segmented=False,
        content={"text": text, "attachments": list(attachments)}))
    service.create(db, world.tenant.id, values)
    db.commit()


def ledger(db, world):
    fresh(db)
    return list(db.exec(select(MessageDelivery).where(MessageDelivery.tenant_id == world.tenant.id)))


def post_while_the_worker_waits(app, platform, world, worker, *, added_seconds_ago: int, wait: float = 0.0):
    """A friend adds an employee; ``wait`` seconds later the callback, whose CreateTime says ``added_seconds_ago``,
    is stored while no worker runs; then the worker starts and the welcome job runs."""
    friend = world.sandbox.add_friend(CORP_ID, "zhangsan", {"name": "Lily"})
    time.sleep(wait)
    xml = event_xml(CORP_ID, "change_external_contact", "add_external_contact",
                    create_time=int(time.time()) - added_seconds_ago, UserID="zhangsan",
                    ExternalUserID=friend["external_userid"], WelcomeCode=friend["welcome_code"])
    platform.bus.stop_worker()
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://scrm.test") as http:
        assert fire_callback(f"http://scrm.test/callbacks/wecom/{world.account.id}", TARGET, xml,
                             http=http).status_code == 200
    platform.bus.start_worker(threads=2)
    worker.join()
    return friend


def test_a_code_certainly_older_than_20_seconds_is_not_sent_and_recorded_as_expired(app, db, platform, world,
                                                                                    worker):
    welcome(db, world, "Hello")
    post_while_the_worker_waits(app, platform, world, worker, added_seconds_ago=30)
    assert world.sandbox.calls(SEND) == []  # the sandbox would still take it: only the add time says it is dead
    [row] = ledger(db, world)
    assert (row.status, row.error_code) == (DeliveryStatus.SKIPPED, "expired")
    assert re.match(r"the welcome code had expired: 3[01] s after the add", row.error)


def test_a_code_that_expired_while_the_job_waited_is_called_once_and_told_apart_from_chatting(app, db, platform,
                                                                                            world, worker):
    welcome(db, world, "Hello")
    world.sandbox.settings(welcome_code_ttl=0.2)  # the sandbox's clock: the code is dead when the job calls
    post_while_the_worker_waits(app, platform, world, worker, added_seconds_ago=20, wait=0.4)
    assert [c["errcode"] for c in world.sandbox.calls(SEND)] == [41051]  # one call, never retried
    [row] = ledger(db, world)
    assert (row.status, row.error_code) == (DeliveryStatus.SKIPPED, "41051")
    assert row.error.startswith("the welcome code had expired") and "chatting" not in row.error.split("(")[0]


def test_a_fresh_code_answered_41051_means_the_customer_already_chats(db, world, worker):
    welcome(db, world, "Hello")
    world.sandbox.fail_next(SEND, 41051)
    friend = world.sandbox.add_friend(CORP_ID, "zhangsan", {"name": "Lily"})
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"], welcome_code=friend["welcome_code"]),
            worker)
    assert len(world.sandbox.calls(SEND)) == 1
    [row] = ledger(db, world)
    assert (row.status, row.error_code) == (DeliveryStatus.SKIPPED, "41051")
    assert row.error.startswith("the customer already started chatting")


def test_one_attachment_of_each_type_reaches_wecom_in_its_protocol_shape(db, world, worker):
    welcome(db, world, "Hi {customer_name}", attachments=[
        {"type": "image", "media_id": "MEDIA_IMG"},
        {"type": "image", "pic_url": "https://p.qpic.cn/pic_wework/1.png"},
        {"type": "link", "title": "Spring sale", "url": "https://shop.example.com/spring", "desc": "20 % off",
         "picurl": "https://shop.example.com/cover.png"},
        {"type": "miniprogram", "title": "Shop", "appid": "wx8bd80126147dfa00", "page": "pages/index.html",
         "pic_media_id": "MEDIA_COVER"},
        {"type": "video", "media_id": "MEDIA_VIDEO"},
        {"type": "video", "url": "https://shop.example.com/v.mp4"}])
    friend = world.sandbox.add_friend(CORP_ID, "zhangsan", {"name": "Lily"})
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"], welcome_code=friend["welcome_code"]),
            worker)
    [call] = world.sandbox.calls(SEND)
    assert call["errcode"] == 0
    assert call["body"] == {"welcome_code": friend["welcome_code"], "text": {"content": "Hi Lily"}, "attachments": [
        {"msgtype": "image", "image": {"media_id": "MEDIA_IMG"}},
        {"msgtype": "image", "image": {"pic_url": "https://p.qpic.cn/pic_wework/1.png"}},
        {"msgtype": "link", "link": {"title": "Spring sale", "url": "https://shop.example.com/spring",
                                     "picurl": "https://shop.example.com/cover.png", "desc": "20 % off"}},
        {"msgtype": "miniprogram", "miniprogram": {"title": "Shop", "appid": "wx8bd80126147dfa00",
                                                   "page": "pages/index.html", "pic_media_id": "MEDIA_COVER"}},
        {"msgtype": "video", "video": {"media_id": "MEDIA_VIDEO"}},
        {"msgtype": "link", "link": {"title": "Video", "url": "https://shop.example.com/v.mp4"}}]}
    [row] = ledger(db, world)
    assert row.status == DeliveryStatus.SENT


def test_a_long_customer_name_cuts_the_text_at_4000_bytes_on_a_character_boundary(db, world, worker):
    text = "欢" * 1328 + "{customer_name}"  # 3999 bytes as written: accepted when saved
    welcome(db, world, text)
    friend = world.sandbox.add_friend(CORP_ID, "zhangsan", {"name": "李" * 20})  # 60 bytes once filled in
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"], welcome_code=friend["welcome_code"]),
            worker)
    [call] = world.sandbox.calls(SEND)
    assert call["errcode"] == 0  # the sandbox refuses more than 4000 bytes, as WeCom does
    content = call["body"]["text"]["content"]
    assert content == "欢" * 1328 + "李" * 5 and len(content.encode("utf-8")) == 3999
    assert [r.status for r in ledger(db, world)] == [DeliveryStatus.SENT]


def test_the_welcome_goes_out_when_wecom_cannot_tell_the_customers_name(db, world, worker):
    welcome(db, world, "Hi {customer_name}, welcome!")
    friend = world.sandbox.add_friend(CORP_ID, "zhangsan", {"name": "Lily"})
    world.sandbox.fail_next(CONTACT_GET, 40096)
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"], welcome_code=friend["welcome_code"]),
            worker)
    assert [c["errcode"] for c in world.sandbox.calls(CONTACT_GET)][:1] == [40096]
    [call] = world.sandbox.calls(SEND)
    assert call["errcode"] == 0 and call["body"]["text"]["content"] == "Hi , welcome!"
    assert [r.status for r in ledger(db, world)] == [DeliveryStatus.SENT]


def material_welcome(db, world, text, material_ids):
    values = service.validate(db, world.tenant.id, service.WelcomeInput(
        all_employees=True, employee_ids=[], segmented=False,
        content={"text": text, "material_ids": list(material_ids)}), kept=[])
    service.create(db, world.tenant.id, values)
    db.commit()


def test_picked_materials_reach_wecom_as_media_uploaded_once_per_account(db, world, worker):
    from wecom_materials_fixtures import make_material

    kinds = ("poster", "file", "video", "link", "miniprogram")
    made = [make_material(db, world.tenant, kind, title=f"双12 {kind}",
                          **({"page": "pages/index/index.html"} if kind == "miniprogram" else {})) for kind in kinds]
    material_welcome(db, world, "Hi {customer_name}", [m.id for m in made])
    bodies = []
    for name in ("Lily", "Lucy"):
        friend = world.sandbox.add_friend(CORP_ID, "zhangsan", {"name": name})
        deliver(db, friend_event(world, "zhangsan", friend["external_userid"], welcome_code=friend["welcome_code"]),
                worker)
        bodies.append(world.sandbox.calls(SEND)[-1]["body"])
    first, second = bodies
    assert first["text"] == {"content": "Hi Lily"} and second["text"] == {"content": "Hi Lucy"}
    assert [a["msgtype"] for a in first["attachments"]] == ["image", "file", "video", "link", "miniprogram"]
    image, file, video, link, mini = first["attachments"]
    assert image["image"]["media_id"] and file["file"]["media_id"] and video["video"]["media_id"]
    assert link["link"]["title"] == "双12 link" and link["link"]["url"] == "https://shop.example.com/1212"
    assert (mini["miniprogram"]["appid"], mini["miniprogram"]["page"]) == ("wx0123456789abcdef", "pages/index/index.html")
    assert mini["miniprogram"]["pic_media_id"]
    assert second["attachments"] == first["attachments"]  # the same media ids: cached for the account
    assert len(world.sandbox.calls("/cgi-bin/media/upload")) == 4  # poster, file, video, mini program cover
    assert [(r.status, r.error) for r in ledger(db, world)] == [(DeliveryStatus.SENT, None)] * 2


def test_a_material_deleted_after_saving_is_left_out_and_the_rest_sent(db, world, worker):
    from scrm_wecom.materials.service import delete_material
    from wecom_materials_fixtures import make_material

    poster, link = make_material(db, world.tenant, "poster"), make_material(db, world.tenant, "link", title="会员日")
    material_welcome(db, world, "", [poster.id, link.id])
    delete_material(poster)
    db.add(poster)
    db.commit()
    friend = world.sandbox.add_friend(CORP_ID, "zhangsan", {"name": "Lily"})
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"], welcome_code=friend["welcome_code"]),
            worker)
    [call] = world.sandbox.calls(SEND)
    assert [a["msgtype"] for a in call["body"]["attachments"]] == ["link"]
    assert world.sandbox.calls("/cgi-bin/media/upload") == []
