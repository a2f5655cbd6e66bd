"""Churn reminders and deleted-user notifications, sent as WeCom app messages (``messaging``).

* Churn (the customer deleted the employee), when the reminder is on: a text card "Retain" to the employee when the
  customer's current stage is one of the employee stages, and one to the employee's superior
  (``Employee.superior_id``) for the superior stages. Nothing for other stages, nothing when the switch is off;
  an employee without a superior gets no superior reminder (logged and written to the audit log, not an error).
  Ledger keys ``wecom.churn:<loss>:employee`` and ``wecom.churn:<loss>:superior``.
* Deletion (the employee deleted the customer), when the notification is on: every event → one message per chosen
  admin per deletion (``wecom.deleted:<loss>:<admin>``); daily digest → nothing at once, and at 08:00 one message per
  admin covering the deletions since the previous digest (``wecom.deleted_digest:<tenant>:<first>-<last>:<admin>``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from html import escape

from sqlmodel import Session, select

from scrm.sdk import Customer, Employee, Tenant, actor, audit, current_zone, job_session

from ..messaging import Text, TextCard, queue_app_message
from ..messaging.content import DESCRIPTION_BYTES
from ..messaging.i18n import translator
from ..messaging.links import page_url
from ..messaging.outbound import account_for
from . import stages
from .models import DigestFrequency, FriendLoss, LossKind
from .settings import settings_of

log = logging.getLogger(__name__)

DIGEST_LINES = 10
MORE = '<div class="normal">…</div>'


def local_time(moment: datetime | None) -> str:
    return moment.astimezone(current_zone()).strftime("%Y-%m-%d %H:%M") if moment else "-"


def card_or_text(title: str, lines: list[str], url: str | None, button: str | None):
    """A text card when ``url`` is known (as many whole lines as fit WeCom's 512 bytes), else the same words as
    text."""
    if not url:
        return Text("\n".join([title, *lines]))
    parts: list[str] = []
    for index, line in enumerate(lines):
        part = f'<div class="{"gray" if index == 0 else "normal"}">{escape(line)}</div>'
        if len("".join([*parts, part, MORE]).encode("utf-8")) > DESCRIPTION_BYTES:
            parts.append(MORE)
            break
        parts.append(part)
    return TextCard(title=title, description="".join(parts), url=url, button=button)


def _stage_label(session: Session, tenant: Tenant, customer_id: int, stage_ids: list[int]) -> str | None:
    """The label of the chosen stage the customer is in, None when in none of them."""
    labels = dict(stages.stage_choices(session, tenant))
    for stage_id in stage_ids:
        if stages.in_stages(session, tenant, customer_id, [stage_id]):
            return str(labels.get(stage_id, stage_id))
    return None


def churn_reminders(session: Session, tenant: Tenant, loss: FriendLoss) -> int:
    """Queue the churn reminders of ``loss`` as configured; returns how many."""
    settings = settings_of(session, tenant.id)
    employee = session.get(Employee, loss.employee_id) if loss.employee_id else None
    if not settings.churn_enabled or employee is None:
        return 0
    customer = session.get(Customer, loss.customer_id)
    _ = translator()
    name = customer.name or loss.external_userid
    account = account_for(session, tenant.id, employee)
    url = page_url(account, f"/t/{tenant.slug}/wecom/churn/retain/{loss.id}")
    times = [_("Added: %(time)s", time=local_time(loss.added_at)), _("Lost: %(time)s", time=local_time(loss.lost_at))]
    targets: list[tuple[str, int, str]] = []
    stage = _stage_label(session, tenant, customer.id, settings.employee_stage_ids)
    if stage is not None:
        targets.append(("employee", employee.id, _("%(customer)s deleted you as a WeCom friend.", customer=name)))
    superior_stage = _stage_label(session, tenant, customer.id, settings.superior_stage_ids)
    if superior_stage is not None and employee.superior_id is None:
        log.info("churn %s: no superior reminder, employee %s has no superior", loss.id, employee.id)
        audit(session, "wecom.churn.superior_reminder_skipped", tenant_id=tenant.id, actor="system",
              target=f"churn:{loss.id}", detail={"employee_id": employee.id, "reason": "no superior"})
        superior_stage = None
    if superior_stage is not None:
        targets.append(("superior", employee.superior_id,
                        _("%(customer)s deleted your team member %(employee)s.", customer=name,
                          employee=employee.name)))
    for role, recipient, headline in targets:
        label = stage if role == "employee" else superior_stage
        content = card_or_text(_("Customer churn alert"), [headline, *times, _("Stage: %(stage)s", stage=label)],
                               url, _("Retain"))
        queue_app_message(session, tenant.id, employee_id=recipient, content=content,
                          key=f"wecom.churn:{loss.id}:{role}", task_ref=f"churn:{loss.id}", customer_id=customer.id,
                          account=account)
    return len(targets)


def _deleted_url(session: Session, tenant: Tenant) -> str | None:
    return page_url(account_for(session, tenant.id, None), f"/t/{tenant.slug}/wecom/churn/deleted")


def deletion_notices(session: Session, tenant: Tenant, loss: FriendLoss) -> int:
    """Queue one message per admin for ``loss`` when the notification is on with "every event"."""
    settings = settings_of(session, tenant.id)
    if not settings.deleted_enabled or settings.deleted_frequency != DigestFrequency.EVERY_EVENT:
        return 0
    _ = translator()
    customer = session.get(Customer, loss.customer_id)
    operator = session.get(Employee, loss.operator_employee_id) if loss.operator_employee_id else None
    lines = [_("%(employee)s deleted the customer %(customer)s.", employee=operator.name if operator else loss.userid,
               customer=customer.name or loss.external_userid),
             _("Deleted: %(time)s", time=local_time(loss.lost_at)),
             _("Added: %(time)s", time=local_time(loss.added_at))]
    content = card_or_text(_("Customer deleted by an employee"), lines, _deleted_url(session, tenant), None)
    for admin in settings.deleted_admin_ids:
        queue_app_message(session, tenant.id, employee_id=int(admin), content=content,
                          key=f"wecom.deleted:{loss.id}:{admin}", task_ref=f"deleted:{loss.id}",
                          customer_id=customer.id)
    return len(settings.deleted_admin_ids)


def digest(session: Session, tenant: Tenant) -> int:
    """Queue the daily digest of the deletions since the previous one; returns how many messages (0 when the digest
    is off or nothing was deleted)."""
    settings = settings_of(session, tenant.id)
    if settings.id is None or not settings.deleted_enabled \
            or settings.deleted_frequency != DigestFrequency.DAILY_DIGEST:
        return 0
    rows = session.exec(select(FriendLoss, Customer.name, Employee.name)
                        .join(Customer, Customer.id == FriendLoss.customer_id)
                        .outerjoin(Employee, Employee.id == FriendLoss.operator_employee_id)
                        .where(FriendLoss.tenant_id == tenant.id, FriendLoss.kind == LossKind.DELETED,
                               FriendLoss.id > settings.digest_through_id)
                        .order_by(FriendLoss.id)).all()
    if not rows:
        return 0
    _ = translator()
    first, last = rows[0][0].id, rows[-1][0].id
    lines = [_("%(n)d customers were deleted by employees since the last digest.", n=len(rows))]
    for loss, customer_name, operator_name in rows[:DIGEST_LINES]:
        lines.append(_("%(time)s %(employee)s deleted %(customer)s", time=local_time(loss.lost_at),
                       employee=operator_name or loss.userid, customer=customer_name or loss.external_userid))
    if len(rows) > DIGEST_LINES:
        lines.append(_("… and %(n)d more.", n=len(rows) - DIGEST_LINES))
    content = card_or_text(_("Deleted customers digest"), lines, _deleted_url(session, tenant), None)
    for admin in settings.deleted_admin_ids:
        queue_app_message(session, tenant.id, employee_id=int(admin), content=content,
                          key=f"wecom.deleted_digest:{tenant.id}:{first}-{last}:{admin}",
                          task_ref=f"deleted_digest:{first}-{last}")
    settings.digest_through_id = last
    session.add(settings)
    return len(settings.deleted_admin_ids)


@actor(max_retries=3, time_limit=120_000)
def send_deleted_digest(tenant_id: int) -> None:
    """The 08:00 deleted-user digest of one tenant (run by its durable daily schedule)."""
    with job_session() as session:
        tenant = session.get(Tenant, tenant_id)
        if tenant is not None:
            digest(session, tenant)
