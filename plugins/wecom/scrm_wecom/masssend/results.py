"""Results of a dispatched mass send (J "Mass-send result polling"), reminders and cancelling.

``poll`` reads, for every member task, ``get_groupmsg_task`` (did the employee send: status 2, ``send_time``) and,
for the members who sent, ``get_groupmsg_send_result`` (per customer or chat: 1 sent, 2 not a friend, 3 already
received a mass message), ``CONCURRENCY`` members at a time. ``ingest`` applies the per-target results in set-based
SQL: on PostgreSQL the rows are copied (``COPY``) into a temporary table and applied with two ``UPDATE … FROM``
(recipients, ledger rows); elsewhere with one batched ``UPDATE`` per table. Only forward moves: a target WeCom
reported is never set back to unsent.

A durable schedule per send (``wecom.masssend.poll:<task>``) polls every ``POLL_EVERY`` seconds and stops when every
member sent and every target has its result, when the send is cancelled, or ``POLL_FOR`` after the dispatch (WeCom
keeps an unsent task for the employee, but the brand stops waiting; the detail page has "Refresh results").
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, exists, func, or_, select, text, update
from sqlmodel import Session

from scrm.sdk import (
    DeliveryStatus,
    MessageDelivery,
    actor,
    cancel_schedule,
    current_bus,
    job_session,
    schedule,
    utcnow,
)
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import AccountNotConfigured, find_account
from ..client import WeComClient, WeComUnavailable
from .dispatch import ledger_key_prefix
from .models import MassMember, MassRecipient, MassTask, MemberStatus, RecipientStatus, TaskStatus

log = logging.getLogger(__name__)

CONCURRENCY = 24
POLL_EVERY = 600
POLL_FOR = timedelta(days=3)
REMINDS_PER_DAY = 3
WECOM_STATUS = {1: RecipientStatus.DELIVERED, 2: RecipientStatus.NOT_FRIEND, 3: RecipientStatus.LIMIT}
LEDGER_CODE = {RecipientStatus.NOT_FRIEND.value: "not_friend", RecipientStatus.LIMIT.value: "limit_reached"}
_R = MassRecipient.__table__.c
_M = MassMember.__table__.c
_L = MessageDelivery.__table__.c


def poll_key(task_id: int) -> str:
    return f"wecom.masssend.poll:{task_id}"


def schedule_polling(session: Session, task: MassTask) -> None:
    if task.status == TaskStatus.SENT:
        schedule(session, "scrm_wecom.masssend.results.poll_results", utcnow() + timedelta(seconds=POLL_EVERY),
                 tenant_id=task.tenant_id, kwargs={"task_id": task.id}, key=poll_key(task.id),
                 interval_seconds=POLL_EVERY)


def _epoch(value: Any) -> datetime | None:
    try:
        seconds = int(value or 0)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None


# -- ingestion -------------------------------------------------------------------------------------------------------


def ingest(session: Session, tenant_id: int, task_id: int, rows: Iterable[tuple[str, int, Any]]) -> int:
    """Apply WeCom's per-target results ``(target, status 0..3, send_time)`` of one send; returns the rows given
    with a final status. Flushes, does not commit."""
    final = [(str(target), WECOM_STATUS[int(status)].value, _epoch(sent)) for target, status, sent in rows
             if int(status or 0) in WECOM_STATUS]
    if not final:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        _ingest_copy(session, tenant_id, task_id, final)
    else:
        _ingest_batched(session, tenant_id, task_id, final)
    return len(final)


def _ingest_copy(session: Session, tenant_id: int, task_id: int, final: list[tuple[str, str, datetime | None]]):
    connection = session.connection()
    connection.execute(text("CREATE TEMP TABLE IF NOT EXISTS wecom_mass_result_stage "
                            "(target varchar(64), status varchar(12), sent_at timestamptz) ON COMMIT DELETE ROWS"))
    connection.execute(text("TRUNCATE wecom_mass_result_stage"))
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy("COPY wecom_mass_result_stage (target, status, sent_at) FROM STDIN") \
            as copy:
        for row in final:
            copy.write_row(row)
    connection.execute(text("ANALYZE wecom_mass_result_stage"))  # a temporary table has no statistics otherwise
    connection.execute(text(
        "UPDATE wecom_mass_recipient r SET status = s.status, sent_at = COALESCE(s.sent_at, r.sent_at) "
        "FROM wecom_mass_result_stage s WHERE r.task_id = :task AND r.target = s.target "
        "AND r.status IN ('unsent', 'cancelled') AND r.status <> s.status"), {"task": task_id})
    connection.execute(text(
        "UPDATE message_delivery d SET status = (CASE WHEN s.status = 'delivered' THEN 'DELIVERED' ELSE 'FAILED' END)"
        "::deliverystatus, "
        "error_code = CASE s.status WHEN 'not_friend' THEN 'not_friend' WHEN 'limit' THEN 'limit_reached' END, "
        "sent_at = CASE WHEN s.status = 'delivered' THEN COALESCE(s.sent_at, now()) END, "
        "delivered_at = CASE WHEN s.status = 'delivered' THEN COALESCE(s.sent_at, now()) END "
        "FROM wecom_mass_result_stage s WHERE d.tenant_id = :tenant AND d.task_ref = :ref AND d.recipient = s.target "
        "AND d.status IN ('QUEUED', 'SKIPPED')"), {"tenant": tenant_id, "ref": f"wecom_mass:{task_id}"})


def _ingest_batched(session: Session, tenant_id: int, task_id: int, final: list[tuple[str, str, datetime | None]]):
    now = utcnow()
    session.execute(update(MassRecipient.__table__).where(
        _R.task_id == task_id, _R.target == bindparam("t"), or_(
            _R.status == RecipientStatus.UNSENT.value, _R.status == RecipientStatus.CANCELLED.value)).values(
        status=bindparam("s"), sent_at=bindparam("at")), [{"t": t, "s": s, "at": at} for t, s, at in final])
    prefix = ledger_key_prefix(task_id)
    delivered = [{"k": prefix + t, "at": at or now} for t, s, at in final if s == RecipientStatus.DELIVERED.value]
    failed = [{"k": prefix + t, "code": LEDGER_CODE[s]} for t, s, _at in final if s != RecipientStatus.DELIVERED.value]
    pending = or_(_L.status == DeliveryStatus.QUEUED, _L.status == DeliveryStatus.SKIPPED)
    if delivered:
        session.execute(update(MessageDelivery.__table__).where(
            _L.tenant_id == tenant_id, _L.idempotency_key == bindparam("k"), pending).values(
            status=DeliveryStatus.DELIVERED.value, sent_at=bindparam("at"), delivered_at=bindparam("at")), delivered)
    if failed:
        session.execute(update(MessageDelivery.__table__).where(
            _L.tenant_id == tenant_id, _L.idempotency_key == bindparam("k"), pending).values(
            status=DeliveryStatus.FAILED.value, error_code=bindparam("code")), failed)


# -- polling ---------------------------------------------------------------------------------------------------------


def _read_member(client: WeComClient, msgids: list[str], userid: str) -> tuple[datetime | None, list[tuple]]:
    """(send time when the member sent, [(target, status, send_time)]) of one member's tasks."""
    sent_at: datetime | None = None
    sent_all = bool(msgids)
    results: list[tuple] = []
    for msgid in msgids:
        cursor, mine = "", None
        while True:
            page, cursor = client.get_groupmsg_task(msgid, cursor)
            mine = next((t for t in page if t.get("userid") == userid), mine)
            if not cursor:
                break
        if mine is None or int(mine.get("status") or 0) != 2:
            sent_all = False
            continue
        sent_at = sent_at or _epoch(mine.get("send_time")) or utcnow()
        cursor = ""
        while True:
            page, cursor = client.get_groupmsg_send_result(msgid, userid, cursor)
            results.extend((r.get("external_userid") or r.get("chat_id") or "", r.get("status"), r.get("send_time"))
                           for r in page)
            if not cursor:
                break
    return (sent_at if sent_all else None), results


