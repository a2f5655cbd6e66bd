"""Fan sync against the sandbox: paging by next_openid (10,000), batchget (100), One-ID by unionid then openid,
resumable runs, missed unfollows, tenant and account isolation."""

from __future__ import annotations

import pytest
from oa_fans_support import *  # noqa: F403
from oa_fans_support import directory, enabled_oa, make_oa
from sqlmodel import select

from scrm.sdk import Customer, CustomerIdentity, IdentityKind


@pytest.fixture
def oa(tenant, enable_plugins, make_channel_account, sandbox):
    return enabled_oa(tenant, enable_plugins, make_channel_account, sandbox, "wxfans0001")


def _sync(app, db, account):
    from scrm_official_account.fans import jobs
    from scrm_official_account.fans.models import FanSyncRun

    run = FanSyncRun(tenant_id=account.tenant_id, account_id=account.id)
    db.add(run)
    db.commit()
    return jobs.run_now(db, app.extensions["scrm"], run, backoff=())


def _fans(db, account):
    from scrm_official_account.fans.models import Fan

    return {f.openid: f for f in db.exec(select(Fan).where(Fan.account_id == account.id))}


def test_sync_pages_by_next_openid_and_batches_of_100(app, db, oa):
    from scrm_official_account.fans import sync

    account, state = oa
    fans = directory(state, account.external_id)
    fans.generated = 10_150  # two user/get pages: 10,000 then 150
    run = _sync(app, db, account)
    assert run.status == "done", run.error
    assert run.done == run.total == 10_150
    calls = [c for c in state.calls if c["path"] == "/cgi-bin/user/get"]
    assert [c["query"].get("next_openid", "") for c in calls] == ["", fans.generated_openid(9_999)]
    batch_sizes = [len(c["body"]["user_list"]) for c in state.calls if c["path"] == "/cgi-bin/user/info/batchget"]
    assert max(batch_sizes) == sync.INFO_BATCH == 100 and len(batch_sizes) == 102
    stored = _fans(db, account)
    assert len(stored) == 10_150 and all(f.subscribed for f in stored.values())
    assert sync.PAGE == 10_000


def test_one_id_unionid_first_then_openid_then_new(app, db, oa, tenant, make_customer):
    account, state = oa
    fans = directory(state, account.external_id)
    known = make_customer(tenant, name="王芳")
    db.add(CustomerIdentity(tenant_id=tenant.id, customer_id=known.id, kind=IdentityKind.UNIONID, value="u-wang"))
    by_openid = make_customer(tenant, name="陈静")
    db.add(CustomerIdentity(tenant_id=tenant.id, customer_id=by_openid.id,
                            kind=IdentityKind.openid(account.external_id), value="o-chen"))
    db.commit()
    fans.add_fan("o-wang", unionid="u-wang", scene="ADD_SCENE_QR_CODE", qr_scene_str="store-sh-01")
    fans.add_fan("o-chen")
    fans.add_fan("o-new", unionid="u-new")
    fans.add_fan("o-left", unionid="u-left", subscribed=False)
    assert _sync(app, db, account).status == "done"
    stored = _fans(db, account)
    assert set(stored) == {"o-wang", "o-chen", "o-new"}  # user/get lists followers only
    assert stored["o-wang"].customer_id == known.id
    assert stored["o-wang"].subscribe_scene == "ADD_SCENE_QR_CODE" and stored["o-wang"].qr_scene_str == "store-sh-01"
    assert stored["o-chen"].customer_id == by_openid.id
    new = db.get(Customer, stored["o-new"].customer_id)
    assert new.source == "official_account"
    kinds = {(i.kind, i.value) for i in db.exec(select(CustomerIdentity).where(
        CustomerIdentity.customer_id == new.id))}
    assert kinds == {(IdentityKind.UNIONID, "u-new"), (IdentityKind.openid(account.external_id), "o-new")}
    # the openid identity was linked to the unionid's customer
    assert db.exec(select(CustomerIdentity).where(CustomerIdentity.value == "o-wang")).one().customer_id == known.id
    # a second sync creates nothing more
    customers = len(db.exec(select(Customer)).all())
    assert _sync(app, db, account).stats["customers_created"] == 0
    assert len(db.exec(select(Customer)).all()) == customers


def test_missed_unfollow_marked_and_time_kept(app, db, oa):
    account, state = oa
    fans = directory(state, account.external_id)
    fans.add_fan("o-a")
    fans.add_fan("o-b")
    _sync(app, db, account)
    fans.fans["o-b"]["subscribe"] = 0
    run = _sync(app, db, account)
    assert run.stats["unsubscribed"] == 1
    stored = _fans(db, account)
    assert stored["o-b"].subscribed is False and stored["o-b"].unsubscribe_time is not None
    assert stored["o-a"].subscribed is True


