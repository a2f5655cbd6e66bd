"""Stage reminders and their notifications.

A notification is a ``members_notification`` row for one employee. Sending it sets ``sent_at`` and publishes the
domain event ``members.notification`` (recipient employee id and userid, kind, text, customer) so that a channel
plugin can deliver it as a WeCom application message. With the master "Stage reminder" switch off nothing is
created, and a delayed notification still pending at its due time is cancelled instead of sent.

* Change reminders go out when ``stages.apply_changes`` moves customers: to the owner employee and/or the chosen
  admins, in real time or after the stage's delay (the row waits, due; a recurring job sends due rows).
* Follow-up reminders: each distinct send time (HH:MM:SS, local time) of the tenant's rules is a durable daily
  schedule; at that time every rule with that send time reminds about the customers whose stay in the stage (or time
  since their last contact: the latest timeline entry of a contact kind, ``scrm.sdk.timeline.contact_kinds()``, such
  as a WeCom friend added or a message sent, else the customer's creation)
  exceeds its days. Each customer is reminded once per stay and rule (per last contact for no-contact rules).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from scrm.sdk import Customer, CustomerEvent, Employee, cancel_schedule, publish, schedule, utcnow
from scrm.sdk.timeline import contact_kinds

from .models import (
    FollowUpCondition,
    Notification,
    ReminderMode,
    Stage,
    StageFollowUpRule,
    StageMembership,
    StageReminderSettings,
)
from .periods import local_now

NOTIFICATION_EVENT = "members.notification"
TIME_FORMAT = "%H:%M:%S"


def settings(session: Session, tenant_id: int) -> StageReminderSettings:
    row = session.execute(select(StageReminderSettings).where(
        StageReminderSettings.tenant_id == tenant_id)).scalar_one_or_none()
    if row is None:
        row = StageReminderSettings(tenant_id=tenant_id)
        session.add(row)
        session.flush()
    return row


def parse_send_time(raw: str) -> str:
    """``HH:MM`` or ``HH:MM:SS`` as ``HH:MM:SS``; raises ValueError."""
    text = (raw or "").strip()
    if len(text) == 5:
        text += ":00"
    if len(text) != 8:
        raise ValueError(f"'{raw}' is not a time of day (HH:MM:SS)")
    return time.fromisoformat(text).strftime(TIME_FORMAT)


def next_local_time(send_time: str, now: datetime) -> datetime:
    """The next moment (UTC, after ``now``) the local clock shows ``send_time``."""
    local = local_now(now)
    at = datetime.combine(local.date(), time.fromisoformat(send_time), local.tzinfo)
    if at <= local:
        at += timedelta(days=1)
    return at.astimezone(now.tzinfo)


def schedule_key(tenant_id: int, send_time: str) -> str:
    return f"members:stage_follow_up:{tenant_id}:{send_time.replace(':', '')}"


def ensure_follow_up_schedules(session: Session, tenant_id: int, actor_name: str) -> list[str]:
    """One daily schedule per distinct send time of the tenant's follow-up rules; stale ones are cancelled."""
    row = settings(session, tenant_id)
    wanted = sorted(set(session.execute(select(StageFollowUpRule.send_time).join(
        Stage, Stage.id == StageFollowUpRule.stage_id).where(
        StageFollowUpRule.tenant_id == tenant_id, Stage.follow_up_enabled.is_(True))).scalars()))
    for old in set(row.scheduled_times) - set(wanted):
        cancel_schedule(session, schedule_key(tenant_id, old))
    now = utcnow()
    for send_time in wanted:
        if send_time not in row.scheduled_times:
            schedule(session, actor_name, next_local_time(send_time, now), tenant_id=tenant_id,
                     kwargs={"send_time": send_time}, key=schedule_key(tenant_id, send_time), interval_seconds=86400)
    row.scheduled_times = wanted
    session.add(row)
    return wanted


def cancel_follow_up_schedules(session: Session, tenant_id: int) -> None:
    row = settings(session, tenant_id)
    for send_time in row.scheduled_times:
        cancel_schedule(session, schedule_key(tenant_id, send_time))
    row.scheduled_times = []
    session.add(row)


def _create(session: Session, tenant_id: int, *, recipient: int, kind: str, text: str, key: str,
            customer_id: int | None, stage_id: int | None, due_at: datetime) -> Notification | None:
    """Insert a notification unless its dedupe key exists."""
    try:
        with session.begin_nested():
            row = Notification(tenant_id=tenant_id, recipient_employee_id=recipient, kind=kind, text=text[:500],
                               dedupe_key=key[:120], customer_id=customer_id, stage_id=stage_id, due_at=due_at)
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def send(session: Session, notification: Notification, now: datetime | None = None) -> None:
    """Mark the notification sent and publish it for the channel plugins."""
    userid = session.execute(select(Employee.userid).where(
        Employee.id == notification.recipient_employee_id)).scalar()
    notification.status, notification.sent_at = "sent", now or utcnow()
    session.add(notification)
    publish(session, notification.tenant_id, NOTIFICATION_EVENT, {
        "notification_id": notification.id, "recipient_employee_id": notification.recipient_employee_id,
        "recipient_userid": userid, "kind": notification.kind, "text": notification.text,
        "customer_id": notification.customer_id, "stage_id": notification.stage_id})


def deliver_due(session: Session, tenant_id: int, now: datetime | None = None) -> int:
    """Send the tenant's pending notifications that are due (cancel them when the master switch is off)."""
    now = now or utcnow()
    due = list(session.execute(select(Notification).where(
        Notification.tenant_id == tenant_id, Notification.status == "pending", Notification.due_at <= now)
        .order_by(Notification.due_at, Notification.id).limit(5000)).scalars())
    enabled = settings(session, tenant_id).master_enabled
    for row in due:
        if enabled:
            send(session, row, now)
        else:
            row.status = "cancelled"
            session.add(row)
    return len(due) if enabled else 0


