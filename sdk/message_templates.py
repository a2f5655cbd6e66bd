"""Templated messages other plugins offer: how a feature sends, say, an SMS through the SMS plugin's approved
templates and signatures without importing it (the ``message_templates`` hook).

    from scrm.sdk import message_templates, send_message

    choices = message_templates.offered(session, tenant, variable="code")   # for the form's choice
    ...
    choice = message_templates.find(session, tenant, stored_key)            # at send time: still offered?
    if choice is None:
        ...                                                                  # record why; nothing is sent
    send_message(session, tenant.id, account=choice.account_id, recipient=mobile,
                 message=choice.message({"code": "AB12CD34"}), purpose=choice.purpose,
                 idempotency_key="reward:12")

Only the channels the tenant enabled answer (a disabled plugin is not asked), and each answers with the tenant's own
approved templates on its active accounts: a template of another tenant, a withdrawn one or one of a disabled
channel is neither offered nor found. Works in a request and in a job; ``tenant`` is the tenant row or its id.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from scrm.core.jobs import current_bus
from scrm.core.models import Tenant
from scrm.core.plugins.contributions import MessageTemplate

__all__ = ["MessageTemplate", "find", "offered"]


def _tenant(session: Session, tenant: Any) -> Tenant:
    row = session.get(Tenant, tenant) if isinstance(tenant, int) else tenant
    if row is None:
        raise ValueError(f"no tenant {tenant}")
    return row


def offered(session: Session, tenant: Any, *, variable: str | None = None,
            address: str | None = None) -> list[MessageTemplate]:
    """The templated messages the tenant's enabled channels offer, in their order (by plugin, then as offered);
    only those with the variable ``variable`` and for recipients of the address kind ``address`` when given."""
    row = _tenant(session, tenant)
    found = current_bus().platform.hooks(session, row).contribute("message_templates", tenant=row, session=session)
    return [c for c in found if isinstance(c, MessageTemplate) and c.account_id is not None
            and (variable is None or variable in c.variables) and (address is None or c.address == address)]


def find(session: Session, tenant: Any, key: str | None) -> MessageTemplate | None:
    """The offered template whose ``key`` is ``key``, or None (withdrawn, its channel disabled, another tenant's)."""
    if not key:
        return None
    return next((c for c in offered(session, tenant) if c.key == key), None)
