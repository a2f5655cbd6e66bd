"""Customer mass sends end to end against the sandbox (spec 3.4, 4.4 rules 6 and 9, 5.2; acceptance 14, 18, 19):
one add_msg_template task per owner employee, the employee confirms in WeCom (the sandbox's control API), results
polled per employee and per customer, progress text, reminders and cancelling."""

from __future__ import annotations

import pytest
from scrm_wecom.masssend import results, service
from scrm_wecom.masssend.models import TaskStatus
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_masssend_fixtures import *  # noqa: F403
from wecom_masssend_fixtures import dispatch_now, ledger_rows, members, msgid_of, new_send, poll, targets


def test_one_task_per_owner_and_a_shared_customer_once(db, mass_env):
    """Acceptance 14: C3 is a friend of zhangsan (owner) and lisi: only zhangsan's task has C3, once."""
    task = dispatch_now(db, new_send(db, mass_env.tenant))
    assert task.status == TaskStatus.SENT
    templates = {t["sender"]: t for t in mass_env.groupmsg.templates()}
    assert set(templates) == {"zhangsan", "lisi", "wangwu"}
    sent = mass_env.control.calls("/cgi-bin/externalcontact/add_msg_template")
    bodies = {c["body"]["sender"]: c["body"] for c in sent}
    assert sorted(bodies["zhangsan"]["external_userid"]) == ["wmC1", "wmC2", "wmC3"]
    assert bodies["lisi"]["external_userid"] == ["wmC4"]
    assert bodies["zhangsan"]["chat_type"] == "single"
    assert bodies["zhangsan"]["text"] == {"content": task.text}
    assert set(targets(db, task)) == {"wmC1", "wmC2", "wmC3", "wmC4", "wmC5"}
    assert task.matched == 6 and task.targeted == 5 and task.no_friend == 1
    assert set(ledger_rows(db, task).values()) == {"queued"}


def test_results_per_employee_and_customer(db, platform, mass_env):
    task = dispatch_now(db, new_send(db, mass_env.tenant))
    mass_env.groupmsg.send(msgid_of(db, task, "zhangsan"), "zhangsan", not_friend=["wmC2"], limit=["wmC3"])
    assert poll(db, platform, task) == 3
    assert members(db, task)["zhangsan"].status == "sent"
    assert members(db, task)["lisi"].status == "unsent"
    assert targets(db, task) == {"wmC1": "delivered", "wmC2": "not_friend", "wmC3": "limit", "wmC4": "unsent",
                                 "wmC5": "unsent"}
    rows = ledger_rows(db, task)
    assert rows["wmC1"] == "delivered" and rows["wmC2"] == "failed" and rows["wmC3"] == "failed"
    assert rows["wmC4"] == "queued"
    # polling again changes nothing (forward only, idempotent)
    poll(db, platform, task)
    assert targets(db, task)["wmC1"] == "delivered"


def test_progress_text_counts_unsent_members_and_their_customers(db, platform, mass_env, client, wecom_admin):
    """Acceptance 18: 3 members, 1 sent: "待2名成员发送给Y个客户" with Y the customers of the other 2."""
    task = dispatch_now(db, new_send(db, mass_env.tenant))
    mass_env.groupmsg.send(msgid_of(db, task, "zhangsan"), "zhangsan")
    poll(db, platform, task)
    progress = service.progress(db, [task.id])[task.id]
    assert (progress.members_unsent, progress.targets_unsent) == (2, 2)
    wecom_admin(mass_env.tenant)
    client.get("/lang/zh_CN")
    page = client.get(f"/t/{mass_env.tenant.slug}/wecom/masssend/{task.id}").get_data(as_text=True)
    assert "待2名成员发送给2个客户" in page
    mass_env.groupmsg.send_all()
    poll(db, platform, task)
    page = client.get(f"/t/{mass_env.tenant.slug}/wecom/masssend/{task.id}").get_data(as_text=True)
    assert "全部成员已发送" in page
    assert results.done(db, db.get(type(task), task.id))


def test_remind_only_unsent_members_and_not_after_all_sent(db, platform, mass_env):
    """Acceptance 19."""
    task = dispatch_now(db, new_send(db, mass_env.tenant))
    mass_env.groupmsg.send(msgid_of(db, task, "zhangsan"), "zhangsan")
    poll(db, platform, task)
    mass_env.control.clear_calls()
    assert results.remind(db, platform, db.get(type(task), task.id)) == 2
    reminded = {c["body"]["msgid"] for c in mass_env.control.calls("/cgi-bin/externalcontact/remind_groupmsg_send")}
    assert reminded == {msgid_of(db, task, "lisi"), msgid_of(db, task, "wangwu")}
    mass_env.groupmsg.send_all()
    poll(db, platform, task)
    with pytest.raises(results.ActionRefused) as refused:
        results.remind(db, platform, db.get(type(task), task.id))
    assert refused.value.code == "NOTHING_TO_REMIND"


def test_three_reminders_a_day_then_refused(db, platform, mass_env):
    task = dispatch_now(db, new_send(db, mass_env.tenant))
    for _ in range(results.REMINDS_PER_DAY):
        assert results.remind(db, platform, db.get(type(task), task.id)) == 3
    with pytest.raises(results.ActionRefused) as refused:
        results.remind(db, platform, db.get(type(task), task.id))
    assert refused.value.code == "REMIND_LIMIT"


def test_cancel_after_dispatch_stops_unsent_members(db, platform, mass_env):
    task = dispatch_now(db, new_send(db, mass_env.tenant))
    mass_env.groupmsg.send(msgid_of(db, task, "zhangsan"), "zhangsan")
    poll(db, platform, task)
    results.cancel(db, platform, db.get(type(task), task.id))
    task = db.get(type(task), task.id)
    assert task.status == TaskStatus.CANCELLED
    assert members(db, task)["lisi"].status == "cancelled" and members(db, task)["zhangsan"].status == "sent"
    assert targets(db, task)["wmC4"] == "cancelled" and targets(db, task)["wmC1"] == "delivered"
    assert ledger_rows(db, task)["wmC4"] == "skipped"
    templates = {t["sender"]: t for t in mass_env.groupmsg.templates()}
    assert templates["lisi"]["tasks"]["lisi"]["cancelled"] is True
    with pytest.raises(results.ActionRefused):
        results.cancel(db, platform, task)


def test_wecom_refusing_a_member_fails_that_member_only(db, mass_env):
    mass_env.control.fail_next("/cgi-bin/externalcontact/add_msg_template", 60111)
    task = dispatch_now(db, new_send(db, mass_env.tenant))
    failed = [m for m in members(db, task).values() if m.status == "failed"]
    assert len(failed) == 1 and failed[0].error == "60111"
    assert task.status == TaskStatus.SENT
    statuses = targets(db, task)
    assert list(statuses.values()).count("failed") == failed[0].target_count
