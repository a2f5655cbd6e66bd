"""Shared helpers of the SOP tests: rules written through the rule service, tasks and cards read back. Import
explicitly: ``from wecom_sop_fixtures import ...``."""

from __future__ import annotations

from datetime import timedelta

from scrm_wecom.sop import rules as service
from scrm_wecom.sop.jobs import run_once
from scrm_wecom.sop.models import SopTask
from sqlalchemy import select
from sqlmodel import Session

from scrm.core.db import writer

PUBLIC = "https://scrm.acme.test"


def node(title="回访 {customer}", content="{customer}您好，新品到店了", day=0, hour=0, minute=0):
    return service.NodeInput(str(day), str(hour), str(minute), title, content)


def make_rule(app, db, tenant_id: int, *, name="新客7天培育", kind="customer", trigger="friend_added",
              employees=(), nodes=None, **fields):
    """Create a rule through the service in a writer session (the worker runs meanwhile); returns its id."""
    db.commit()
    data = service.RuleInput(kind=kind, name=name, trigger=trigger, employee_ids=[str(e) for e in employees],
                             nodes=nodes if nodes is not None else [node()], **fields)
    with app.test_request_context(), Session(writer(db.get_bind())) as session:
        rule = service.create(session, tenant_id, data, "ops@acme.test")
        session.commit()
        return rule.id


def in_writer(db, fn):
    """Run ``fn(session)`` in a committed writer session; returns its result."""
    db.commit()
    with Session(writer(db.get_bind()), expire_on_commit=False) as session:
        result = fn(session)
        session.commit()
        return result


def deliver(db, tenant_id: int):
    return in_writer(db, lambda session: run_once(session, tenant_id))


def tasks(db, tenant_id: int, rule_id: int | None = None) -> list[SopTask]:
    db.commit()
    db.expire_all()
    query = select(SopTask).where(SopTask.tenant_id == tenant_id).order_by(SopTask.id)
    if rule_id is not None:
        query = query.where(SopTask.rule_id == rule_id)
    return list(db.execute(query).scalars())


def make_due(db, tenant_id: int, ago: timedelta = timedelta(seconds=1)) -> None:
    """Move every pending task of the tenant to ``ago`` before now (instead of waiting for its delay)."""
    from sqlalchemy import update

    from scrm.sdk import utcnow

    in_writer(db, lambda s: s.execute(update(SopTask).where(SopTask.tenant_id == tenant_id,
                                                            SopTask.status == "pending")
                                      .values(due_at=utcnow() - ago)))


__all__ = ["PUBLIC", "deliver", "in_writer", "make_due", "make_rule", "node", "tasks"]
