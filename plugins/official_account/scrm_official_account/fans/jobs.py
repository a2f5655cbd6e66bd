"""Fan jobs (queue ``official_account``): the follower sync run (resumable) and the refresh of one fan."""

from __future__ import annotations

import logging

from scrm.sdk import actor, current_bus, job_session

from ..accounts import find_account
from ..client import OAClient
from . import sync
from .api import FanAPI
from .models import FanSyncRun

log = logging.getLogger(__name__)


def run_now(session, platform, run: FanSyncRun, **client_options) -> FanSyncRun:
    """Execute (or resume) ``run`` in this process: the job's body, also used by the bench and the demo."""
    account = find_account(session, run.tenant_id, run.account_id)
    if account is None:
        return run
    with OAClient.for_account(account, platform, **client_options) as client:
        return sync.execute(session, FanAPI(client), run, account)


@actor(max_retries=0, time_limit=3_600_000)
def run_fan_sync(tenant_id: int, *, run_id: int) -> None:
    """Execute queued (or resumed) fan sync run ``run_id`` of ``tenant_id``."""
    with job_session() as session:
        run = session.get(FanSyncRun, run_id)
        if run is None or run.tenant_id != tenant_id:
            return
        run_now(session, current_bus().platform, run)
