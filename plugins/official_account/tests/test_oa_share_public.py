"""The share-for-gift H5 pages (issue 14 item 9, spec D.3, members-2 §4.6) at /p/<tenant>/official_account/share/,
with the visitor identified by WeChat web authorisation (snsapi_base) against the sandbox: the sharer sees progress
toward each tier, a friend helps once (a second tap or a tap for another sharer writes nothing), a help waits for the
follow when the campaign asks for it, blacklisted fans are refused, ended and not-started campaigns say so, codes and
tokens of another tenant or malformed ones answer the friendly 404, and the page fits a 375 px phone."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from oa_fans_support import *  # noqa: F403
from oa_fans_support import directory, enabled_oa, make_oa
from sqlmodel import select

from scrm.sdk import utcnow

BASE = "https://crm.example.com"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def oa(tenant, enable_plugins, make_channel_account, sandbox):
    return enabled_oa(tenant, enable_plugins, make_channel_account, sandbox, "wxsharepub01")


def follow(db, account, openid, subscribed=True, nickname=""):
    from scrm_official_account.fans.service import on_subscribe, record_visitor

    fan = on_subscribe(db, account, openid, utcnow()) if subscribed else record_visitor(db, account, openid)
    if nickname:
        fan.nickname = nickname
        db.add(fan)
    db.commit()
    return fan


def campaign_of(db, account, require_follow=True, starts=-1, ends=24 * 7):
    from scrm_official_account.share import service

    campaign = service.create_campaign(db, account, name="双12 邀好友关注领券", starts_at=utcnow() + timedelta(hours=starts),
                                       ends_at=utcnow() + timedelta(hours=ends), require_follow=require_follow,
                                       tiers=[{"threshold": 2, "reward": "10 元无门槛券"},
                                              {"threshold": 3, "reward": "招牌奶茶一杯"}])
    db.commit()
    return campaign


@pytest.fixture
def shared(db, oa, oa_clients):
    """A running campaign (help counts after the follow) and the sharer 小林's participation."""
    from scrm_official_account.share import service

    account, state = oa
    directory(state, account.external_id).add_fan("o-sharer")
    sharer = follow(db, account, "o-sharer", nickname="小林")
    campaign = campaign_of(db, account)
    participant = service.join(db, campaign, sharer, oa_clients(account), base_url=BASE)
    db.commit()
    return account, state, campaign, participant


def sign_in_as(client, page_path: str, openid: str) -> httpx.Response:
    """Open ``page_path`` as the WeChat user ``openid``: the platform sends the browser to the sandbox's authorisation
    page, which returns it with a code; the platform exchanges it and goes back to the page."""
    first = client.get(page_path)
    assert first.status_code == 302, first.get_data(as_text=True)[:300]
    authorize = first.headers["Location"]
    with httpx.Client(timeout=10) as http:
        answer = http.get(authorize.split("#", 1)[0] + "&" + urlencode({"as": openid}))
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    returned = client.get(f"{back.path}?{back.query}")
    assert returned.status_code == 302 and returned.headers["Location"].endswith(page_path), returned.status_code
    return answer


def page_of(participant, tenant_slug="acme"):
    return f"/p/{tenant_slug}/official_account/share/{participant.code}"


def helps(db):
    from scrm_official_account.share.models import ShareHelp

    db.commit()
    return [(h.helper_openid, h.valid) for h in db.exec(select(ShareHelp).order_by(ShareHelp.id))]


# -- web authorisation -------------------------------------------------------------------------------------------------


def test_the_page_asks_wechat_for_the_visitors_openid_with_snsapi_base(client, db, shared):
    account, _state, _campaign, participant = shared
    response = client.get(page_of(participant))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.endswith("#wechat_redirect")
    parts = urlsplit(location.split("#", 1)[0])
    assert parts.path == "/connect/oauth2/authorize"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["appid"] == "wxsharepub01" and query["scope"] == "snsapi_base"
    assert query["response_type"] == "code" and len(query["state"]) >= 16
    assert query["redirect_uri"] == f"http://localhost/p/acme/official_account/oauth/{account.id}"


