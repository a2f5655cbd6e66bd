"""Rendering what core gives as message ids: code labels, filter type labels and core's messages, translated in the
user's language.

Core imports neither Flask nor Babel (see ``scrm.core.messages``): it returns message ids (English text marked with
``N_``) and ``Message(id, params)`` values. This module is where they become the user's language, through the host's
catalogue. ``CORE_MESSAGES`` repeats every core message id with ``_l`` so ``make messages`` extracts them into the
host's catalogue; ``tests/test_labels.py`` fails when core gains a message id that is missing here.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from scrm.core.labels import DELIVERY_REASON, label_of
from scrm.core.messages import Message

#: every message id of core, for extraction into the host's catalogue (kept complete by a test)
CORE_MESSAGES = (
    # filter types (scrm.core.audience)
    _l("Tags"), _l("Source channel"), _l("Has identity"), _l("Owner employee"), _l("Member"), _l("Created between"),
    # audience errors
    _l("an audience needs a list of conditions"), _l("condition %(index)s must be an object"),
    _l("condition %(index)s: unknown type '%(type)s'"), _l("condition %(index)s (%(type)s): choose at least one value"),
    _l("condition %(index)s (%(type)s): %(error)s"),
    _l("condition %(index)s (%(type)s): a number is too large or not finite"),
    # why a plugin is blocked (scrm.core.plugins.registry)
    _l("installed but not listed in plugins.toml"),
    _l("duplicate plugin name '%(name)s' (distributions %(first)s and %(second)s)"), _l("import error: %(error)s"),
    _l("entry point is not a scrm.sdk.Plugin subclass"), _l("could not be created: %(error)s"),
    _l("version %(version)s is outside '%(wanted)s' required by plugins.toml"), _l("invalid api specifier '%(api)s'"),
    _l("needs hook API '%(api)s', the host provides %(host)s"), _l("unknown hook(s): %(hooks)s"),
    _l("requires plugin '%(name)s', which is not installed"), _l("requires plugin '%(name)s', which is %(state)s"),
    _l("import error in its jobs: %(error)s"), _l("invalid hook implementation: %(error)s"),
    _l("registration failed: %(error)s"),
    # code labels (scrm.core.labels)
    _l("Manually created"), _l("Imported"), _l("API"),
    _l("Mobile"), _l("WeChat UnionID"), _l("Official Account OpenID"), _l("WeCom external contact"),
    _l("Sending"), _l("Sent"), _l("Delivered"), _l("Failed"), _l("Not sent"),
    _l("Customer excluded (e.g. blacklisted)"), _l("Daily frequency cap reached"), _l("Channel disabled for the brand"),
    _l("Outcome unknown, not resent"), _l("No channel account"), _l("Sending failed"),
    _l("Active"), _l("Left"), _l("Not activated"),
    _l("Brand admin"), _l("Operator"), _l("Employee"),
    _l("All customers"), _l("Own department"), _l("Own customers"), _l("Channel"), _l("Feature"),
    _l("Plugin enabled"), _l("Plugin disabled"), _l("Plugin settings changed"), _l("API token created"),
    _l("API token revoked"), _l("Brand settings changed"),
    # the platform's own timeline kind (scrm.sdk.timeline.MERGED)
    _l("Another customer merged into this one"),
    # the customer rules every form, import and API applies (scrm.core.services.customer_rules)
    _l("Enter the customer's name."), _l("At most %(n)s characters."),
    _l("'%(value)s' is not an 11-digit mobile number."),
    _l("%(mobile)s already belongs to customer %(name)s (#%(id)s)."),
    # the brand's articles (scrm.core.content)
    _l("Enter a title."), _l("The title is at most %(n)s characters."), _l("The summary is at most %(n)s characters."),
    # the marketing calendar (scrm.core.holidays)
    _l("National festival"), _l("Internet festival"), _l("Solar term"), _l("Activity plan"), _l("Schedule"),
    _l("Marketing campaign"),
    # short links (scrm.core.shortlinks): labels and refusals
    _l("SMS"), _l("Official account"), _l("WeCom"), _l("Poster"), _l("Other"), _l("Short link (valid 5 years)"),
    _l("Long link (permanent)"), _l("WeChat"), _l("Mobile browser"), _l("Desktop browser"),
    _l("Robot / link preview"), _l("Enter the address the link opens."), _l("The address is at most %(n)s characters."),
    _l("The address may not contain spaces, backslashes or control characters."),
    _l("Enter a full web address, e.g. https://shop.example.com/1212."),
    _l("The address may not contain a user name or password."), _l("Choose a channel from the list."),
    _l("Choose short link or long link."), _l("The campaign is at most %(n)s characters."),
    _l("The campaign name is at most %(n)s characters."), _l("A recipient address is at most %(n)s characters."),
    _l("Upload a logo before turning on the logo on QR codes."), _l("Short link created"),
    _l("Personalised links issued"), _l("Short link clicks exported"), _l("QR code logo changed"),
)


def translate(message: Any) -> str:
    """A core message id, a ``Message``, a lazy string or plain text, in the user's language."""
    if message is None:
        return ""
    if isinstance(message, Message):
        return gettext(message.id, **message.params)
    if isinstance(message, str):
        return gettext(message) if message else ""
    return str(message)  # a lazy string: translated by its own catalogue


def code_label(code_set: str, code: Any) -> str:
    """The label of ``code`` in ``code_set`` (``customer.source``, ``identity.kind``, ``delivery.status`` ...) in the
    user's language; a channel-scoped code (``openid@wx…``) gets its kind's label; an unknown code shows as it is."""
    label = label_of(code_set, code)
    if label is None:
        return "" if code is None else str(getattr(code, "value", code))
    return translate(label)


def delivery_reason(code: Any) -> str:
    """Why a ledger row was not sent, from its stable ``error_code``, in the user's language: the code's label in
    ``delivery.reason`` (core's codes and those each channel registers), else "Channel error <code>" (a provider's
    own code); "" for no code. The one label function of a ledger row's reason on every page and export."""
    if code is None or code == "":
        return ""
    label = label_of(DELIVERY_REASON, code)
    if label is None:
        return gettext("Channel error %(code)s", code=str(getattr(code, "value", code)))
    return translate(label)


def translated_filter_types(types: list) -> list:
    """``types`` (audience filter types) with their labels in the user's language, for pages."""
    from dataclasses import replace

    return [replace(t, label=translate(t.label)) for t in types]


def init_labels(app: Flask) -> None:
    """Templates get ``code_label(set, code)``, ``translate(message)`` and ``delivery_reason(code)``."""
    app.jinja_env.globals["code_label"] = code_label
    app.jinja_env.globals["translate"] = translate
    app.jinja_env.globals["delivery_reason"] = delivery_reason
