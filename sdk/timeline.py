"""The customer timeline: what happened to a customer, written by the plugin where it happened and shown on the
360 profile.

A plugin declares each kind of entry it writes once, at import time, with :func:`entry_kind` (the kind's code, a
plain English summary kept on every row as the fallback line, and what the kind records), then writes entries with
:func:`add_entry` in the caller's transaction (or builds rows with :func:`entry_row` and inserts many with
:func:`add_entries`). Writing an undeclared kind is refused, so :func:`kinds` lists every kind there is. The
profile renders each entry with the ``TimelineEntry`` the owning plugin returns from its ``timeline_entries``
hook (a translated line, an icon). For a row its plugin does not render (the plugin is disabled for the tenant) the
profile shows the kind's ``label`` in the user's language: ``entry_kind(..., label=_l("..."))`` registers it in the
code set ``TIMELINE_KIND`` (``plugin.kind``) of the shared label registry; a kind without a label (or a plugin no
longer installed) falls back to the row's plain summary. A kind declared with ``contact=True`` records a contact
with the customer (a follow-up, a message, a friend added): :func:`contact_kinds` lists them, and "the last contact"
(the members plugin's no-contact reminders) is the latest entry of such a kind::

    from scrm.sdk.timeline import add_entry, entry_kind

    PARCEL_SHIPPED = entry_kind("parcel", "shipped", "parcel shipped", "A parcel left the warehouse; data: carrier, "
                                "tracking number.", label=_l("Parcel shipped"))

    add_entry(session, PARCEL_SHIPPED, tenant_id=tenant.id, customer_id=customer.id, carrier="SF",
              tracking="SF123")

Rows are core ``CustomerEvent`` rows (``plugin``, ``kind``, ``summary``, ``data``, ``occurred_at``); merging customers
moves them to the survivor. The platform's own kind is ``MERGED`` (``core.merged``: a customer was merged into
this one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from scrm.core.labels import register_labels
from scrm.core.messages import N_
from scrm.core.models import CustomerEvent
from scrm.core.timeutil import utcnow

#: the longest ``plugin`` and ``kind`` codes and ``summary`` the ``customer_event`` columns hold
PLUGIN_CHARS, KIND_CHARS, SUMMARY_CHARS = 40, 60, 500


@dataclass(frozen=True)
class EntryKind:
    """A declared kind of timeline entry: the owning ``plugin``, the ``kind`` code stored on each row, the plain
    ``summary`` line kept on each row (the fallback when the plugin does not render it) and a ``description`` of
    what the kind records and which ``data`` keys it keeps."""

    plugin: str
    kind: str
    summary: str
    description: str
    contact: bool = False

    @property
    def code(self) -> str:
        """``plugin.kind``, as :func:`kinds` lists it."""
        return f"{self.plugin}.{self.kind}"


_KINDS: dict[tuple[str, str], EntryKind] = {}

#: the code set (``scrm.core.labels``) of the timeline kinds' lines in the user's language, by ``plugin.kind``
TIMELINE_KIND = "timeline.kind"


def entry_kind(plugin: str, kind: str, summary: str, description: str, label: Any = None,
               contact: bool = False) -> EntryKind:
    """Declare (document) a kind of timeline entry of ``plugin`` and return it for :func:`add_entry`; ``label`` (a
    lazy string of the plugin's catalogue) is the kind's line in the user's language, registered in the code set
    ``TIMELINE_KIND`` for profiles that show the entry without the plugin's own rendering; ``contact`` says whether
    an entry of the kind is a contact with the customer (see :func:`contact_kinds`).

    Declaring the same kind again with the same text returns the same kind (modules may be reloaded); a different
    declaration of a kind already declared, an empty description or codes too long for the columns raise
    ``ValueError``."""
    if not plugin or len(plugin) > PLUGIN_CHARS or not kind or len(kind) > KIND_CHARS:
        raise ValueError(f"timeline kind '{plugin}.{kind}': plugin and kind must be 1 to {PLUGIN_CHARS} and 1 to "
                         f"{KIND_CHARS} characters")
    if not summary.strip() or len(summary) > SUMMARY_CHARS or not description.strip():
        raise ValueError(f"timeline kind '{plugin}.{kind}' needs a summary (at most {SUMMARY_CHARS} characters) and "
                         "a description")
    declared = EntryKind(plugin, kind, summary, description, contact)
    known = _KINDS.setdefault((plugin, kind), declared)
    if known != declared:
        raise ValueError(f"timeline kind '{plugin}.{kind}' is already declared differently")
    if label is not None:
        register_labels(TIMELINE_KIND, {known.code: label})
    return known


def kinds(plugin: str | None = None) -> list[EntryKind]:
    """Every declared kind (of ``plugin`` only, when given), by code."""
    return sorted((k for k in _KINDS.values() if plugin is None or k.plugin == plugin), key=lambda k: k.code)


def contact_kinds() -> list[tuple[str, str]]:
    """``(plugin, kind)`` of every declared kind whose entries are contacts with the customer (``contact=True``)."""
    return sorted((k.plugin, k.kind) for k in _KINDS.values() if k.contact)


def _declared(kind: EntryKind) -> EntryKind:
    if _KINDS.get((kind.plugin, kind.kind)) != kind:
        raise ValueError(f"timeline kind '{kind.code}' was not declared with entry_kind()")
    return kind


def entry_row(kind: EntryKind, tenant_id: int, customer_id: int, occurred_at: datetime | None = None,
              summary: str | None = None, **data: Any) -> dict[str, Any]:
    """The insert values of one entry (for :func:`add_entries`): empty ``data`` values are left out, ``summary``
    defaults to the kind's, ``occurred_at`` to now (UTC)."""
    _declared(kind)
    return {"tenant_id": tenant_id, "customer_id": customer_id, "plugin": kind.plugin, "kind": kind.kind,
            "summary": (summary or kind.summary)[:SUMMARY_CHARS],
            "data": {k: v for k, v in data.items() if v not in (None, "", [], {})},
            "occurred_at": occurred_at or utcnow()}


def add_entry(session: Session, kind: EntryKind, *, tenant_id: int, customer_id: int | None,
              occurred_at: datetime | None = None, summary: str | None = None, **data: Any) -> CustomerEvent | None:
    """Add one entry of ``kind`` to a customer's timeline in the caller's transaction and return it (not flushed);
    nothing without a customer (None). ``data`` (JSON values) is what the plugin's line shows later."""
    if not customer_id:
        return None
    event = CustomerEvent(**entry_row(kind, tenant_id, customer_id, occurred_at, summary, **data))
    session.add(event)
    return event


def add_entries(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many entries built with :func:`entry_row` in one statement (a sync's thousands of friends)."""
    if rows:
        session.execute(insert(CustomerEvent.__table__), [dict(r) for r in rows])


MERGED = entry_kind("core", "merged", "merged customer", "Another customer was merged into this one; data: "
                    "merged_id (the merged customer), by (who merged).", label=N_("Another customer merged into this one"))

__all__ = ["MERGED", "TIMELINE_KIND", "EntryKind", "add_entries", "contact_kinds", "add_entry", "entry_kind", "entry_row", "kinds"]