def test_sandbox_authorisation_refusals_and_the_code_exchange(sandbox):
    base, state = sandbox
    state.add_account(appid="wxoauth01", secret="s1")
    state.add_account(appid="wxsub01", secret="s2", account_type="subscription")
    state.add_account(appid="wxdomain01", secret="s3", oauth_domain="crm.example.com")
    ok = {"appid": "wxoauth01", "redirect_uri": "https://crm.example.com/back", "response_type": "code",
          "scope": "snsapi_base", "state": "xyz"}
    with httpx.Client(base_url=base, timeout=10) as http:
        for params, errcode in (({**ok, "appid": ""}, 10012), ({**ok, "redirect_uri": ""}, 10011),
                                ({**ok, "scope": ""}, 10010), ({**ok, "appid": "wxnobody"}, 40013),
                                ({**ok, "appid": "wxsub01"}, 10005), ({**ok, "scope": "snsapi_login"}, 10005),
                                ({**ok, "appid": "wxdomain01", "redirect_uri": "https://evil.example/back"}, 10003)):
            refused = http.get("/connect/oauth2/authorize", params=params)
            assert refused.status_code == 400 and f'data-errcode="{errcode}"' in refused.text, params
        chooser = http.get("/connect/oauth2/authorize", params=ok)
        assert chooser.status_code == 200 and 'data-testid="sandbox-oauth-chooser"' in chooser.text
        given = http.get("/connect/oauth2/authorize", params={**ok, "as": "o-alice"})
        assert given.status_code == 302
        back = urlsplit(given.headers["location"])
        assert (back.netloc, back.path) == ("crm.example.com", "/back")
        answer = {k: v[0] for k, v in parse_qs(back.query).items()}
        assert answer["state"] == "xyz"
        exchange = {"appid": "wxoauth01", "secret": "s1", "code": answer["code"], "grant_type": "authorization_code"}
        for params, errcode in (({**exchange, "grant_type": "client_credential"}, 40002),
                                ({**exchange, "appid": "wxnobody"}, 40013), ({**exchange, "secret": "bad"}, 40125),
                                ({**exchange, "code": "made-up"}, 40029),
                                ({**exchange, "appid": "wxsub01", "secret": "s2"}, 40029)):
            assert http.get("/sns/oauth2/access_token", params=params).json()["errcode"] == errcode, params
        token = http.get("/sns/oauth2/access_token", params=exchange).json()
        assert token["openid"] == "o-alice" and token["scope"] == "snsapi_base" and token["expires_in"] == 7200
        assert http.get("/sns/oauth2/access_token", params=exchange).json()["errcode"] == 40163  # once
        # the browser is remembered (the sandbox's cookie); a code lives 5 minutes
        again = http.get("/connect/oauth2/authorize", params=ok)
        assert again.status_code == 302
        late = {k: v[0] for k, v in parse_qs(urlsplit(again.headers["location"]).query).items()}["code"]
        state.clock_offset += 301
        assert http.get("/sns/oauth2/access_token", params={**exchange, "code": late}).json()["errcode"] == 40029


def test_a_return_the_session_did_not_start_or_a_used_code_is_refused(client, db, shared, sandbox):
    account, _state, _campaign, participant = shared
    forged = client.get(f"/p/acme/official_account/oauth/{account.id}?code=abc&state=forged")
    assert forged.status_code == 400 and 'data-testid="public-message"' in forged.get_data(as_text=True)
    answer = sign_in_as(client, page_of(participant), "o-friend")
    replay = urlsplit(answer.headers["location"])  # the same code and state again
    assert client.get(f"{replay.path}?{replay.query}").status_code == 400


# -- the pages -----------------------------------------------------------------------------------------------------


def test_the_sharer_sees_progress_toward_each_tier_and_the_poster(client, db, shared, oa):
    from scrm_official_account.share import service

    account, state, campaign, participant = shared
    friend = follow(db, account, "o-f1")
    service.record_help(db, participant, friend)
    db.commit()
    sign_in_as(client, page_of(participant), "o-sharer")
    html = client.get(page_of(participant)).get_data(as_text=True)
    assert 'data-testid="share-valid-helps">1<' in html
    assert "1 more valid helps for: 10 元无门槛券" in html  # tier 1 at 2 valid helps
    assert re.findall(r'data-reached="(\w+)"', html) == ["no", "no"]
    assert f"/p/acme/official_account/share/{participant.code}/poster.png" in html
    assert participant.short_url in html
    poster = client.get(f"{page_of(participant)}/poster.png")
    assert poster.status_code == 200 and poster.mimetype == "image/png"
    import io

    from PIL import Image

    assert Image.open(io.BytesIO(poster.data)).size == (750, 1100)


def test_the_personal_short_link_opens_the_share_page(client, db, shared):
    from scrm.sdk import shortlinks

    _account, _state, _campaign, participant = shared
    code = participant.short_url.rsplit("/", 1)[1]
    link = shortlinks.resolve(db, code)
    assert link.target_url == f"{BASE}/p/acme/official_account/share/{participant.code}"
    response = client.get(f"/s/{code}")
    assert response.status_code == 302 and response.headers["Location"] == link.target_url


