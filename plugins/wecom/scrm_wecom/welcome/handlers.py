"""How live codes and welcome messages react to the plugin's friend events (called from ``domain_event``).

``wecom.friend_added`` / ``wecom.friend_half_added``: count the add and tag the customer when the state names a live
code, then enqueue ``send_welcome`` at once when the event carries a welcome code (it lives 20 seconds) that the
ingestion fast path has not already used (``dispatch.send_welcomes``).
``wecom.friend_deleted`` / ``wecom.friend_deleted_by_customer``: count the deletion for the code the friend came
through. Idempotent by event id (the statistics rows and the delivery ledger both key on it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event as sa_event
from sqlmodel import Session

from scrm.sdk import DomainEvent

from ..accounts import find_account
from ..livecodes import friends
from ..livecodes.jobs import mark_wecom_tags
from .dispatch import send_welcome, welcome_job_kwargs, welcome_recorded

log = logging.getLogger(__name__)

_AFTER_COMMIT = "scrm_wecom_after_commit"

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
    code = str(payload.get("welcome_code") or "")
    if code and not welcome_recorded(session, event.tenant_id, code):  # the backup of the ingestion fast path
        kwargs = welcome_job_kwargs(account.id, payload, event.occurred_at)
        after_commit(session, lambda: send_welcome.send(event.tenant_id, **kwargs))
    applied = friends.friend_added(session, event, account)
    if applied:
        tag_kwargs = {"account_id": account.id, "userid": str(payload.get("userid") or ""),
                      "external_userid": str(payload.get("external_userid") or ""), "tag_ids": applied}
        after_commit(session, lambda: mark_wecom_tags.send(event.tenant_id, **tag_kwargs))


def after_commit(session: Session, action: Callable[[], object]) -> None:
    """Run ``action`` (an enqueue) once the session's transaction has committed, so the job sees its rows and never
    waits on its locks; a rollback drops it (the event is redelivered and handled again)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(action)
    if not sa_event.contains(session, "after_commit", _run_pending):
        sa_event.listen(session, "after_commit", _run_pending)
        sa_event.listen(session, "after_rollback", _drop_pending)


def _run_pending(session) -> None:
    if session.in_nested_transaction():  # a savepoint was released: wait for the real commit
        return
    for action in session.info.pop(_AFTER_COMMIT, []):
        try:
            action()
        except Exception:  # the broker refused: the welcome code expires in 20 s, nothing to retry later
            log.exception("could not enqueue a WeCom job after commit")


def _drop_pending(session) -> None:
    if not session.in_transaction():
        session.info.pop(_AFTER_COMMIT, None)