def poll(session: Session, platform: Any, task: MassTask, concurrency: int = CONCURRENCY) -> int:
    """Read and apply the results of every member of ``task`` (commits); returns the target results applied."""
    members = list(session.execute(select(_M.id, _M.account_id, _M.userid, _M.msgids, _M.status).where(
        _M.task_id == task.id, _M.status.in_([MemberStatus.UNSENT.value, MemberStatus.SENT.value]))).all())
    pending = {(row[0], row[1]) for row in session.execute(select(_R.account_id, _R.userid).where(
        _R.task_id == task.id, _R.status == RecipientStatus.UNSENT.value).distinct())}
    todo = [m for m in members if m.msgids and (m.status == MemberStatus.UNSENT or
                                                (m.account_id, m.userid) in pending)]
    by_account: dict[int, list] = {}
    for member in todo:
        by_account.setdefault(member.account_id, []).append(member)
    session.commit()
    sent: list[dict[str, Any]] = []
    rows: list[tuple] = []
    for account_id, group in by_account.items():
        account = find_account(session, task.tenant_id, account_id)
        if account is None:
            continue
        with WeComClient.for_account(account, platform) as client:
            def read(member):
                try:
                    return member, _read_member(client, list(member.msgids), member.userid)
                except (WeChatAPIError, WeComUnavailable, AccountNotConfigured) as exc:
                    log.warning("mass send %s: results of %s not read: %s", task.id, member.userid, exc)
                    return member, (None, [])

            with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(group)))) as pool:
                for member, (sent_at, results) in pool.map(read, group):
                    if sent_at is not None and member.status == MemberStatus.UNSENT:
                        sent.append({"mid": member.id, "at": sent_at})
                    rows.extend(results)
    if sent:
        session.execute(update(MassMember.__table__).where(_M.id == bindparam("mid")).values(
            status=MemberStatus.SENT.value, sent_at=bindparam("at")), sent)
    applied = ingest(session, task.tenant_id, task.id, rows)
    task = session.get(MassTask, task.id)
    task.polled_at = utcnow()
    session.add(task)
    session.commit()
    return applied


