"""Fans kept current by events (follow with and without a scene, unfollow kept with its time, scan, messages),
the visitor and fan lists (zh_CN), the fan detail, OA tags two-way with their limits, the audience filters,
isolation between tenants and accounts, CSRF on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from oa_fans_support import *  # noqa: F403
from oa_fans_support import directory, enabled_oa, make_oa
from oa_fixtures import *  # noqa: F403
from sqlmodel import select

from scrm.sdk import Customer, count_audience, utcnow


@dataclass
class Event:
    type: str
    tenant_id: int
    payload: dict[str, Any] = field(default_factory=dict)
    event_id: str = "e1"


@pytest.fixture
def oa(tenant, enable_plugins, make_channel_account, sandbox):
    return enabled_oa(tenant, enable_plugins, make_channel_account, sandbox, "wxfansev001")


def fire_event(db, account, kind: str, openid: str, at=None, **payload):
    from scrm_official_account import events as oa_events
    from scrm_official_account.fans.events import on_domain_event

    at = at or utcnow()
    event = Event(getattr(oa_events, kind), account.tenant_id,
                  {"account_id": account.id, "openid": openid, "create_time": int(at.timestamp()), **payload})
    on_domain_event(event, db)
    db.commit()
    return at


def fan_of(db, account, openid):
    from scrm_official_account.fans.models import Fan

    return db.exec(select(Fan).where(Fan.account_id == account.id, Fan.openid == openid)).first()


def test_follow_with_a_scene_code_unfollow_kept_and_refollow(app, db, oa):
    from scrm_official_account.fans.models import FanEvent
    from scrm_official_account.qrcodes.models import QrCode, QrScan

    account, state = oa
    directory(state, account.external_id).add_fan("o-li", unionid="u-li")
    code = QrCode(tenant_id=account.tenant_id, account_id=account.id, name="南京西路店", scene_str="store-01",
                  purpose="store")
    db.add(code)
    db.commit()
    at = fire_event(db, account, "EVENT_SUBSCRIBED", "o-li", scene="store-01")
    fire_event(db, account, "EVENT_SUBSCRIBED", "o-li", at=at, scene="store-01")  # redelivered: nothing more
    fan = fan_of(db, account, "o-li")
    assert fan.subscribed and fan.unionid == "u-li" and fan.customer_id is not None
    assert fan.subscribe_scene == "ADD_SCENE_QR_CODE" and fan.qr_scene_str == "store-01" and fan.qrcode_id == code.id
    assert len(db.exec(select(QrScan).where(QrScan.qrcode_id == code.id, QrScan.new_follow.is_(True))).all()) == 1
    left = fire_event(db, account, "EVENT_UNSUBSCRIBED", "o-li", at=at + timedelta(hours=1))
    db.refresh(fan)
    assert fan.subscribed is False and fan.unsubscribe_time == left.replace(microsecond=0)
    fire_event(db, account, "EVENT_SUBSCRIBED", "o-li", at=at + timedelta(hours=2))
    db.refresh(fan)
    assert fan.subscribed and fan.unsubscribe_time == left.replace(microsecond=0)  # the earlier unfollow stays known
    kinds = [e.kind for e in db.exec(select(FanEvent).where(FanEvent.fan_id == fan.id).order_by(FanEvent.id))]
    assert kinds == ["subscribe", "unsubscribe", "subscribe"]


def test_follow_without_scene_and_user_info_unreachable_keeps_the_fan(app, db, tenant, make_channel_account,
                                                                       enable_plugins):
    from scrm_official_account.fans.models import Fan

    enable_plugins(tenant, "official_account")
    account = make_channel_account(tenant, "official_account", external_id="wxoffline01",
                                   credentials={"app_secret": "x"}, config={"api_base": "http://127.0.0.1:9"})
    fire_event(db, account, "EVENT_SUBSCRIBED", "o-x")
    fan = db.exec(select(Fan).where(Fan.openid == "o-x")).one()
    assert fan.subscribed and fan.subscribe_scene == "" and fan.customer_id is not None


def test_scan_by_a_follower_and_messages_are_interactions(app, db, oa):
    from scrm_official_account.qrcodes.models import QrCode, QrScan

    account, state = oa
    directory(state, account.external_id).add_fan("o-wu")
    fire_event(db, account, "EVENT_SUBSCRIBED", "o-wu")
    code = QrCode(tenant_id=account.tenant_id, account_id=account.id, name="会员日", scene_id=7)
    db.add(code)
    db.commit()
    seen = fire_event(db, account, "EVENT_SCANNED", "o-wu", at=utcnow() + timedelta(minutes=5), scene="7")
    scans = db.exec(select(QrScan).where(QrScan.qrcode_id == code.id)).all()
    assert len(scans) == 1 and scans[0].new_follow is False
    later = fire_event(db, account, "EVENT_TEXT", "o-wu", at=seen + timedelta(minutes=5), content="你好")
    assert fan_of(db, account, "o-wu").last_interaction_at == later.replace(microsecond=0)


def test_audience_filters_follows_and_interacted_within(app, db, oa, tenant, make_channel_account, sandbox):
    from scrm_official_account.fans.filters import MAX_DAYS, filter_types

    account, state = oa
    base, _ = sandbox
    second = make_oa(make_channel_account, state, tenant, base, "wxfansev002", name="第二个号")
    fans = directory(state, account.external_id)
    for openid in ("o-1", "o-2", "o-3"):
        fans.add_fan(openid)
    directory(state, second.external_id).add_fan("o-9")
    now = utcnow()
    fire_event(db, account, "EVENT_SUBSCRIBED", "o-1", at=now - timedelta(days=40))
    fire_event(db, account, "EVENT_SUBSCRIBED", "o-2", at=now - timedelta(days=40))
    fire_event(db, account, "EVENT_SUBSCRIBED", "o-3", at=now - timedelta(days=40))
    fire_event(db, account, "EVENT_UNSUBSCRIBED", "o-3", at=now - timedelta(days=39))
    fire_event(db, second, "EVENT_SUBSCRIBED", "o-9", at=now - timedelta(days=40))
    fire_event(db, account, "EVENT_TEXT", "o-1", at=now - timedelta(days=6, hours=23))
    fire_event(db, account, "EVENT_TEXT", "o-2", at=now - timedelta(days=7, hours=1))
    types = filter_types(tenant)
    follows = {"conditions": [{"type": "oa_follows", "values": [account.id]}]}
    assert count_audience(db, tenant.id, follows, types) == 2  # o-3 unfollowed, o-9 follows the other account
    within = {"conditions": [{"type": "oa_interacted_within", "values": ["7"]}]}
    assert count_audience(db, tenant.id, within, types) == 1
    assert count_audience(db, tenant.id, {"conditions": [{"type": "oa_interacted_within", "values": ["8"]}]},
                          types) == 2
    from scrm.sdk import AudienceError

    with pytest.raises(AudienceError):
        count_audience(db, tenant.id, {"conditions": [{"type": "oa_interacted_within",
                                                       "values": [str(MAX_DAYS + 1)]}]}, types)
    assert MAX_DAYS == 365
    # another tenant's audience never sees these fans
    other = {"conditions": [{"type": "oa_follows", "values": [account.id]}]}
    assert count_audience(db, tenant.id + 999, other, types) == 0


def _seed_list(db, account, state):
    fans = directory(state, account.external_id)
    fans.add_fan("o-a", nickname="张三", sex=1)
    fans.add_fan("o-b", nickname="李四", sex=2)
    fire_event(db, account, "EVENT_SUBSCRIBED", "o-a")
    fire_event(db, account, "EVENT_SUBSCRIBED", "o-b")
    fire_event(db, account, "EVENT_UNSUBSCRIBED", "o-b")
    from scrm_official_account.fans.service import record_visitor

    record_visitor(db, account, "o-visitor")
    db.commit()


def test_visitor_and_fan_lists_in_chinese(app, db, oa, tenant, oa_admin):
    account, state = oa
    _seed_list(db, account, state)
    admin = oa_admin(tenant)
    admin.client.get("/lang/zh_CN")
    fans_page = admin.get(f"/t/{tenant.slug}/official_account/fans/?tab=fans").get_data(as_text=True)
    assert "张三" in fans_page and "李四" not in fans_page and "o-visitor" not in fans_page
    visitors = admin.get(f"/t/{tenant.slug}/official_account/fans/?tab=visitors").get_data(as_text=True)
    assert "张三" in visitors and "李四" in visitors and "o-visitor" in visitors
    assert "全部访客" in visitors and "公众号粉丝" in visitors
    searched = admin.get(f"/t/{tenant.slug}/official_account/fans/?tab=visitors&q=李").get_data(as_text=True)
    assert "李四" in searched and "张三" not in searched
    bad = admin.get(f"/t/{tenant.slug}/official_account/fans/?account=999999")
    assert bad.status_code == 404


def test_fan_detail_and_isolation(app, db, oa, tenant, other_tenant, enable_plugins, oa_admin):
    account, state = oa
    _seed_list(db, account, state)
    fan = fan_of(db, account, "o-a")
    admin = oa_admin(tenant)
    admin.client.get("/lang/zh_CN")
    page = admin.get(f"/t/{tenant.slug}/official_account/fans/{fan.id}")
    assert page.status_code == 200
    assert "关注来源" in page.get_data(as_text=True)
    enable_plugins(other_tenant, "official_account")
    app.config["WTF_CSRF_ENABLED"] = False  # the shared test client signs in again (the form has no token)
    stranger = oa_admin(other_tenant)
    assert stranger.get(f"/t/{other_tenant.slug}/official_account/fans/{fan.id}").status_code == 404
    assert "张三" not in stranger.get(f"/t/{other_tenant.slug}/official_account/fans/?tab=visitors").get_data(
        as_text=True)


def test_oa_tags_two_way_with_limits(app, db, oa, tenant, oa_admin):
    from scrm_official_account.fans import api
    from scrm_official_account.fans.models import OATag

    account, state = oa
    _seed_list(db, account, state)
    admin = oa_admin(tenant)
    base = f"/t/{tenant.slug}/official_account/fans"
    assert admin.post(f"{base}/tags/{account.id}/pull").status_code == 302
    assert {t.name for t in db.exec(select(OATag).where(OATag.account_id == account.id))} == {"黑名单", "星标组", "其他"}
    assert admin.post(f"{base}/tags/{account.id}", data={"name": "老客户"}).status_code == 302
    tag = db.exec(select(OATag).where(OATag.name == "老客户")).one()
    assert directory(state, account.external_id).tags[tag.wechat_id] == "老客户"  # created on WeChat first
    assert admin.post(f"{base}/tags/{account.id}", data={"name": "老客户"}).status_code == 422  # duplicate
    assert admin.post(f"{base}/tags/{account.id}", data={"name": "一" * 11}).status_code == 422  # 33 bytes
    assert admin.post(f"{base}/tags/{account.id}", data={"name": "一" * 10}).status_code == 302  # 30 bytes
    assert api.MAX_TAG_NAME_BYTES == 30
    fan = fan_of(db, account, "o-a")
    assert admin.post(f"{base}/{fan.id}/tags", data={"tag_id": tag.id}).status_code == 302
    db.refresh(fan)
    assert tag.wechat_id in fan.tagid_list
    assert "o-a" in directory(state, account.external_id).tag_members[tag.wechat_id]
    reserved = db.exec(select(OATag).where(OATag.wechat_id == 1, OATag.account_id == account.id)).one()
    assert admin.post(f"{base}/tags/edit/{reserved.id}", data={"name": "改名"}).status_code == 422
    assert admin.post(f"{base}/tags/edit/{tag.id}", data={"delete": "1"}).status_code == 302
    assert tag.wechat_id not in directory(state, account.external_id).tags


def test_a_fan_carries_at_most_20_tags(app, db, oa):
    from scrm_official_account.client import OAClient
    from scrm_official_account.fans import service
    from scrm_official_account.fans.models import OATag

    account, state = oa
    _seed_list(db, account, state)
    fan = fan_of(db, account, "o-a")
    with OAClient.for_account(account, app.extensions["scrm"], backoff=()) as client:
        tags = [service.create_tag(db, account, client, f"标签{i}") for i in range(21)]
        for tag in tags[:20]:
            service.tag_fan(db, account, client, fan, tag)
        with pytest.raises(service.TagError, match="fan_has_too_many_tags"):
            service.tag_fan(db, account, client, fan, tags[20])
    assert len(fan.tagid_list) == 20 == service.api.MAX_TAGS_PER_FAN
    db.rollback()
    assert db.exec(select(OATag)).all() is not None


def test_sync_start_needs_csrf_and_admin(app, db, oa, tenant, oa_admin, client):
    account, _state = oa
    operator = oa_admin(tenant, role="operator")
    assert operator.post(f"/t/{tenant.slug}/official_account/fans/sync/{account.id}").status_code in (403, 404)
    app.config["WTF_CSRF_ENABLED"] = False  # the shared test client signs in again (the form has no token)
    admin = oa_admin(tenant)
    raw = admin.client.post(f"/t/{tenant.slug}/official_account/fans/sync/{account.id}")  # no token
    assert raw.status_code == 400
    assert admin.post(f"/t/{tenant.slug}/official_account/fans/sync/{account.id}").status_code == 302
    admin.client.get("/lang/zh_CN")
    assert "粉丝同步" in admin.get(f"/t/{tenant.slug}/official_account/fans/sync").get_data(as_text=True)


def test_customer_created_for_a_new_follower_is_the_tenants(app, db, oa):
    account, state = oa
    directory(state, account.external_id).add_fan("o-new", unionid="u-new")
    fire_event(db, account, "EVENT_SUBSCRIBED", "o-new")
    customer = db.get(Customer, fan_of(db, account, "o-new").customer_id)
    assert customer.tenant_id == account.tenant_id and customer.source == "official_account"
