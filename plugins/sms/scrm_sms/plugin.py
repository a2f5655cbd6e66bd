"""The SMS channel plugin class: metadata, the channel contract (accounts, deliver, query_outcome, callbacks,
sandbox) and hook implementations. The work is done in the modules named from the domain; this class only wires."""

from __future__ import annotations

from typing import ClassVar

from scrm.sdk import N_, ChannelPlugin, hookimpl


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
    features: ClassVar[tuple[str, ...]] = ("smstemplates",)

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

    @hookimpl
    def menu_items(self, tenant, user):
        """The SMS pages in group ``ops.sms`` in the manual's order: 短信模板 10, 短信群发 20, 推送统计 30, 短信充值 40."""
        from flask_babel import lazy_gettext as _l

        from scrm.sdk import MenuItem

        return [MenuItem(_l("SMS templates"), "sms.templates.index", order=10, group="ops.sms")]
