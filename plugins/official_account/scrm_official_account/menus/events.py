"""Menu clicks into the statistics (菜单分析): every CLICK and VIEW event of an account counts once for its item on
the tenant's day of the event (duplicated callbacks are dropped before the event is published)."""

from __future__ import annotations

from datetime import UTC, datetime

from ..events import EVENT_MENU_CLICK, EVENT_MENU_VIEW

EVENT_TYPES = frozenset({EVENT_MENU_CLICK, EVENT_MENU_VIEW})


def on_domain_event(event, session) -> None:
    from ..masssend.service import tenant_zone
    from .service import record_click

    payload = event.payload or {}
    account_id = payload.get("account_id")
    if not account_id:
        return
    created = payload.get("create_time")
    at = (datetime.fromtimestamp(int(created), UTC).replace(tzinfo=None) if created
          else getattr(event, "occurred_at", None) or datetime.now(UTC).replace(tzinfo=None))
    kind, target = (("click", payload.get("key")) if event.type == EVENT_MENU_CLICK else ("view", payload.get("url")))
    record_click(session, event.tenant_id, int(account_id), kind, str(target or ""), at,
                 tenant_zone(session, event.tenant_id), inbound=str(payload.get("inbound_id") or event.event_id),
                 openid=str(payload.get("openid") or ""))
