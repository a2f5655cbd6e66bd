"""The official account (公众号) channel plugin class: metadata, hook implementations, the callback entry point and
the sandbox.

Feature areas plug in by convention, so that adding one only adds its name to ``features`` below:

* ``scrm_official_account.<feature>.views``: ``bp`` (a Blueprint nested in the ``official_account`` blueprint) and,
  optionally, ``menu_items(tenant, user) -> list[MenuItem]`` (its pages in the host's navigation groups);
* ``scrm_official_account.<feature>.events`` (optional): ``EVENT_TYPES`` (a set of domain event types) and
  ``on_domain_event(event, session)``;
* ``scrm_official_account.<feature>.replies`` (optional): passive-reply handlers (``scrm_official_account.replies``);
* ``scrm_official_account.demo_<feature>`` (optional): ``seed(tenant, session, demo, ctx)`` (see :mod:`.demo`);
* ``scrm_official_account.sandbox.<feature>_api`` (optional): sandbox endpoints (see :mod:`.sandbox`).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import ClassVar

from scrm.sdk import N_, ChannelPlugin, MenuItem, hookimpl

from . import labels  # noqa: F401  (the code labels of the official account's codes)


def feature_module(feature: str, module: str):
    """``scrm_official_account.<feature>.<module>`` if that module exists, else None."""
    name = f"scrm_official_account.{feature}.{module}"
    try:
        if importlib.util.find_spec(name) is None:
            return None
    except ModuleNotFoundError:
        return None
    return importlib.import_module(name)


class OfficialAccountPlugin(ChannelPlugin):
    # message ids of the plugin's catalogue: the host shows them translated
    title = N_("Official account")
    description = N_("WeChat official account channel: several accounts per brand, callbacks in plain, compatible "
                     "and safe mode, fans, auto-replies, menus, materials, mass sends, the 48-hour inbox and a local "
                     "sandbox.")
    #: what ``deliver`` sends (customer-service messages within 48 hours, template messages)
    capabilities = ("text", "image", "voice", "video", "news", "miniprogram", "template")
    rate_limit = 100.0
    permissions = ("official_account.accounts",)
    #: feature packages (``scrm_official_account.<feature>``): see the module docstring
    features: ClassVar[tuple[str, ...]] = ("fans", "messages", "materials", "autoreply", "menus", "masssend",
                                            "qrcodes", "stores", "share")

    # -- channel accounts (the host's accounts pages) -----------------------------------------------------------

    @property
    def account_settings_model(self):
        from .account_settings import OfficialAccountSettings

        return OfficialAccountSettings

    def generate_account_secret(self, field: str) -> str:
        """A new callback Token or EncodingAESKey (the values the OA admin is then configured with)."""
        from .accounts import generate_callback_token, generate_encoding_aes_key

        generators = {"token": generate_callback_token, "encoding_aes_key": generate_encoding_aes_key}
        if field not in generators:
            raise KeyError(field)
        return generators[field]()

    def check_account(self, account, credentials):
        """A fresh access token from the account's API host (the sandbox in tests)."""
        from scrm.sdk import current_bus

        from .accounts import check_result

        return check_result(current_bus().platform, account, credentials)

    @hookimpl
    def register_routes(self):
        from .views import build_blueprint

        return build_blueprint(self.features)

    @hookimpl
    def register_public_routes(self):
        """Customer-facing pages at ``/p/<tenant>/official_account/``: web authorisation and share-for-gift."""
        from .public import build_public_blueprint

        return build_public_blueprint()

    @hookimpl
    def menu_items(self, tenant, user):
        """The pages of every feature area, in the host's groups (``ops.official_account`` and others)."""
        items: list[MenuItem] = []
        for feature in self.features:
            views = feature_module(feature, "views")
            if views is not None and hasattr(views, "menu_items"):
                items.extend(views.menu_items(tenant, user))
        return items

    @hookimpl
    def domain_event(self, event, session):
        for feature in self.features:
            events = feature_module(feature, "events")
            if events is not None and event.type in getattr(events, "EVENT_TYPES", ()):
                events.on_domain_event(event, session)

    @hookimpl
    def audience_filters(self, tenant):
        """Follows account X; interacted within N days (:mod:`.fans.filters`)."""
        from .fans.filters import filter_types

        return filter_types(tenant)

    @hookimpl
    def calendar_entries(self, tenant, start, end, session):
        """Mass sends are marketing campaigns on the home page's calendar."""
        from .masssend.calendar import calendar_entries

        return calendar_entries(tenant, start, end, session)

    @hookimpl
    def demo_data(self, tenant, session, demo):
        from .demo import seed_demo

        seed_demo(tenant, session, demo)

    def handle_callback(self, account, request, session):
        """Verify, decrypt, store, answer (passive reply or ``success``) one callback (:mod:`.callbacks`)."""
        from scrm.sdk.web import platform

        from .callbacks import handle_callback

        return handle_callback(platform(), account, request, session)

    def deliver(self, account, outgoing):
        """One send of the outbound path: a customer-service or template message (:mod:`.channel`)."""
        from .channel import deliver

        return deliver(account, outgoing)

    def query_outcome(self, account, outgoing):
        from .channel import query_outcome

        return query_outcome(account, outgoing)

    def sandbox_app(self, state_path=None):
        """The local official-account simulator (:mod:`scrm_official_account.sandbox`)."""
        from .sandbox import create_sandbox_app

        return create_sandbox_app(state_path)

