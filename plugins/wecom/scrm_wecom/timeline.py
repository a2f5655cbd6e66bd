"""The customer timeline's WeCom entries: written where the things happen (a friend added by the sync or a callback,
tags given through a live code, a welcome sent, a group chat joined or left, a friend lost), read back through the
``timeline_entries`` hook as one translated line each.

Rows are core ``CustomerEvent`` rows with ``plugin = "wecom"``; ``data`` keeps what the line shows (the employee's
userid, the live code, the tags, the chat's name), so the line reads the same after the employee or the chat changed.
Each kind also has a ``label`` in the plugin's catalogue (``LABELS``, registered in the shared label registry by
``entry_kind``): the line a profile shows in the user's language while WeCom is disabled for the tenant; ``summary``
is the plain fallback kept on the row for a platform where the plugin is no longer installed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlmodel import Session, select

from scrm.sdk import CustomerEvent, Employee, TimelineEntry
from scrm.sdk.timeline import EntryKind, add_entries, add_entry, entry_kind, entry_row

from .labels import live_code_names

PLUGIN = "wecom"
FRIEND_ADDED = "friend_added"
TAGGED = "tagged"
WELCOME_SENT = "welcome_sent"
JOINED_GROUP = "joined_group"
LEFT_GROUP = "left_group"
FRIEND_LOST = "friend_lost"
MOMENTS_RULE = "moments_rule"
KINDS = (FRIEND_ADDED, TAGGED, WELCOME_SENT, JOINED_GROUP, LEFT_GROUP, FRIEND_LOST, MOMENTS_RULE)
ICONS = {FRIEND_ADDED: "user-plus", TAGGED: "tag", WELCOME_SENT: "message", JOINED_GROUP: "users",
         LEFT_GROUP: "users", FRIEND_LOST: "user-minus", MOMENTS_RULE: "eye"}
SUMMARIES = {FRIEND_ADDED: "WeCom friend added", TAGGED: "tagged in WeCom", WELCOME_SENT: "WeCom welcome sent",
             JOINED_GROUP: "joined a WeCom group chat", LEFT_GROUP: "left a WeCom group chat",
             FRIEND_LOST: "WeCom friend lost", MOMENTS_RULE: "Moments behaviour rule reached"}
LABELS = {FRIEND_ADDED: _l("Added as a WeCom friend"), TAGGED: _l("Tagged in WeCom"),
          WELCOME_SENT: _l("WeCom welcome message sent"), JOINED_GROUP: _l("Joined a WeCom group chat"),
          LEFT_GROUP: _l("Left a WeCom group chat"), FRIEND_LOST: _l("WeCom friendship ended"),
          MOMENTS_RULE: _l("WeCom Moments behaviour rule reached")}
#: the kinds that are a contact with the customer (for "no contact since" reminders): a friend added, a message sent;
#: tags, group chat moves and a lost friendship are not
CONTACTS = {FRIEND_ADDED, WELCOME_SENT}
DESCRIPTIONS = {
    FRIEND_ADDED: "The customer became a WeCom friend of an employee; data: userid, state or live_code.",
    TAGGED: "Corp tags were given to the customer (through a live code); data: userid, tags.",
    WELCOME_SENT: "A friend welcome message was sent on behalf of an employee; data: userid.",
    JOINED_GROUP: "The customer joined a customer group chat; data: chat (its name).",
    LEFT_GROUP: "The customer left a customer group chat; data: chat (its name).",
    FRIEND_LOST: "The friendship ended; data: userid, loss ('deleted' by the employee, else churned).",
    MOMENTS_RULE: "The customer's opens of Moments pages reached a behaviour rule; data: userid (whose page), opens, "
                  "threshold, score, tags.",
}
ENTRY_KINDS: dict[str, EntryKind] = {kind: entry_kind(PLUGIN, kind, SUMMARIES[kind], DESCRIPTIONS[kind],
                                                 label=LABELS[kind], contact=kind in CONTACTS)
                                     for kind in KINDS}


def row(tenant_id: int, customer_id: int, kind: str, occurred_at: datetime | None, **data: Any) -> dict[str, Any]:
    """One timeline row as insert values (for ``write_many``)."""
    return entry_row(ENTRY_KINDS[kind], tenant_id, customer_id, occurred_at, **data)


def write(session: Session, tenant_id: int, customer_id: int | None, kind: str, occurred_at: datetime | None = None,
          **data: Any) -> None:
    """Add one WeCom entry to a customer's timeline in the caller's transaction (nothing without a customer)."""
    add_entry(session, ENTRY_KINDS[kind], tenant_id=tenant_id, customer_id=customer_id, occurred_at=occurred_at,
              **data)


def write_many(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add many entries with one bulk statement (the full sync's friends)."""
    add_entries(session, rows)


