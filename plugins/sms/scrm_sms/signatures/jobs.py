"""The review poll of signatures and templates (a durable schedule per tenant, ``review.ensure_poll``)."""

from __future__ import annotations

from scrm.sdk import actor, job_session


@actor(max_retries=3, min_backoff=30_000, time_limit=600_000)
def poll_reviews(tenant_id: int) -> None:
    """File what is not filed yet and read the provider's review state of every pending signature and template;
    reschedules itself while some stay pending."""
    from .. import review

    with job_session() as session:
        review.poll(session, tenant_id)
