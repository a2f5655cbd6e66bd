"""The loyalty area of the members plugin: orders with their lines (API, import, list, profile panel, preferred
products of a customer and of a segment), points (balances and ledger), member levels, lifecycle stages (rules,
board, reminders, notifications), purchase-behaviour and member-level audience filters and the home dashboard.

Enabling the plugin seeds the sample stage ladder and registers the area's recurring schedules (see ``jobs``);
disabling cancels them.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from scrm.sdk import DashboardCard, MenuItem
from scrm.sdk.web import STAFF

from ..area import Area
from . import (  # noqa: F401  (routes, code labels)
    api_levels,
    columns,
    jobs,
    labels,
    levels,
    orders,
    points,
    stages,
    todos,
    views_dashboard,
    views_levels,
    views_orders,
    views_points,
    views_products,
    views_stages,
)
from .api import api
from .audiences import audience_filters as purchase_filters
from .panels import customer_panels as loyalty_panels
from .web import bp


def menu_items(tenant, user) -> list[MenuItem]:
    roles = tuple(STAFF)
    return [
        MenuItem(_l("Lifecycle stages"), "members.loyalty.stages_board", order=10, group="members.lifecycle",
                 roles=roles),
        MenuItem(_l("Stage notifications"), "members.loyalty.notifications", order=15, group="members.lifecycle",
                 roles=roles),
        MenuItem(_l("Member levels"), "members.loyalty.levels_page", order=20, group="members.lifecycle", roles=roles),
        MenuItem(_l("Points"), "members.loyalty.points_ledger", order=30, group="members.lifecycle", roles=roles),
        MenuItem(_l("Orders"), "members.loyalty.orders", order=40, group="members.lifecycle", roles=roles),
    ]


def dashboard_cards(tenant, user, session) -> list[DashboardCard]:
    """The member and sales statistics (figures, charts, rankings) as a full-width section of the tenant home."""
    from flask_babel import gettext

    return [DashboardCard(gettext("Member and sales statistics"), html=views_dashboard.dashboard_section(tenant, session),
                          order=10)]


def audience_filters(tenant) -> list:
    return [*purchase_filters(tenant), *levels.audience_filters(tenant)]


def customer_panels(tenant, customer, user, session) -> list:
    return [*loyalty_panels(tenant, customer, user, session),
            views_products.customer_products_panel(tenant, customer, session)]


def customer_merged(tenant, survivor_id: int, merged_id: int, session) -> None:
    """Orders (with their lines) and points move to the survivor; the merged customer's open stage stay is closed;
    the survivor keeps its level, or takes the merged customer's when it has none."""
    orders.move_merged(session, tenant.id, survivor_id, merged_id)
    points.move_merged(session, tenant.id, survivor_id, merged_id)
    stages.move_merged(session, tenant.id, survivor_id, merged_id)
    levels.move_merged(session, tenant.id, survivor_id, merged_id)


def enabled(tenant, settings, session) -> None:
    stages.seed_sample_ladder(session, tenant.id, tenant.language)
    jobs.ensure_schedules(session, tenant.id)


def disabled(tenant, session) -> None:
    jobs.cancel_schedules(session, tenant.id)


AREA = Area(
    "loyalty",
    blueprint=bp,
    api=api,
    menu_items=menu_items,
    dashboard_cards=dashboard_cards,
    todo_items=todos.todo_items,
    audience_filters=audience_filters,
    customer_panels=customer_panels,
    customer_columns=columns.customer_columns,
    customer_merged=customer_merged,
    enabled=enabled,
    disabled=disabled,
    extra={"segment_panels": views_products.segment_panels},
)
