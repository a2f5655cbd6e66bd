"""Sending friend welcomes against the sandbox: which welcome (acceptance checks 10, 11), time segments, variables,
once per welcome code (check 13), 41051 and other errors, tenant isolation, and the path from the callback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from scrm_wecom.sandbox import CallbackTarget, fire_callback
from scrm_wecom.welcome import service
from scrm_wecom.welcome.dispatch import send_welcome
from sqlmodel import select
from wecom_livecodes_fixtures import *  # noqa: F403
from wecom_livecodes_fixtures import CALLBACK, CORP_ID, deliver, fresh, friend_event

from scrm.sdk import DeliveryStatus, MessageDelivery

SEND = "/cgi-bin/externalcontact/send_welcome_msg"


def welcome(db, world, text, *, employees=("zhangsan",), all_employees=False, segments=None, attachments=()):
    values = service.validate(db, world.tenant.id, service.WelcomeInput(
        all_employees=all_employees, employee_ids=[world.employees[u].id for u in employees],
        segmented=bool(segments), content={"text": text, "attachments": list(attachments)},
        segments=segments or []))
    message = service.create(db, world.tenant.id, values)
    db.commit()
    return message


def add_friend(world, userid="zhangsan", name="Lily", state=None, external_userid=None):
    contact = {"name": name, **({"external_userid": external_userid} if external_userid else {})}
    return world.sandbox.add_friend(CORP_ID, userid, contact, state=state)


def sent_texts(world):
    return [c["body"].get("text", {}).get("content") for c in world.sandbox.calls(SEND) if c["errcode"] == 0]


def ledger(db, tenant):
    fresh(db)
    return list(db.exec(select(MessageDelivery).where(MessageDelivery.tenant_id == tenant.id)))


def test_the_new_friend_gets_the_employees_welcome_with_variables(db, world, worker):
    message = welcome(db, world, "Hi {customer_name}, I am {employee_name}, your {employee_position}.",
                      attachments=[{"type": "link", "title": "Shop", "url": "https://shop.example.com"}])
    friend = add_friend(world)
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"], welcome_code=friend["welcome_code"]),
            worker)
    [call] = [c for c in world.sandbox.calls(SEND)]
    assert call["body"]["text"]["content"] == "Hi Lily, I am Zhang San, your Store manager."
    assert call["body"]["attachments"] == [{"msgtype": "link", "link": {"title": "Shop",
                                                                         "url": "https://shop.example.com"}}]
    sent = world.sandbox.corp(CORP_ID)["welcome_messages"]
    assert len(sent) == 1 and sent[0]["code_age"] < 20
    [row] = ledger(db, world.tenant)
    assert row.status == DeliveryStatus.SENT and row.kind == "welcome"
    assert row.idempotency_key == f"welcome:{friend['welcome_code']}" and row.task_ref == f"welcome:{message.id}@zhangsan"


def test_latest_welcome_wins_and_wins_again_after_an_edit(db, world, worker):
    w1 = welcome(db, world, "W1")
    welcome(db, world, "W2")
    first = add_friend(world)
    deliver(db, friend_event(world, "zhangsan", first["external_userid"], welcome_code=first["welcome_code"]),
            worker)
    values = service.validate(db, world.tenant.id, service.WelcomeInput(
        all_employees=False, employee_ids=[world.employees["zhangsan"].id], segmented=False,
        content={"text": "W1 edited"}))
    service.update(db, db.get(type(w1), w1.id), values)
    db.commit()
    second = add_friend(world, name="Mia")
    deliver(db, friend_event(world, "zhangsan", second["external_userid"], welcome_code=second["welcome_code"]),
            worker)
    assert sent_texts(world) == ["W2", "W1 edited"]


def test_deleting_the_newest_welcome_makes_the_older_one_apply_again(db, world, worker):
    welcome(db, world, "W1", attachments=[{"type": "link", "title": "Shop", "url": "https://shop.example.com"}])
    w2 = welcome(db, world, "W2")
    service.remove(db, db.get(type(w2), w2.id))
    db.commit()
    friend = add_friend(world)
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"], welcome_code=friend["welcome_code"]),
            worker)
    [call] = world.sandbox.calls(SEND)
    assert call["body"] == {"welcome_code": friend["welcome_code"], "text": {"content": "W1"},
                            "attachments": [{"msgtype": "link", "link": {"title": "Shop",
                                                                         "url": "https://shop.example.com"}}]}


def test_segments_covering_the_whole_week_need_no_default_and_run_until_midnight(db, world, worker, monkeypatch):
    import scrm_wecom.welcome.dispatch as dispatch

    every_day = [1, 2, 3, 4, 5, 6, 7]
    message = welcome(db, world, "", segments=[
        {"weekdays": every_day, "start": "00:00", "end": "12:00", "content": {"text": "Morning"}},
        {"weekdays": every_day, "start": "12:00", "end": "23:59", "content": {"text": "Afternoon and night"}}])
    assert message.content == {"text": "", "attachments": []}
    sunday_235930_shanghai = datetime(2026, 11, 29, 15, 59, 30, tzinfo=UTC)
    monkeypatch.setattr(dispatch, "utcnow", lambda: sunday_235930_shanghai + timedelta(seconds=1))
    friend = add_friend(world)
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"], welcome_code=friend["welcome_code"],
                             at=sunday_235930_shanghai), worker)
    assert sent_texts(world) == ["Afternoon and night"]


def test_a_welcome_for_all_employees_applies_to_every_employee(db, world, worker):
    welcome(db, world, "For everyone", employees=(), all_employees=True)
    friend = add_friend(world, userid="lisi")
    deliver(db, friend_event(world, "lisi", friend["external_userid"], welcome_code=friend["welcome_code"]), worker)
    assert sent_texts(world) == ["For everyone"]


def test_a_welcome_of_another_employee_is_not_sent(db, world, worker):
    welcome(db, world, "Only for Li Si", employees=("lisi",))
    friend = add_friend(world)
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"], welcome_code=friend["welcome_code"]),
            worker)
    assert world.sandbox.calls(SEND) == [] and ledger(db, world.tenant) == []


def test_the_time_segment_of_the_add_time_is_sent_else_the_default(db, world, worker, monkeypatch):
    import scrm_wecom.welcome.dispatch as dispatch

    segments = [{"weekdays": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00", "content": {"text": "Daytime"}}]
    welcome(db, world, "Evening default", segments=segments)
    monday_10_shanghai = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    monday_20_shanghai = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    for at in (monday_10_shanghai, monday_20_shanghai):
        monkeypatch.setattr(dispatch, "utcnow", lambda at=at: at + timedelta(seconds=1))  # the job runs at once
        friend = add_friend(world)
        deliver(db, friend_event(world, "zhangsan", friend["external_userid"], welcome_code=friend["welcome_code"],
                                 at=at), worker)
    assert sent_texts(world) == ["Daytime", "Evening default"]


def test_one_send_per_welcome_code(db, world, worker):
    """A re-add after a deletion and a half add followed by the full add: test_wecom_welcome_friendship.py."""
    welcome(db, world, "Hello")
    friend = add_friend(world, external_userid="wmLily")
    event = friend_event(world, "zhangsan", "wmLily", welcome_code=friend["welcome_code"])
    deliver(db, event, worker)
    deliver(db, event, worker)  # a redelivered event
    deliver(db, friend_event(world, "zhangsan", "wmLily", welcome_code=friend["welcome_code"]), worker)
    assert len(world.sandbox.calls(SEND)) == 1
    assert [r.status for r in ledger(db, world.tenant)] == [DeliveryStatus.SENT]


def test_already_chatting_is_recorded_as_skipped_and_not_retried(db, world, worker):
    welcome(db, world, "Hello")
    world.sandbox.fail_next(SEND, 41051)
    friend = add_friend(world)
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"], welcome_code=friend["welcome_code"]),
            worker)
    assert len(world.sandbox.calls(SEND)) == 1
    [row] = ledger(db, world.tenant)
    assert row.status == DeliveryStatus.SKIPPED and row.error_code == "41051"


def test_other_errors_are_recorded_with_code_and_message(db, world, worker):
    welcome(db, world, "Hello")
    friend = add_friend(world)
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"], welcome_code="WELCOME_UNKNOWN"), worker)
    [row] = ledger(db, world.tenant)
    assert row.status == DeliveryStatus.FAILED and row.error_code == "40058"
    assert "welcome_code" in row.error


def test_no_welcome_and_no_code_send_nothing(db, world, worker):
    friend = add_friend(world)
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"], welcome_code=friend["welcome_code"]),
            worker)
    welcome(db, world, "Hello")
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"]), worker)  # no welcome code
    assert world.sandbox.calls(SEND) == [] and ledger(db, world.tenant) == []


def test_a_job_for_another_tenant_never_uses_this_tenants_account_or_welcomes(db, world, other_tenant,
                                                                            enable_plugins):
    enable_plugins(other_tenant, "wecom")
    welcome(db, world, "Acme welcome")
    friend = add_friend(world)
    send_welcome(other_tenant.id, account_id=world.account.id, userid="zhangsan",
                 external_userid=friend["external_userid"], welcome_code=friend["welcome_code"])
    event = friend_event(world, "zhangsan", friend["external_userid"], welcome_code=friend["welcome_code"],
                         tenant_id=other_tenant.id)
    deliver(db, event)
    assert world.sandbox.calls(SEND) == []
    assert ledger(db, world.tenant) == [] and ledger(db, other_tenant) == []


def test_from_the_callback_to_the_welcome(app, db, world, worker):
    welcome(db, world, "Welcome, {customer_name}!")
    friend = add_friend(world, name="Lily")
    target = CallbackTarget(CORP_ID, CALLBACK["callback_token"], CALLBACK["encoding_aes_key"])
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://scrm.test") as http:
        response = fire_callback(f"http://scrm.test/callbacks/wecom/{world.account.id}", target, friend["xml"],
                                 http=http)
    assert response.status_code == 200
    worker.join()
    [sent] = world.sandbox.corp(CORP_ID)["welcome_messages"]
    assert sent["text"]["content"] == "Welcome, Lily!" and sent["code_age"] < 20


def test_a_registered_state_prefix_decides_first_and_can_defer(db, world, worker):
    from scrm_wecom.welcome.routing import ROUTER, WelcomeChoice, register_state_prefix

    seen = []

    def coupon_welcome(session, friend):
        seen.append(friend.state)
        if friend.state == "coupon:none":
            return None  # no opinion: the employee's welcome applies
        return WelcomeChoice({"text": f"Your coupon {friend.state[7:]}", "attachments": []}, "coupon:campaign")

    welcome(db, world, "General welcome")
    register_state_prefix("coupon:", coupon_welcome)
    try:
        for state in ("coupon:A42", "coupon:none"):
            friend = add_friend(world)
            deliver(db, friend_event(world, "zhangsan", friend["external_userid"], state=state,
                                     welcome_code=friend["welcome_code"]), worker)
    finally:
        ROUTER.unregister("coupon:")
    assert seen == ["coupon:A42", "coupon:none"]
    assert sent_texts(world) == ["Your coupon A42", "General welcome"]
    assert {r.task_ref for r in ledger(db, world.tenant)} >= {"coupon:campaign@zhangsan"}


def third_party_welcome(session, friend):
    """A resolver as another plugin would declare it (entry point group ``scrm_wecom.welcome_states``)."""
    return {"content": {"text": "From another plugin", "attachments": []}, "ref": "other:1"}


def test_a_state_resolver_declared_by_a_package_that_is_no_enabled_plugin_is_ignored(db, world, worker, tmp_path,
                                                                                     monkeypatch):
    import importlib
    import importlib.metadata

    dist = tmp_path / "scrm_other-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: scrm-other\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        f"[scrm_wecom.welcome_states]\nother: = {__name__}:third_party_welcome\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    from scrm_wecom.welcome.routing import ENTRY_POINT_GROUP

    assert [ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)] == ["other:"]
    welcome(db, world, "General welcome")
    friend = add_friend(world)
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"], state="other:7",
                             welcome_code=friend["welcome_code"]), worker)
    assert sent_texts(world) == ["General welcome"]  # the test module belongs to no enabled plugin
