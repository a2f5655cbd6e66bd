"""The WeCom channel plugin class: metadata, hook implementations, the callback entry point and the sandbox."""

from __future__ import annotations

from typing import ClassVar

from scrm.sdk import ChannelPlugin, MenuItem, hookimpl


class WeComPlugin(ChannelPlugin):
    title = "企业微信 WeCom"
    description = ("WeCom channel: corp accounts, the API client, callbacks turned into domain events, and a local "
                   "WeCom sandbox.")
    capabilities = ("text", "textcard", "welcome", "mass_template")
    permissions = ("wecom.accounts",)
    #: feature packages whose ``views.bp`` is nested in the ``wecom`` blueprint (e.g. "welcome", "livecodes")
    features: ClassVar[tuple[str, ...]] = ("livecodes", "welcome", "sync")

    @hookimpl
    def register_routes(self):
        from .views import build_blueprint

        return build_blueprint(self.features)

    @hookimpl
    def menu_items(self, tenant, user):
        return [MenuItem("WeCom", "wecom.index", order=10, section="channels", roles=("tenant_admin",)),
                MenuItem("Live codes", "wecom.livecodes.index", order=11, section="channels"),
                MenuItem("Welcome messages", "wecom.welcome.index", order=12, section="channels"),
                MenuItem("WeCom sync", "wecom.sync.index", order=13, section="channels", roles=("tenant_admin",))]

    @hookimpl
    def domain_event(self, event, session):
        from .sync import events as sync_events
        from .welcome.handlers import EVENT_TYPES, on_domain_event

        if event.type in sync_events.EVENT_TYPES:  # first: the customer and the follow relation exist for the rest
            sync_events.on_domain_event(event, session)
        if event.type in EVENT_TYPES:
            on_domain_event(event, session)

    @hookimpl
    def customer_merged(self, tenant, survivor_id, merged_id, session):
        from .sync.events import customer_merged

        customer_merged(session, tenant.id, survivor_id, merged_id)

    def handle_callback(self, account, request, session):
        """Verify, decrypt, store and enqueue one WeCom callback (see :mod:`scrm_wecom.callbacks`)."""
        from scrm.sdk.web import platform

        from .callbacks import handle_callback

        return handle_callback(platform(), account, request, session)

    def sandbox_app(self):
        """The local WeCom simulator (:mod:`scrm_wecom.sandbox`)."""
        from .sandbox import create_sandbox_app

        return create_sandbox_app()
