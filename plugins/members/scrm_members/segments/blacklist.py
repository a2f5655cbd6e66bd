"""The blacklist: who is on it, adding and removing (history kept), the tenant's rule switches, and the decisions
other plugins ask for.

Decisions (``exclusion_reason``): fission purposes ("task_fission", "redpacket_fission", "interactive_fission") are
refused for blacklisted customers while the matching switch is on; "mass_send", "redpacket" and "sms" are always
refused for them. Marketing activities call ``may_win``: a blacklisted customer takes part but never wins, unless the
activity's win rate is 100 % (or the rule is switched off).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import exists, literal, not_, select, update
from sqlmodel import Session

from scrm.sdk import Customer, utcnow
from scrm.sdk.participation import INTERACTIVE_FISSION, REDPACKET_FISSION, TASK_FISSION

from .bulk import insert_from_select
from .models import BlacklistEntry, BlacklistRules

REASON_MAX = 200
# the participation activities of scrm.sdk.participation, each with the rule switch that refuses it
FISSION_SWITCHES = {TASK_FISSION: "task_fission", REDPACKET_FISSION: "redpacket_fission",
                    INTERACTIVE_FISSION: "interactive_fission"}
ALWAYS_REFUSED = frozenset({"mass_send", "redpacket", "sms"})
RULE_FIELDS = ("task_fission", "redpacket_fission", "interactive_fission", "marketing_no_win")


class BlacklistError(ValueError):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(fields.values()))
        self.fields = fields


def active_entry(session: Session, tenant_id: int, customer_id: int) -> BlacklistEntry | None:
    return session.execute(select(BlacklistEntry).where(
        BlacklistEntry.tenant_id == tenant_id, BlacklistEntry.customer_id == customer_id,
        BlacklistEntry.removed_at.is_(None))).scalars().first()


def is_blacklisted(session: Session, tenant_id: int, customer_id: int) -> bool:
    """True while the customer has an active blacklist entry in the tenant."""
    return active_entry(session, tenant_id, customer_id) is not None


def rules(session: Session, tenant_id: int) -> BlacklistRules:
    """The tenant's switches (every switch on when never saved)."""
    row = session.execute(select(BlacklistRules).where(BlacklistRules.tenant_id == tenant_id)).scalars().first()
    return row if row is not None else BlacklistRules(tenant_id=tenant_id)


def save_rules(session: Session, tenant_id: int, values: dict[str, bool], user_id: int | None) -> BlacklistRules:
    row = rules(session, tenant_id)
    for name in RULE_FIELDS:
        setattr(row, name, bool(values.get(name)))
    row.updated_by, row.updated_at = user_id, utcnow()
    session.add(row)
    session.flush()
    return row


def clean_reason(reason: Any) -> str:
    text = str(reason or "").strip()
    if not text:
        raise BlacklistError({"reason": _("Enter the reason for blacklisting.")})
    if len(text) > REASON_MAX:
        raise BlacklistError({"reason": _("A reason has at most %(n)d characters.", n=REASON_MAX)})
    return text


def add(session: Session, tenant_id: int, customer_ids: list[Any], reason: Any, user_id: int | None,
        scope: Any = None) -> int:
    """Blacklist the customers (already blacklisted ones are left as they are); returns how many were added.
    ``scope`` is an optional SQL condition on ``Customer`` the customers must meet (the user's data scope)."""
    text = clean_reason(reason)
    try:
        wanted = sorted({int(c) for c in customer_ids})
    except (TypeError, ValueError) as exc:
        raise BlacklistError({"customer_id": _("Choose customers from the list.")}) from exc
    if not wanted:
        raise BlacklistError({"customer_id": _("Choose at least one customer.")})
    query = select(Customer.id).where(Customer.tenant_id == tenant_id, Customer.id.in_(wanted),
                                      Customer.merged_into_id.is_(None))
    if scope is not None:
        query = query.where(scope)
    if set(session.execute(query).scalars()) != set(wanted):
        raise BlacklistError({"customer_id": _("Choose customers from the list.")})
    entry = BlacklistEntry.__table__
    rows = select(literal(tenant_id), Customer.id, literal(text),
                  literal(user_id, type_=entry.c.created_by.type),
                  literal(utcnow(), type_=entry.c.created_at.type)).where(
        Customer.tenant_id == tenant_id, Customer.id.in_(wanted),
        not_(exists().where(entry.c.tenant_id == tenant_id, entry.c.customer_id == Customer.id,
                            entry.c.removed_at.is_(None))))
    return insert_from_select(session, entry, ["tenant_id", "customer_id", "reason", "created_by", "created_at"], rows)


