"""The Moments job (queue ``wecom``): ``poll_moments`` hands queued tasks to WeCom, reads creation jobs and refreshes
results, comments and likes (:func:`scrm_wecom.moments.results.poll`)."""

from __future__ import annotations

from scrm.sdk import actor, current_bus, job_session

from .results import poll


@actor(max_retries=3, time_limit=600_000)
def poll_moments(tenant_id: int, *, task_id: int | None = None) -> None:
    """One poll round for ``tenant_id`` (``task_id``: refresh that task's results now)."""
    with job_session() as session:
        poll(session, current_bus().platform, tenant_id, force_task_id=task_id)


@actor(max_retries=3, time_limit=600_000)
def auto_sync_moments(tenant_id: int) -> None:
    """The automatic sync at 00:00 / 12:00 (:mod:`.autosync`); nothing when the brand turned it off."""
    from . import autosync

    with job_session() as session:
        if not autosync.auto_sync_on(session, tenant_id):
            return
        autosync.run(session, current_bus().platform, tenant_id)


@actor(max_retries=3, time_limit=600_000)
def publish_scheduled_moment(tenant_id: int, *, task_id: int) -> None:
    """A scheduled post's time has come (:func:`.service.publish_scheduled`); a second run does nothing."""
    from . import service

    with job_session() as session:
        task = service.publish_scheduled(session, tenant_id, task_id)
        session.commit()
    if task is not None and task.to_wecom:
        poll_moments.send(tenant_id)
