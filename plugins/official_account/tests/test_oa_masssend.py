"""Mass sends (spec 3.3, 4.2, acceptance 4-8) against the sandbox: the 2-10,000 recipient bounds, verified service
accounts only, 4 mass messages per fan per natural month counted on the ledger with sends made elsewhere (a fan over
the limit fails, the others get it, also with two sends at once), immediate and scheduled sends (durable, not before
their time), immutability after the send, WeChat's MASSSENDJOBFINISH figures, filters, isolation, CSRF."""

from __future__ import annotations

import threading
from datetime import UTC, timedelta

import pytest
from oa_fixtures import *  # noqa: F403
from oa_fixtures import APPID, OTHER_APPID
from oa_masssend_support import add_fans, add_tag, form, sent_before
from oa_materials_support import *  # noqa: F403
from oa_materials_support import fresh
from scrm_official_account.masssend import dispatch, service
from scrm_official_account.masssend.models import MassSend
from sqlmodel import Session, select

from scrm.sdk import DeliveryStatus, MessageDelivery, local_now, set_daily_cap, utcnow

MASS = "/cgi-bin/message/mass/send"


def sends(db) -> list[MassSend]:
    fresh(db)
    return list(db.exec(select(MassSend).order_by(MassSend.id)))


def rows(db, send) -> dict[str, MessageDelivery]:
    fresh(db)
    return {r.recipient: r for r in db.exec(select(MessageDelivery).where(
        MessageDelivery.task_ref == f"oa_mass:{send.id}"))}


def create(world, **values):
    return world.staff.post(world.url("/masssend/"), data=form(world.account, **values))


def run(db, platform, world, send) -> str:
    db.commit()
    return dispatch.run(db, platform, world.tenant.id, send.id)


def jobs(world) -> list[dict]:
    return world.control.http.get("/sandbox/mass/jobs").json()["jobs"]


# -- acceptance 4 and 5: 2 to 10,000 recipients --------------------------------------------------------------------

def test_a_tag_with_one_fan_is_refused_and_two_fans_are_accepted(oa_world, db):
    add_tag(db, oa_world, 100, "老客户")
    add_fans(db, oa_world, 1, tags=[100])
    add_fans(db, oa_world, 5, prefix="oOther")  # fans without the tag
    refused = create(oa_world, audience_mode="tags", tag_ids="100")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "1 fans match: a mass send needs at least 2" in html and 'data-estimate>1<' in html
    assert sends(db) == []
    add_fans(db, oa_world, 1, prefix="oSecond", tags=[100, 101])
    accepted = create(oa_world, audience_mode="tags", tag_ids="100")
    assert accepted.status_code == 302, accepted.get_data(as_text=True)[:3000]
    [send] = sends(db)
    assert send.estimated == 2 and send.tag_ids == [100] and send.status == "waiting"


def test_10001_fans_are_refused_and_10000_accepted(oa_world, db):
    account = oa_world.account
    add_fans(db, oa_world, 10_000)
    data = service.MassSendInput(text="新品上市")
    errors, estimated = service.validate(db, oa_world.tenant.id, account, data)
    assert errors == {} and estimated == 10_000
    add_fans(db, oa_world, 1, prefix="oLast")
    errors, estimated = service.validate(db, oa_world.tenant.id, account, data)
    assert errors == {"estimated": service.AUDIENCE_TOO_LARGE} and estimated == 10_001
    refused = create(oa_world)
    assert refused.status_code == 422 and "10001 fans match: a mass send reaches at most 10,000" in \
        refused.get_data(as_text=True)
    assert sends(db) == []


# -- acceptance 6: verified service accounts only ------------------------------------------------------------------

@pytest.mark.parametrize("values", [{"verified": False}, {"account_type": "subscription", "verified": True}],
                         ids=["unverified-service", "subscription"])
def test_only_a_verified_service_account_may_mass_send(tenant, enable_plugins, oa_sandbox, make_oa_account, oa_admin,
                                                       db, values):
    from oa_materials_support import OAWorld

    base, control = oa_sandbox
    enable_plugins(tenant, "official_account")
    account = make_oa_account(tenant, api_base=base, **values)
    world = OAWorld(tenant, account, control, oa_admin(tenant, role="operator"), base)
    add_fans(db, world, 3)
    page = world.staff.get(world.url("/masssend/"))
    assert 'data-testid="not-verified"' in page.get_data(as_text=True)
    response = create(world)
    assert response.status_code == 422 and "Only verified service accounts can mass send." in \
        response.get_data(as_text=True)
    assert sends(db) == []
    assert service.validate(db, tenant.id, account, service.MassSendInput(text="x"))[0] == {
        "": service.NOT_VERIFIED_SERVICE_ACCOUNT}


