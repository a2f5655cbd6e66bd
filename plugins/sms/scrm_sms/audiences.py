"""Audience conditions the SMS plugin contributes (the ``audience_filters`` hook, section "interaction behaviour"),
each compiled to SQL on ``customer``:

* ``sms_received_within`` (a number of days, 1..365): an SMS of the tenant reached the customer (delivery report
  ``delivered``, or ``read``) within that many days: one semi-join over ``message_delivery`` (index
  ``(tenant_id, customer_id, channel, created_at)``);
* ``sms_clicked_within`` (days, 1..365): the customer clicked a personalised SMS short link (``scrm.sdk.shortlinks``:
  a click of a recipient code on a link whose channel is ``sms``) within that many days; the links come first
  (few rows), their clicks by ``(link_id, clicked_at)``;
* ``sms_unsubscribed`` (yes/no): the customer's mobile is on the tenant's SMS unsubscribe list (unique
  ``(tenant_id, mobile)``).

Nothing loops over customers in Python.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, not_, or_, select, true

from scrm.sdk import N_, Customer, DeliveryStatus, FilterType, MessageDelivery, utcnow
from scrm.sdk.shortlinks import ShortLink, ShortLinkClick

from .optout.models import SmsUnsubscribe

MAX_DAYS = 365
CHANNEL = "sms"
#: what "received" means: the provider reported the message delivered (a sent message may still fail)
RECEIVED = (DeliveryStatus.DELIVERED, DeliveryStatus.READ)
TRUE_VALUES = ("1", "true", "yes", "on")


def _days(value: Any) -> int:
    days = str(value).strip()
    if not days.isdigit() or not 1 <= int(days) <= MAX_DAYS:
        raise ValueError(gettext(N_("give a number of days from 1 to %(max)s"), max=MAX_DAYS))
    return int(days)


def _since(values: list[Any]) -> Any:
    """The widest window of the values (OR of "within N days" is "within the largest N")."""
    return utcnow() - timedelta(days=max(_days(v) for v in values))


def _received(values: list[Any], ctx) -> Any:
    since = _since(values)
    return exists().where(MessageDelivery.tenant_id == ctx.tenant_id, MessageDelivery.customer_id == Customer.id,
                          MessageDelivery.channel == CHANNEL, MessageDelivery.created_at >= since,
                          MessageDelivery.status.in_(RECEIVED))


def _clicked(values: list[Any], ctx) -> Any:
    since = _since(values)
    clickers = (select(ShortLinkClick.customer_id)
                .join(ShortLink, ShortLink.id == ShortLinkClick.link_id)
                .where(ShortLink.tenant_id == ctx.tenant_id, ShortLink.channel == CHANNEL,
                       ShortLinkClick.recipient_id.is_not(None), ShortLinkClick.customer_id.is_not(None),
                       ShortLinkClick.clicked_at >= since))
    return Customer.id.in_(clickers)


def _unsubscribed(values: list[Any], ctx) -> Any:
    wanted = {str(v).strip().lower() in TRUE_VALUES for v in values}
    clause = exists().where(SmsUnsubscribe.tenant_id == ctx.tenant_id, SmsUnsubscribe.mobile == Customer.mobile)
    if wanted == {True}:
        return clause
    if wanted == {False}:
        return or_(Customer.mobile.is_(None), not_(clause))
    return true()


def audience_filters(tenant) -> list[FilterType]:
    return [
        FilterType("sms_received_within", _l("Received an SMS within (days)"), _received, "text", "interaction",
                   plugin="sms"),
        FilterType("sms_clicked_within", _l("Clicked an SMS link within (days)"), _clicked, "text", "interaction",
                   plugin="sms"),
        FilterType("sms_unsubscribed", _l("Unsubscribed from SMS"), _unsubscribed, "bool", "interaction",
                   plugin="sms"),
    ]
