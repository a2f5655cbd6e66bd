"""Audience filter types of the official account (the ``audience_filters`` hook), compiled to SQL on ``customer``:

* ``oa_follows`` (choice of the tenant's accounts): the customer follows any of the chosen accounts now;
* ``oa_interacted_within`` (text, a number of days 1..365): the customer interacted with any account of the tenant
  (message, menu click, follow, scan) within that many days.

Both are one ``EXISTS`` over ``official_account_fan`` (index on (tenant, customer)); nothing loops over customers
in Python.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select
from sqlmodel import Session

from scrm.sdk import ChannelAccount, Customer, FilterType, utcnow

from .models import Fan

MAX_DAYS = 365


def _follows(values: list[Any], ctx) -> Any:
    ids = [int(v) for v in values]
    return exists().where(Fan.tenant_id == ctx.tenant_id, Fan.customer_id == Customer.id,
                          Fan.account_id.in_(ids), Fan.subscribed.is_(True))


def _account_choices(session: Session, tenant_id: int) -> list[tuple[Any, str]]:
    rows = session.execute(select(ChannelAccount.id, ChannelAccount.name).where(
        ChannelAccount.tenant_id == tenant_id, ChannelAccount.plugin == "official_account")
        .order_by(ChannelAccount.name)).all()
    return [(row.id, row.name) for row in rows]


def _interacted(values: list[Any], ctx) -> Any:
    clauses = []
    for value in values:
        days = str(value).strip()
        if not days.isdigit() or not 1 <= int(days) <= MAX_DAYS:
            raise ValueError("give a number of days from 1 to 365")
        since = utcnow() - timedelta(days=int(days))
        clauses.append(exists().where(Fan.tenant_id == ctx.tenant_id, Fan.customer_id == Customer.id,
                                      Fan.last_interaction_at >= since))
    return or_(*clauses)


def filter_types(tenant) -> list[FilterType]:
    return [
        FilterType("oa_follows", _l("Follows official account"), _follows, "choice", "official_account",
                   choices=_account_choices, plugin="official_account"),
        FilterType("oa_interacted_within", _l("Interacted with the official account within (days)"), _interacted,
                   "text", "official_account", plugin="official_account"),
    ]
