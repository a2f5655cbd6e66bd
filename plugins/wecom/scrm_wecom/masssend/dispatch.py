"""Dispatch of a mass send: the recipients written in set-based SQL, then one ``add_msg_template`` task per sending
employee, the calls made concurrently (spec 3.4 / 3.5, J "Scheduled mass sends").

1. ``materialise`` (one transaction, committed before WeCom is called): ``INSERT … SELECT`` of the planned targets
   (status ``unsent``, or ``limit`` over a frequency limit), the exclusion decision (``excluded``), one member row
   per sending employee (``INSERT … SELECT … GROUP BY``; a recipient's member is the one of its account and
   sender userid), and a ledger row per target
   (``message_delivery``, kind ``mass`` / ``mass_group``, ``task_ref`` ``wecom_mass:<id>``, key
   ``wecom_mass:<id>:<target>``, no purpose: the outbound relay never sends it, WeCom's employee does).
2. ``send_members``: per member ``add_msg_template`` (``chat_type`` single with its customers' ``external_userid``,
   or group with its ``chat_id_list``; at most 10,000 / 2,000 per call), ``CONCURRENCY`` calls at a time. Targets in
   WeCom's ``fail_list`` become ``not_friend``; a member whose call WeCom refused fails with the code, its targets
   ``failed`` (their ledger rows too, so they do not count against the limits).
A member that already has its ``msgids`` is never called again (a re-run after a crash sends the rest only).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from sqlalchemy import (
    String,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    update,
)
from sqlmodel import Session

from scrm.sdk import DeliveryStatus, MessageDelivery, Tenant, current_bus, utcnow
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import AccountNotConfigured, SecretKind, find_account
from ..client import WeComClient, WeComUnavailable
from ..rules.settings import limits
from . import planning
from .models import ChatType, MassMember, MassRecipient, MassTask, MemberStatus, RecipientStatus, TaskStatus

log = logging.getLogger(__name__)

CONCURRENCY = 24
MAX_CUSTOMERS_PER_CALL = 10_000
MAX_CHATS_PER_CALL = 2_000
_R = MassRecipient.__table__.c
_M = MassMember.__table__.c
_L = MessageDelivery.__table__.c


def ledger_key_prefix(task_id: int) -> str:
    return f"wecom_mass:{task_id}:"


def materialise(session: Session, tenant: Tenant, task: MassTask, now: datetime) -> dict[str, int]:
    """Write the send's recipients, members and ledger rows (see the module). Flushes; returns counts by status.

    The status of each target is decided in the ``INSERT … SELECT`` itself: over a frequency limit ``limit``, named
    by an exclusion query (``customer_exclusion_query``) ``excluded``, else ``unsent``. On PostgreSQL the ledger rows
    are written by the same statement (``WITH recipient AS (INSERT … RETURNING …) INSERT INTO message_delivery …``:
    one pass, the recipients are not read back); elsewhere by a second ``INSERT … SELECT`` from the recipients."""
    rules = limits(session, tenant.id)
    group = task.chat_type == ChatType.GROUP
    planned = planning.with_limits(planning.candidates_of(session, tenant, task.chat_type, task.audience or {}),
                                   tenant.id, task.chat_type, now, rules).subquery("planned")
    queries, asked = ([], set()) if group else planning.exclusion_queries(session, tenant)
    decisions = [(planned.c.over_limit == 1, literal(RecipientStatus.LIMIT.value))]
    if queries:
        decisions.append((planning.excluded_by_queries(planned.c.customer_id, queries),
                          literal(RecipientStatus.EXCLUDED.value)))
    status_text = case(*decisions, else_=literal(RecipientStatus.UNSENT.value))
    columns = ["tenant_id", "task_id", "employee_id", "account_id", "userid",
               "group_chat_id" if group else "customer_id", "target", "status"]
    source = select(literal(tenant.id), literal(task.id), planned.c.employee_id, planned.c.account_id,
                    planned.c.userid, planned.c.group_chat_id if group else planned.c.customer_id, planned.c.target,
                    status_text)
    recipients = insert(MassRecipient.__table__).from_select(columns, source)
    one_pass = session.get_bind().dialect.name == "postgresql"
    if one_pass:
        written = recipients.returning(_R.account_id, _R.customer_id, _R.target, _R.status).cte("recipient")
        session.execute(_ledger_insert(tenant.id, task, now, written.c).add_cte(written))
    else:
        session.execute(recipients)
    if not group:
        ids = list(session.execute(select(_R.customer_id).where(
            _R.task_id == task.id, _R.status == RecipientStatus.UNSENT)).scalars()) \
            if planning.other_exclusion_plugins(session, tenant, asked) else []
        excluded = sorted(planning.excluded_customers(session, tenant, ids, skip=asked))
        for index in range(0, len(excluded), 5000):
            chunk = excluded[index:index + 5000]
            session.execute(update(MassRecipient.__table__).where(
                _R.task_id == task.id, _R.customer_id.in_(chunk)).values(status=RecipientStatus.EXCLUDED))
            if one_pass:  # their ledger rows were written with the recipients: an excluded customer has none
                session.execute(delete(MessageDelivery.__table__).where(
                    _L.tenant_id == tenant.id, _L.task_ref == planning.task_ref(task.id), _L.customer_id.in_(chunk)))
    unsent = select(literal(tenant.id), literal(task.id), func.min(_R.employee_id), _R.account_id, _R.userid,
                    literal(MemberStatus.UNSENT.value), func.count(), literal_column("'[]'"),
                    literal_column("'[]'"), literal(""))
    session.execute(insert(MassMember.__table__).from_select(
        ["tenant_id", "task_id", "employee_id", "account_id", "userid", "status", "target_count", "msgids",
         "reminded_at", "error"],
        unsent.where(_R.task_id == task.id, _R.status == RecipientStatus.UNSENT).group_by(_R.account_id, _R.userid)))
    if not one_pass:
        session.execute(_ledger_insert(tenant.id, task, now, _R, _R.task_id == task.id))
    counts = dict(session.execute(select(_R.status, func.count()).where(_R.task_id == task.id)
                                  .group_by(_R.status)).all())
    reached = sum(counts.values())
    if group:
        task.matched = reached
    else:
        task.matched = int(session.execute(select(func.count()).select_from(
            planning.customer_audience(session, tenant, task.audience or {}).subquery())).scalar_one())
    task.targeted = counts.get(RecipientStatus.UNSENT, 0)
    task.excluded_limit = counts.get(RecipientStatus.LIMIT, 0)
    task.excluded_rule = counts.get(RecipientStatus.EXCLUDED, 0)
    task.no_friend = max(0, task.matched - reached)
    session.add(task)
    session.flush()
    return counts


def _ledger_insert(tenant_id: int, task: MassTask, now: datetime, rows: Any, *where: Any):
    """``INSERT INTO message_delivery … SELECT`` one queued row per unsent recipient of ``rows`` (the recipients
    table, or the rows the recipients' ``INSERT … RETURNING`` wrote)."""
    group = task.chat_type == ChatType.GROUP
    ledger = select(literal(tenant_id), literal(planning.CHANNEL), rows.account_id, rows.customer_id, rows.target,
                    literal(planning.KIND_GROUP if group else planning.KIND_SINGLE),
                    literal(planning.task_ref(task.id)), literal(ledger_key_prefix(task.id)) + cast(rows.target, String),
                    cast(literal(DeliveryStatus.QUEUED.name), _L.status.type), literal_column("'{}'"), literal(0),
                    literal(now))
    return insert(MessageDelivery.__table__).from_select(
        ["tenant_id", "channel", "account_id", "customer_id", "recipient", "kind", "task_ref", "idempotency_key",
         "status", "message", "attempts", "created_at"],
        ledger.where(*where, rows.status == RecipientStatus.UNSENT))


def _content(session: Session, tenant_id: int, task: MassTask, client: WeComClient) -> list[dict[str, Any]]:
    """The WeCom attachments of the send's materials (uploaded as media by the material centre when used)."""
    if not task.attachment_ids:
        return []
    from ..materials import attachments  # the material centre (same plugin)

    return list(attachments.wecom_attachments(session, tenant_id, [int(i) for i in task.attachment_ids], client))


def _settle_failed(session: Session, tenant_id: int, task_id: int, targets: list[str], status: RecipientStatus,
                   code: str) -> None:
    """Targets WeCom will not send to: the recipient's status and its ledger row failed (not counted)."""
    prefix = ledger_key_prefix(task_id)
    for index in range(0, len(targets), 5000):
        chunk = targets[index:index + 5000]
        session.execute(update(MassRecipient.__table__).where(_R.task_id == task_id, _R.target.in_(chunk)).values(
            status=status))
        session.execute(update(MessageDelivery.__table__).where(
            _L.tenant_id == tenant_id, _L.idempotency_key.in_([prefix + t for t in chunk])).values(
            status=DeliveryStatus.FAILED.value, error_code=code))


def send_members(session: Session, platform: Any, tenant: Tenant, task: MassTask,
                 concurrency: int = CONCURRENCY) -> None:
    """Create the WeCom task of every member still without one (commits after the calls)."""
    group = task.chat_type == ChatType.GROUP
    members = list(session.execute(select(_M.id, _M.account_id, _M.userid).where(
        _M.task_id == task.id, _M.status == MemberStatus.UNSENT, func.length(cast(_M.msgids, String)) <= 2)).all())
    if not members:
        return
    member_of = {(account_id, userid): member_id for member_id, account_id, userid in members}
    targets: dict[int, list[str]] = defaultdict(list)
    for account_id, userid, target in session.execute(select(_R.account_id, _R.userid, _R.target).where(
            _R.task_id == task.id, _R.status == RecipientStatus.UNSENT)):
        member_id = member_of.get((account_id, userid))
        if member_id is not None:
            targets[member_id].append(target)
    size = MAX_CHATS_PER_CALL if group else MAX_CUSTOMERS_PER_CALL
    by_account: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for member_id, account_id, userid in members:
        by_account[account_id].append((member_id, userid))
    outcomes: dict[int, tuple[list[str], list[str], str]] = {}
    for account_id, rows in by_account.items():
        account = find_account(session, tenant.id, account_id)
        if account is None:
            for member_id, _userid in rows:
                outcomes[member_id] = ([], [], "no_account")
            continue
        with WeComClient.for_account(account, platform) as client:
            try:
                attachments = _content(session, tenant.id, task, client)
                client.access_token(SecretKind.CONTACT)  # once, before the concurrent calls
            except (WeChatAPIError, WeComUnavailable, AccountNotConfigured, ValueError) as exc:
                # ValueError: the material centre could not make a material an attachment (AttachmentError)
                code = getattr(exc, "errcode", "") or ("attachment" if isinstance(exc, ValueError) else "unavailable")
                for member_id, _userid in rows:
                    outcomes[member_id] = ([], [], str(code))
                continue
            session.commit()  # no transaction held while WeCom answers

            def call(row: tuple[int, str], attachments=attachments, client=client
                     ) -> tuple[int, tuple[list[str], list[str], str]]:
                member_id, userid = row
                ids, failed = [], []
                chunked = targets.get(member_id, [])
                try:
                    for index in range(0, len(chunked), size):
                        part = chunked[index:index + size]
                        answer = client.add_msg_template(
                            sender=userid, chat_type=task.chat_type, text=task.text or None,
                            attachments=attachments, **({"chat_ids": part} if group else {"external_userids": part}))
                        ids.append(answer["msgid"])
                        failed.extend(answer.get("fail_list") or [])
                except WeChatAPIError as exc:
                    return member_id, (ids, failed, str(exc.errcode))
                except (WeComUnavailable, AccountNotConfigured) as exc:
                    log.warning("mass send %s: member %s not sent: %s", task.id, userid, exc)
                    return member_id, (ids, failed, "unavailable")
                return member_id, (ids, failed, "")

            with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(rows)))) as pool:
                outcomes.update(pool.map(call, rows))
    update_member = (update(MassMember.__table__).where(_M.id == bindparam("mid"))
                     .values(msgids=bindparam("ids"), status=bindparam("st"), error=bindparam("err")))
    session.execute(update_member, [
        {"mid": mid, "ids": ids, "st": MemberStatus.UNSENT if ids else MemberStatus.FAILED, "err": error[:200]}
        for mid, (ids, _failed, error) in outcomes.items()])
    not_friends = [target for _ids, failed, _error in outcomes.values() for target in failed]
    if not_friends:
        _settle_failed(session, tenant.id, task.id, not_friends, RecipientStatus.NOT_FRIEND, "not_friend")
    for mid, (ids, _failed, error) in outcomes.items():
        if not ids:
            _settle_failed(session, tenant.id, task.id, targets.get(mid, []), RecipientStatus.FAILED,
                           error or "failed")
    session.commit()


