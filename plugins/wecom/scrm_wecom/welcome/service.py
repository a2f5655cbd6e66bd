"""Friend welcome messages: validation, create / edit / delete, and the tenant-scoped reads of the pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, delete, select

from scrm.sdk import Customer, Employee, EmployeeStatus, MessageDelivery, utcnow

from .content import MATERIAL_KINDS, ContentError, validate_content
from .models import WelcomeMessage, WelcomeMessageEmployee
from .segments import covers_whole_week, validate_segments


class WelcomeError(ValueError):
    """Invalid welcome input; ``fields`` maps form field names to messages."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass
class WelcomeInput:
    all_employees: bool
    employee_ids: list[int]
    segmented: bool
    content: dict[str, Any]
    segments: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class WelcomeValues:
    all_employees: bool
    employees: list[Employee]
    segmented: bool
    content: dict[str, Any]
    segments: list[dict[str, Any]]


def offered_materials(session: Session, tenant_id: int) -> set[int]:
    """The ids of the tenant's live materials a welcome may attach."""
    from ..materials.models import Material

    return set(session.exec(select(Material.id).where(Material.tenant_id == tenant_id,
                                                      Material.deleted_at.is_(None),
                                                      Material.owner_employee_id.is_(None),
                                                      Material.kind.in_(MATERIAL_KINDS))).all())


def validate(session: Session, tenant_id: int, data: WelcomeInput, *,
             kept: list[dict[str, Any]] | None = None) -> WelcomeValues:
    """Check ``data``; raises ``WelcomeError`` listing every problem: at least one employee (or all), valid default
    content, and when segmented at least one valid time segment. The default content is the fallback for the add
    times no segment covers: it may stay empty only when the segments cover the whole week. Attachments are the
    tenant's materials; typed ones only those in ``kept`` (stored before, see ``content.kept_attachments``)."""
    errors: dict[str, str] = {}
    offered = offered_materials(session, tenant_id)
    employees: list[Employee] = []
    if not data.all_employees:
        ids = list(dict.fromkeys(data.employee_ids))
        employees = list(session.exec(select(Employee).where(
            Employee.tenant_id == tenant_id, Employee.id.in_(ids), Employee.status == EmployeeStatus.ACTIVE))) \
            if ids else []
        if not ids or len(employees) != len(ids):
            errors["employee_ids"] = str(_l("Choose at least one active employee, or all employees."))
    segments: list[dict[str, Any]] = []
    segments_ok = False
    if data.segmented:
        if not data.segments:
            errors["segments"] = str(_l("Add at least one time segment, or turn time segments off."))
        else:
            try:
                segments = validate_segments(data.segments, offered=offered, kept=kept)
                segments_ok = True
            except ContentError as exc:
                errors.update(exc.fields)
    content: dict[str, Any] = {"text": "", "attachments": []}
    default_blank = not any((data.content or {}).get(k) for k in ("text", "attachments", "material_ids"))
    if default_blank and segments_ok and covers_whole_week(segments):
        pass  # every add time has its segment: no fallback needed
    else:
        try:
            content = validate_content(data.content, offered=offered, kept=kept)
        except ContentError as exc:
            if default_blank and segments_ok:
                exc.fields["text"] = str(_l("Write the default content for the times no segment covers, or let "
                                            "the segments cover the whole week."))
            errors.update(exc.fields)
    if errors:
        raise WelcomeError(errors)
    employees.sort(key=lambda e: e.name)
    return WelcomeValues(data.all_employees, employees, data.segmented, content, segments)


def _apply(session: Session, message: WelcomeMessage, values: WelcomeValues) -> None:
    message.all_employees, message.segmented = values.all_employees, values.segmented
    message.content, message.segments = values.content, values.segments
    session.add(message)
    session.flush()
    session.exec(delete(WelcomeMessageEmployee).where(WelcomeMessageEmployee.welcome_id == message.id))
    for employee in values.employees:
        session.add(WelcomeMessageEmployee(tenant_id=message.tenant_id, welcome_id=message.id,
                                           employee_id=employee.id))
    session.flush()


def create(session: Session, tenant_id: int, values: WelcomeValues, created_by: str = "") -> WelcomeMessage:
    message = WelcomeMessage(tenant_id=tenant_id, created_by=created_by[:200])
    _apply(session, message, values)
    return message


def update(session: Session, message: WelcomeMessage, values: WelcomeValues) -> WelcomeMessage:
    """Edit ``message``; it becomes the newest welcome of its employees."""
    message.updated_at = utcnow()
    _apply(session, message, values)
    return message


def remove(session: Session, message: WelcomeMessage) -> None:
    session.delete(message)
    session.flush()


def get(session: Session, tenant_id: int, welcome_id: int) -> WelcomeMessage | None:
    """The welcome message ``welcome_id`` of ``tenant_id`` (None for another tenant's)."""
    return session.exec(select(WelcomeMessage).where(WelcomeMessage.id == welcome_id,
                                                     WelcomeMessage.tenant_id == tenant_id)).first()


def newest_first(session: Session, tenant_id: int) -> list[WelcomeMessage]:
    return list(session.exec(select(WelcomeMessage).where(WelcomeMessage.tenant_id == tenant_id)
                             .order_by(WelcomeMessage.updated_at.desc(), WelcomeMessage.id.desc())))


def employees_by_message(session: Session, tenant_id: int, ids: list[int]) -> dict[int, list[Employee]]:
    """The employees of each message in ``ids`` (one query)."""
    out: dict[int, list[Employee]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = session.exec(select(WelcomeMessageEmployee.welcome_id, Employee)
                        .join(Employee, Employee.id == WelcomeMessageEmployee.employee_id)
                        .where(WelcomeMessageEmployee.tenant_id == tenant_id,
                               WelcomeMessageEmployee.welcome_id.in_(ids)).order_by(Employee.name))
    for welcome_id, employee in rows:
        out[welcome_id].append(employee)
    return out


def recent_sends(session: Session, tenant_id: int, limit: int = 20,
                 scope: Any = None) -> list[tuple[MessageDelivery, str | None]]:
    """The tenant's latest welcome deliveries (the ledger rows of kind ``welcome``) with the customer's name; with
    ``scope`` (the user's customer visibility) only those to customers the user may see."""
    query = (select(MessageDelivery, Customer.name).outerjoin(Customer, Customer.id == MessageDelivery.customer_id)
             .where(MessageDelivery.tenant_id == tenant_id, MessageDelivery.channel == "wecom",
                    MessageDelivery.kind == "welcome"))
    if scope is not None:
        query = query.where(scope)  # a send to no known customer has no owner: out of every limited scope
    return list(session.exec(query.order_by(MessageDelivery.id.desc()).limit(limit)))


def active_employees(session: Session, tenant_id: int) -> list[Employee]:
    return list(session.exec(select(Employee).where(Employee.tenant_id == tenant_id,
                                                    Employee.status == EmployeeStatus.ACTIVE).order_by(Employee.name)))