def test_an_account_no_longer_verified_at_send_time_fails_without_a_wechat_call(oa_world, db, platform):
    add_fans(db, oa_world, 3)
    assert create(oa_world).status_code == 302
    [send] = sends(db)
    account = db.merge(oa_world.account)
    account.config = {**account.config, "verified": False}
    db.add(account)
    assert run(db, platform, oa_world, send) == "failed"
    assert oa_world.calls(MASS) == []
    assert sends(db)[0].error_code == "NOT_VERIFIED_SERVICE_ACCOUNT"


# -- acceptance 7: 4 per fan per month ------------------------------------------------------------------------------

def test_a_fan_with_4_mass_messages_this_month_fails_and_the_others_get_it(oa_world, db, platform):
    set_daily_cap(db, oa_world.tenant.id, "mass_send", None, channel="official_account")  # the monthly rule alone
    full, three, fresh_fan = add_fans(db, oa_world, 3)
    sent_before(db, oa_world, full, 4)
    sent_before(db, oa_world, three, 3)
    assert create(oa_world).status_code == 302
    [send] = sends(db)
    assert run(db, platform, oa_world, send) == "submitted"
    [call] = oa_world.calls(MASS)
    assert sorted(call["body"]["touser"]) == [three, fresh_fan]
    assert call["body"]["text"] == {"content": "会员日全场九折，今晚八点开抢"}
    assert call["body"]["clientmsgid"] == f"scrm_mass_{oa_world.tenant.id}_{send.id}"
    ledger = rows(db, send)
    assert ledger[full].status == DeliveryStatus.FAILED and ledger[full].error_code == "monthly_limit"
    assert ledger[three].status == ledger[fresh_fan].status == DeliveryStatus.SENT
    assert ledger[three].provider_id == str(call["body"] and jobs(oa_world)[0]["msg_id"])
    [send] = sends(db)
    assert (send.targeted, send.refused, send.submitted, send.status) == (3, 1, 2, "submitted")
    detail = oa_world.staff.get(oa_world.url(f"/masssend/{send.id}?account_id={oa_world.account.id}"))
    assert full in detail.get_data(as_text=True) and "already received 4 mass messages" in detail.get_data(as_text=True)
    # the next send: the fan who had 3 now has 4
    assert create(oa_world).status_code == 302
    second = sends(db)[-1]
    assert run(db, platform, oa_world, second) == "failed"  # only one fan left: WeChat needs 2
    ledger = rows(db, second)
    assert ledger[three].error_code == "monthly_limit" and ledger[full].error_code == "monthly_limit"
    assert len(oa_world.calls(MASS)) == 1


def test_sends_of_last_month_do_not_count(oa_world, db, platform):
    set_daily_cap(db, oa_world.tenant.id, "mass_send", None, channel="official_account")
    first, second = add_fans(db, oa_world, 2)
    sent_before(db, oa_world, first, 4)
    fresh(db)
    for row in db.exec(select(MessageDelivery).where(MessageDelivery.recipient == first)):
        row.created_at = row.created_at - timedelta(days=1)  # the last day of the previous month
        db.add(row)
    db.commit()
    assert create(oa_world).status_code == 302
    assert run(db, platform, oa_world, sends(db)[0]) == "submitted"
    assert sorted(oa_world.calls(MASS)[0]["body"]["touser"]) == [first, second]


