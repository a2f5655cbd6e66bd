"""Lifecycle stages as this plugin sees them: through the audience filter type ``stage`` that the plugin owning the
stages (members) contributes to the ``audience_filters`` hook. Its ``choices`` give the tenant's stage list, and an
audience of one ``stage`` condition tells whether a customer is currently in one of the chosen stages. No import of
the members plugin; without a ``stage`` filter type (members disabled) there are no stages and no stage reminders.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlmodel import Session

from scrm.sdk import AudienceError, Customer, FilterType, Tenant, compile_audience, current_bus

STAGE_FILTER = "stage"


def _filter_types(session: Session, tenant: Tenant) -> list[FilterType]:
    from flask import g, has_request_context

    hooks = g.get("hooks") if has_request_context() and getattr(g.get("tenant"), "id", None) == tenant.id else None
    if hooks is None:
        hooks = current_bus().platform.hooks(session, tenant)
    return hooks.contribute("audience_filters", tenant=tenant)


def stage_filter(session: Session, tenant: Tenant) -> FilterType | None:
    """The ``stage`` filter type of the tenant's enabled plugins, or None."""
    return next((f for f in _filter_types(session, tenant) if f.key == STAGE_FILTER), None)


def stage_choices(session: Session, tenant: Tenant) -> list[tuple[Any, str]]:
    """``[(stage id, label)]`` of the tenant's lifecycle stages, in their order."""
    found = stage_filter(session, tenant)
    return list(found.choices(session, tenant.id)) if found is not None and found.choices else []


def in_stages(session: Session, tenant: Tenant, customer_id: int, stage_ids: list[Any]) -> bool:
    """Whether the customer's current stage is one of ``stage_ids``."""
    found = stage_filter(session, tenant) if stage_ids else None
    if found is None:
        return False
    try:
        audience = compile_audience(tenant.id, {"conditions": [{"type": STAGE_FILTER, "values": list(stage_ids)}]},
                                    [found])
    except AudienceError:
        return False
    return bool(session.execute(select(exists(audience.where(Customer.id == customer_id)))).scalar())
