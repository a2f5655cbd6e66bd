"""Following WeCom transfers to their end (spec J2), and the cooperation with the members plugin.

* ``send_pending``: the waiting records not sent yet go to WeCom, grouped by (handover, takeover, message) in calls
  of at most 100 customers; a customer WeCom refuses ends ``failed`` with the error code. Inheritance uses
  ``resigned/transfer_customer`` when the handover member has left WeCom (status 5) and ``transfer_customer`` when
  WeCom only disabled them (status 2: still a member, so WeCom's resigned API refuses them).
* ``poll``: ``transfer_result`` / ``resigned/transfer_result`` for every group with waiting records. Inheritance:
  1 taken over (the owner becomes the takeover employee), 3 refused, 4 limit, 5 (or no entry 24 hours after the
  request: WeCom finishes inheritance within 24 hours) no record. On-the-job: 3 and 4 end
  the record at once; at ``effective_at`` (24 hours) a customer whose data changed after the request ends
  ``failed`` with the owner unchanged, else 1 hands the customer over, 5 (or no entry) ends ``no_record`` and 2 keeps
  waiting. The poll reschedules itself (a durable schedule per tenant) while records wait.
* ``transfer_failed``: WeCom's ``transfer_fail`` callback ends the record refused or limit at once.
* Every end publishes ``wecom.handover_finished`` {record_id, customer_id, kind, origin, status,
  from_employee_id, takeover_employee_id}. Records of origin "members" never change the owner here: the members
  plugin applies its own transfer at 24 hours and fails it when this event says it was not taken over.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session

from scrm.sdk import Customer, DomainEvent, Employee, ScheduledJob, publish, schedule, utcnow
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import AccountNotConfigured, find_account
from ..client import WeComClient
from ..sync.models import Follow, FollowStatus, SyncMember
from ..sync.org import LEFT_STATUS
from .handover import ONJOB_DELAY, owner_follows, recent_handovers, waiting_customer_ids
from .models import WECOM_STATUS, AssignmentRecord, Kind, Origin, Status

log = logging.getLogger(__name__)

CHUNK = 100
POLL_EVERY = timedelta(hours=1)
POLL_JOB = "scrm_wecom.assignment.jobs.poll_transfers"
FINISHED_EVENT = "wecom.handover_finished"
FAIL_REASONS = {"customer_refused": Status.REFUSED, "customer_limit_exceed": Status.LIMIT}
DATA_CHANGED = "customer data changed during the 24 hours"


def poll_key(tenant_id: int) -> str:
    return f"wecom.assignment.poll:{tenant_id}"


def schedule_poll(session: Session, tenant_id: int, due_at: datetime) -> None:
    """Make sure the tenant's poll runs at ``due_at`` at the latest (an earlier pending poll is kept)."""
    from . import jobs  # noqa: F401  (declares the actor the schedule names)

    job = session.execute(select(ScheduledJob).where(ScheduledJob.key == poll_key(tenant_id))).scalars().first()
    if job is not None and job.status == "pending" and job.due_at <= due_at:
        return
    schedule(session, POLL_JOB, due_at, tenant_id=tenant_id, key=poll_key(tenant_id))


def resume(session: Session, tenant_id: int, now: datetime | None = None) -> None:
    """After the plugin is enabled (again): poll at once when records still wait (a disabled plugin's jobs are
    skipped, so the poll may have lapsed), and make sure the periodic resigned-member check runs."""
    waiting = session.execute(select(AssignmentRecord.id).where(
        AssignmentRecord.tenant_id == tenant_id, AssignmentRecord.status == Status.WAITING.value).limit(1)).first()
    if waiting is not None:
        schedule_poll(session, tenant_id, now or utcnow())
    from .resigned import ensure_check

    ensure_check(session, tenant_id)


# -- ends --------------------------------------------------------------------------------------------------------------


def finish(session: Session, record: AssignmentRecord, status: Status, now: datetime, error: str = "") -> None:
    record.status = status.value
    record.finished_at = now
    record.error = error[:200]
    session.add(record)
    session.flush()
    publish(session, record.tenant_id, FINISHED_EVENT, {
        "record_id": record.id, "customer_id": record.customer_id, "kind": record.kind, "origin": record.origin,
        "status": record.status, "from_employee_id": record.from_employee_id,
        "takeover_employee_id": record.takeover_employee_id})


