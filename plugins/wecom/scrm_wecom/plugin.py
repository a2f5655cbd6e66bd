"""The WeCom channel plugin class: metadata, hook implementations, the callback entry point and the sandbox."""

from __future__ import annotations

from typing import ClassVar

from flask_babel import lazy_gettext as _l

from scrm.sdk import N_, ChannelPlugin, MenuItem, hookimpl

from . import labels  # noqa: F401  (the code labels of WeCom's codes)


class WeComPlugin(ChannelPlugin):
    # message ids of the plugin's catalogue: the host shows them translated
    title = N_("WeCom")
    description = N_("WeCom channel: corp accounts, the API client, callbacks turned into domain events, and a local "
                     "WeCom sandbox.")
    #: what ``deliver`` sends and how fast (``messaging.channel``: app messages to employees, welcomes to new friends)
    capabilities = ("text", "textcard", "welcome")
    rate_limit = 150.0
    permissions = ("wecom.accounts",)
    #: feature packages whose ``views.bp`` is nested in the ``wecom`` blueprint (e.g. "welcome", "livecodes")
    features: ClassVar[tuple[str, ...]] = ("livecodes", "welcome", "sync", "assignment", "groupchats",
                                            "churn", "messaging", "rules", "moments", "group_welcome", "sop",
                                            "masssend", "materials", "promotion", "moments.brand")

    #: feature packages whose ``public.bp`` (pages without the admin sign-in) is nested in ``wecom_public``
    public_features: ClassVar[tuple[str, ...]] = ("materials", "moments", "promotion", "sop")

    # -- channel accounts (the host's accounts pages) -----------------------------------------------------------

    @property
    def account_settings_model(self):
        from .account_settings import WeComAccountSettings

        return WeComAccountSettings

    def generate_account_secret(self, field: str) -> str:
        """A new callback Token or EncodingAESKey (the values WeCom's admin is then configured with)."""
        from .accounts import generate_callback_token, generate_encoding_aes_key

        generators = {"callback_token": generate_callback_token, "encoding_aes_key": generate_encoding_aes_key}
        if field not in generators:
            raise KeyError(field)
        return generators[field]()

    def check_account(self, account, credentials):
        """A fresh access token for every configured secret, from the account's API host (the sandbox in tests)."""
        from scrm.sdk import current_bus

        from .checks import check_result

        return check_result(current_bus().platform, account, credentials)

    def account_links(self, account):
        """The session-archive private keys of the corp are kept on a WeCom page of their own."""
        return [(_l("Session archive keys"), "wecom.archive_keys")]

    @hookimpl
    def register_routes(self):
        from .views import build_blueprint

        return build_blueprint(self.features)

    @hookimpl
    def register_public_routes(self):
        """Customer and employee H5 pages at ``/p/<tenant>/wecom/`` (tracked material pages, the chat sidebar)."""
        from .views import build_public_blueprint

        return build_public_blueprint(self.public_features)

    @hookimpl
    def menu_items(self, tenant, user):
        """The WeCom pages in the host's groups, in the manuals' order (the README lists the group keys)."""
        admin, everyone = ("tenant_admin",), ("tenant_admin", "operator", "employee")
        return [MenuItem(_l("Unassigned users"), "wecom.assignment.unassigned", order=20, group="members.customers",
                         roles=everyone),
                MenuItem(_l("Churned customers"), "wecom.churn.index", order=30, group="members.customers",
                         roles=everyone),
                MenuItem(_l("Live codes"), "wecom.livecodes.index", order=10, group="ops.wecom"),
                MenuItem(_l("Welcome messages"), "wecom.welcome.index", order=20, group="ops.wecom"),
                MenuItem(_l("Mass messaging"), "wecom.masssend.index", order=30, group="ops.wecom"),
                MenuItem(_l("SOP operations"), "wecom.sop.index", order=40, group="ops.wecom"),
                MenuItem(_l("Moments"), "wecom.moments.index", order=50, group="ops.wecom"),
                MenuItem(_l("Employee promotion"), "wecom.promotion.index", order=20, group="marketing.campaigns"),
                MenuItem(_l("Group chat management"), "wecom.groupchats.index", order=10, group="ops.community"),
                MenuItem(_l("Material library"), "wecom.materials.index", order=10, group="ops.content"),
                MenuItem(_l("Script library"), "wecom.materials.scripts", order=20, group="ops.content"),
                MenuItem(_l("WeCom sync"), "wecom.sync.index", order=10, group="settings.sync", roles=admin),
                MenuItem(_l("WeCom platform rules"), "wecom.rules.index", order=20, group="settings.sync",
                         roles=admin)]

    @hookimpl
    def domain_event(self, event, session):
        from .sync import events as sync_events
        from .welcome.handlers import EVENT_TYPES, on_domain_event

        if event.type in sync_events.EVENT_TYPES:  # first: the customer and the follow relation exist for the rest
            sync_events.on_domain_event(event, session)
        if event.type in EVENT_TYPES:
            on_domain_event(event, session)
        from .assignment import events as assignment_events

        if event.type in assignment_events.EVENT_TYPES:
            assignment_events.on_domain_event(event, session)
        from .groupchats import events as groupchat_events

        if event.type in groupchat_events.EVENT_TYPES:
            groupchat_events.on_domain_event(event, session)
        from .churn import recording as churn_recording  # after the sync: the relation is marked ended
        from .messaging import notifications as app_notifications

        if event.type in churn_recording.EVENT_TYPES:
            churn_recording.on_domain_event(event, session)
        if event.type == app_notifications.EVENT_TYPE:
            app_notifications.on_notification(event, session)
        from .sop import events as sop_events  # after the sync: the follow relation exists

        if event.type in sop_events.EVENT_TYPES:
            sop_events.on_domain_event(event, session)
        if event.type == "wecom.friend_added":  # after the sync: promotion results through an employee's code
            from scrm.sdk import current_bus

            from .promotion.service import friend_added as promotion_friend_added

            promotion_friend_added(session, event, current_bus().platform.secrets)

    @hookimpl
    def todo_items(self, tenant, user, session):
        """Customer transfers waiting for WeCom and delivered SOP to-dos of the signed-in user's employee (home page
        to-do list)."""
        from .assignment.todos import todo_items
        from .sop.todos import todo_items as sop_todo_items

        return [*todo_items(tenant, user, session), *sop_todo_items(tenant, user, session)]

    @hookimpl
    def tag_sources(self, tenant):
        """WeCom corp tags: listed on the members' tag screen, created, renamed, deleted and synced here."""
        from .sync.tag_source import tag_sources

        return tag_sources(tenant)

    @hookimpl
    def audience_filters(self, tenant):
        """Friend of, added between, added through live code, in group chat, still a friend or lost (SQL)."""
        from .audience import filter_types

        return filter_types(tenant)

    @hookimpl
    def customer_panels(self, tenant, customer, user, session):
        from .rules.panels import customer_panels
        from .views.customer_panel import relations_panel

        return [*relations_panel(tenant, customer, user, session), *customer_panels(tenant, customer, user, session)]

    @hookimpl
    def timeline_entries(self, tenant, events, session):
        """Lines for the WeCom events of a customer's timeline (friend added, tagged, welcome, groups, lost)."""
        from .materials.timeline import timeline_entries as material_entries
        from .timeline import timeline_entries

        return [*timeline_entries(tenant, events, session), *material_entries(tenant, events, session)]

    @hookimpl
    def customer_exclusion_reason(self, tenant, customer_id, purpose, session):
        """A transfer elsewhere (e.g. the members' pages) respects the WeCom handovers started here."""
        if purpose != "transfer":
            return None
        from .assignment.tracking import exclusion_reason

        return exclusion_reason(session, tenant.id, customer_id)

    @hookimpl
    def customer_exclusion_reasons(self, tenant, customer_ids, purpose, session):
        """The batched form of the decision above: mass sends ask it once for many customers."""
        if purpose != "transfer":
            return {}
        from .assignment.tracking import exclusion_reason

        return {cid: reason for cid in customer_ids if (reason := exclusion_reason(session, tenant.id, cid))}

    @hookimpl
    def plugin_enabled(self, tenant, settings, session):
        from .assignment.tracking import resume
        from .promotion.jobs import ensure_schedule as ensure_promotion_schedule
        from .sop.jobs import ensure_schedule

        resume(session, tenant.id)
        ensure_schedule(session, tenant.id)
        ensure_promotion_schedule(session, tenant.id)

    @hookimpl
    def demo_data(self, tenant, session, demo):
        from .demo import seed_demo

        seed_demo(tenant, session, demo)

    @hookimpl
    def customer_merged(self, tenant, survivor_id, merged_id, session):
        from .churn.recording import customer_merged as losses_merged
        from .groupchats.mirror import customer_merged as group_members_merged
        from .sync.events import customer_merged

        customer_merged(session, tenant.id, survivor_id, merged_id)
        group_members_merged(session, tenant.id, survivor_id, merged_id)
        losses_merged(session, tenant.id, survivor_id, merged_id)

    def handle_callback(self, account, request, session):
        """Verify, decrypt, store and enqueue one WeCom callback (see :mod:`scrm_wecom.callbacks`)."""
        from scrm.sdk.web import platform

        from .callbacks import handle_callback

        return handle_callback(platform(), account, request, session)

    def deliver(self, account, outgoing):
        """One send of the outbound path: an app message to an employee or a welcome (:mod:`.messaging.channel`)."""
        from .messaging.channel import deliver

        return deliver(account, outgoing)

    def sandbox_app(self, state_path=None):
        """The local WeCom simulator (:mod:`scrm_wecom.sandbox`); ``state_path`` keeps its corps across restarts."""
        from .sandbox import create_sandbox_app

        return create_sandbox_app(state_path)