def test_the_monthly_limit_holds_with_two_mass_sends_at_once(oa_world, db, platform):
    """Two mass sends planned at the same moment: a fan with 3 mass messages this month gets exactly one more."""
    set_daily_cap(db, oa_world.tenant.id, "mass_send", None, channel="official_account")
    fans = add_fans(db, oa_world, 40)
    for openid in fans:
        sent_before(db, oa_world, openid, 3)
    assert create(oa_world).status_code == 302
    assert create(oa_world, text="第二条群发").status_code == 302
    first, second = sends(db)
    results: dict[int, str] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def go(send_id: int) -> None:
        try:
            with Session(platform.engine) as session:
                barrier.wait(timeout=10)
                results[send_id] = dispatch.run(session, platform, oa_world.tenant.id, send_id)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(s.id,)) for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    fresh(db)
    got = {openid: 0 for openid in fans}
    for send in (first, second):
        for openid, row in rows(db, send).items():
            if row.status == DeliveryStatus.SENT:
                got[openid] += 1
            else:
                assert row.error_code == "monthly_limit"
    assert set(got.values()) == {1}
    assert sorted(results.values()) == ["failed", "submitted"]  # the later one finds nobody left
    touser = [o for call in oa_world.calls(MASS) for o in call["body"]["touser"]]
    assert sorted(touser) == sorted(fans)


# -- acceptance 8: scheduled sends and immutability -------------------------------------------------------------------

def test_a_scheduled_send_fires_at_its_time_not_before(oa_world, db, platform, worker):
    add_fans(db, oa_world, 2)
    when = (local_now() + timedelta(days=1)).replace(second=0, microsecond=0)
    response = create(oa_world, send_mode="scheduled", scheduled_date=when.date().isoformat(),
                      scheduled_time=when.strftime("%H:%M"))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    [send] = sends(db)
    due = send.scheduled_at.replace(tzinfo=UTC) if send.scheduled_at.tzinfo is None else send.scheduled_at
    assert due == when.astimezone(UTC)
    platform.tick(now=due - timedelta(minutes=1))
    worker.join()
    assert oa_world.calls(MASS) == [] and sends(db)[0].status == "waiting"
    platform.tick(now=due + timedelta(seconds=30))
    worker.join()
    [call] = oa_world.calls(MASS)
    assert sends(db)[0].status == "submitted"
    listing = oa_world.staff.get(oa_world.url("/masssend/?tab=scheduled")).get_data(as_text=True)
    assert f'data-mass-id="{send.id}"' in listing


def test_a_scheduled_send_in_the_past_is_refused(oa_world, db):
    add_fans(db, oa_world, 2)
    then = local_now() - timedelta(hours=1)
    response = create(oa_world, send_mode="scheduled", scheduled_date=then.date().isoformat(),
                      scheduled_time=then.strftime("%H:%M"))
    assert response.status_code == 422 and "Choose a send time in the future." in response.get_data(as_text=True)


def test_a_sent_mass_send_cannot_be_edited_but_a_waiting_one_can(oa_world, db, platform):
    add_fans(db, oa_world, 3)
    when = local_now() + timedelta(days=2)
    scheduled = dict(send_mode="scheduled", scheduled_date=when.date().isoformat(), scheduled_time="10:00")
    assert create(oa_world, **scheduled).status_code == 302
    [send] = sends(db)
    edited = oa_world.staff.post(oa_world.url(f"/masssend/{send.id}"), data=form(oa_world.account, text="改过的文案",
                                                                                  **scheduled))
    assert edited.status_code == 302 and sends(db)[0].text == "改过的文案"
    send = sends(db)[0]
    db.execute(MassSend.__table__.update().where(MassSend.__table__.c.id == send.id).values(
        scheduled_at=utcnow() - timedelta(minutes=1)))
    assert run(db, platform, oa_world, send) == "submitted"
    refused = oa_world.staff.post(oa_world.url(f"/masssend/{send.id}"), data=form(oa_world.account, text="再改",
                                                                                   **scheduled))
    assert refused.status_code == 409 and "can no longer be changed" in refused.get_data(as_text=True)
    assert sends(db)[0].text == "改过的文案"
    page = oa_world.staff.get(oa_world.url(f"/masssend/{send.id}/edit?account_id={oa_world.account.id}"))
    assert page.status_code == 409
    with pytest.raises(service.MassSendInvalid) as caught:
        service.update(db, oa_world.tenant.id, oa_world.account, sends(db)[0], service.MassSendInput(text="x"))
    assert caught.value.errors == {"": service.IMMUTABLE_AFTER_SEND}


# -- results: MASSSENDJOBFINISH -----------------------------------------------------------------------------------------

