"""Member levels (会员等级): the tenant's ladder, a customer's level with its validity, and the ``member_level``
audience filter type.

A customer has at most one level (``CustomerLevel``), valid through a local day (tenant time zone, inclusive) or
permanently. A level whose day has passed reads as *no level* everywhere (list, filters, segments, profile, export,
API) without a job having to remove it: every query compares with today, so an audience evaluated on a later day
drops the customer. The expired row stays until the customer is given a level again or the level is deleted.
Assigning without a validity uses the level's default: permanent, or the same day N months later.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import and_, delete, exists, func, insert, not_, or_, select
from sqlmodel import Session

from scrm.sdk import Customer, CustomerEvent, FilterType, utcnow

from .models import CustomerLevel, MemberLevel
from .periods import local_now

NAME_MAX = 30
DESCRIPTION_MAX = 200
RANK_MAX = 99
MONTHS_MAX = 120
LATEST_DAY = date(2099, 12, 31)
ANY, NONE = "any", "none"
CHUNK = 900


class LevelError(ValueError):
    """Invalid level data or assignment: ``errors`` maps each bad field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Held:
    """A customer's current (unexpired) level."""

    level_id: int
    name: str
    rank: int
    valid_until: date | None

    @property
    def permanent(self) -> bool:
        return self.valid_until is None

    def validity_text(self) -> str:
        if self.valid_until is None:
            return str(_l("Valid: permanent"))
        return str(_l("Valid until %(day)s", day=self.valid_until.isoformat()))


def today() -> date:
    """Today in the tenant's time zone."""
    return local_now(utcnow()).date()


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def active_clause(tenant_id: int, on: date | None = None) -> Any:
    """The rows of ``CustomerLevel`` that are valid on ``on`` (today by default)."""
    day = on or today()
    return and_(CustomerLevel.tenant_id == tenant_id,
                or_(CustomerLevel.valid_until.is_(None), CustomerLevel.valid_until >= day))


# -- the ladder ------------------------------------------------------------------------------------------------------


def ladder(session: Session, tenant_id: int) -> list[MemberLevel]:
    return list(session.execute(select(MemberLevel).where(MemberLevel.tenant_id == tenant_id)
                                .order_by(MemberLevel.rank)).scalars())


def get_level(session: Session, tenant_id: int, level_id: Any) -> MemberLevel | None:
    if level_id is None or not str(level_id).strip().isdigit():
        return None
    level = session.get(MemberLevel, int(str(level_id).strip()))
    return level if level is not None and level.tenant_id == tenant_id else None


def by_name(session: Session, tenant_id: int) -> dict[str, MemberLevel]:
    """The tenant's levels keyed by their name folded to lower case."""
    return {level.name.casefold(): level for level in ladder(session, tenant_id)}


def holder_counts(session: Session, tenant_id: int, scope: Any = None) -> dict[int, int]:
    """Customers holding each level today (one grouped query; merged customers' rows are moved or dropped); with
    ``scope`` (the user's customer visibility) only the customers the user may see."""
    query = select(CustomerLevel.level_id, func.count()).where(active_clause(tenant_id))
    if scope is not None:
        query = query.join(Customer, Customer.id == CustomerLevel.customer_id).where(scope)
    rows = session.execute(query.group_by(CustomerLevel.level_id)).all()
    return {level_id: count for level_id, count in rows}


def _int(raw: Any, low: int, high: int) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if not text.lstrip("-").isdigit() or not low <= int(text) <= high:
        return None
    return int(text)


