"""App messages to employees through ``message/send`` (the ``messaging`` module), sent through the platform's
outbound path: recorded once per ledger key and sent once, WeCom's answer stored, errors recorded with WeCom's code
(81013, unknown userid, left employee) and sent again as new rows, busy WeCom retried by the send job until the last
attempt, a message the broker refused relayed; the members plugin's notifications delivered the same way; tenants
stay apart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from scrm_wecom.messaging import Text, TextCard, queue_app_message, retry_failed
from scrm_wecom.messaging.models import AppMessage
from sqlalchemy import select
from sqlmodel import Session
from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import app_messages, deliveries, employee, to
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import customer_of

from scrm.core.db import writer
from scrm.sdk import Employee, publish, utcnow

PUBLIC = "https://scrm.acme.test"
SEND = "/cgi-bin/message/send"


def queue(db, tenant_id: int, employee_id: int | None, content, key: str):
    """Queue in a writer session (the worker runs meanwhile) and commit; returns the ledger row id."""
    db.commit()
    with Session(writer(db.get_bind())) as session:
        row = queue_app_message(session, tenant_id, employee_id=employee_id, content=content, key=key)
        session.commit()
        return row.id


def test_a_message_is_sent_once_per_key_and_wecoms_answer_is_kept(db, tenant, churn_account, sandbox, worker):
    lisi = employee(db, tenant.id, "lisi").id
    card = TextCard(title="标题" * 100, description="说明", url=f"{PUBLIC}/x", button="查看")
    first = queue(db, tenant.id, lisi, card, "test:1")
    worker.join()
    again = queue(db, tenant.id, lisi, card, "test:1")
    worker.join()
    [sent] = app_messages(sandbox[1])
    assert first == again and sent["touser"] == "lisi" and sent["textcard"]["btntxt"] == "查看"
    assert len(sent["textcard"]["title"].encode()) <= 128  # cut to WeCom's byte limit
    [row] = deliveries(db, tenant.id)
    assert (row.status, row.provider_id, row.channel) == ("sent", sent["msgid"], "wecom")
    assert (row.purpose, row.recipient, row.customer_id, row.attempts) == ("notification", "lisi", None, 1)
    assert row.message["kind"] == "textcard" and row.sent_at is not None
    message = db.execute(select(AppMessage).where(AppMessage.delivery_id == row.id)).scalar_one()
    assert message.response["msgid"] == sent["msgid"] and message.attempts == 1


def test_81013_is_recorded_as_failed_and_a_retry_sends_it(db, tenant, churn_account, sandbox, worker):
    sandbox[1].fail_next(SEND, 81013)
    row_id = queue(db, tenant.id, employee(db, tenant.id, "zhangsan").id, Text("hello"), "test:81013")
    worker.join()
    [row] = deliveries(db, tenant.id)
    assert (row.status, row.error_code, row.attempts) == ("failed", "81013", 1) and app_messages(sandbox[1]) == []
    for _ in range(2):  # retrying the same failure twice sends it once
        with Session(writer(db.get_bind())) as session:
            retry_failed(session, tenant.id, [row_id])
            session.commit()
    worker.join()
    failed, retried = deliveries(db, tenant.id)
    assert (failed.id, failed.status, failed.error_code) == (row_id, "failed", "81013")  # the ledger never goes back
    assert (retried.idempotency_key, retried.status) == (f"retry:{row_id}", "sent") and retried.provider_id
    assert to(app_messages(sandbox[1]), "zhangsan")[0]["text"]["content"] == "hello"
    assert len(app_messages(sandbox[1])) == 1


def test_a_busy_wecom_is_retried_by_the_send_job(db, tenant, churn_account, sandbox, worker):
    sandbox[1].fail_next(SEND, 45009, times=4)  # the client's own three retries fail too: the first attempt fails
    queue(db, tenant.id, employee(db, tenant.id, "lisi").id, Text("later"), "test:busy")
    worker.join(timeout=60)
    [row] = deliveries(db, tenant.id)
    assert (row.status, row.attempts) == ("sent", 2) and len(app_messages(sandbox[1])) == 1


def test_a_busy_wecom_ends_failed_with_its_code_after_the_last_attempt(db, tenant, churn_account, sandbox, worker,
                                                                       monkeypatch):
    from scrm.core.outbound import jobs as outbound_jobs

    monkeypatch.setattr(outbound_jobs, "MAX_ATTEMPTS", 2)
    sandbox[1].fail_next(SEND, 45009, times=8)  # two attempts of four calls each
    queue(db, tenant.id, employee(db, tenant.id, "lisi").id, Text("never"), "test:busy-forever")
    worker.join(timeout=60)
    [row] = deliveries(db, tenant.id)
    assert (row.status, row.error_code, row.attempts) == ("failed", "45009", 2) and app_messages(sandbox[1]) == []


def test_a_message_the_broker_refused_is_relayed(db, platform, tenant, churn_account, sandbox, worker, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    with monkeypatch.context() as patch:
        patch.setattr(worker, "send_many", refuse)
        row_id = queue(db, tenant.id, employee(db, tenant.id, "lisi").id, Text("relayed"), "test:relay")
    worker.join()
    [row] = deliveries(db, tenant.id)
    assert (row.status, row.enqueued_at) == ("queued", None) and app_messages(sandbox[1]) == []
    platform.tick(now=utcnow() + timedelta(minutes=1))
    worker.join()
    [row] = deliveries(db, tenant.id)
    assert (row.id, row.status) == (row_id, "sent")
    assert to(app_messages(sandbox[1]), "lisi")[0]["text"]["content"] == "relayed"


def test_unreachable_recipients_are_recorded_without_a_send(db, tenant, churn_account, sandbox, worker):
    ghost = Employee(tenant_id=tenant.id, userid="ghost", name="Ghost")
    db.add(ghost)
    db.commit()
    queue(db, tenant.id, ghost.id, Text("hi"), "test:ghost")
    queue(db, tenant.id, employee(db, tenant.id, "wangwu").id, Text("hi"), "test:left")
    queue(db, tenant.id, 999_999, Text("hi"), "test:nobody")
    worker.join()
    outcome = {r.idempotency_key: (r.status, r.error_code) for r in deliveries(db, tenant.id)}
    assert outcome == {"test:ghost": ("failed", "invaliduser"), "test:left": ("skipped", "employee_left"),
                       "test:nobody": ("failed", "no_employee")}
    assert len(sandbox[1].calls(SEND)) == 1  # only the ghost reached WeCom


@pytest.fixture
def public_url(monkeypatch):
    monkeypatch.setenv("SCRM_PUBLIC_URL", PUBLIC)


def notify(db, tenant_id: int, notification_id: int, **payload) -> None:
    db.commit()
    with Session(writer(db.get_bind())) as session:
        publish(session, tenant_id, "members.notification", {"notification_id": notification_id, **payload})
        session.commit()


def test_members_notifications_become_app_messages_once_per_notification(db, tenant, churn_account, sandbox,
                                                                         worker, public_url):
    lisi = employee(db, tenant.id, "lisi").id
    alice = customer_of(db, tenant.id, "wmAlice").id
    note = {"recipient_employee_id": lisi, "recipient_userid": "lisi", "kind": "stage_change",
            "text": "Customer Alice moved from stage 初步接触 to 意向客户.", "customer_id": alice}
    notify(db, tenant.id, 41, **note)
    notify(db, tenant.id, 41, **note)  # the same notification published twice
    notify(db, tenant.id, 42, recipient_employee_id=lisi, kind="stage_follow_up", text="Follow up Bob.")
    worker.join()
    received = {m["msgtype"]: m for m in to(app_messages(sandbox[1]), "lisi")}
    card, text = received["textcard"], received["text"]
    assert len(app_messages(sandbox[1])) == 2
    assert card["textcard"]["url"] == f"{PUBLIC}/t/acme/wecom/messages/customers/{alice}"
    assert "Alice" in card["textcard"]["description"]
    assert text["text"]["content"] == "Follow up Bob."
    assert sorted(r.idempotency_key for r in deliveries(db, tenant.id)) == ["members.notification:41",
                                                                           "members.notification:42"]


def test_a_notification_never_reaches_another_tenants_employee(db, tenant, other_tenant, churn_account,
                                                               enable_plugins, make_account, sandbox, worker):
    worker.join()
    enable_plugins(other_tenant, "wecom")
    make_account(other_tenant, sandbox[0], corp_id="ww00000000000000b2")
    lisi = employee(db, tenant.id, "lisi").id
    notify(db, other_tenant.id, 7, recipient_employee_id=lisi, kind="stage_change", text="secret",
           customer_id=customer_of(db, tenant.id, "wmAlice").id)
    worker.join()
    assert app_messages(sandbox[1]) == [] and deliveries(db, tenant.id) == []
    [row] = deliveries(db, other_tenant.id)
    assert (row.status, row.error_code, row.customer_id) == ("failed", "no_employee", None)


def test_the_customer_card_opens_for_friends_and_staff_of_the_tenant_only(db, tenant, other_tenant, churn_account,
                                                                         enable_plugins, client, make_user, login):
    alice = customer_of(db, tenant.id, "wmAlice").id
    lisi = employee(db, tenant.id, "lisi").id
    login(make_user("ls@acme.test", tenant, role="employee", scope="mine", employee_id=lisi))
    html = client.get(f"/t/acme/wecom/messages/customers/{alice}").get_data(as_text=True)
    assert "Alice" in html and "李四" in html
    login(make_user("nobody@acme.test", tenant, role="employee", scope="mine"))
    assert client.get(f"/t/acme/wecom/messages/customers/{alice}").status_code == 403
    enable_plugins(other_tenant, "wecom")
    login(make_user("admin@globex.test", other_tenant, role="tenant_admin"))
    assert client.get(f"/t/{other_tenant.slug}/wecom/messages/customers/{alice}").status_code == 404


def test_the_customer_card_shows_recent_activity_in_the_users_language(db, tenant, churn_account, client,
                                                                        make_user, login):
    from scrm_wecom.timeline import ENTRY_KINDS, TAGGED

    from scrm.sdk.timeline import MERGED, add_entry

    alice = customer_of(db, tenant.id, "wmAlice").id
    lisi = employee(db, tenant.id, "lisi").id
    add_entry(db, ENTRY_KINDS[TAGGED], tenant_id=tenant.id, customer_id=alice, userid="lisi", tags=["VIP"])
    add_entry(db, MERGED, tenant_id=tenant.id, customer_id=alice, merged_id=1)
    db.commit()
    login(make_user("ls@acme.test", tenant, role="employee", scope="mine", employee_id=lisi))
    client.get("/lang/zh_CN")
    html = client.get(f"/t/acme/wecom/messages/customers/{alice}").get_data(as_text=True)
    assert "李四 打上标签：VIP" in html and "另一位客户已合并到此客户" in html
    assert "tagged in WeCom" not in html and "merged customer" not in html


def test_another_tenants_send_job_does_not_send_this_tenants_message(db, platform, tenant, other_tenant,
                                                                     churn_account, sandbox, worker, monkeypatch):
    from scrm.core.outbound import jobs as outbound_jobs

    with monkeypatch.context() as patch:
        patch.setattr(worker, "send_many", lambda jobs: None)  # the broker lost it
        row_id = queue(db, tenant.id, employee(db, tenant.id, "lisi").id, Text("mine"), "test:mine")
    outbound_jobs.send_delivery.fn(other_tenant.id, delivery_id=row_id)
    assert app_messages(sandbox[1]) == [] and deliveries(db, tenant.id)[0].status == "queued"
    with Session(writer(db.get_bind())) as session:  # nor can another tenant retry it
        assert retry_failed(session, other_tenant.id, [row_id]) == 0
    outbound_jobs.send_delivery.fn(tenant.id, delivery_id=row_id)
    assert deliveries(db, tenant.id)[0].status == "sent" and len(app_messages(sandbox[1])) == 1
