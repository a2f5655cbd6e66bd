"""Jobs of the assignment feature, on the plugin's queue (skipped for tenants that disabled the plugin)."""

from __future__ import annotations

from scrm.sdk import actor, current_bus, job_session
from scrm.sdk.wechat import WeChatAPIError

from . import tracking


@actor(max_retries=5, min_backoff=10_000, time_limit=600_000)
def send_transfers(tenant_id: int) -> None:
    """Send the tenant's waiting transfers to WeCom (≤ 100 customers per call)."""
    with job_session() as session:
        tracking.send_pending(session, current_bus().platform, tenant_id)


@actor(max_retries=3, min_backoff=30_000, time_limit=600_000)
def poll_transfers(tenant_id: int) -> None:
    """Send what the broker never delivered, read WeCom's transfer results and finish what is due; reschedules
    itself while records wait."""
    with job_session() as session:
        tracking.send_pending(session, current_bus().platform, tenant_id)
        tracking.poll(session, current_bus().platform, tenant_id)


@actor(max_retries=1, min_backoff=60_000, time_limit=600_000)
def check_resigned(tenant_id: int) -> None:
    """Spec J1, periodic: mark left the members WeCom lists as resigned (``get_unassigned_list``), per account; an
    account WeCom cannot answer for is logged and skipped."""
    from ..accounts import AccountNotConfigured, list_accounts
    from ..client import WeComUnavailable
    from .resigned import log, reconcile

    with job_session() as session:
        for account in list_accounts(session, tenant_id):
            try:
                changed = reconcile(session, current_bus().platform, account)
            except (WeChatAPIError, WeComUnavailable, AccountNotConfigured) as exc:
                session.rollback()
                log.warning("resigned check of account %s failed: %s", account.id, exc)
                continue
            session.commit()
            if changed:
                log.info("resigned check: %s employees of account %s marked left", changed, account.id)
