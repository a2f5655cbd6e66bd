"""The SMS channel plugin class: metadata, the channel contract (accounts, deliver, query_outcome, callbacks,
sandbox) and hook implementations. The work is done in the modules named from the domain; this class only wires."""

from __future__ import annotations

from typing import ClassVar

from scrm.sdk import N_, ChannelPlugin, hookimpl

from .smstemplates.settings import SmsSettings


class SmsPlugin(ChannelPlugin):
    # message ids of the plugin's catalogue: the host shows them translated
    title = N_("SMS")
    description = N_("SMS channel (a paid value-added service): Aliyun and Tencent Cloud SMS accounts, signatures and "
                     "templates, bulk sends, quota, opt-out and a local provider sandbox.")
    #: ``text``: content already rendered (signature included); ``template``: a provider template code + params
    capabilities = ("text", "template")
    #: sends per second of one account unless its settings declare another rate (``config["rate_limit"]``)
    rate_limit = 50.0
    #: feature packages whose ``views.bp`` is nested in the ``sms`` blueprint
    features: ClassVar[tuple[str, ...]] = ("smstemplates", "statistics", "bulk", "quota", "optout")
    #: per-tenant settings (the plugins page): the signature length limit
    settings_model = SmsSettings

    # -- the channel contract (scrm_sms.channel, callbacks, sandbox) ------------------------------------------------

    @property
    def account_settings_model(self):
        from .account_settings import SmsAccountSettings

        return SmsAccountSettings

    def generate_account_secret(self, field: str) -> str:
        """A new callback token (part of the callback URL configured at the vendor)."""
        from .account_settings import generate_callback_token

        if field != "callback_token":
            raise KeyError(field)
        return generate_callback_token()

    def check_account(self, account, credentials):
        from .channel import check_account

        return check_account(account, credentials)

    def deliver(self, account, outgoing):
        from .bulk.delivery import around_deliver
        from .channel import deliver

        # the quota and the per-recipient text of bulk sends around the vendor call (scrm_sms.bulk.delivery)
        return around_deliver(outgoing, lambda prepared: deliver(account, prepared))

    def query_outcome(self, account, outgoing):
        from .channel import query_outcome

        return query_outcome(account, outgoing)

    def handle_callback(self, account, request, session):
        from .callbacks import handle_callback

        return handle_callback(account, request)

    def sandbox_app(self, state_path=None):
        from .sandbox import create_sandbox_app

        return create_sandbox_app(state_path)

    # -- hooks --------------------------------------------------------------------------------------------------------

    @hookimpl
    def plugin_disabled(self, tenant, session):
        from scrm.sdk import cancel_schedule

        from .jobs import poll_key

        cancel_schedule(session, poll_key(tenant.id))

    @hookimpl
    def customer_exclusion_reason(self, tenant, customer_id, purpose, session):
        """A customer whose mobile is on the SMS unsubscribe list gets no marketing SMS (purpose ``sms``)."""
        from .optout.hooks import exclusion_reasons

        return exclusion_reasons(session, tenant.id, [customer_id], purpose).get(customer_id)

    @hookimpl
    def customer_exclusion_reasons(self, tenant, customer_ids, purpose, session):
        from .optout.hooks import exclusion_reasons

        return exclusion_reasons(session, tenant.id, customer_ids, purpose)

    @hookimpl
    def customer_exclusion_query(self, tenant, purpose, session):
        from .optout.hooks import exclusion_query

        return exclusion_query(tenant.id, purpose)

    @hookimpl
    def message_templates(self, tenant, session):
        """Approved templates with their signatures, for other plugins' sends (``smstemplates.offers``)."""
        from .smstemplates.offers import offered

        return offered(session, tenant.id)

    @hookimpl
    def audience_filters(self, tenant):
        from .audiences import audience_filters

        return audience_filters(tenant)

    @hookimpl
    def calendar_entries(self, tenant, start, end, session):
        """Bulk sends are marketing campaigns on the home page's calendar."""
        from .bulk.calendar import calendar_entries

        return calendar_entries(tenant, start, end, session)

    @hookimpl
    def timeline_entries(self, tenant, events, session):
        from .timeline import timeline_entries

        return timeline_entries(tenant, events)

    @hookimpl
    def register_routes(self):
        import importlib

        from flask import Blueprint

        bp = Blueprint("sms", __name__, url_prefix="/sms", template_folder="templates")
        for feature in self.features:
            bp.register_blueprint(importlib.import_module(f"scrm_sms.{feature}.views").bp)
        return bp

    @hookimpl
    def plugin_enabled(self, tenant, settings, session):
        """The brand gets its system templates, and the review poll resumes for what is still pending."""
        from . import review
        from .smstemplates import system

        system.seed(session, tenant.id)
        if review.pending_rows(session, tenant.id):
            review.ensure_poll(session, tenant.id)
        from .jobs import ensure_status_poll

        ensure_status_poll(session, tenant.id)  # the fallback for delivery reports that never come
        from .bulk.jobs import ensure_reconcile

        ensure_reconcile(session, tenant.id)  # quota held by single sends whose vendor call raised

    @hookimpl
    def demo_data(self, tenant, session, demo):
        """Accounts on the sandbox, quota bought, a finished bulk send with its reports (:mod:`scrm_sms.demo`)."""
        from .demo import seed_demo

        seed_demo(tenant, session, demo)

    @hookimpl
    def menu_items(self, tenant, user):
        """The SMS pages in group ``ops.sms`` in the manual's order: 短信模板 10, 短信群发 20, 推送统计 30, 短信充值 40."""
        from flask_babel import lazy_gettext as _l

        from scrm.sdk import MenuItem

        return [MenuItem(_l("SMS templates"), "sms.templates.index", order=10, group="ops.sms"),
                MenuItem(_l("SMS bulk sends"), "sms.bulk.index", order=20, group="ops.sms"),
                MenuItem(_l("Push statistics"), "sms.statistics.index", order=30, group="ops.sms"),
                MenuItem(_l("SMS recharge"), "sms.recharge.index", order=40, group="ops.sms"),
                MenuItem(_l("SMS unsubscribes"), "sms.optout.index", order=50, group="ops.sms")]
