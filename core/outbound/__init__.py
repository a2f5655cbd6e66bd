"""The one outbound path: every message to a customer, from any feature, through any channel.

- ``send_message``: one message to one recipient, in the caller's transaction (exclusion, caps, ledger row, send job
  enqueued after the commit; the row is its own outbox entry).
- ``plan_bulk_send``: the same for a large audience, in committed chunks, resumable.
- ``plan_bulk_set``: the set-based bulk form: each chunk's ledger rows by one INSERT ... SELECT from the audience
  query (exclusions and caps in SQL), message variants, a budget, the caller's bookkeeping in each chunk's
  transaction.
- ``deliver_now``: a row written with ``send_message(..., deliver_inline=True)`` sent in the calling job (a reply the
  provider accepts only for a moment, e.g. WeCom's welcome within 20 s of the add).
- ``advance`` / ``mark_delivery_report``: forward-only ledger moves, delivery reports by provider message id.
- ``set_daily_cap`` / ``daily_cap``: the tenant's frequency caps.
- the send job, the relay and the throttle: ``jobs`` and ``throttle`` (the platform runs them).
"""

from .bulk import BulkPlan, plan_bulk_send
from .caps import DEFAULT_DAILY_CAPS, daily_cap, set_daily_cap
from .inline import deliver_now
from .jobs import MAX_ATTEMPTS, UNKNOWN_OUTCOME, relay_deliveries, resolve_unknown, send_delivery
from .ledger import advance, find_by_provider_id, mark_delivery_report
from .message import (
    MessageKind,
    OutboundError,
    OutboundMessage,
    Outgoing,
    SendResult,
    UnknownChannel,
    UnsupportedMessageKind,
)
from .sending import CAPPED, EXCLUDED, send_message
from .setplan import PlannedChunk, SetPlan, Variant, plan_bulk_set

__all__ = [
    "CAPPED", "DEFAULT_DAILY_CAPS", "EXCLUDED", "MAX_ATTEMPTS", "UNKNOWN_OUTCOME", "BulkPlan", "MessageKind",
    "OutboundError", "OutboundMessage", "Outgoing", "SendResult", "UnknownChannel", "UnsupportedMessageKind",
    "PlannedChunk", "SetPlan", "Variant", "advance", "daily_cap", "deliver_now", "find_by_provider_id",
    "mark_delivery_report", "plan_bulk_send", "plan_bulk_set",
    "relay_deliveries", "resolve_unknown", "send_delivery", "send_message", "set_daily_cap",
]
