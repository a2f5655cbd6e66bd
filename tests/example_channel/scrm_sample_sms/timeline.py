"""The channel's timeline entries: a customer's SMS reply (declared through ``scrm.sdk.timeline``)."""

from __future__ import annotations

from markupsafe import escape

from scrm.sdk import TimelineEntry
from scrm.sdk.timeline import entry_kind

REPLIED = entry_kind("sample_sms", "replied", "replied by SMS", "The customer answered an SMS; data: text.")


def timeline_entries(tenant, events) -> list[TimelineEntry]:
    """A line for each reply among ``events`` (the tenant's only)."""
    return [TimelineEntry(e.id, f"Replied by SMS: {escape((e.data or {}).get('text', ''))}", "message")
            for e in events if e.plugin == REPLIED.plugin and e.kind == REPLIED.kind and e.tenant_id == tenant.id]
