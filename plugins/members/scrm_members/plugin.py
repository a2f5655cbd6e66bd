"""The members plugin class: its metadata and hook implementations, composed from its areas."""

from __future__ import annotations

import importlib
import logging

from flask import Blueprint

from scrm.sdk import N_, Plugin, hookimpl

from .area import Area

log = logging.getLogger(__name__)

AREA_MODULES = ("customers", "segments", "loyalty")


def areas() -> list[Area]:
    return [importlib.import_module(f"scrm_members.{name}").AREA for name in AREA_MODULES]


def _collect(attr: str, *args) -> list:
    out = []
    for area in areas():
        fn = getattr(area, attr)
        if fn is not None:
            result = fn(*args)
            if result:
                out.extend(result if isinstance(result, list | tuple) else [result])
    return out


class MembersPlugin(Plugin):
    # message ids of the plugin's catalogue: the host shows them translated
    title = N_("Members")
    description = N_("Customers and their 360 profile, custom fields, tags, segments, blacklist, lifecycle stages, "
                     "orders and points, and the home dashboard.")
    category = "feature"
    permissions = ("members.export", "members.import", "members.merge", "members.blacklist")

    @hookimpl
    def register_routes(self):
        bp = Blueprint("members", __name__, template_folder="templates", static_folder="static",
                       static_url_path="/static")
        for area in areas():
            if area.blueprint is not None:
                bp.register_blueprint(area.blueprint)
        return bp

    @hookimpl
    def register_api(self):
        bp = Blueprint("members_api", __name__)
        for area in areas():
            if area.api is not None:
                bp.register_blueprint(area.api)
        return bp

    @hookimpl
    def plugin_enabled(self, tenant, settings, session):
        for area in areas():
            if area.enabled is not None:
                area.enabled(tenant, settings, session)

    @hookimpl
    def plugin_disabled(self, tenant, session):
        for area in areas():
            if area.disabled is not None:
                area.disabled(tenant, session)

    @hookimpl
    def customer_merged(self, tenant, survivor_id, merged_id, session):
        for area in areas():
            if area.customer_merged is not None:
                area.customer_merged(tenant, survivor_id, merged_id, session)

    @hookimpl
    def menu_items(self, tenant, user):
        return _collect("menu_items", tenant, user)

    @hookimpl
    def dashboard_cards(self, tenant, user, session):
        return _collect("dashboard_cards", tenant, user, session)

    @hookimpl
    def todo_items(self, tenant, user, session):
        return _collect("todo_items", tenant, user, session)

    @hookimpl
    def audience_filters(self, tenant):
        return _collect("audience_filters", tenant)

    @hookimpl
    def customer_panels(self, tenant, customer, user, session):
        return _collect("customer_panels", tenant, customer, user, session)

    @hookimpl
    def customer_columns(self, tenant, customer_ids, session):
        return _collect("customer_columns", tenant, customer_ids, session)

    @hookimpl
    def domain_event(self, event, session):
        for area in areas():
            if area.domain_event is not None:
                area.domain_event(event, session)

    @hookimpl(trylast=True)
    def demo_data(self, tenant, session, demo):
        """The members part of the demo brand: orders, levels, stages, points, targets, segments. Last, after the
        channels' parts, so the statistics count the customers they brought too."""
        from .demo import seed_demo

        seed_demo(tenant, session, demo)

    @hookimpl
    def customer_exclusion_reason(self, tenant, customer_id, purpose, session):
        for area in areas():
            if area.exclusion_reason is not None:
                reason = area.exclusion_reason(tenant, customer_id, purpose, session)
                if reason:
                    return reason
        return None

    @hookimpl
    def customer_may_win(self, tenant, customer_id, win_rate, session):
        """The blacklist's marketing rule: blacklisted customers take part but never win (unless everyone wins)."""
        from .segments.blacklist import may_win

        return None if may_win(session, tenant.id, customer_id, win_rate) else False

    @hookimpl
    def customer_exclusion_query(self, tenant, purpose, session):
        """The areas' exclusions as one SQL query (the set-based bulk path); None when no area objects. Every
        area that answers the other forms answers this one too (else the path could not use it)."""
        queries = [q for area in areas() if area.exclusion_query is not None
                   if (q := area.exclusion_query(tenant, purpose, session)) is not None]
        if not queries:
            return None
        if len(queries) == 1:
            return queries[0]
        from sqlalchemy import union_all

        return union_all(*queries)

    @hookimpl
    def customer_exclusion_reasons(self, tenant, customer_ids, purpose, session):
        reasons: dict[int, str] = {}
        for area in areas():
            open_ids = [cid for cid in customer_ids if cid not in reasons]
            if area.exclusion_reasons is not None:
                found = area.exclusion_reasons(tenant, open_ids, purpose, session)
            elif area.exclusion_reason is not None:
                found = {cid: area.exclusion_reason(tenant, cid, purpose, session) for cid in open_ids}
            else:
                continue
            reasons.update({cid: reason for cid, reason in found.items() if reason})
        return reasons