def test_the_finished_event_records_wechats_figures(oa_world, db, platform, fire, worker):
    set_daily_cap(db, oa_world.tenant.id, "mass_send", None, channel="official_account")
    fans = add_fans(db, oa_world, 4)
    oa_world.control.http.post("/sandbox/mass/received", json={"appid": APPID, "openids": [fans[0]], "count": 4})
    assert create(oa_world).status_code == 302  # an immediate send: the worker dispatches it at once
    worker.join()
    [send] = sends(db)
    assert send.status == "submitted"
    [job] = jobs(oa_world)
    assert job["over_limit"] == [fans[0]]  # sent from the WeChat backend this month: WeChat drops the fan
    response = fire(oa_world.account, job["finish_xml"])
    assert response.status_code == 200
    fire(oa_world.account, job["finish_xml"])  # a repeated callback changes nothing
    worker.join()
    [send] = sends(db)
    assert (send.status, send.total_count, send.filter_count, send.sent_count, send.error_count) == \
        ("sent", 4, 3, 3, 0)
    listing = oa_world.staff.get(oa_world.url("/masssend/")).get_data(as_text=True)
    assert "3/4 fans" in listing


def test_a_finished_event_of_another_account_changes_nothing(oa_world, db, platform, make_oa_account):
    add_fans(db, oa_world, 2)
    assert create(oa_world).status_code == 302
    [send] = sends(db)
    run(db, platform, oa_world, send)
    send = sends(db)[0]
    second = make_oa_account(oa_world.tenant, api_base=oa_world.base, appid=OTHER_APPID, name="门店服务号")
    fields = {"MsgID": send.msg_id, "Status": "send success", "TotalCount": 2, "FilterCount": 2, "SentCount": 2,
              "ErrorCount": 0}
    assert dispatch.apply_finished(db, oa_world.tenant.id, second.id, fields) is None
    db.commit()
    assert sends(db)[0].status == "submitted"


# -- filters, content, isolation ------------------------------------------------------------------------------------

def test_gender_region_and_follow_time_filters_narrow_the_estimate(oa_world, db):
    tenant, account = oa_world.tenant, oa_world.account
    add_fans(db, oa_world, 3, prefix="oSh", sex=2, province="上海", city="上海", followed_days_ago=3)
    add_fans(db, oa_world, 2, prefix="oGz", sex=1, province="广东", city="广州", followed_days_ago=40)
    add_fans(db, oa_world, 2, prefix="oNo", sex=0)
    add_fans(db, oa_world, 4, prefix="oGone", subscribed=False)

    def count(**values) -> int:
        return service.estimate(db, tenant.id, account, service.MassSendInput(**values))

    today = local_now().date()
    assert count() == 7
    assert count(genders=[2]) == 3 and count(genders=[1, 0]) == 4
    assert count(province="广东") == 2 and count(province="广东", city="广州") == 2 and count(province="上海",
                                                                                          city="广州") == 0
    assert count(follow_from=today - timedelta(days=10)) == 3
    assert count(follow_to=today - timedelta(days=10)) == 4
    response = create(oa_world, province="Bavaria")
    assert response.status_code == 422 and "province or region of China" in response.get_data(as_text=True)
    estimate = oa_world.staff.post(oa_world.url("/masssend/estimate"), data={
        "account_id": str(account.id), "audience_mode": "all", "genders": "2"})
    assert estimate.get_json() == {"estimated": 3, "ok": True, "message": ""}


def test_content_is_required_and_text_is_at_most_600_characters(oa_world, db):
    add_fans(db, oa_world, 2)
    assert create(oa_world, text="").status_code == 422
    assert create(oa_world, text="字" * 601).status_code == 422
    assert create(oa_world, msg_type="image").status_code == 422  # no material chosen
    assert create(oa_world, text="字" * 600).status_code == 302


def test_an_image_mass_send_uses_the_material(oa_world, db, platform):
    from oa_materials_support import png

    add_fans(db, oa_world, 2)
    assert oa_world.upload("image", png(), "会员日海报.png").status_code == 302
    from scrm_official_account.materials.models import Material

    fresh(db)
    [image] = db.exec(select(Material)).all()
    assert create(oa_world, msg_type="image", **{"material_image": str(image.id)}).status_code == 302
    [send] = sends(db)
    assert send.material_id == image.id
    assert run(db, platform, oa_world, send) == "submitted"
    [call] = oa_world.calls(MASS)
    assert call["body"]["msgtype"] == "image" and call["body"]["image"] == {"media_id": image.media_id}
    delete = oa_world.staff.post(oa_world.url(f"/materials/{image.id}/delete"), data={"account_id": str(oa_world.account.id)})
    fresh(db)
    assert db.get(Material, image.id) is not None, delete.status_code  # in use by the mass send