def clean_level(session: Session, tenant_id: int, data: dict[str, Any], level: MemberLevel | None = None) -> dict:
    """Validate a level (name, rank, description, validity ``permanent`` or ``months`` with ``validity_months``).
    Raises LevelError; nothing is written."""
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    if not name or len(name) > NAME_MAX:
        errors["name"] = str(_l("Give a name of 1 to %(n)s characters.", n=NAME_MAX))
    rank = _int(data.get("rank"), 1, RANK_MAX)
    if rank is None:
        errors["rank"] = str(_l("Give a rank from 1 to %(n)s (1 is the entry level).", n=RANK_MAX))
    description = str(data.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = str(_l("At most %(n)s characters.", n=DESCRIPTION_MAX))
    months = None
    if str(data.get("validity") or "permanent") == "months":
        months = _int(data.get("validity_months"), 1, MONTHS_MAX)
        if months is None:
            errors["validity_months"] = str(_l("Give a number of months from 1 to %(n)s.", n=MONTHS_MAX))
    elif str(data.get("validity")) not in ("permanent", "None", ""):
        errors["validity"] = str(_l("Choose permanent or a number of months."))
    others = [lv for lv in ladder(session, tenant_id) if level is None or lv.id != level.id]
    if name and any(lv.name.casefold() == name.casefold() for lv in others):
        errors["name"] = str(_l("A level named %(name)s already exists.", name=name))
    if rank is not None and any(lv.rank == rank for lv in others):
        taken = next(lv.name for lv in others if lv.rank == rank)
        errors["rank"] = str(_l("Rank %(rank)s is taken by %(name)s.", rank=rank, name=taken))
    if errors:
        raise LevelError(errors)
    return {"name": name, "rank": rank, "description": description, "validity_months": months}


def save_level(session: Session, tenant_id: int, clean: dict, level: MemberLevel | None = None) -> MemberLevel:
    level = level or MemberLevel(tenant_id=tenant_id, name=clean["name"], rank=clean["rank"])
    for key, value in clean.items():
        setattr(level, key, value)
    level.updated_at = utcnow()
    session.add(level)
    session.flush()
    return level


def delete_level(session: Session, tenant_id: int, level: MemberLevel) -> None:
    """Delete a level nobody holds (expired assignments of it go with it). Raises LevelError otherwise."""
    held = holder_counts(session, tenant_id).get(level.id, 0)
    if held:
        raise LevelError({"level": str(lazy_ngettext(
            "%(num)s customer holds %(name)s: give them another level first.",
            "%(num)s customers hold %(name)s: give them another level first.", held, name=level.name))})
    session.execute(delete(CustomerLevel).where(CustomerLevel.tenant_id == tenant_id,
                                                CustomerLevel.level_id == level.id))
    session.delete(level)
    session.flush()


def validity_text(level: MemberLevel) -> str:
    if level.validity_months is None:
        return str(_l("Permanent"))
    return str(_l("%(n)s months", n=level.validity_months))


# -- a customer's level ----------------------------------------------------------------------------------------------


def valid_until_for(level: MemberLevel, validity: Any, on: date | None = None) -> date | None:
    """The valid-until day of a new assignment: ``validity`` is ``"permanent"``, a ``YYYY-MM-DD`` day (today or
    later), or empty/``"default"`` for the level's default. Raises LevelError."""
    day = on or today()
    raw = "" if validity is None else str(validity).strip()
    if raw in ("", "default"):
        return None if level.validity_months is None else add_months(day, level.validity_months)
    if raw == "permanent":
        return None
    try:
        until = date.fromisoformat(raw[:10])
    except ValueError:
        raise LevelError({"valid_until": str(_l("Give a date such as 2027-12-31, or permanent."))}) from None
    if until < day or until > LATEST_DAY:
        raise LevelError({"valid_until": str(_l("The date must be between today and %(last)s.",
                                                last=LATEST_DAY.isoformat()))})
    return until


def assign(session: Session, tenant_id: int, customer_ids: Iterable[int], level: MemberLevel | None,
           valid_until: date | None = None, actor: str = "system") -> int:
    """Give ``customer_ids`` (the tenant's, already checked by the caller) ``level`` until ``valid_until`` (None:
    permanent), or take their level away when ``level`` is None. Bulk statements; a timeline line per customer.
    Returns the number of customers."""
    ids = list(dict.fromkeys(int(i) for i in customer_ids))
    now = utcnow()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        session.execute(delete(CustomerLevel).where(CustomerLevel.tenant_id == tenant_id,
                                                    CustomerLevel.customer_id.in_(chunk)))
        if level is not None:
            session.execute(insert(CustomerLevel), [
                {"tenant_id": tenant_id, "customer_id": cid, "level_id": level.id, "valid_until": valid_until,
                 "assigned_by": actor[:120], "assigned_at": now} for cid in chunk])
    if ids:
        if level is None:
            summary = "member level removed"
        else:
            summary = f"member level: {level.name} ({valid_until.isoformat() if valid_until else 'permanent'})"
        session.execute(insert(CustomerEvent), [
            {"tenant_id": tenant_id, "customer_id": cid, "plugin": "members", "kind": "level_changed",
             "summary": summary, "occurred_at": now,
             "data": {"by": actor, "level_id": level.id if level else None,
                      "valid_until": valid_until.isoformat() if valid_until else None}} for cid in ids])
    session.flush()
    return len(ids)


def held_levels(session: Session, tenant_id: int, customer_ids: Iterable[int]) -> dict[int, Held]:
    """The current level of each of ``customer_ids`` that has one (one query per 900 ids)."""
    ids = list(dict.fromkeys(i for i in customer_ids if i is not None))
    out: dict[int, Held] = {}
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(CustomerLevel.customer_id, MemberLevel.id, MemberLevel.name, MemberLevel.rank,
                   CustomerLevel.valid_until)
            .join(MemberLevel, MemberLevel.id == CustomerLevel.level_id)
            .where(active_clause(tenant_id), CustomerLevel.customer_id.in_(ids[start:start + CHUNK]))).all()
        out.update({row[0]: Held(row[1], row[2], row[3], row[4]) for row in rows})
    return out


