"""How live codes and welcome messages react to the plugin's friend events (called from ``domain_event``).

``wecom.friend_added`` / ``wecom.friend_half_added``: count the add and tag the customer when the state names a live
code, then enqueue ``send_welcome`` at once when the event carries a welcome code (it lives 20 seconds).
``wecom.friend_deleted`` / ``wecom.friend_deleted_by_customer``: count the deletion for the code the friend came
through. Idempotent by event id (the statistics rows and the delivery ledger both key on it).
"""

from __future__ import annotations

from sqlmodel import Session

from scrm.sdk import DomainEvent

from ..accounts import find_account
from ..livecodes import friends
from ..livecodes.jobs import mark_wecom_tags
from .dispatch import send_welcome, welcome_job_kwargs

FRIEND_ADDED = ("wecom.friend_added", "wecom.friend_half_added")
FRIEND_DELETED = ("wecom.friend_deleted", "wecom.friend_deleted_by_customer")
EVENT_TYPES = FRIEND_ADDED + FRIEND_DELETED


def on_domain_event(event: DomainEvent, session: Session) -> None:
    """Handle one friend event of the plugin (other event types are ignored)."""
    if event.type in FRIEND_DELETED:
        friends.friend_deleted(session, event)
        return
    if event.type not in FRIEND_ADDED:
        return
    payload = event.payload
    try:
        account_id = int(payload.get("account_id") or 0)
    except (TypeError, ValueError):
        return
    account = find_account(session, event.tenant_id, account_id)
    if account is None:
        return
    if payload.get("welcome_code"):
        send_welcome.send(event.tenant_id, **welcome_job_kwargs(account.id, payload, event.occurred_at))
    applied = friends.friend_added(session, event, account)
    if applied:
        mark_wecom_tags.send(event.tenant_id, account_id=account.id, userid=str(payload.get("userid") or ""),
                             external_userid=str(payload.get("external_userid") or ""), tag_ids=applied)
