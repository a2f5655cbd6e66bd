"""The customers area of the members plugin: the customer list with filters and bulk actions, create and edit, the
360 profile, custom fields, merge, owner transfer, delete, import and export, and the profile API."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from scrm.sdk import Customer, MenuItem, Role

from ..area import Area
from . import api, field_views, import_views, jobs, merge_views, profile_views, views  # noqa: F401  (routes, jobs)
from .audience import audience_filters
from .blueprint import bp
from .models import ImportJob
from .transfer import move_merged
from .transfer import on_domain_event as transfer_event

ADMIN = (Role.TENANT_ADMIN,)
STAFF = (Role.TENANT_ADMIN, Role.OPERATOR)


def menu_items(tenant, user) -> list[MenuItem]:
    return [
        MenuItem(_l("Member management"), "members.customers.index", order=10, group="members.customers",
                 roles=STAFF),
        MenuItem(_l("Customer settings"), "members.customers.fields", order=50, group="members.customers",
                 roles=ADMIN),
    ]


def customer_merged(tenant, survivor_id: int, merged_id: int, session) -> None:
    # the tenant id is read from the survivor: the relay's tenant object may belong to an earlier, closed session
    survivor = session.get(Customer, survivor_id)
    if survivor is not None:
        move_merged(session, survivor.tenant_id, survivor_id, merged_id)


def disabled(tenant, session) -> None:
    """Imports still queued for the tenant stop (their jobs are skipped while the plugin is disabled)."""
    session.execute(update(ImportJob).where(ImportJob.tenant_id == tenant.id,
                                            ImportJob.status.in_(("validating", "applying")))
                    .values(status="failed", message="the members plugin was disabled"))


AREA = Area("customers", blueprint=bp, api=api.bp, menu_items=menu_items, audience_filters=audience_filters,
            customer_merged=customer_merged, disabled=disabled, domain_event=transfer_event)
