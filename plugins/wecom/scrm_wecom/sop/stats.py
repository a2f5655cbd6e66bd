"""Completion of SOP to-dos (spec §5.4, §5.5): per rule, node and employee, the to-dos due (delivered to the
employee), sent and done, and the completion rate done ÷ due. Pending and cancelled tasks are not due."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func
from sqlmodel import Session, select

from scrm.sdk import Employee

from .models import SopNode, SopRule, SopTask, TaskStatus

DUE = (TaskStatus.REMINDED, TaskStatus.SENT, TaskStatus.DONE)


@dataclass
class CompletionRow:
    rule_id: int
    rule: str
    node: str
    employee: str
    due: int
    sent: int
    done: int

    @property
    def rate(self) -> float:
        return round(self.done * 100 / self.due, 1) if self.due else 0.0


def completion(session: Session, tenant_id: int, rule_id: int | None = None) -> list[CompletionRow]:
    sent = func.sum(case((SopTask.status.in_([TaskStatus.SENT, TaskStatus.DONE]) & SopTask.sent_at.is_not(None), 1),
                         else_=0))
    done = func.sum(case((SopTask.status == TaskStatus.DONE, 1), else_=0))
    query = (select(SopRule.id, SopRule.name, SopNode.title, Employee.name, func.count(SopTask.id), sent, done)
             .join(SopRule, SopRule.id == SopTask.rule_id).join(SopNode, SopNode.id == SopTask.node_id)
             .outerjoin(Employee, Employee.id == SopTask.employee_id)
             .where(SopTask.tenant_id == tenant_id, SopTask.status.in_(DUE))
             .group_by(SopRule.id, SopRule.name, SopNode.id, SopNode.title, Employee.id, Employee.name)
             .order_by(SopRule.id, SopNode.id, Employee.name))
    if rule_id is not None:
        query = query.where(SopTask.rule_id == rule_id)
    return [CompletionRow(r, rn, n or "", e or "-", int(d or 0), int(s or 0), int(k or 0))
            for r, rn, n, e, d, s, k in session.exec(query).all()]


def by_rule(rows: list[CompletionRow]) -> dict[int, tuple[str, int, int, int]]:
    totals: dict[int, list] = {}
    for row in rows:
        entry = totals.setdefault(row.rule_id, [row.rule, 0, 0, 0])
        entry[1] += row.due
        entry[2] += row.sent
        entry[3] += row.done
    return {k: tuple(v) for k, v in totals.items()}