def done(session: Session, task: MassTask, now: datetime | None = None) -> bool:
    """Whether polling can stop: cancelled or failed, every member sent with every target settled, or too old."""
    if task.status != TaskStatus.SENT:
        return True
    if task.dispatched_at and (now or utcnow()) - task.dispatched_at > POLL_FOR:
        return True
    waiting = session.execute(select(func.count()).where(_M.task_id == task.id,
                                                         _M.status == MemberStatus.UNSENT.value)).scalar_one()
    unsettled = session.execute(select(func.count()).where(_R.task_id == task.id,
                                                           _R.status == RecipientStatus.UNSENT.value)).scalar_one()
    return not waiting and not unsettled


@actor(max_retries=0, time_limit=3_600_000)
def poll_results(tenant_id: int, *, task_id: int) -> None:
    """Poll one send's results; stop the schedule when nothing is left to learn."""
    with job_session() as session:
        task = session.execute(select(MassTask).where(MassTask.id == task_id, MassTask.tenant_id == tenant_id)
                               ).scalar_one_or_none()
        if task is None:
            cancel_schedule(session, poll_key(task_id))
            session.commit()
            return
        if task.status == TaskStatus.SENT:
            poll(session, current_bus().platform, task)
        if done(session, task):
            cancel_schedule(session, poll_key(task_id))
            session.commit()


# -- reminders and cancelling ------------------------------------------------------------------------------------------