def test_a_friend_helps_once_and_the_help_counts_after_the_follow(client, db, shared, oa):
    from scrm_official_account.share import service

    account, state, campaign, participant = shared
    sign_in_as(client, page_of(participant), "o-visitor")
    html = client.get(page_of(participant)).get_data(as_text=True)
    assert "小林 invites you to help" in html and 'data-testid="share-help-button"' in html
    assert client.post(f"{page_of(participant)}/help").status_code == 302
    assert helps(db) == [("o-visitor", False)]  # a visitor: the help waits for the follow
    html = client.get(page_of(participant)).get_data(as_text=True)
    assert 'data-testid="share-waiting"' in html and "poster.png" in html
    assert client.post(f"{page_of(participant)}/help").status_code == 302  # a second tap
    assert helps(db) == [("o-visitor", False)]
    assert "You have already helped" in client.get(page_of(participant)).get_data(as_text=True)
    follow(db, account, "o-visitor")
    assert service.on_follow(db, account, "o-visitor", utcnow()) == 1
    db.commit()
    assert helps(db) == [("o-visitor", True)]
    html = client.get(page_of(participant)).get_data(as_text=True)
    assert 'data-testid="share-helped"' in html and 'data-testid="share-valid-helps">1<' in html


def test_a_friend_who_helped_one_sharer_cannot_help_another(client, db, shared, oa_clients):
    from scrm_official_account.share import service

    account, state, campaign, participant = shared
    directory(state, account.external_id).add_fan("o-second")
    second = service.join(db, campaign, follow(db, account, "o-second"), oa_clients(account), base_url=BASE)
    db.commit()
    follow(db, account, "o-friend")
    sign_in_as(client, page_of(participant), "o-friend")
    client.post(f"{page_of(participant)}/help")
    assert helps(db) == [("o-friend", True)]
    html = client.get(page_of(second)).get_data(as_text=True)
    assert 'data-testid="share-helped-other"' in html and 'data-testid="share-help-button"' not in html
    client.post(f"{page_of(second)}/help")
    assert helps(db) == [("o-friend", True)]


def test_the_sharer_cannot_help_themselves(client, db, shared):
    _account, _state, _campaign, participant = shared
    sign_in_as(client, page_of(participant), "o-sharer")
    assert 'data-testid="share-help-button"' not in client.get(page_of(participant)).get_data(as_text=True)
    client.post(f"{page_of(participant)}/help")
    assert helps(db) == []


def test_a_following_friend_joins_and_gets_a_page_of_their_own(client, db, shared, oa):
    from scrm_official_account.share.models import ShareParticipant

    account, state, campaign, participant = shared
    directory(state, account.external_id).add_fan("o-joiner")
    follow(db, account, "o-joiner", nickname="阿杰")
    sign_in_as(client, page_of(participant), "o-joiner")
    assert 'data-testid="share-join-button"' in client.get(page_of(participant)).get_data(as_text=True)
    response = client.post(f"{page_of(participant)}/join")
    assert response.status_code == 302
    db.commit()
    mine = db.exec(select(ShareParticipant).where(ShareParticipant.code != participant.code)).one()
    assert response.headers["Location"].endswith(page_of(mine))
    assert "My progress" in client.get(page_of(mine)).get_data(as_text=True)


def test_blacklisted_fans_are_refused(client, db, shared, tenant, enable_plugins):
    from scrm_members.segments import blacklist

    enable_plugins(tenant, "members")
    account, _state, _campaign, participant = shared
    black = follow(db, account, "o-black")
    blacklist.add(db, tenant.id, [black.customer_id], "刷单", None)
    db.commit()
    sign_in_as(client, page_of(participant), "o-black")
    html = client.get(page_of(participant)).get_data(as_text=True)
    assert 'data-testid="share-excluded"' in html and 'data-testid="share-help-button"' not in html
    client.post(f"{page_of(participant)}/help")
    assert helps(db) == []


def test_ended_and_not_started_campaigns_take_no_help(client, db, shared, oa, oa_clients):
    account, _state, campaign, participant = shared
    follow(db, account, "o-late")
    sign_in_as(client, page_of(participant), "o-late")
    campaign.ends_at = utcnow() - timedelta(minutes=1)
    db.add(campaign)
    db.commit()
    html = client.get(page_of(participant)).get_data(as_text=True)
    assert 'data-phase="ended"' in html and 'data-testid="share-ended"' in html
    assert 'data-testid="share-help-button"' not in html
    client.post(f"{page_of(participant)}/help")
    assert helps(db) == []
    assert client.get(f"{page_of(participant)}/poster.png").status_code == 404
    campaign.starts_at, campaign.ends_at = utcnow() + timedelta(days=1), utcnow() + timedelta(days=3)
    db.add(campaign)
    db.commit()
    html = client.get(page_of(participant)).get_data(as_text=True)
    assert 'data-phase="not_started"' in html and 'data-testid="share-not-started"' in html
    client.post(f"{page_of(participant)}/help")
    assert helps(db) == []


