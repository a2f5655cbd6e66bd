"""The host's own features, registered as a built-in plugin through the same hook API plugins use."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import select

from scrm.core.audience import core_filter_types
from scrm.core.models import Customer, Role
from scrm.core.plugins.base import Plugin
from scrm.core.plugins.contributions import DashboardCard, MenuItem
from scrm.core.plugins.hookspecs import hookimpl
from scrm.core.timeutil import day_span

ADMIN = (Role.TENANT_ADMIN,)
STAFF = (Role.TENANT_ADMIN, Role.OPERATOR)


class HostPlugin(Plugin):
    name = "host"
    title = "Host"
    description = "The platform's own pages: home, plugins, settings, audit log, API tokens."

    @hookimpl
    def menu_items(self, tenant, user):
        return [
            MenuItem(_l("Home"), "tenant.dashboard", order=0, group="home"),
            MenuItem(_l("Brand settings"), "brand.settings", order=5, section="settings", group="settings.platform",
                     roles=ADMIN),
            MenuItem(_l("Plugins"), "tenant.plugins", order=10, group="settings.platform", roles=ADMIN),
            MenuItem(_l("API tokens"), "tenant.tokens", order=20, group="settings.platform", roles=ADMIN),
            MenuItem(_l("Audit log"), "tenant.audit_log", order=30, group="settings.platform", roles=ADMIN),
            MenuItem(_l("Short links"), "shortlinks.index", order=90, group="marketing.campaigns", roles=STAFF),
            *self._channel_account_items(tenant),
        ]

    @staticmethod
    def _channel_account_items(tenant) -> list[MenuItem]:
        """One "accounts" entry per channel the tenant enabled that declares account settings, under its title."""
        from flask import g

        from .labels import translate
        from .platform_ext import platform
        from .views.channel_accounts import channel_menu

        hooks = getattr(g, "hooks", None)
        if hooks is None:
            return []
        return [MenuItem(translate(title), "channel_accounts.index", order=10 + n, group="settings.channels", roles=ADMIN,
                         values=(("plugin", name),))
                for n, (name, title) in enumerate(channel_menu(platform().registry, hooks.enabled))]

    @hookimpl
    def dashboard_cards(self, tenant, session):
        live = (Customer.tenant_id == tenant.id) & Customer.merged_into_id.is_(None)
        total = session.exec(select(func.count()).select_from(Customer).where(live)).one()
        today = day_span()  # the tenant's day, in its time zone
        new = session.exec(select(func.count()).select_from(Customer)
                           .where(live, Customer.created_at >= today.start, Customer.created_at < today.end)).one()
        return [
            DashboardCard(str(_l("Customers")), f"{total:,}", str(_l("in total")), "tenant.customers", order=0),
            DashboardCard(str(_l("New customers")), f"{new:,}", str(_l("today")), order=1),
        ]

    @hookimpl
    def audience_filters(self, tenant):
        return core_filter_types()