class ActionRefused(ValueError):
    """``code``: NOTHING_TO_REMIND, REMIND_LIMIT, NOT_CANCELLABLE; ``message`` translated by the caller."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


def unsent_members(session: Session, task: MassTask) -> list[MassMember]:
    return list(session.execute(select(MassMember).where(
        MassMember.task_id == task.id, MassMember.status == MemberStatus.UNSENT)).scalars())


def _recent(times: list[Any], now: datetime) -> list[str]:
    out = []
    for value in times or []:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            continue
        if now - moment < timedelta(hours=24):
            out.append(moment.isoformat())
    return out


def remind(session: Session, platform: Any, task: MassTask, now: datetime | None = None) -> int:
    """提醒发送 (spec 3.4 Remind, acceptance 19): WeCom reminds every member who has not sent (one call per member
    task). Refused when every member sent, or after ``REMINDS_PER_DAY`` reminders in 24 hours. Returns the members
    reminded. Commits."""
    now = now or utcnow()
    members = [m for m in unsent_members(session, task) if m.msgids] if task.status == TaskStatus.SENT else []
    if not members:
        raise ActionRefused("NOTHING_TO_REMIND")
    if all(len(_recent(m.reminded_at, now)) >= REMINDS_PER_DAY for m in members):
        raise ActionRefused("REMIND_LIMIT")
    reminded = 0
    for account_id in sorted({m.account_id for m in members}):
        account = find_account(session, task.tenant_id, account_id)
        if account is None:
            continue
        with WeComClient.for_account(account, platform) as client:
            for member in [m for m in members if m.account_id == account_id]:
                recent = _recent(member.reminded_at, now)
                if len(recent) >= REMINDS_PER_DAY:
                    continue
                try:
                    for msgid in member.msgids:
                        client.remind_groupmsg_send(msgid)
                except WeChatAPIError as exc:
                    log.warning("mass send %s: reminder to %s refused: %s", task.id, member.userid, exc)
                    continue
                member.reminded_at = [*recent, now.isoformat()]
                session.add(member)
                reminded += 1
    session.commit()
    return reminded


def cancel(session: Session, platform: Any, task: MassTask, now: datetime | None = None) -> None:
    """取消: a scheduled send not yet dispatched is cancelled (nothing goes out at its time); a dispatched one stops
    for the members who have not sent (``cancel_groupmsg_send``), their targets ``cancelled`` and their ledger rows
    skipped (no longer counted against the limits). Refused for a send already cancelled, failed, or fully sent.
    Commits."""
    from .service import dispatch_key

    if task.status == TaskStatus.PENDING:
        cancel_schedule(session, dispatch_key(task.id))
    elif task.status == TaskStatus.SENT:
        members = unsent_members(session, task)
        if not members:
            raise ActionRefused("NOT_CANCELLABLE")
        for account_id in sorted({m.account_id for m in members}):
            account = find_account(session, task.tenant_id, account_id)
            if account is None:
                continue
            with WeComClient.for_account(account, platform) as client:
                for member in [m for m in members if m.account_id == account_id]:
                    for msgid in member.msgids:
                        client.cancel_groupmsg_send(msgid)
        ids = [m.id for m in members]
        session.execute(update(MassMember.__table__).where(_M.id.in_(ids)).values(status=MemberStatus.CANCELLED.value))
        session.execute(update(MassRecipient.__table__).where(
            _R.task_id == task.id, _R.status == RecipientStatus.UNSENT.value, exists().where(
                _M.task_id == _R.task_id, _M.account_id == _R.account_id, _M.userid == _R.userid,
                _M.status == MemberStatus.CANCELLED.value)).values(
            status=RecipientStatus.CANCELLED.value))
        targets = select(_R.target).where(_R.task_id == task.id, _R.status == RecipientStatus.CANCELLED.value)
        session.execute(update(MessageDelivery.__table__).where(
            _L.tenant_id == task.tenant_id, _L.task_ref == f"wecom_mass:{task.id}",
            _L.status == DeliveryStatus.QUEUED.value,
            _L.recipient.in_(targets)).values(status=DeliveryStatus.SKIPPED.value, error_code="cancelled"))
        cancel_schedule(session, poll_key(task.id))
    else:
        raise ActionRefused("NOT_CANCELLABLE")
    task.status = TaskStatus.CANCELLED
    task.cancelled_at = now or utcnow()
    session.add(task)
    session.commit()
