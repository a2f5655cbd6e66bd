"""The plugin's job: runs on the ``example`` queue, skipped for tenants that disabled the plugin."""

from __future__ import annotations

from scrm.sdk import actor, job_session

from .models import ExampleNote


@actor
def stamp(tenant_id: int, *, body: str, customer_id: int | None = None) -> None:
    """Write a note for ``tenant_id``."""
    with job_session() as session:
        session.add(ExampleNote(tenant_id=tenant_id, body=body[:200], source="job", customer_id=customer_id))
