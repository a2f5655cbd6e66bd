"""The promotion job (queue ``wecom``): every minute per tenant, for each activity that is running or ended within
the last day, check the click standards, remind employees below the standard before the end, then hand the due SMS
rewards to the outbound path (``sms.send_due``) and post the due webhook rewards. The schedule is durable (``scheduled_job``) and everything it acts on is a row, so a restart loses
nothing and the card keys keep it from sending twice."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from scrm.sdk import ScheduledJob, Tenant, actor, current_bus, job_session, schedule, use_zone, utcnow

from . import service, sms, webhook
from .models import PromotionActivity, Standard

EVERY = 60
ACTOR = "scrm_wecom.promotion.jobs.run_promotion"


def schedule_key(tenant_id: int) -> str:
    return f"wecom.promotion:{tenant_id}"


def ensure_schedule(session: Session, tenant_id: int) -> None:
    existing = session.exec(select(ScheduledJob).where(ScheduledJob.key == schedule_key(tenant_id))).first()
    if existing is None or existing.status in ("done", "cancelled", "failed"):
        schedule(session, ACTOR, utcnow(), tenant_id=tenant_id, key=schedule_key(tenant_id), interval_seconds=EVERY)


def run_once(session: Session, tenant_id: int, box=None, now=None) -> int:
    """One round for ``tenant_id``; returns the number of webhook rewards sent (SMS rewards are counted by their
    ledger rows)."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        return 0
    now = now or utcnow()
    box = box or current_bus().platform.secrets
    with use_zone(getattr(tenant, "timezone", None)):
        active = session.exec(select(PromotionActivity).where(
            PromotionActivity.tenant_id == tenant_id, PromotionActivity.starts_at <= now,
            PromotionActivity.ends_at > now - timedelta(days=1))).all()
        for activity in active:
            if activity.standard == Standard.CLICKS:
                service.evaluate(session, activity, service.counts(session, activity), box, now)
            service.remind_below(session, activity, now)
            session.commit()
        sms.send_due(session, tenant_id, now)
        return webhook.deliver_due(session, box, tenant_id, now)


@actor(max_retries=0, time_limit=600_000)
def run_promotion(tenant_id: int) -> None:
    """Standards, reminders and webhook rewards of ``tenant_id``'s promotion activities."""
    with job_session() as session:
        run_once(session, tenant_id)
