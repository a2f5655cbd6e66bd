"""Jobs of the customers area: validating and applying an import, and making due WeCom transfers effective.

Both run on the plugin's queue; the job bus skips them for tenants that disabled the plugin.
"""

from __future__ import annotations

import logging

from sqlalchemy import update
from sqlmodel import Session

from scrm.sdk import actor, current_bus, job_session, utcnow

from . import importing, transfer
from .models import ImportJob, ImportStatus

log = logging.getLogger(__name__)


def _job(session: Session, tenant_id: int, job_id: int) -> ImportJob | None:
    job = session.get(ImportJob, job_id)
    return job if job is not None and job.tenant_id == tenant_id else None


def _fail(tenant_id: int, job_id: int, message: str) -> None:
    with Session(current_bus().engine) as session:
        session.execute(update(ImportJob).where(ImportJob.id == job_id, ImportJob.tenant_id == tenant_id)
                        .values(status=ImportStatus.FAILED.value, message=message[:500], updated_at=utcnow()))
        session.commit()


@actor(max_retries=0, time_limit=1_800_000)
def validate_import(tenant_id: int, *, job_id: int) -> None:
    """Check every row of the import; the job ends 'validated' with its valid and error counts."""
    try:
        with job_session() as session:
            job = _job(session, tenant_id, job_id)
            if job is None or job.status != ImportStatus.VALIDATING.value:
                return
            result = importing.validate(session, job)
            job.total_rows, job.valid_rows = result.total, len(result.valid)
            job.error_rows = len({e["row"] for e in result.errors})
            job.errors = result.errors
            job.status = ImportStatus.VALIDATED.value
            job.updated_at = utcnow()
            session.add(job)
    except Exception as exc:
        log.exception("import %s: validation failed", job_id)
        _fail(tenant_id, job_id, f"validation failed: {type(exc).__name__}: {exc}")
        raise


@actor(max_retries=3, min_backoff=5_000, time_limit=1_800_000)
def apply_import(tenant_id: int, *, job_id: int) -> None:
    """Apply the valid rows of a validated import in batches, resuming after the last committed batch."""
    try:
        with job_session() as session:
            job = _job(session, tenant_id, job_id)
            if job is None or job.status not in (ImportStatus.APPLYING.value, ImportStatus.FAILED.value):
                return
            job.status = ImportStatus.APPLYING.value
            job.message = ""
            session.add(job)
            session.commit()
            valid = importing.validate(session, job).valid
            job.valid_rows = max(job.valid_rows, job.applied_rows + len(valid[job.applied_rows:]))
            for start in range(job.applied_rows, len(valid), importing.BATCH):
                rows = valid[start:start + importing.BATCH]
                created, updated = importing.apply_batch(session, job, rows)
                job.applied_rows = start + len(rows)
                job.created_count += created
                job.updated_count += updated
                job.updated_at = utcnow()
                session.add(job)
                session.commit()
            job.status = ImportStatus.DONE.value
            job.content = b""  # the file is not needed any more: nothing is left to resume
            job.finished_at = job.updated_at = utcnow()
            session.add(job)
    except Exception as exc:
        log.exception("import %s: apply failed", job_id)
        _fail(tenant_id, job_id, f"import stopped: {type(exc).__name__}: {exc}")
        raise


@actor
def apply_due_transfers(tenant_id: int) -> None:
    """Make the tenant's pending transfers whose 24 hours have passed effective."""
    with job_session() as session:
        transfer.apply_due(session, tenant_id)
