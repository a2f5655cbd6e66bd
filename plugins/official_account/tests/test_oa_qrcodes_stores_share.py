"""Parameter QR codes (limits: expire 1..2,592,000 s, permanent scene_id 1..100,000, scene_str 1..64; stats),
stores linked to accounts (a link cannot be undone), share-for-gift (one help per friend, no self-help, help counts
after the follow when switched on, only valid help counted, tiers rewarded once, blacklist excluded)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from oa_fans_support import *  # noqa: F403
from oa_fans_support import directory, enabled_oa, make_oa
from oa_fixtures import *  # noqa: F403
from sqlmodel import select

from scrm.sdk import Department, utcnow

BASE = "https://crm.example.com"


@pytest.fixture
def oa(tenant, enable_plugins, make_channel_account, sandbox):
    return enabled_oa(tenant, enable_plugins, make_channel_account, sandbox, "wxqrshare01")


# -- parameter QR codes -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "error"), [
    ({"temporary": True, "scene_id": 1, "expire_seconds": 2_592_001}, "expire_out_of_range"),
    ({"temporary": True, "scene_id": 1, "expire_seconds": 0}, "expire_out_of_range"),
    ({"temporary": False, "scene_id": 100_001}, "scene_id_out_of_range"),
    ({"temporary": False, "scene_id": 0}, "scene_id_out_of_range"),
    ({"temporary": False, "scene_str": "x" * 65}, "scene_str_too_long"),
    ({"temporary": False}, "scene_required"),
])
def test_qr_code_limits_refused_before_wechat(app, db, oa, oa_clients, fields, error):
    from scrm_official_account.qrcodes import service

    account, state = oa
    with pytest.raises(service.QrCodeError, match=error):
        service.create(db, account, oa_clients(account), name="门店码", **fields)
    assert not [c for c in state.calls if c["path"] == "/cgi-bin/qrcode/create"]


def test_qr_code_boundaries_accepted_and_sent_as_wechat_expects(app, db, oa, oa_clients):
    from scrm_official_account.qrcodes import service

    account, state = oa
    client = oa_clients(account)
    temp = service.create(db, account, client, name="30 天码", temporary=True, scene_id=5, expire_seconds=2_592_000)
    perm = service.create(db, account, client, name="永久码", temporary=False, scene_id=100_000)
    text = service.create(db, account, client, name="文字码", temporary=False, scene_str="s" * 64)
    db.commit()
    bodies = [c["body"] for c in state.calls if c["path"] == "/cgi-bin/qrcode/create"]
    assert bodies[0] == {"action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 5}},
                         "expire_seconds": 2_592_000}
    assert bodies[1]["action_name"] == "QR_LIMIT_SCENE" and bodies[2]["action_name"] == "QR_LIMIT_STR_SCENE"
    assert temp.expires_at is not None and perm.expires_at is None and text.url.startswith("http://weixin.qq.com/q/")
    assert (service.MAX_EXPIRE_SECONDS, service.MAX_PERMANENT_SCENE_ID, service.MAX_SCENE_STR) == \
        (2_592_000, 100_000, 64)
    with pytest.raises(service.QrCodeError, match="scene_taken"):
        service.create(db, account, client, name="重复", temporary=False, scene_id=100_000)


def test_qr_code_sandbox_refuses_out_of_range_with_40097(app, oa, oa_clients):
    from scrm_official_account.fans import api

    from scrm.sdk.wechat import WeChatAPIError

    account, _state = oa
    client = oa_clients(account)
    for body in ({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100_001}}},
                 {"action_name": "QR_SCENE", "expire_seconds": 2_592_001, "action_info": {"scene": {"scene_id": 1}}},
                 {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": ""}}}):
        with pytest.raises(WeChatAPIError) as caught:
            api.create_qrcode(client, body)
        assert caught.value.errcode == 40097


def test_qr_code_pages_stats_image_and_isolation(app, db, oa, tenant, other_tenant, enable_plugins, oa_admin):
    from scrm_official_account.qrcodes import service
    from scrm_official_account.qrcodes.models import QrCode

    account, _state = oa
    admin = oa_admin(tenant)
    base = f"/t/{tenant.slug}/official_account/qrcodes"
    refused = admin.post(f"{base}/new", data={"name": "码", "account_id": account.id, "temporary": "0",
                                              "scene_id": "100001"})
    assert refused.status_code == 422 and db.exec(select(QrCode)).all() == []
    made = admin.post(f"{base}/new", data={"name": "南京西路店门店码", "account_id": account.id, "temporary": "0",
                                           "scene_str": "store-nj", "purpose": "store", "with_logo": "1"})
    assert made.status_code == 302
    code = db.exec(select(QrCode)).one()
    now = utcnow()
    service.record_scan(db, account, "o-1", "store-nj", now, new_follow=True)
    service.record_scan(db, account, "o-1", "store-nj", now, new_follow=True)  # the same event again
    service.record_scan(db, account, "o-2", "store-nj", now + timedelta(seconds=1), new_follow=False)
    db.commit()
    stats = service.stats(db, code)
    assert (stats["scans"], stats["scanners"], stats["new_follows"]) == (2, 2, 1)
    page = admin.get(f"{base}/{code.id}").get_data(as_text=True)
    assert 'data-testid="scans">2<' in page and 'data-testid="new-follows">1<' in page
    image = admin.client.get(f"{base}/{code.id}.png")
    assert image.status_code == 200 and image.data[:8] == b"\x89PNG\r\n\x1a\n"
    enable_plugins(other_tenant, "official_account")
    app.config["WTF_CSRF_ENABLED"] = False
    stranger = oa_admin(other_tenant)
    assert stranger.get(f"/t/{other_tenant.slug}/official_account/qrcodes/{code.id}").status_code == 404
    assert stranger.get(f"/t/{other_tenant.slug}/official_account/qrcodes/{code.id}.png").status_code == 404


# -- stores -------------------------------------------------------------------------------------------------------------

def test_a_store_link_cannot_be_undone(app, db, oa, tenant, make_channel_account, sandbox, oa_admin):
    from scrm_official_account.stores import service
    from scrm_official_account.stores.models import StoreLink

    account, state = oa
    base, _ = sandbox
    shared = make_oa(make_channel_account, state, tenant, base, "wxqrshare02", name="门店共享号")
    stores = [Department(tenant_id=tenant.id, name=n) for n in ("上海南京西路店", "杭州湖滨店", "苏州观前店")]
    db.add_all(stores)
    db.commit()
    admin = oa_admin(tenant)
    url = f"/t/{tenant.slug}/official_account/stores"
    assert admin.post(f"{url}/link", data={"department_id": stores[0].id, "account_id": account.id}).status_code == 302
    for store in stores[1:]:
        assert admin.post(f"{url}/link", data={"department_id": store.id, "account_id": shared.id}).status_code == 302
    again = admin.post(f"{url}/link", data={"department_id": stores[0].id, "account_id": shared.id})
    assert again.status_code == 422
    link = db.exec(select(StoreLink).where(StoreLink.department_id == stores[0].id)).one()
    assert link.account_id == account.id
    link.account_id = shared.id
    with pytest.raises(service.StoreLinkError, match="permanent"):
        db.flush()
    db.rollback()
    link = db.exec(select(StoreLink).where(StoreLink.department_id == stores[0].id)).one()
    db.delete(link)
    with pytest.raises(service.StoreLinkError, match="permanent"):
        db.flush()
    db.rollback()
    rows = {r.department.name: r for r in service.store_rows(db, tenant.id)}
    assert rows["上海南京西路店"].shared_with == 0 and rows["杭州湖滨店"].shared_with == 1
    page = admin.get(url).get_data(as_text=True)
    assert "unlink" not in page.lower()


def test_store_link_refuses_another_tenants_store_or_account(app, db, oa, tenant, other_tenant, oa_admin):
    from scrm_official_account.stores import service

    account, _state = oa
    foreign = Department(tenant_id=other_tenant.id, name="别家门店")
    db.add(foreign)
    db.commit()
    with pytest.raises(service.StoreLinkError, match="unknown_store"):
        service.link_store(db, tenant.id, foreign.id, account)
    with pytest.raises(service.StoreLinkError, match="unknown_account"):
        service.link_store(db, other_tenant.id, foreign.id, account)
    admin = oa_admin(tenant)
    assert admin.client.post(f"/t/{tenant.slug}/official_account/stores/link",
                             data={"department_id": "1", "account_id": account.id}).status_code == 400  # no CSRF


# -- share for gift -----------------------------------------------------------------------------------------------------

def _follow(db, account, openid, subscribed=True):
    from scrm_official_account.fans.service import on_subscribe, record_visitor

    if subscribed:
        return on_subscribe(db, account, openid, utcnow())
    return record_visitor(db, account, openid)


def _campaign(db, account, require_follow=True, tiers=None):
    from scrm_official_account.share import service

    return service.create_campaign(db, account, name="双12 邀好友关注领券", starts_at=utcnow() - timedelta(hours=1),
                                   ends_at=utcnow() + timedelta(days=7), require_follow=require_follow,
                                   tiers=tiers if tiers is not None else [
                                       {"threshold": 2, "reward": "10 元无门槛券"},
                                       {"threshold": 3, "reward": "招牌奶茶一杯"}])


def test_share_rules(app, db, oa, oa_clients, tenant):
    from scrm_official_account.share import service
    from scrm_official_account.share.models import ShareHelp, ShareReward

    account, state = oa
    for openid in ("o-sharer", "o-f1", "o-f2", "o-f3"):
        directory(state, account.external_id).add_fan(openid)
    sharer = _follow(db, account, "o-sharer")
    campaign = _campaign(db, account)
    participant = service.join(db, campaign, sharer, oa_clients(account), base_url=BASE)
    assert participant.short_url and "/s/" in participant.short_url
    assert service.join(db, campaign, sharer, oa_clients(account), base_url=BASE).id == participant.id
    with pytest.raises(service.ShareError, match="self_help"):
        service.record_help(db, participant, sharer)
    f1 = _follow(db, account, "o-f1")
    service.record_help(db, participant, f1)
    with pytest.raises(service.ShareError, match="already_helped"):
        service.record_help(db, participant, f1)
    visitor = _follow(db, account, "o-f2", subscribed=False)
    pending = service.record_help(db, participant, visitor)
    assert pending.valid is False
    db.refresh(participant)
    assert participant.valid_helps == 1 and service.statistics(db, campaign)["valid_helps"] == 1
    assert db.exec(select(ShareReward)).all() == []
    # the visitor follows: the waiting help counts and the first tier is reached (exactly at 2)
    from scrm_official_account.fans.service import on_subscribe

    on_subscribe(db, account, "o-f2", utcnow())
    assert service.on_follow(db, account, "o-f2", utcnow()) == 1
    assert service.on_follow(db, account, "o-f2", utcnow()) == 0
    db.refresh(participant)
    assert participant.valid_helps == 2
    rewards = db.exec(select(ShareReward)).all()
    assert [(r.threshold, r.reward) for r in rewards] == [(2, "10 元无门槛券")]
    assert db.exec(select(ShareHelp).where(ShareHelp.valid.is_(True))).all().__len__() == 2


def test_share_without_follow_requirement_counts_at_once(app, db, oa, oa_clients, tenant):
    from scrm_official_account.share import service

    account, state = oa
    directory(state, account.external_id).add_fan("o-s")
    sharer = _follow(db, account, "o-s")
    campaign = _campaign(db, account, require_follow=False)
    participant = service.join(db, campaign, sharer, oa_clients(account), base_url=BASE)
    help_row = service.record_help(db, participant, _follow(db, account, "o-v", subscribed=False))
    assert help_row.valid is True


def test_share_help_through_the_sharers_qr_code_events(app, db, oa, oa_clients, tenant):
    from scrm_official_account.share import service
    from scrm_official_account.share.models import ShareHelp

    account, state = oa
    for openid in ("o-s", "o-new"):
        directory(state, account.external_id).add_fan(openid)
    sharer = _follow(db, account, "o-s")
    campaign = _campaign(db, account)
    participant = service.join(db, campaign, sharer, oa_clients(account), base_url=BASE)
    db.commit()
    from test_oa_fans_events_pages import fire_event

    fire_event(db, account, "EVENT_SUBSCRIBED", "o-new", scene=f"sh{participant.code}")
    helps = db.exec(select(ShareHelp)).all()
    assert [(h.helper_openid, h.valid) for h in helps] == [("o-new", True)]


def test_share_campaign_validation_and_period(app, db, oa):
    from scrm_official_account.share import service

    account, _state = oa
    for tiers, error in (([], "tiers_required"), ([{"threshold": 0, "reward": "券"}], "bad_threshold"),
                         ([{"threshold": 1001, "reward": "券"}], "bad_threshold"),
                         ([{"threshold": 2, "reward": "券"}, {"threshold": 2, "reward": "茶"}], "duplicate_threshold"),
                         ([{"threshold": i, "reward": "券"} for i in range(1, 7)], "too_many_tiers")):
        with pytest.raises(service.ShareError, match=error):
            _campaign(db, account, tiers=tiers)
    assert (service.MAX_TIERS, service.MAX_THRESHOLD) == (5, 1000)
    campaign = _campaign(db, account)
    campaign.ends_at = utcnow() - timedelta(minutes=1)
    assert service.is_running(campaign) is False


def test_blacklisted_customers_cannot_share_or_help(app, db, oa, oa_clients, tenant, enable_plugins):
    """Share-for-gift is a task fission: the members blacklist refuses it while its task-fission switch is on."""
    from scrm_members.segments import blacklist
    from scrm_official_account.share import service

    enable_plugins(tenant, "members")
    account, state = oa
    for openid in ("o-s", "o-black", "o-friend"):
        directory(state, account.external_id).add_fan(openid)
    sharer = _follow(db, account, "o-s")
    black = _follow(db, account, "o-black")
    friend = _follow(db, account, "o-friend")
    blacklist.add(db, tenant.id, [black.customer_id], "刷单", None)
    db.commit()
    campaign = _campaign(db, account)
    participant = service.join(db, campaign, sharer, oa_clients(account), base_url=BASE)
    with pytest.raises(service.ShareError, match="excluded"):
        service.record_help(db, participant, black)
    with pytest.raises(service.ShareError, match="excluded"):
        service.join(db, campaign, black, oa_clients(account), base_url=BASE)
    service.record_help(db, participant, friend)  # others still help
    values = {name: True for name in blacklist.RULE_FIELDS} | {"task_fission": False}
    blacklist.save_rules(db, tenant.id, values, None)  # the switch off: the blacklisted fan may join
    db.commit()
    assert service.join(db, campaign, black, oa_clients(account), base_url=BASE).fan_id == black.id


def test_share_pages_and_isolation(app, db, oa, tenant, other_tenant, enable_plugins, oa_admin):
    from scrm_official_account.share.models import ShareCampaign

    account, _state = oa
    admin = oa_admin(tenant)
    base = f"/t/{tenant.slug}/official_account/share"
    bad = admin.post(f"{base}/new", data={"name": "活动", "account_id": account.id, "starts_at": "2026-12-10T10:00",
                                          "ends_at": "2026-12-01T10:00", "threshold_1": "3", "reward_1": "券"})
    assert bad.status_code == 422 and db.exec(select(ShareCampaign)).all() == []
    made = admin.post(f"{base}/new", data={"name": "好友助力领好礼", "account_id": account.id,
                                           "starts_at": "2026-12-01T10:00", "ends_at": "2027-01-01T10:00",
                                           "require_follow": "1", "threshold_1": "3", "reward_1": "招牌奶茶一杯"})
    assert made.status_code == 302
    campaign = db.exec(select(ShareCampaign)).one()
    assert campaign.tiers == [{"threshold": 3, "reward": "招牌奶茶一杯"}] and campaign.require_follow
    assert admin.get(f"{base}/{campaign.id}").status_code == 200
    enable_plugins(other_tenant, "official_account")
    app.config["WTF_CSRF_ENABLED"] = False
    stranger = oa_admin(other_tenant)
    assert stranger.get(f"/t/{other_tenant.slug}/official_account/share/{campaign.id}").status_code == 404
