"""Labels of the official account's codes (``scrm.sdk.register_labels``, shown with ``code_label``): the message
types of 消息管理 (``official_account.msg_type``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from scrm.sdk import register_labels

MSG_TYPE = "official_account.msg_type"
ACCOUNT_TYPE_LABELS = "official_account.account_type"
MESSAGE_MODE_LABELS = "official_account.message_mode"

register_labels(ACCOUNT_TYPE_LABELS, {"subscription": _l("Subscription account"), "service": _l("Service account")})
register_labels(MESSAGE_MODE_LABELS, {"plain": _l("Plaintext mode"), "compatible": _l("Compatible mode"),
                                      "safe": _l("Safe mode (encrypted)")})

register_labels(MSG_TYPE, {
    "text": _l("Text"), "image": _l("Image"), "voice": _l("Voice"), "video": _l("Video"),
    "location": _l("Location"), "link": _l("Link"), "news": _l("News"), "mpnews": _l("News"),
    "miniprogram": _l("Mini program"), "template": _l("Template message"),
    "transfer_customer_service": _l("Handed to customer service"),
})
