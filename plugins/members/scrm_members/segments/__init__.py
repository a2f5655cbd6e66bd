"""The segments area of the members plugin: tags (manual and automatic, category visibility), segments (member
groups) and the blacklist. ``tagging`` is the tag picker service the other areas use; ``blacklist`` answers the
exclusion decision and ``may_win`` for marketing activities."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from scrm.sdk import EventTypes, MenuItem
from scrm.sdk.web import STAFF

from ..area import Area
from . import blacklist, jobs, segment_store, tag_catalog, views_blacklist, views_segments, views_tags  # noqa: F401
from .api import api
from .audiences import audience_filters
from .models import TagEvent
from .panels import customer_panels
from .web import bp


def menu_items(tenant, user) -> list[MenuItem]:
    roles = tuple(STAFF)
    return [
        MenuItem(_l("Tags"), "members.segments.tags", order=10, group="members.groups", roles=roles),
        MenuItem(_l("Segments"), "members.segments.index", order=20, group="members.groups", roles=roles),
        MenuItem(_l("Blacklist"), "members.segments.blacklist", order=40, group="members.customers", roles=roles),
    ]


def customer_merged(tenant, survivor_id: int, merged_id: int, session) -> None:
    """Move the merged customer's tagging events, segment memberships and blacklist history to the survivor."""
    from sqlalchemy import update

    session.execute(update(TagEvent).where(TagEvent.tenant_id == tenant.id, TagEvent.customer_id == merged_id)
                    .values(customer_id=survivor_id))
    segment_store.move_merged(session, tenant.id, survivor_id, merged_id)
    blacklist.move_merged(session, tenant.id, survivor_id, merged_id)


def domain_event(event, session) -> None:
    """Tags their channel plugin created or renamed: their creator / updater and time on the tag list."""
    if event.type == EventTypes.TAG_CATALOG_CHANGED:
        tag_catalog.record_catalog_change(session, event.tenant_id, event.payload, event.occurred_at)


def enabled(tenant, settings, session) -> None:
    jobs.ensure_schedules(session, tenant.id)


def disabled(tenant, session) -> None:
    jobs.cancel_schedules(session, tenant.id)


AREA = Area(
    "segments",
    blueprint=bp,
    api=api,
    menu_items=menu_items,
    audience_filters=audience_filters,
    customer_panels=customer_panels,
    customer_merged=customer_merged,
    exclusion_reason=blacklist.exclusion_reason,
    exclusion_reasons=blacklist.exclusion_reasons,
    exclusion_query=blacklist.exclusion_query,
    domain_event=domain_event,
    enabled=enabled,
    disabled=disabled,
)
