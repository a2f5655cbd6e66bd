"""Incremental sync from the plugin's domain events (called from the plugin's ``domain_event`` hook).

* friend added / half added / edited: the customer (One-ID by external_userid) and an active follow relation are
  recorded at once from the event, then ``sync_friend`` re-reads the customer from WeCom (unionid, profile, remark,
  tags) after the commit; neither publishes events of its own (``wecom.friend_added`` is the announcement);
* deleted by the employee → the relation's status ``deleted`` (``transferred`` when WeCom says the deletion came
  from a transfer); deleted by the customer → ``churned``; times from the callback;
* member created / updated → ``sync_member``; member deleted → the employee has left;
* department created / updated / deleted → ``sync_departments``;
* corp tag created / updated / deleted / shuffled → ``reconcile_tags``;
* ``customer.tags_changed`` by another module (not this plugin) with corp tags → ``push_customer_tags``.

Handlers are idempotent: a redelivered event writes the same state again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from scrm.sdk import ChannelAccount, DeliveryStatus, DomainEvent, EventTypes, MessageDelivery, Tag, utcnow

from .. import timeline
from ..accounts import find_account
from ..welcome.handlers import after_commit
from . import permission
from .contacts import ContactApplier
from .models import Follow, FollowStatus
from .org import mark_left
from .wecom_tags import SOURCE

FRIEND_UPSERT = ("wecom.friend_added", "wecom.friend_half_added", "wecom.friend_edited")
FRIEND_ENDED = {"wecom.friend_deleted": FollowStatus.DELETED, "wecom.friend_deleted_by_customer": FollowStatus.CHURNED}
MEMBER_CHANGED = ("wecom.employee_created", "wecom.employee_updated")
DEPARTMENT_CHANGED = ("wecom.department_created", "wecom.department_updated", "wecom.department_deleted")
TAGS_CHANGED = ("wecom.corp_tag_created", "wecom.corp_tag_updated", "wecom.corp_tag_deleted",
                "wecom.corp_tag_shuffled")
EVENT_TYPES = frozenset((*FRIEND_UPSERT, *FRIEND_ENDED, *MEMBER_CHANGED, "wecom.employee_deleted",
                         *DEPARTMENT_CHANGED, *TAGS_CHANGED, EventTypes.TAGS_CHANGED))
TRANSFER_SOURCE = "DELETE_BY_TRANSFER"


def _when(payload: dict[str, Any]) -> datetime:
    created = payload.get("create_time")
    return datetime.fromtimestamp(int(created), UTC) if isinstance(created, int) and created > 0 else utcnow()


def _follow(session: Session, account: ChannelAccount, external_userid: str, userid: str) -> Follow | None:
    return session.exec(select(Follow).where(Follow.account_id == account.id, Follow.userid == userid,
                                             Follow.external_userid == external_userid)).first()


def friend_upserted(session: Session, account: ChannelAccount, payload: dict[str, Any], event_type: str) -> None:
    """Record the friendship the event announces: the customer (One-ID by external_userid) and an active relation
    with the event's state and time. No HTTP here; ``sync_friend`` adds WeCom's details after the commit. Publishes
    no event of its own: ``wecom.friend_added`` already announces the friend."""
    userid, ext = str(payload.get("userid") or ""), str(payload.get("external_userid") or "")
    if not userid or not ext:
        return
    follow: dict[str, Any] = {"userid": userid}
    if event_type != "wecom.friend_edited":
        follow["state"] = str(payload.get("state") or "")
        if isinstance(payload.get("create_time"), int):
            follow["createtime"] = payload["create_time"]
    ContactApplier(session, account).apply([({"external_userid": ext}, [follow])], publish_event=False)
    if event_type != "wecom.friend_edited":
        permission.mark_added(session, account, userid)  # adding a customer needs the customer-contact permission
    welcomed_before_known(session, account, ext, userid)


#: a welcome's ledger states before the sender records it sent (the sender then writes the timeline entry)
BEING_SENT = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)


def welcomed_before_known(session: Session, account: ChannelAccount, external_userid: str, userid: str) -> None:
    """A welcome the fast path sent (or is sending) before the friend's customer existed joins the customer: the
    ledger row gets the customer, and a sent one its timeline entry (one being sent gets it from the sender, which
    takes the same row lock before it looks)."""
    rows = session.exec(select(MessageDelivery).where(
        MessageDelivery.tenant_id == account.tenant_id, MessageDelivery.kind == "welcome",
        MessageDelivery.recipient == external_userid, MessageDelivery.customer_id.is_(None),
        MessageDelivery.status.in_([*BEING_SENT, DeliveryStatus.SENT, DeliveryStatus.DELIVERED]))
        .with_for_update()).all()
    if not rows:
        return
    customer_id = session.exec(select(Follow.customer_id).where(
        Follow.account_id == account.id, Follow.external_userid == external_userid, Follow.userid == userid)).first()
    for row in rows:
        row.customer_id = customer_id
        session.add(row)
        if row.status not in BEING_SENT:
            timeline.write(session, account.tenant_id, customer_id, timeline.WELCOME_SENT, row.sent_at,
                           userid=row.task_ref.rpartition("@")[2] if row.task_ref else userid)
    session.flush()


def friend_ended(session: Session, account: ChannelAccount, payload: dict[str, Any], status: FollowStatus) -> None:
    """Mark the relation ended (deleted, churned or transferred) at the callback's time."""
    userid, ext = str(payload.get("userid") or ""), str(payload.get("external_userid") or "")
    follow = _follow(session, account, ext, userid)
    if follow is None:
        return
    if status is FollowStatus.DELETED and str(payload.get("source") or "") == TRANSFER_SOURCE:
        status = FollowStatus.TRANSFERRED
    when = _when(payload)
    follow.status = status.value
    if status is FollowStatus.CHURNED:
        follow.churned_at = when
    else:
        follow.deleted_at = when
    follow.updated_at = utcnow()
    session.add(follow)
    session.flush()