def finish(session: Session, task: MassTask) -> None:
    """The task's status after the calls: sent when some member has a WeCom task, else failed."""
    created = session.execute(select(func.count()).where(
        _M.task_id == task.id, _M.status != MemberStatus.FAILED)).scalar_one()
    task.status = TaskStatus.SENT if created else TaskStatus.FAILED
    if not created and not task.error:
        task.error = "no_recipient" if not task.targeted else "wecom_refused"
    task.dispatched_at = utcnow()
    session.add(task)
    session.commit()


def run(session: Session, task_id: int, tenant_id: int, due: str | None = None, now: datetime | None = None,
        concurrency: int = CONCURRENCY) -> MassTask | None:
    """Dispatch ``task_id`` if it is still pending (and due by ``due``, the time its schedule was for)."""
    task = session.execute(select(MassTask).where(MassTask.id == task_id, MassTask.tenant_id == tenant_id)
                           .with_for_update()).scalar_one_or_none()
    if task is None or task.status not in (TaskStatus.PENDING, TaskStatus.SENDING):
        return task
    if task.status == TaskStatus.PENDING:
        if due and task.send_at and task.send_at.isoformat()[:19] > due[:19]:
            return task  # an edited schedule: the newer job dispatches it
        tenant = session.get(Tenant, tenant_id)
        task.status = TaskStatus.SENDING
        materialise(session, tenant, task, now or utcnow())
        session.commit()
    tenant = session.get(Tenant, tenant_id)
    send_members(session, current_bus().platform, tenant, task, concurrency)
    finish(session, task)
    from .results import schedule_polling

    schedule_polling(session, task)
    session.commit()
    return task
