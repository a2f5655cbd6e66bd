"""Why an SMS ledger row was not sent or not delivered: the codes the channel writes on ``MessageDelivery.error_code``
(``sms_`` + a provider reason of ``scrm_sms.providers.base``, or the channel's own), registered in core's
``delivery.reason`` code set, so every page shows them through ``delivery_reason`` in the reader's language. The
vendor's own code and message are kept in ``MessageDelivery.error``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from scrm.sdk import register_labels

from .providers import base

DELIVERY_REASON = "delivery.reason"
PREFIX = "sms_"
UNREACHABLE = "sms_unreachable"
UNSUBSCRIBED = "sms_unsubscribed"
NOT_SENT = "sms_not_sent"
UNDELIVERED = "sms_undelivered"
NO_TEXT_TEMPLATE = "sms_no_text_template"


def reason_code(reason: str) -> str:
    """The ledger code of a provider reason (``balance`` -> ``sms_balance``)."""
    return f"{PREFIX}{reason if reason in base.REASONS else base.UNKNOWN}"


register_labels(DELIVERY_REASON, {
    reason_code(base.BALANCE): _l("The SMS provider account has no balance left"),
    reason_code(base.TEMPLATE): _l("The SMS template is missing, not approved or its parameters do not match"),
    reason_code(base.SIGNATURE): _l("The SMS sign name is missing or not approved"),
    reason_code(base.RATE_LIMIT): _l("The provider's sending limit for this number was reached"),
    reason_code(base.ILLEGAL_NUMBER): _l("Not a valid mobile number"),
    reason_code(base.AUTH): _l("The SMS provider refused the account's keys"),
    reason_code(base.CONTENT): _l("The SMS provider refused the content"),
    reason_code(base.UNKNOWN): _l("The SMS provider refused the message"),
    UNREACHABLE: _l("The SMS provider could not be reached"),
    UNSUBSCRIBED: _l("The number unsubscribed from marketing SMS"),
    NOT_SENT: _l("The SMS provider has no record of the message"),
    UNDELIVERED: _l("The carrier could not deliver the message"),
    NO_TEXT_TEMPLATE: _l("The SMS account has no template for typed text"),
})

#: how a number got on the unsubscribe list (``SmsUnsubscribe.source``)
UNSUBSCRIBE_SOURCE = "sms.unsubscribe.source"
register_labels(UNSUBSCRIBE_SOURCE, {"uplink": _l("Replied TD"), "manual": _l("Added by hand"),
                                     "import": _l("Imported")})