def held_level(session: Session, tenant_id: int, customer_id: int) -> Held | None:
    return held_levels(session, tenant_id, [customer_id]).get(customer_id)


def move_merged(session: Session, tenant_id: int, survivor_id: int, merged_id: int) -> None:
    """The survivor keeps its current level; without one it takes the merged customer's. The merged row goes."""
    current = held_levels(session, tenant_id, [survivor_id, merged_id])
    taken = current.get(merged_id) if survivor_id not in current else None
    if taken is not None:
        row = session.execute(select(CustomerLevel).where(CustomerLevel.tenant_id == tenant_id,
                                                          CustomerLevel.customer_id == merged_id)).scalar_one()
        valid_until, actor = row.valid_until, row.assigned_by
        session.execute(delete(CustomerLevel).where(CustomerLevel.tenant_id == tenant_id,
                                                    CustomerLevel.customer_id.in_([survivor_id, merged_id])))
        session.add(CustomerLevel(tenant_id=tenant_id, customer_id=survivor_id, level_id=taken.level_id,
                                  valid_until=valid_until, assigned_by=actor))
    else:
        session.execute(delete(CustomerLevel).where(CustomerLevel.tenant_id == tenant_id,
                                                    CustomerLevel.customer_id == merged_id))
    session.flush()


# -- the level controls of a form (customer form, bulk form) ---------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """A level chosen in a form: ``level`` None means no level."""

    level: MemberLevel | None
    valid_until: date | None


def form_values(session: Session, tenant_id: int, customer_id: int | None) -> dict[str, str]:
    """The level controls' values for a customer's current level."""
    held = held_level(session, tenant_id, customer_id) if customer_id else None
    if held is None:
        return {"level_id": "", "validity": "default", "valid_until": ""}
    if held.valid_until is None:
        return {"level_id": str(held.level_id), "validity": "permanent", "valid_until": ""}
    return {"level_id": str(held.level_id), "validity": "until", "valid_until": held.valid_until.isoformat()}


def read_form(session: Session, tenant_id: int, form) -> Choice:
    """The level posted as ``level_id`` (empty: none), ``validity`` (default, permanent, until) and ``valid_until``.
    Raises LevelError."""
    raw = (form.get("level_id") or "").strip()
    if not raw:
        return Choice(None, None)
    level = get_level(session, tenant_id, raw)
    if level is None:
        raise LevelError({"level_id": str(_l("Choose one of the levels."))})
    validity = form.get("validity") or "default"
    if validity == "until":
        day = (form.get("valid_until") or "").strip()
        if not day:
            raise LevelError({"valid_until": str(_l("Give the last valid day."))})
        return Choice(level, valid_until_for(level, day))
    return Choice(level, valid_until_for(level, "permanent" if validity == "permanent" else "default"))


def apply_choice(session: Session, tenant_id: int, customer_id: int, choice: Choice, actor: str) -> bool:
    """Give the customer the chosen level unless it already holds exactly that; True when something changed."""
    held = held_level(session, tenant_id, customer_id)
    same = (held is None and choice.level is None) or (
        held is not None and choice.level is not None and held.level_id == choice.level.id
        and held.valid_until == choice.valid_until)
    if not same:
        assign(session, tenant_id, [customer_id], choice.level, choice.valid_until, actor)
    return not same


# -- the audience filter type ----------------------------------------------------------------------------------------


def _member_level(values: list[Any], ctx) -> Any:
    """Any of the chosen levels; ``any`` is "not empty", ``none`` is "empty" (expired levels count as empty)."""
    held = and_(CustomerLevel.customer_id == Customer.id, active_clause(ctx.tenant_id))
    words = {str(v).strip() for v in values}
    ids = [int(v) for v in words - {ANY, NONE}]
    clauses = []
    if ANY in words:
        clauses.append(exists().where(held))
    if NONE in words:
        clauses.append(not_(exists().where(held)))
    if ids:
        clauses.append(exists().where(held, CustomerLevel.level_id.in_(ids)))
    return or_(*clauses)


def level_choices(session: Session, tenant_id: int) -> list[tuple[Any, str]]:
    return [(ANY, str(_l("Has a level (not empty)"))), (NONE, str(_l("No level (empty)"))),
            *[(level.id, level.name) for level in ladder(session, tenant_id)]]


def audience_filters(tenant) -> list[FilterType]:
    return [FilterType("member_level", _l("Member level"), _member_level, "choice", "member",
                       choices=level_choices, plugin="members")]


__all__ = ["ANY", "NONE", "Choice", "Held", "LevelError", "apply_choice", "form_values", "read_form", "active_clause", "add_months", "assign", "audience_filters",
           "by_name", "clean_level", "delete_level", "get_level", "held_level", "held_levels", "holder_counts",
           "ladder", "level_choices", "move_merged", "save_level", "today", "valid_until_for", "validity_text"]

