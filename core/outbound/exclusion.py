"""Asking the ``customer_exclusion_reason`` decision of the tenant's enabled plugins, for one customer or many."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session


def exclusion_reason(hooks: Any, session: Session, tenant: Any, customer_id: int, purpose: str) -> str | None:
    """Why ``customer_id`` must not get a message for ``purpose`` (the first plugin that objects), or None."""
    reason = hooks.decide("customer_exclusion_reason", tenant=tenant, customer_id=customer_id, purpose=purpose,
                          session=session)
    return str(reason) if reason else None


def exclusion_reasons(hooks: Any, session: Session, tenant: Any, customer_ids: Sequence[int],
                      purpose: str, only: Sequence[str] | None = None) -> dict[int, str]:
    """``exclusion_reason`` for many customers: {customer_id: reason} for those excluded.

    A plugin that also implements ``customer_exclusion_reasons`` answers for the whole batch in one call; the
    others are asked customer by customer. The first plugin (in decision order) that objects gives the reason.
    ``only``: ask these plugins only (the set-based bulk path asked the others in SQL)."""
    reasons: dict[int, str] = {}
    batched = set(hooks.subscribers("customer_exclusion_reasons"))
    # pluggy calls a firstresult hook's implementations last registered first: ask in that order
    for plugin in reversed(hooks.subscribers("customer_exclusion_reason")):
        if only is not None and plugin not in only:
            continue
        open_ids = [cid for cid in customer_ids if cid not in reasons]
        if not open_ids:
            break
        if plugin in batched:
            answer = hooks.contribute_by_plugin("customer_exclusion_reasons", plugin, tenant=tenant,
                                                customer_ids=open_ids, purpose=purpose, session=session) or {}
            for cid, reason in answer.items():
                if reason and cid not in reasons:
                    reasons[cid] = str(reason)
            continue
        for cid in open_ids:
            reason = hooks.contribute_by_plugin("customer_exclusion_reason", plugin, tenant=tenant, customer_id=cid,
                                                purpose=purpose, session=session)
            if reason:
                reasons[cid] = str(reason)
    return reasons