def _local_tags_changed(event: DomainEvent, session: Session) -> None:
    payload = event.payload
    if payload.get("source") == SOURCE:
        return  # this plugin's own changes are marked in WeCom where they are made
    added, removed = list(payload.get("added_tag_ids") or []), list(payload.get("removed_tag_ids") or [])
    customers = [int(c) for c in payload.get("customer_ids") or []]
    if not customers or not (added or removed):
        return
    corp = session.exec(select(Tag.id).where(Tag.tenant_id == event.tenant_id, Tag.id.in_(added + removed),
                                             Tag.source == SOURCE, Tag.external_id.is_not(None))).first()
    if corp is None:
        return
    from .jobs import push_customer_tags

    kwargs = {"customer_ids": customers, "added_tag_ids": added, "removed_tag_ids": removed}
    after_commit(session, lambda: push_customer_tags.send(event.tenant_id, **kwargs))


def on_domain_event(event: DomainEvent, session: Session) -> None:
    """Apply one event of :data:`EVENT_TYPES` (others are ignored)."""
    if event.type == EventTypes.TAGS_CHANGED:
        _local_tags_changed(event, session)
        return
    if event.type not in EVENT_TYPES:
        return
    payload = dict(event.payload)
    try:
        account = find_account(session, event.tenant_id, int(payload.get("account_id") or 0))
    except (TypeError, ValueError):
        return
    if account is None:
        return
    from . import jobs

    tenant_id, account_id = event.tenant_id, account.id
    if event.type in FRIEND_UPSERT:
        friend_upserted(session, account, payload, event.type)
        ext = str(payload.get("external_userid") or "")
        if ext:
            after_commit(session, lambda: jobs.sync_friend.send(tenant_id, account_id=account_id,
                                                                external_userid=ext))
    elif event.type in FRIEND_ENDED:
        friend_ended(session, account, payload, FRIEND_ENDED[event.type])
    elif event.type in MEMBER_CHANGED:
        userid = str(payload.get("userid") or "")
        if userid:
            after_commit(session, lambda: jobs.sync_member.send(tenant_id, account_id=account_id, userid=userid))
    elif event.type == "wecom.employee_deleted":
        mark_left(session, account, str(payload.get("userid") or ""))
    elif event.type in DEPARTMENT_CHANGED:
        after_commit(session, lambda: jobs.sync_departments.send(tenant_id, account_id=account_id))
    elif event.type in TAGS_CHANGED:
        after_commit(session, lambda: jobs.reconcile_tags.send(tenant_id, account_id=account_id))


def customer_merged(session: Session, tenant_id: int, survivor_id: int, merged_id: int) -> None:
    """Move the merged customer's follow relations to the survivor."""
    session.execute(update(Follow).where(Follow.tenant_id == tenant_id, Follow.customer_id == merged_id)
                    .values(customer_id=survivor_id, updated_at=utcnow()))