def _admins(session: Session, tenant_id: int, ids: list[int]) -> list[int]:
    if not ids:
        return []
    return list(session.execute(select(Employee.id).where(Employee.tenant_id == tenant_id,
                                                          Employee.id.in_(ids))).scalars())


def change_reminders(session: Session, tenant_id: int, changes: list, now: datetime | None = None) -> int:
    """Remind about stage changes (``stages.StageChange``) as the new stages configure. Returns how many rows."""
    row = settings(session, tenant_id)
    if not row.master_enabled or not changes:
        return 0
    now = now or utcnow()
    stages = {s.id: s for s in session.execute(select(Stage).where(Stage.tenant_id == tenant_id)).scalars()}
    admins = _admins(session, tenant_id, row.admin_employee_ids)
    ids = [c.customer_id for c in changes]
    customers = {c.id: c for c in session.execute(select(Customer).where(Customer.id.in_(ids))).scalars()} \
        if len(ids) <= 5000 else {}
    created = 0
    for change in changes:
        stage = stages.get(change.to_stage_id)
        if stage is None:
            continue
        customer = customers.get(change.customer_id) or session.get(Customer, change.customer_id)
        before = stages[change.from_stage_id].name if change.from_stage_id in stages else "-"
        text = f"Customer {customer.name or customer.id} moved from stage {before} to {stage.name}."
        targets: list[tuple[int, str, int]] = []
        if stage.change_employee and customer.owner_employee_id:
            delay = stage.change_employee_delay if stage.change_employee_mode == ReminderMode.DELAYED else 0
            targets.append((customer.owner_employee_id, "employee", delay))
        if stage.change_admin:
            delay = stage.change_admin_delay if stage.change_admin_mode == ReminderMode.DELAYED else 0
            targets += [(admin, "admin", delay) for admin in admins]
        for recipient, role, delay in targets:
            key = f"change:{change.customer_id}:{stage.id}:{role}:{recipient}:{now.isoformat()}"
            note = _create(session, tenant_id, recipient=recipient, kind="stage_change", text=text, key=key,
                           customer_id=change.customer_id, stage_id=stage.id,
                           due_at=now + timedelta(minutes=delay))
            if note is not None:
                created += 1
                if delay == 0:
                    send(session, note, now)
    return created


def _last_contact():
    """Correlated: the customer's latest timeline entry of a contact kind (``contact_kinds``: a follow-up, a message,
    a friend added; not a tag, a group chat move or a lost friend)."""
    kinds = contact_kinds()
    contact = or_(*(and_(CustomerEvent.plugin == plugin, CustomerEvent.kind == kind) for plugin, kind in kinds)) \
        if kinds else false()
    return (select(func.max(CustomerEvent.occurred_at))
            .where(CustomerEvent.customer_id == StageMembership.customer_id, contact)
            .scalar_subquery())


def follow_up(session: Session, tenant_id: int, send_time: str, now: datetime | None = None) -> int:
    """The follow-up reminders of every rule with ``send_time``. Returns how many notifications were sent."""
    row = settings(session, tenant_id)
    if not row.master_enabled:
        return 0
    now = now or utcnow()
    admins = _admins(session, tenant_id, row.admin_employee_ids)
    rules = session.execute(select(StageFollowUpRule, Stage).join(Stage, Stage.id == StageFollowUpRule.stage_id)
                            .where(StageFollowUpRule.tenant_id == tenant_id, StageFollowUpRule.send_time == send_time,
                                   Stage.follow_up_enabled.is_(True))).all()
    sent = 0
    for rule, stage in rules:
        threshold = now - timedelta(days=rule.days)
        last_contact = func.coalesce(_last_contact(), Customer.created_at)
        no_contact = rule.condition == FollowUpCondition.NO_CONTACT_TIME
        since_column = last_contact if no_contact else StageMembership.entered_at
        query = (select(StageMembership.id, StageMembership.customer_id, Customer.name, Customer.owner_employee_id,
                        since_column)
                 .join(Customer, and_(Customer.id == StageMembership.customer_id, Customer.merged_into_id.is_(None)))
                 .where(StageMembership.tenant_id == tenant_id, StageMembership.stage_id == stage.id,
                        StageMembership.left_at.is_(None)))
        if no_contact:
            query = query.where(last_contact <= threshold)
            label = "has had no contact for more than"
        else:
            query = query.where(StageMembership.entered_at <= threshold)
            label = "has been in the stage for more than"
        for membership_id, customer_id, name, owner, since in session.execute(query).all():
            recipients = ([("employee", owner)] if stage.follow_up_employee and owner else [])
            recipients += [("admin", a) for a in admins] if stage.follow_up_admin else []
            text = f"Follow up: customer {name or customer_id} ({stage.name}) {label} {rule.days} days."
            stamp = since.date().isoformat() if no_contact else ""
            for role, recipient in recipients:
                key = f"follow:{rule.id}:{membership_id}:{role}:{recipient}:{stamp}"
                note = _create(session, tenant_id, recipient=recipient, kind="stage_follow_up", text=text, key=key,
                               customer_id=customer_id, stage_id=stage.id, due_at=now)
                if note is not None:
                    send(session, note, now)
                    sent += 1
    return sent


__all__ = ["NOTIFICATION_EVENT", "cancel_follow_up_schedules", "change_reminders", "deliver_due",
           "ensure_follow_up_schedules", "follow_up", "next_local_time", "parse_send_time", "send",
           "settings"]