def remove(session: Session, tenant_id: int, customer_id: int, user_id: int | None) -> bool:
    """End the customer's active entry (it stays as history); False when they were not blacklisted."""
    done = session.execute(update(BlacklistEntry).where(
        BlacklistEntry.tenant_id == tenant_id, BlacklistEntry.customer_id == customer_id,
        BlacklistEntry.removed_at.is_(None)).values(removed_at=utcnow(), removed_by=user_id)).rowcount
    return bool(done)


def exclusion_reason(tenant, customer_id: int, purpose: str, session: Session) -> str | None:
    """The blacklist's answer to the ``customer_exclusion_reason`` decision hook."""
    if purpose in FISSION_SWITCHES:
        if not getattr(rules(session, tenant.id), FISSION_SWITCHES[purpose]):
            return None
    elif purpose not in ALWAYS_REFUSED:
        return None
    entry = active_entry(session, tenant.id, customer_id)
    if entry is None:
        return None
    return _("The customer is blacklisted: %(reason)s", reason=entry.reason)


def exclusion_reasons(tenant, customer_ids: list[int], purpose: str, session: Session) -> dict[int, str]:
    """``exclusion_reason`` for many customers in one query (the bulk outbound path): {customer_id: reason}."""
    if purpose in FISSION_SWITCHES:
        if not getattr(rules(session, tenant.id), FISSION_SWITCHES[purpose]):
            return {}
    elif purpose not in ALWAYS_REFUSED:
        return {}
    entries = session.execute(select(BlacklistEntry.customer_id, BlacklistEntry.reason).where(
        BlacklistEntry.tenant_id == tenant.id, BlacklistEntry.customer_id.in_(list(customer_ids)),
        BlacklistEntry.removed_at.is_(None))).all()
    return {customer_id: str(_("The customer is blacklisted: %(reason)s", reason=reason))
            for customer_id, reason in entries}


def _reason_text(tenant, reason: str) -> str:
    """The translated reason; outside a request (a job, the CLI) in the tenant's language."""
    from flask import has_app_context, has_request_context

    if has_app_context() and not has_request_context():
        from flask_babel import force_locale

        with force_locale(getattr(tenant, "language", None) or "zh_CN"):
            return str(_("The customer is blacklisted: %(reason)s", reason=reason))
    return str(_("The customer is blacklisted: %(reason)s", reason=reason))


def exclusion_query(tenant, purpose: str, session: Session):
    """``exclusion_reason`` as SQL (the set-based bulk path): (customer id, reason) of the tenant's blacklisted
    customers when ``purpose`` is refused for them, else None. The reason is the same translated text."""
    if purpose in FISSION_SWITCHES:
        if not getattr(rules(session, tenant.id), FISSION_SWITCHES[purpose]):
            return None
    elif purpose not in ALWAYS_REFUSED:
        return None
    marker = "\x00"
    prefix, _sep, suffix = _reason_text(tenant, marker).partition(marker)
    return select(BlacklistEntry.customer_id, literal(prefix) + BlacklistEntry.reason + literal(suffix)).where(
        BlacklistEntry.tenant_id == tenant.id, BlacklistEntry.removed_at.is_(None))


def may_win(session: Session, tenant_id: int, customer_id: int, win_rate: float) -> bool:
    """Whether the customer may win a marketing activity whose win rate is ``win_rate`` (0 to 1; 1 is 100 %).

    Blacklisted customers take part but never win, except when every participant wins (win rate 100 %) or the
    tenant switched the marketing rule off. The activity still draws for those who may win."""
    rate = float(win_rate)
    if not 0 <= rate <= 1:
        raise ValueError("win_rate is a fraction between 0 and 1")
    if rate >= 1 or not rules(session, tenant_id).marketing_no_win:
        return True
    return not is_blacklisted(session, tenant_id, customer_id)


def move_merged(session: Session, tenant_id: int, survivor_id: int, merged_id: int) -> None:
    """Customer ``merged_id`` became ``survivor_id``: their blacklist history moves over; if both were blacklisted,
    the survivor's entry stays active and the other one is closed."""
    now = utcnow()
    if is_blacklisted(session, tenant_id, survivor_id):
        session.execute(update(BlacklistEntry).where(
            BlacklistEntry.tenant_id == tenant_id, BlacklistEntry.customer_id == merged_id,
            BlacklistEntry.removed_at.is_(None)).values(removed_at=now))
    session.execute(update(BlacklistEntry).where(
        BlacklistEntry.tenant_id == tenant_id, BlacklistEntry.customer_id == merged_id)
        .values(customer_id=survivor_id))

