"""Labels of WeCom's codes, registered with the shared code labels (``scrm.sdk.register_labels``) and shown through
``code_label``, one label function per code: sync run statuses, friendship statuses, WeCom's ``add_way`` codes,
customer assignment kinds and statuses, group chat assignment statuses, and a live code's ``state`` (shown as the
code's name). Welcome sends use core's ``delivery.status`` labels; the reasons a WeCom ledger row was not sent are
added to core's ``delivery.reason`` (shown through ``delivery_reason``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlmodel import Session

from scrm.sdk import register_labels
from scrm.sdk.web import code_label

SYNC_STATUS = "wecom.sync.status"
FOLLOW_STATUS = "wecom.follow.status"
ADD_WAY = "wecom.add_way"
ASSIGNMENT_KIND = "wecom.assignment.kind"
ASSIGNMENT_STATUS = "wecom.assignment.status"
CHAT_ASSIGNMENT_STATUS = "wecom.groupchat.assignment.status"
#: core's code set of why a ledger row was not sent (``scrm.core.labels.DELIVERY_REASON``): WeCom's own codes
DELIVERY_REASON = "delivery.reason"

register_labels(DELIVERY_REASON, {
    "welcomed": _l("This friendship was already welcomed"), "expired": _l("The welcome code had expired"),
    "no_content": _l("No welcome content applies"), "41051": _l("The chat had already started or the code was used"),
    "not_configured": _l("The WeCom account is not configured"), "unavailable": _l("WeCom was unavailable"),
    "invaliduser": _l("WeCom cannot reach this employee"), "no_employee": _l("The recipient is not an employee"),
    "employee_left": _l("The employee has left the company"),
})
register_labels(SYNC_STATUS, {"queued": _l("Queued"), "running": _l("Running"), "done": _l("Done"),
                              "failed": _l("Failed")})
register_labels(FOLLOW_STATUS, {"active": _l("Friends"), "churned": _l("Customer deleted the employee"),
                                "deleted": _l("Employee deleted the customer"),
                                "transferred": _l("Transferred to another employee")})
register_labels(ADD_WAY, {0: _l("Unknown"), 1: _l("Scanned a QR code"), 2: _l("Searched the mobile number"),
                          3: _l("Shared business card"), 4: _l("Group chat"), 5: _l("Phone contacts"),
                          6: _l("WeChat contacts"), 8: _l("Third-party service"), 9: _l("Searched the email"),
                          10: _l("Video channel"), 201: _l("Shared by a colleague"),
                          202: _l("Assigned by an admin")})
register_labels(ASSIGNMENT_KIND, {"pool_claim": _l("Claimed"), "pool_assign": _l("Assigned"),
                                  "resigned_inherit": _l("Resigned inheritance"),
                                  "onjob_transfer": _l("On-the-job transfer")})
register_labels(ASSIGNMENT_STATUS, {"waiting": _l("Waiting for takeover"), "taken_over": _l("Taken over"),
                                    "refused": _l("Customer refused"),
                                    "limit": _l("Takeover employee's customer limit reached"),
                                    "no_record": _l("No takeover record"), "failed": _l("Failed")})
register_labels(CHAT_ASSIGNMENT_STATUS, {"waiting": _l("Waiting"), "done": _l("Done"), "failed": _l("Failed")})


def follow_status_label(status: Any) -> str:
    """A friendship's status (``Follow.status``) in the reader's language."""
    return code_label(FOLLOW_STATUS, status)


def add_way_label(add_way: Any) -> str:
    """How the customer was added (WeCom's ``add_way`` code) in the reader's language; an unknown code is
    "Unknown"."""
    label = code_label(ADD_WAY, add_way)
    return label if label != str(add_way) else code_label(ADD_WAY, 0)


def assignment_kind_label(kind: Any) -> str:
    """A customer assignment record's kind (pool claim, assignment, inheritance, transfer) in the reader's language."""
    return code_label(ASSIGNMENT_KIND, kind)


def assignment_status_label(status: Any) -> str:
    """A customer assignment record's status in the reader's language."""
    return code_label(ASSIGNMENT_STATUS, status)


def chat_assignment_status_label(status: Any) -> str:
    """A group chat assignment's status in the reader's language."""
    return code_label(CHAT_ASSIGNMENT_STATUS, status)


def live_code_names(session: Session, tenant_id: int, states: Iterable[str]) -> dict[str, str]:
    """The names of the tenant's live codes by ``state`` (the code a friend was added through), for the states given."""
    from .livecodes.models import LiveCode

    wanted = sorted({s for s in states if s})
    if not wanted:
        return {}
    return dict(session.execute(select(LiveCode.state, LiveCode.name).where(LiveCode.tenant_id == tenant_id,
                                                                            LiveCode.state.in_(wanted))).all())


def state_label(state: str | None, names: dict[str, str]) -> str:
    """A live-code ``state`` as people read it: the live code's name when ``names`` (``live_code_names``) knows it,
    else the state itself ("" for none)."""
    return names.get(state or "", state or "")