def _move_follow(session: Session, record: AssignmentRecord, now: datetime) -> None:
    """WeCom moved the friendship from the handover to the takeover member: mirror it in ``wecom_follow``."""
    if record.account_id is None:
        return
    old = session.execute(select(Follow).where(Follow.account_id == record.account_id,
                                               Follow.external_userid == record.external_userid,
                                               Follow.userid == record.handover_userid)).scalars().first()
    if old is None:
        return
    old.status, old.deleted_at, old.updated_at = FollowStatus.TRANSFERRED.value, now, now
    session.add(old)
    new = session.execute(select(Follow).where(Follow.account_id == record.account_id,
                                               Follow.external_userid == record.external_userid,
                                               Follow.userid == record.takeover_userid)).scalars().first()
    if new is None:
        new = Follow(tenant_id=record.tenant_id, account_id=record.account_id, customer_id=old.customer_id,
                     userid=record.takeover_userid, external_userid=record.external_userid, added_at=now)
    new.employee_id = record.takeover_employee_id
    new.status, new.deleted_at, new.churned_at, new.updated_at = FollowStatus.ACTIVE.value, None, None, now
    session.add(new)


def take_over(session: Session, record: AssignmentRecord, now: datetime) -> None:
    """WeCom completed the transfer: the relation moves; the owner changes (records started here)."""
    _move_follow(session, record, now)
    if record.origin == Origin.WECOM.value:
        session.execute(update(Customer).where(Customer.id == record.customer_id,
                                               Customer.tenant_id == record.tenant_id)
                        .values(owner_employee_id=record.takeover_employee_id, updated_at=now))
    finish(session, record, Status.TAKEN_OVER, now)


# -- sending -----------------------------------------------------------------------------------------------------------


def _groups(records: list[AssignmentRecord], *fields: str) -> dict[tuple, list[AssignmentRecord]]:
    groups: dict[tuple, list[AssignmentRecord]] = defaultdict(list)
    for record in records:
        groups[tuple(getattr(record, f) for f in fields)].append(record)
    return groups


def _client(session: Session, platform: Any, tenant_id: int, account_id: int | None) -> WeComClient | None:
    account = find_account(session, tenant_id, account_id) if account_id is not None else None
    return WeComClient.for_account(account, platform) if account is not None else None


def resigned_api(session: Session, record: AssignmentRecord) -> bool:
    """Whether WeCom's resigned-transfer API applies to ``record``: an inheritance whose handover member has left
    WeCom (status 5; a member the sync never saw counts as left). A disabled member (status 2) is still a member:
    their customers go through the on-the-job API."""
    if record.kind != Kind.RESIGNED_INHERIT.value:
        return False
    status = session.execute(select(SyncMember.wecom_status).where(
        SyncMember.tenant_id == record.tenant_id, SyncMember.account_id == record.account_id,
        SyncMember.userid == record.handover_userid)).scalars().first()
    return status is None or status == LEFT_STATUS


def send_pending(session: Session, platform: Any, tenant_id: int, now: datetime | None = None) -> int:
    """Send the tenant's unsent waiting records to WeCom; returns how many WeCom accepted. Commits per call."""
    records = list(session.execute(select(AssignmentRecord).where(
        AssignmentRecord.tenant_id == tenant_id, AssignmentRecord.status == Status.WAITING.value,
        AssignmentRecord.sent_at.is_(None), AssignmentRecord.account_id.is_not(None))
        .order_by(AssignmentRecord.id)).scalars())
    accepted = 0
    groups = _groups(records, "account_id", "kind", "handover_userid", "takeover_userid", "message")
    for (account_id, _kind, handover, takeover, message), group in groups.items():
        client = _client(session, platform, tenant_id, account_id)
        if client is None:
            for record in group:
                finish(session, record, Status.FAILED, now or utcnow(), "the WeCom account was removed")
            session.commit()
            continue
        with client:
            for start in range(0, len(group), CHUNK):
                chunk = group[start:start + CHUNK]
                when = now or utcnow()
                try:
                    results = client.transfer_customer(handover, takeover, [r.external_userid for r in chunk],
                                                       message or None, resigned=resigned_api(session, chunk[0]))
                except (WeChatAPIError, AccountNotConfigured) as exc:
                    error = f"{getattr(exc, 'errcode', '')} {getattr(exc, 'errmsg', '') or exc}".strip()
                    for record in chunk:
                        finish(session, record, Status.FAILED, when, error)
                    session.commit()
                    continue
                codes = {str(r.get("external_userid")): int(r.get("errcode") or 0) for r in results}
                for record in chunk:
                    code = codes.get(record.external_userid, -1)
                    if code == 0:
                        record.sent_at = when
                        session.add(record)
                        accepted += 1
                    else:
                        finish(session, record, Status.FAILED, when, f"WeCom error {code}")
                session.commit()
    if accepted:
        schedule_poll(session, tenant_id, (now or utcnow()) + POLL_EVERY)
    return accepted