def test_failed_run_resumes_from_its_cursor(app, db, oa):
    from scrm_official_account.fans import jobs

    account, state = oa
    fans = directory(state, account.external_id)
    fans.generated = 20_500
    # the second page's batchget fails: the first page stays applied, the cursor kept
    calls = {"n": 0}
    from scrm_official_account.fans import api as fan_api

    original = fan_api.FanAPI.user_infos

    def flaky(self, openids):
        calls["n"] += 1
        if calls["n"] == 101:
            from scrm.sdk.wechat import WeChatAPIError

            raise WeChatAPIError(40003, "invalid openid")
        return original(self, openids)

    fan_api.FanAPI.user_infos = flaky
    try:
        run = _sync(app, db, account)
    finally:
        fan_api.FanAPI.user_infos = original
    assert run.status == "failed" and "40003" in run.error
    assert run.done == 10_000 and run.next_openid == fans.generated_openid(9_999)
    assert len(_fans(db, account)) == 10_000
    resumed = jobs.run_now(db, app.extensions["scrm"], run, backoff=())
    assert resumed.status == "done" and resumed.done == 20_500
    firsts = [c["query"].get("next_openid", "") for c in state.calls if c["path"] == "/cgi-bin/user/get"]
    assert firsts.count("") == 1  # the resume did not start over
    assert len(_fans(db, account)) == 20_500


def test_a_page_that_fails_to_apply_keeps_the_cursor_before_it(app, db, oa, monkeypatch):
    """Pages are written in their own transactions, on PostgreSQL two at once: the cursor only moves past a page
    when it and every page before it are committed, so a later page committed after a failed one is not skipped
    (the resume applies it again, which changes nothing)."""
    from scrm_official_account.fans import jobs, sync

    account, state = oa
    fans = directory(state, account.external_id)
    fans.generated = 20_500  # three pages
    original = sync.FanApplier.apply
    calls = {"n": 0}

    def second_page_fails(self, infos, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the database went away")
        return original(self, infos, **kwargs)

    monkeypatch.setattr(sync.FanApplier, "apply", second_page_fails)
    run = _sync(app, db, account)
    assert run.status == "failed" and "went away" in run.error
    assert run.done == 10_000 and run.next_openid == fans.generated_openid(9_999)
    monkeypatch.setattr(sync.FanApplier, "apply", original)
    resumed = jobs.run_now(db, app.extensions["scrm"], run, backoff=())
    assert resumed.status == "done" and resumed.done == 20_500
    stored = _fans(db, account)
    assert len(stored) == 20_500 and all(f.customer_id for f in stored.values())
    customers = db.exec(select(Customer.id).where(Customer.tenant_id == account.tenant_id)).all()
    assert len(customers) == 20_500  # the third page, applied twice on PostgreSQL, created its customers once


def test_accounts_and_tenants_kept_apart(app, db, oa, other_tenant, enable_plugins, make_channel_account, sandbox):
    from scrm_official_account.fans.models import Fan

    account, state = oa
    base, _state = sandbox
    enable_plugins(other_tenant, "official_account")
    second = make_oa(make_channel_account, state, other_tenant, base, "wxfans0002", name="其他品牌")
    directory(state, account.external_id).add_fan("o-same", unionid="u-same")
    directory(state, second.external_id).add_fan("o-same", unionid="u-same")
    _sync(app, db, account)
    _sync(app, db, second)
    rows = db.exec(select(Fan).where(Fan.openid == "o-same")).all()
    assert {r.tenant_id for r in rows} == {account.tenant_id, second.tenant_id}
    customers = {r.tenant_id: db.get(Customer, r.customer_id) for r in rows}
    assert all(c.tenant_id == t for t, c in customers.items())  # One-ID never crosses tenants


def test_sandbox_answers_the_documented_error_codes(app, oa):
    from scrm_official_account.client import OAClient

    from scrm.sdk.wechat import WeChatAPIError

    account, state = oa
    fans = directory(state, account.external_id)
    fans.add_fan("o-1")

    def code(path, body=None, **params):
        with OAClient.for_account(account, app.extensions["scrm"], backoff=()) as client:
            try:
                client.post(path, body, **params) if body is not None else client.get(path, **params)
            except WeChatAPIError as exc:
                return exc.errcode
        return 0

    users = [{"openid": "o-1"}] * 101
    assert code("/cgi-bin/user/info/batchget", {"user_list": users}) == 40032
    assert code("/cgi-bin/user/info/batchget", {"user_list": users[:100]}) == 0
    assert code("/cgi-bin/user/get", next_openid="o-unknown") == 40003
    assert code("/cgi-bin/tags/create", {"tag": {"name": "一" * 11}}) == 45158
    assert code("/cgi-bin/tags/create", {"tag": {"name": "星标组"}}) == 45157
    assert code("/cgi-bin/tags/update", {"tag": {"id": 2, "name": "改"}}) == 45058
    assert code("/cgi-bin/tags/delete", {"tag": {"id": 999}}) == 45159
    assert code("/cgi-bin/tags/members/batchtagging", {"tagid": 2, "openid_list": ["o-1"] * 51}) == 40032
    for n in range(100):
        assert code("/cgi-bin/tags/create", {"tag": {"name": f"t{n}"}}) == 0
    assert code("/cgi-bin/tags/create", {"tag": {"name": "one more"}}) == 45056