def test_another_tenants_mass_sends_are_not_found(oa_world, db, make_tenant, make_oa_account, enable_plugins):
    add_fans(db, oa_world, 2)
    assert create(oa_world).status_code == 302
    [send] = sends(db)
    other = make_tenant("other")
    enable_plugins(other, "official_account")
    foreign = make_oa_account(other, api_base=oa_world.base, appid=OTHER_APPID)
    assert oa_world.staff.get(oa_world.url(f"/masssend/?account_id={foreign.id}")).status_code == 404
    assert oa_world.staff.post(oa_world.url("/masssend/estimate"), data={"account_id": str(foreign.id)}).status_code == 404
    assert oa_world.staff.post(oa_world.url("/masssend/"), data=form(foreign)).status_code == 404
    assert oa_world.staff.post(oa_world.url(f"/masssend/{send.id}/delete"),
                               data={"account_id": str(foreign.id)}).status_code == 404
    assert dispatch.run(db, None, other.id, send.id) == ""  # the job of another tenant does nothing
    assert len(sends(db)) == 1 and sends(db)[0].status == "waiting"


def test_writes_without_the_csrf_token_are_refused(oa_world, db):
    add_fans(db, oa_world, 2)
    response = oa_world.staff.client.post(oa_world.url("/masssend/"), data=form(oa_world.account))
    assert response.status_code == 400
    assert sends(db) == []




def test_the_new_form_shows_the_estimate_and_the_lists_their_tabs(oa_world, db):
    add_tag(db, oa_world, 100, "老客户")
    add_fans(db, oa_world, 3)
    page = oa_world.staff.get(oa_world.url(f"/masssend/new?account_id={oa_world.account.id}"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "data-estimate>3<" in html and "老客户" in html
    for tab in ("immediate", "scheduled", "templates"):
        assert oa_world.staff.get(oa_world.url(f"/masssend/?tab={tab}")).status_code == 200


def test_planned_rows_are_never_sent_one_by_one_by_the_outbound_relay(oa_world, db, platform, worker):
    when = local_now() + timedelta(days=1)
    add_fans(db, oa_world, 3)
    assert create(oa_world, send_mode="scheduled", scheduled_date=when.date().isoformat(),
                  scheduled_time="10:00").status_code == 302
    [send] = sends(db)
    openids = dispatch.plan(db, send, db.merge(oa_world.account))  # the job stopped after planning
    assert len(openids) == 3
    platform.tick(now=utcnow() + timedelta(minutes=20))  # the relay and the unknown-outcome sweep run
    worker.join()
    assert [c for c in oa_world.control.calls() if c["path"].startswith("/cgi-bin/message/")] == []
    assert {r.status for r in rows(db, send).values()} == {DeliveryStatus.QUEUED}


def test_deleting_a_mass_send_cancels_its_schedule_and_frees_its_material(oa_world, db):
    from oa_materials_support import png
    from scrm_official_account.materials import service as materials
    from scrm_official_account.materials.models import Material

    from scrm.sdk import ScheduledJob

    add_fans(db, oa_world, 2)
    assert oa_world.upload("image", png(), "海报.png").status_code == 302
    fresh(db)
    [image] = db.exec(select(Material)).all()
    when = local_now() + timedelta(days=1)
    assert create(oa_world, msg_type="image", material_image=str(image.id), send_mode="scheduled",
                  scheduled_date=when.date().isoformat(), scheduled_time="09:30").status_code == 302
    [send] = sends(db)
    send_id = send.id
    assert materials.usages_of(db, oa_world.tenant.id, image) != []
    assert oa_world.staff.post(oa_world.url(f"/masssend/{send_id}/delete"),
                               data={"account_id": str(oa_world.account.id)}).status_code == 302
    assert sends(db) == []
    assert materials.usages_of(db, oa_world.tenant.id, db.get(Material, image.id)) == []
    job = db.exec(select(ScheduledJob).where(ScheduledJob.key == service.schedule_key(send_id))).one()
    assert job.status == "cancelled"
