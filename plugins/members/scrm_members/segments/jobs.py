"""Jobs of the segments area (queue ``members``): the automatic-tag evaluator and segment refreshes.

Two durable recurring schedules per tenant are created when the plugin is enabled (``ensure_schedules``): every
automatic tag is evaluated hourly and every running dynamic segment is refreshed daily (T+1). Saving an automatic tag
or clicking "Update" runs the same work at once. A rule that no longer compiles (a condition of a plugin the tenant
disabled) is logged and skipped; the other tags and segments still run.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import Session, select

from scrm.sdk import AudienceError, actor, cancel_schedule, job_session, schedule, utcnow

from ..tenants import active_tenant
from . import auto_tags, segment_store
from .audiences import tenant_filter_types
from .models import Segment, SegmentKind, SegmentMode, SegmentState
from .tag_catalog import get_tag

log = logging.getLogger(__name__)

AUTO_TAG_INTERVAL = 3600
SEGMENT_INTERVAL = 86400



@actor
def evaluate_auto_tag(tenant_id: int, *, tag_id: int) -> None:
    """Apply automatic tag ``tag_id`` of ``tenant_id`` to exactly the customers matching its rule."""
    with job_session() as session:
        tenant = active_tenant(session, tenant_id)
        tag = get_tag(session, tenant_id, tag_id)
        if tenant is None or tag is None:
            return
        try:
            result = auto_tags.evaluate(session, tenant_id, tag, tenant_filter_types(session, tenant))
        except AudienceError as exc:
            log.warning("auto tag %s of tenant %s skipped: %s", tag_id, tenant_id, exc)
            return
        log.info("auto tag %s of tenant %s: +%s -%s", tag_id, tenant_id, result.added, result.removed)


@actor
def evaluate_auto_tags(tenant_id: int) -> None:
    """Evaluate every automatic tag of the tenant, one transaction each."""
    with job_session() as session:
        tenant = active_tenant(session, tenant_id)
        if tenant is None:
            return
        tag_ids = [t.id for t in auto_tags.auto_tags(session, tenant_id)]
    for tag_id in tag_ids:
        evaluate_auto_tag(tenant_id, tag_id=tag_id)


@actor
def refresh_segment(tenant_id: int, *, segment_id: int) -> None:
    """Materialize one segment now (the "Update" of a segment, whatever its kind)."""
    with job_session() as session:
        tenant = active_tenant(session, tenant_id)
        segment = segment_store.get_segment(session, tenant_id, segment_id)
        if tenant is None or segment is None:
            return
        try:
            segment_store.materialize(session, segment, tenant_filter_types(session, tenant))
        except AudienceError as exc:
            log.warning("segment %s of tenant %s skipped: %s", segment_id, tenant_id, exc)


@actor
def refresh_dynamic_segments(tenant_id: int) -> None:
    """The daily run: materialize every running dynamic segment of the tenant; stopped and static ones are left."""
    with job_session() as session:
        if active_tenant(session, tenant_id) is None:
            return
        ids = list(session.exec(select(Segment.id).where(
            Segment.tenant_id == tenant_id, Segment.kind == SegmentKind.DYNAMIC.value,
            Segment.state == SegmentState.RUNNING.value, Segment.mode == SegmentMode.CONDITIONS.value)
            .order_by(Segment.id)))
    for segment_id in ids:
        refresh_segment(tenant_id, segment_id=segment_id)


def schedule_keys(tenant_id: int) -> tuple[str, str]:
    return f"members:auto_tags:{tenant_id}", f"members:dynamic_segments:{tenant_id}"


def ensure_schedules(session: Session, tenant_id: int) -> None:
    """(Re)create the tenant's two recurring schedules: automatic tags hourly, dynamic segments daily."""
    tags_key, segments_key = schedule_keys(tenant_id)
    now = utcnow()
    schedule(session, evaluate_auto_tags.name, now + timedelta(seconds=AUTO_TAG_INTERVAL), tenant_id=tenant_id,
             key=tags_key, interval_seconds=AUTO_TAG_INTERVAL)
    # 18:30 UTC is 02:30 in China, after the day's business
    nightly = now.replace(hour=18, minute=30, second=0, microsecond=0)
    if nightly <= now:
        nightly += timedelta(days=1)
    schedule(session, refresh_dynamic_segments.name, nightly, tenant_id=tenant_id, key=segments_key,
             interval_seconds=SEGMENT_INTERVAL)


def cancel_schedules(session: Session, tenant_id: int) -> None:
    for key in schedule_keys(tenant_id):
        cancel_schedule(session, key)