# -- reading -------------------------------------------------------------------------------------------------------------

def _employee_names(session: Session, tenant_id: int, userids: Iterable[str]) -> dict[str, str]:
    wanted = sorted({u for u in userids if u})
    if not wanted:
        return {}
    return dict(session.exec(select(Employee.userid, Employee.name).where(Employee.tenant_id == tenant_id,
                                                                          Employee.userid.in_(wanted))).all())


def line(event: CustomerEvent, employees: dict[str, str], codes: dict[str, str] | None = None) -> str:
    """The translated line of one WeCom timeline event (HTML, values escaped); ``codes`` names the live codes by
    ``state`` (a friend added with the state of a code made later still names it)."""
    data = event.data or {}
    employee = escape(employees.get(str(data.get("userid") or ""), data.get("userid") or "—"))
    if event.kind == FRIEND_ADDED:
        code = data.get("live_code") or (codes or {}).get(str(data.get("state") or ""))
        if code:
            return _("Added employee %(employee)s as a WeCom friend through live code %(code)s",
                     employee=employee, code=escape(code))
        return _("Added employee %(employee)s as a WeCom friend", employee=employee)
    if event.kind == TAGGED:
        return _("Tagged by %(employee)s: %(tags)s", employee=employee,
                 tags=escape("、".join(str(t) for t in data.get("tags") or [])))
    if event.kind == WELCOME_SENT:
        return _("Welcome message sent on behalf of %(employee)s", employee=employee)
    if event.kind == JOINED_GROUP:
        return _("Joined group chat %(chat)s", chat=escape(data.get("chat") or "—"))
    if event.kind == LEFT_GROUP:
        return _("Left group chat %(chat)s", chat=escape(data.get("chat") or "—"))
    if event.kind == FRIEND_LOST:
        if data.get("loss") == "deleted":
            return _("Was deleted by employee %(employee)s", employee=employee)
        return _("Deleted employee %(employee)s (churned)", employee=employee)
    if event.kind == MOMENTS_RULE:
        tags = "、".join(str(t) for t in data.get("tags") or []) or "—"
        return _("Opened Moments pages %(opens)s times (on %(employee)s's page): score %(score)s, tags %(tags)s",
                 opens=int(data.get("opens") or 0), employee=employee, score=f"{int(data.get('score') or 0):+d}",
                 tags=escape(tags))
    return escape(event.summary)


def timeline_entries(tenant, events: Sequence[CustomerEvent], session: Session) -> list[TimelineEntry]:
    """The ``timeline_entries`` hook: a line for each of ``events`` this plugin wrote (the tenant's only)."""
    mine = [e for e in events if e.plugin == PLUGIN and e.kind in KINDS and e.tenant_id == tenant.id]
    if not mine:
        return []
    employees = _employee_names(session, tenant.id, (str((e.data or {}).get("userid") or "") for e in mine))
    codes = live_code_names(session, tenant.id, (str((e.data or {}).get("state") or "") for e in mine
                                             if e.kind == FRIEND_ADDED and not (e.data or {}).get("live_code")))
    return [TimelineEntry(e.id, str(line(e, employees, codes)), ICONS.get(e.kind, "")) for e in mine]
