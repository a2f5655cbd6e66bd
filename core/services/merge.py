"""Customer merge: the merged customer's identities, tags, events and relations move to the survivor, which keeps a
pointer from the merged one. Plugins move their own rows through the ``customer_merged`` hook."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, select

from ..events import EventTypes, publish
from ..models import Customer, CustomerEvent, CustomerIdentity, CustomerTag, MessageDelivery, Tenant
from ..timeutil import utcnow

MERGEABLE_FIELDS = ("name", "mobile", "gender", "avatar", "source", "owner_employee_id", "is_member")


class MergeError(ValueError):
    """A merge that cannot be done (same customer, another tenant's, already merged); the message says why."""


def merge_customers(session: Session, hooks, survivor: Customer, merged: Customer,
                    choices: dict[str, str] | None = None, actor: str = "system") -> Customer:
    """Merge ``merged`` into ``survivor``.

    ``choices`` maps a field to 'survivor' or 'merged' (whose value to keep); fields not chosen keep the survivor's
    value, and empty survivor fields are filled from the merged customer. Custom attributes merge the same way.
    """
    if survivor.tenant_id != merged.tenant_id:
        raise MergeError("customers belong to different tenants")
    if survivor.id == merged.id:
        raise MergeError("a customer cannot be merged into itself")
    if merged.merged_into_id is not None or survivor.merged_into_id is not None:
        raise MergeError("one of the customers was already merged")
    choices = choices or {}
    for name in MERGEABLE_FIELDS:
        choice = choices.get(name)
        if choice not in (None, "survivor", "merged"):
            raise MergeError(f"choice for {name} must be 'survivor' or 'merged'")
        theirs = getattr(merged, name)
        if choice == "merged" or (choice is None and not getattr(survivor, name) and theirs):
            setattr(survivor, name, theirs)
    attributes: dict[str, Any] = dict(merged.attributes or {})
    for key, value in (survivor.attributes or {}).items():
        if choices.get(f"attributes.{key}") == "merged" and attributes.get(key) not in (None, ""):
            continue
        if value not in (None, "") or key not in attributes:
            attributes[key] = value
    survivor.attributes = attributes
    tenant_id, sid, mid = survivor.tenant_id, survivor.id, merged.id

    session.execute(update(CustomerIdentity).where(CustomerIdentity.customer_id == mid).values(customer_id=sid))
    have = {(t.tag_id, t.employee_key) for t in session.exec(
        select(CustomerTag).where(CustomerTag.customer_id == sid))}
    for link in session.exec(select(CustomerTag).where(CustomerTag.customer_id == mid)).all():
        if (link.tag_id, link.employee_key) in have:
            session.delete(link)
        else:
            link.customer_id = sid
            session.add(link)
    session.flush()
    session.execute(delete(CustomerTag).where(CustomerTag.customer_id == mid))
    session.execute(update(CustomerEvent).where(CustomerEvent.customer_id == mid).values(customer_id=sid))
    session.execute(update(MessageDelivery).where(MessageDelivery.customer_id == mid).values(customer_id=sid))
    session.execute(update(Customer).where(Customer.merged_into_id == mid).values(merged_into_id=sid))
    merged.merged_into_id = sid
    survivor.updated_at = merged.updated_at = utcnow()
    session.add_all([survivor, merged])
    session.add(CustomerEvent(tenant_id=tenant_id, customer_id=sid, kind="merged",
                              summary=f"merged customer #{mid}", data={"merged_id": mid, "by": actor}))
    session.flush()
    tenant = session.get(Tenant, tenant_id)  # the relay is cached across requests: its tenant object may be detached
    hooks.lifecycle("customer_merged", tenant=tenant, survivor_id=sid, merged_id=mid, session=session)
    publish(session, tenant_id, EventTypes.CUSTOMER_MERGED, {"survivor_id": sid, "merged_id": mid})
    return survivor