# -- results -----------------------------------------------------------------------------------------------------------


def _read_statuses(client: WeComClient, handover: str, takeover: str, resigned: bool) -> dict[str, int]:
    statuses, cursor = {}, ""
    while True:
        rows, cursor = client.transfer_result(handover, takeover, cursor, resigned=resigned)
        statuses.update({str(r.get("external_userid")): int(r.get("status") or 0) for r in rows})
        if not cursor:
            return statuses


def _wecom_statuses(session: Session, client: WeComClient, group: list[AssignmentRecord]) -> dict[str, int]:
    """WeCom's transfer statuses of one (handover, takeover) group. For inheritance, the API the member's status
    gives first, then the other one for customers it lacks (the member may have been deleted after being disabled)."""
    first = group[0]
    resigned = resigned_api(session, first)
    statuses = _read_statuses(client, first.handover_userid, first.takeover_userid, resigned)
    if first.kind == Kind.RESIGNED_INHERIT.value and any(r.external_userid not in statuses for r in group):
        other = _read_statuses(client, first.handover_userid, first.takeover_userid, not resigned)
        statuses = {**other, **statuses}
    return statuses


def settle(session: Session, record: AssignmentRecord, wecom_status: int | None, now: datetime) -> None:
    """Apply WeCom's status of one waiting record (see the module's rules)."""
    status = WECOM_STATUS.get(wecom_status or 0)
    if record.kind == Kind.RESIGNED_INHERIT.value:
        if status is Status.TAKEN_OVER:
            take_over(session, record, now)
        elif status in (Status.REFUSED, Status.LIMIT, Status.NO_RECORD):
            finish(session, record, status, now)
        elif status is None and now >= (record.sent_at or record.assigned_at) + ONJOB_DELAY:
            finish(session, record, Status.NO_RECORD, now)
        return
    if status in (Status.REFUSED, Status.LIMIT):
        finish(session, record, status, now)
        return
    if record.effective_at is None or now < record.effective_at:
        return
    customer = session.get(Customer, record.customer_id)
    if customer is None or (customer.updated_at and customer.updated_at > record.assigned_at):
        finish(session, record, Status.FAILED, now, DATA_CHANGED)
    elif status is Status.TAKEN_OVER:
        take_over(session, record, now)
    elif status is not Status.WAITING:
        finish(session, record, Status.NO_RECORD, now)


def poll(session: Session, platform: Any, tenant_id: int, now: datetime | None = None) -> int:
    """Read WeCom's results for the tenant's sent waiting records; returns how many still wait."""
    now = now or utcnow()
    records = list(session.execute(select(AssignmentRecord).where(
        AssignmentRecord.tenant_id == tenant_id, AssignmentRecord.status == Status.WAITING.value,
        AssignmentRecord.sent_at.is_not(None)).order_by(AssignmentRecord.id)).scalars())
    for (account_id, *_pair), group in _groups(
            records, "account_id", "kind", "handover_userid", "takeover_userid").items():
        client = _client(session, platform, tenant_id, account_id)
        if client is None:
            for record in group:
                finish(session, record, Status.FAILED, now, "the WeCom account was removed")
            continue
        with client:
            statuses = _wecom_statuses(session, client, group)
        for record in group:
            settle(session, record, statuses.get(record.external_userid), now)
        session.commit()
    still = [r for r in records if r.status == Status.WAITING.value]
    if still:
        due = now + POLL_EVERY
        upcoming = [r.effective_at for r in still if r.effective_at is not None and r.effective_at > now]
        schedule_poll(session, tenant_id, min([due, *upcoming]))
    return len(still)


