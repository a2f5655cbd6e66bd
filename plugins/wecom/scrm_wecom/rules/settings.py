"""WeCom's platform limits per tenant: the current defaults (spec §C), the sane ranges a brand may set, and
:func:`limits`, the typed values other features read.

WeCom changes these rules over time, so every limit is configurable. A tenant stores only the values it changed
(:class:`~scrm_wecom.rules.models.LimitOverrides`); the others follow :data:`DEFAULTS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from scrm.sdk import utcnow

from .models import LimitOverrides


@dataclass(frozen=True)
class Limits:
    """The limits in force for one tenant."""

    personal_mass_per_day: int = 1  # personal mass messages one customer gets from one employee per day
    enterprise_mass_per_week: int = 1  # enterprise mass messages per customer per natural week
    enterprise_mass_per_month: int = 4  # ... per natural month (the older rule; both apply)
    moments_per_employee_day: int = 1  # customer Moments posts per employee per day
    enterprise_moments_per_month: int = 4  # enterprise customer Moments posts per natural month
    external_contacts_per_employee: int = 50_000
    passive_adds_per_day: int = 500  # customers adding one employee per day
    group_chat_members: int = 200  # members of one external group chat
    enterprise_mass_per_day: int = 1  # enterprise mass messages per customer per day (spec 4.4 rule 2)
    group_mass_per_day: int = 1  # enterprise mass messages per group chat per day (spec 4.5 rule 2)
    group_mass_per_month: int = 4  # ... per group chat per natural month (WeCom's "客户/客户群 4 条")
    mass_tasks_per_month: int = 30  # customer mass sends the enterprise may create per natural month (4.4 rule 1)
    group_mass_tasks_per_month: int = 30  # group mass sends per natural month (4.5 rule 1)


DEFAULTS = Limits()
NAMES: tuple[str, ...] = tuple(f.name for f in fields(Limits))


@dataclass(frozen=True)
class LimitSpec:
    """How the settings page asks for one limit."""

    name: str
    label: object
    help: object
    minimum: int
    maximum: int
    section: str


SPECS: tuple[LimitSpec, ...] = (
    LimitSpec("personal_mass_per_day", _l("Personal mass messages per customer per day"),
              _l("From one employee to one customer."), 1, 10, "mass"),
    LimitSpec("enterprise_mass_per_week", _l("Enterprise mass messages per customer per natural week"),
              _l("Monday to Sunday in the brand's time zone. A customer who is a friend of several employees counts once per send."),
              1, 10, "mass"),
    LimitSpec("enterprise_mass_per_month", _l("Enterprise mass messages per customer per natural month"),
              _l("WeCom's older rule; both the weekly and the monthly limit apply."), 1, 40, "mass"),
    LimitSpec("enterprise_mass_per_day", _l("Enterprise mass messages per customer per day"),
              _l("Counted with the weekly and monthly limits; a customer over any of them is left out of a send."),
              1, 10, "mass"),
    LimitSpec("mass_tasks_per_month", _l("Customer mass sends per natural month"),
              _l("Mass sends the brand may create in one month; a cancelled send does not count."), 1, 1000, "mass"),
    LimitSpec("group_mass_per_day", _l("Enterprise mass messages per group chat per day"), "", 1, 10, "mass"),
    LimitSpec("group_mass_per_month", _l("Enterprise mass messages per group chat per natural month"), "", 1, 40,
              "mass"),
    LimitSpec("group_mass_tasks_per_month", _l("Group mass sends per natural month"), "", 1, 1000, "mass"),
    LimitSpec("moments_per_employee_day", _l("Customer Moments posts per employee per day"), "", 1, 10, "moments"),
    LimitSpec("enterprise_moments_per_month", _l("Enterprise customer Moments posts per natural month"), "", 1, 40,
              "moments"),
    LimitSpec("external_contacts_per_employee", _l("External contacts per employee"),
              _l("Employees from 95 percent of this are flagged."), 100, 1_000_000, "contacts"),
    LimitSpec("passive_adds_per_day", _l("Customers adding one employee per day"),
              _l("WeCom allows roughly 300 to 500 passive adds a day."), 1, 10_000, "contacts"),
    LimitSpec("group_chat_members", _l("Members of an external group chat"), "", 2, 2_000, "groups"),
)
SECTIONS = {"mass": _l("Mass messages"), "moments": _l("Customer Moments"), "contacts": _l("Customers and adds"),
            "groups": _l("Group chats")}


def overrides_of(session: Session, tenant_id: int) -> LimitOverrides | None:
    return session.exec(select(LimitOverrides).where(LimitOverrides.tenant_id == tenant_id)).first()


def limits(session: Session, tenant_id: int) -> Limits:
    """The limits in force for ``tenant_id``: its own values where it set them, the defaults elsewhere."""
    row = overrides_of(session, tenant_id)
    if row is None:
        return DEFAULTS
    return replace(DEFAULTS, **{name: value for name in NAMES if (value := getattr(row, name)) is not None})


def validate(raw: Mapping[str, str]) -> tuple[dict[str, int], dict[str, str]]:
    """Parse the submitted limits: (values, errors by field). Every limit is a whole number within its range."""
    values: dict[str, int] = {}
    errors: dict[str, str] = {}
    for spec in SPECS:
        text = str(raw.get(spec.name) or "").strip().replace(",", "")
        number = int(text) if text.isdigit() else None
        if number is None or not spec.minimum <= number <= spec.maximum:
            errors[spec.name] = str(_l("Enter a whole number from %(low)s to %(high)s.",
                                       low=f"{spec.minimum:,}", high=f"{spec.maximum:,}"))
        else:
            values[spec.name] = number
    return values, errors


def save(session: Session, tenant_id: int, values: Mapping[str, int], by: str) -> Limits:
    """Store ``values`` (validated); a value equal to the default is stored as "follow the default". Flushes."""
    row = overrides_of(session, tenant_id) or LimitOverrides(tenant_id=tenant_id)
    for name in NAMES:
        value = values.get(name)
        setattr(row, name, None if value is None or value == getattr(DEFAULTS, name) else int(value))
    row.updated_at, row.updated_by = utcnow(), by[:200]
    session.add(row)
    session.flush()
    return limits(session, tenant_id)


def reset(session: Session, tenant_id: int, by: str) -> Limits:
    """Every limit follows the defaults again."""
    return save(session, tenant_id, {}, by)