def test_bad_codes_and_tokens_answer_the_friendly_404(client, db, shared):
    for path in ("/p/acme/official_account/share/0123456789ab", "/p/acme/official_account/share/not-a-code",
                 "/p/acme/official_account/share/c/forged.token", "/p/acme/official_account/share/abc/poster.png"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert 'data-testid="public-error-404"' in response.get_data(as_text=True)


def test_a_link_of_one_tenant_never_shows_under_another(client, db, shared, other_tenant, enable_plugins, app,
                                                        make_channel_account, sandbox):
    from scrm_official_account.share.progress import campaign_token

    account, state, campaign, participant = shared
    enable_plugins(other_tenant, "official_account")
    make_oa(make_channel_account, state, other_tenant, sandbox[0], "wxsharepub02")
    other = other_tenant.slug
    assert client.get(page_of(participant, other)).status_code == 404
    assert client.get(f"{page_of(participant, other)}/poster.png").status_code == 404
    assert client.post(f"{page_of(participant, other)}/help").status_code == 404
    token = campaign_token(app.config["SECRET_KEY"], campaign)
    assert client.get(f"/p/{other}/official_account/share/c/{token}").status_code == 404
    assert client.get(f"/p/{other}/official_account/oauth/{account.id}?code=x&state=y").status_code == 404
    assert client.get(f"/p/acme/official_account/share/c/{token}").status_code == 302  # to WeChat: it exists here


def test_the_campaign_entry_link_sends_a_sharer_to_their_page_and_lets_a_follower_join(client, db, shared, app, oa):
    from scrm_official_account.share.models import ShareParticipant
    from scrm_official_account.share.progress import campaign_token

    account, state, campaign, participant = shared
    entry = f"/p/acme/official_account/share/c/{campaign_token(app.config['SECRET_KEY'], campaign)}"
    sign_in_as(client, entry, "o-sharer")
    assert client.get(entry).headers["Location"].endswith(page_of(participant))
    stranger = app.test_client()  # another phone
    stranger.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in_as(stranger, entry, "o-stranger")  # a visitor who does not follow
    html = stranger.get(entry).get_data(as_text=True)
    assert 'data-testid="share-follow-first"' in html and "门店服务号" in html
    follow(db, account, "o-stranger")
    directory(state, account.external_id).add_fan("o-stranger")
    assert stranger.post(entry).status_code == 302
    db.commit()
    assert len(db.exec(select(ShareParticipant)).all()) == 2


def test_help_needs_the_csrf_token(client, db, shared, app):
    _account, _state, _campaign, participant = shared
    follow(db, _account, "o-csrf")
    sign_in_as(client, page_of(participant), "o-csrf")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = client.post(f"{page_of(participant)}/help")
        assert refused.status_code == 400 and 'data-testid="public-error-400"' in refused.get_data(as_text=True)
        assert helps(db) == []
        token = CSRF_FIELD.search(client.get(page_of(participant)).get_data(as_text=True)).group(1)
        assert client.post(f"{page_of(participant)}/help", data={"csrf_token": token}).status_code == 302
        assert helps(db) == [("o-csrf", True)]
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


@pytest.mark.browser
def test_a_friend_helps_from_the_short_link_on_a_375_px_phone(chromium, live_server, db, oa, oa_clients):
    """The whole way in a browser: the short link, WeChat's authorisation (the sandbox's chooser), the page in
    Chinese, the help, the waiting state; nothing wider than the screen."""
    from scrm_official_account.share import service

    account, state = oa
    directory(state, account.external_id).add_fan("o-sharer")
    campaign = campaign_of(db, account)
    participant = service.join(db, campaign, follow(db, account, "o-sharer", nickname="小林"), oa_clients(account),
                               base_url=live_server)
    db.commit()
    code = participant.short_url.rsplit("/", 1)[1]
    context = chromium.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 375, "height": 740})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server}/s/{code}")  # the short link → the share page → WeChat's authorisation
        page.get_by_test_id("sandbox-oauth-new").click()  # a new WeChat user, not following
        page.wait_for_selector("[data-testid=share-help-button]")
        assert "邀请你助力" in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.get_by_test_id("share-help-button").click()
        page.wait_for_selector("[data-testid=share-waiting]")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert [valid for _openid, valid in helps(db)] == [False]
    finally:
        context.close()
    sharer_phone = chromium.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 375, "height": 740})
    try:
        page = sharer_phone.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server}{page_of(participant)}")
        page.locator("[data-openid=o-sharer]").click()  # the sharer's own WeChat
        page.wait_for_selector("[data-testid=share-poster] img")
        assert "我的助力进度" in page.content()
        page.wait_for_load_state("load")  # the poster image loaded (load waits for images)
        assert page.locator("[data-testid=share-poster] img").evaluate("img => img.naturalWidth") == 750
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        sharer_phone.close()