def transfer_failed(session: Session, tenant_id: int, payload: dict[str, Any], now: datetime | None = None) -> int:
    """WeCom's ``transfer_fail`` callback: the waiting record of that customer and member ends refused or limit."""
    ext, userid = str(payload.get("external_userid") or ""), str(payload.get("userid") or "")
    try:
        account_id = int(payload.get("account_id") or 0)
    except (TypeError, ValueError):
        return 0
    if not ext:
        return 0
    records = list(session.execute(select(AssignmentRecord).where(
        AssignmentRecord.tenant_id == tenant_id, AssignmentRecord.account_id == account_id,
        AssignmentRecord.external_userid == ext, AssignmentRecord.status == Status.WAITING.value)).scalars())
    matching = [r for r in records if userid in (r.takeover_userid, r.handover_userid)] or records
    status = FAIL_REASONS.get(str(payload.get("fail_reason") or ""), Status.FAILED)
    for record in matching:
        finish(session, record, status, now or utcnow(), str(payload.get("fail_reason") or ""))
    return len(matching)


# -- the members plugin ------------------------------------------------------------------------------------------------


def members_transferred(session: Session, event: DomainEvent, now: datetime | None = None) -> int:
    """``members.customers_transferred``: the pending WeCom friends are handed over in WeCom (origin "members");
    a customer who is not a WeCom friend of its owner ends ``failed`` at once. Idempotent by event id."""
    now = now or utcnow()
    payload = event.payload
    try:
        ids = [int(i) for i in payload.get("pending_customer_ids") or []]
        target = session.get(Employee, int(payload.get("to_employee_id") or 0))
    except (TypeError, ValueError):
        return 0
    if not ids or target is None or target.tenant_id != event.tenant_id:
        return 0
    seen = set(session.execute(select(AssignmentRecord.customer_id).where(
        AssignmentRecord.tenant_id == event.tenant_id, AssignmentRecord.source_event == event.event_id)).scalars())
    customers = [c for c in session.execute(select(Customer).where(
        Customer.tenant_id == event.tenant_id, Customer.id.in_(ids), Customer.merged_into_id.is_(None))
        .order_by(Customer.id)).scalars() if c.id not in seen]
    if not customers:
        return 0
    from .handover import _wecom_record

    requested = event.occurred_at or now
    follows = owner_follows(session, event.tenant_id, customers)
    created = 0
    for customer in customers:
        follow = follows.get(customer.id)
        if follow is None:
            record = AssignmentRecord(tenant_id=event.tenant_id, customer_id=customer.id,
                                      kind=Kind.ONJOB_TRANSFER.value, origin=Origin.MEMBERS.value,
                                      from_employee_id=customer.owner_employee_id, takeover_employee_id=target.id,
                                      status=Status.WAITING.value, assigned_at=requested,
                                      source_event=event.event_id)
            session.add(record)
            session.flush()
            finish(session, record, Status.FAILED, now, "not a WeCom friend of the owner")
            continue
        session.add(_wecom_record(event.tenant_id, customer, follow, target, Kind.ONJOB_TRANSFER, None, requested,
                                  origin=Origin.MEMBERS, effective_at=requested + ONJOB_DELAY,
                                  source_event=event.event_id))
        created += 1
    session.flush()
    return created


def exclusion_reason(session: Session, tenant_id: int, customer_id: int, now: datetime | None = None) -> str | None:
    """Why a transfer of ``customer_id`` elsewhere must wait: a handover still waiting for WeCom, or two handovers
    in the last 90 days (the WeCom limit, counting those started on the assignment screen)."""
    from flask_babel import gettext as _

    if waiting_customer_ids(session, tenant_id, [customer_id]):
        return _("a WeCom handover of this customer is still waiting")
    from .handover import ONJOB_MAX_IN_WINDOW

    if recent_handovers(session, tenant_id, [customer_id], now or utcnow()).get(customer_id, 0) >= ONJOB_MAX_IN_WINDOW:
        return _("this customer was already handed over twice in the last 90 days")
    return None
