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
    features: ClassVar[tuple[str, ...]] = ()

    @hookimpl
    def register_routes(self):
        from flask import Blueprint

        return Blueprint("sms", __name__, url_prefix="/sms", template_folder="templates")
