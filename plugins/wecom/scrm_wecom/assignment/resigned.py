"""Spec J1, the periodic half: WeCom's ``get_unassigned_list`` names the members who left and still have customers;
any of them still active here is marked left (the ``delete_user`` callback does it as it happens), so their customers
show on the inheritance tab."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from scrm.sdk import ChannelAccount

from ..client import WeComClient
from ..sync.org import mark_left


def reconcile(session: Session, platform: Any, account: ChannelAccount) -> int:
    """Mark left the employees WeCom lists as resigned; returns how many changed."""
    handovers: set[str] = set()
    cursor = ""
    with WeComClient.for_account(account, platform) as client:
        while True:
            rows, cursor = client.get_unassigned_list(cursor)
            handovers.update(str(r.get("handover_userid") or "") for r in rows)
            if not cursor:
                break
    return sum(mark_left(session, account, userid) for userid in sorted(handovers) if userid)
