"""The tenant's churn settings: the churn reminder (switch, employee stages, superior stages) and the deleted-user
notification (switch, admin recipients, every event or a daily digest at 08:00 tenant time).

The digest is a durable daily schedule (key ``wecom:deleted_digest:<tenant>``) created when the digest is switched
on and cancelled when it is switched off or the frequency changes. A digest covers the deletions recorded since the
previous one; the first covers those since the digest was switched on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import Session, select

from scrm.sdk import Employee, EmployeeStatus, cancel_schedule, current_zone, schedule, utcnow

from .models import ChurnSettings, DigestFrequency, FriendLoss, LossKind

DIGEST_TIME = time(8, 0)
DIGEST_ACTOR = "scrm_wecom.churn.alerts.send_deleted_digest"


class SettingsError(ValueError):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(fields.values()))
        self.fields = fields


@dataclass(frozen=True)
class DeletedNotice:
    enabled: bool
    admin_ids: list[int]
    frequency: str


def settings_of(session: Session, tenant_id: int) -> ChurnSettings:
    """The tenant's settings row (an unsaved default row when none exists yet)."""
    row = session.exec(select(ChurnSettings).where(ChurnSettings.tenant_id == tenant_id)).first()
    return row if row is not None else ChurnSettings(tenant_id=tenant_id)


def _ids(values: list[Any]) -> list[int]:
    result: list[int] = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if number not in result:
            result.append(number)
    return result


def save_churn_reminder(session: Session, tenant_id: int, *, enabled: bool, employee_stages: list[Any],
                        superior_stages: list[Any], known_stages: list[Any]) -> ChurnSettings:
    """Save the churn reminder; stages must be among ``known_stages`` (the tenant's stage ids)."""
    known = {int(s) for s in _ids(known_stages)}
    employee, superior = _ids(employee_stages), _ids(superior_stages)
    errors: dict[str, str] = {}
    if set(employee) - known:
        errors["employee_stages"] = str(_l("Choose stages from the list."))
    if set(superior) - known:
        errors["superior_stages"] = str(_l("Choose stages from the list."))
    if enabled and not known:
        errors["enabled"] = str(_l("There are no lifecycle stages to remind by: enable the members plugin and set "
                                   "up stages first."))
    elif enabled and not employee and not superior:
        errors["employee_stages"] = str(_l("Choose at least one stage for the employee or the superior reminder."))
    if errors:
        raise SettingsError(errors)
    row = settings_of(session, tenant_id)
    row.churn_enabled, row.employee_stage_ids, row.superior_stage_ids = enabled, employee, superior
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


def next_digest_at(now: datetime) -> datetime:
    """The next 08:00 of the tenant's time zone after ``now``, in UTC."""
    local = now.astimezone(current_zone())
    at = datetime.combine(local.date(), DIGEST_TIME, current_zone())
    if at <= local:
        at += timedelta(days=1)
    return at.astimezone(UTC)


def digest_key(tenant_id: int) -> str:
    return f"wecom:deleted_digest:{tenant_id}"


def save_deleted_notice(session: Session, tenant_id: int, notice: DeletedNotice) -> ChurnSettings:
    """Save the deleted-user notification and (re)arrange the digest schedule."""
    admins = _ids(notice.admin_ids)
    errors: dict[str, str] = {}
    if notice.frequency not in {f.value for f in DigestFrequency}:
        errors["frequency"] = str(_l("Choose how often to notify."))
    valid = set(session.exec(select(Employee.id).where(
        Employee.tenant_id == tenant_id, Employee.id.in_(admins or [0]),
        Employee.status != EmployeeStatus.LEFT)).all())
    if set(admins) - valid:
        errors["admin_ids"] = str(_l("Choose active employees of this brand."))
    elif notice.enabled and not admins:
        errors["admin_ids"] = str(_l("Choose at least one administrator to notify."))
    if errors:
        raise SettingsError(errors)
    row = settings_of(session, tenant_id)
    was_digest = row.deleted_enabled and row.deleted_frequency == DigestFrequency.DAILY_DIGEST
    row.deleted_enabled, row.deleted_admin_ids, row.deleted_frequency = notice.enabled, admins, notice.frequency
    row.updated_at = utcnow()
    is_digest = notice.enabled and notice.frequency == DigestFrequency.DAILY_DIGEST
    if is_digest and not was_digest:
        row.digest_through_id = session.exec(select(func.coalesce(func.max(FriendLoss.id), 0)).where(
            FriendLoss.tenant_id == tenant_id, FriendLoss.kind == LossKind.DELETED)).one()
        schedule(session, DIGEST_ACTOR, next_digest_at(utcnow()), tenant_id=tenant_id, key=digest_key(tenant_id),
                 interval_seconds=86400)
    elif was_digest and not is_digest:
        cancel_schedule(session, digest_key(tenant_id))
    session.add(row)
    session.flush()
    return row
