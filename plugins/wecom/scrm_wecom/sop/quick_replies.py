"""The SOP quick reply of the chat sidebar (spec §2.6.1 执行员工, §4.6 rule 2, check 23): while an employee chats
with a customer, the sidebar lists that employee's open SOP to-dos for that customer (delivered and not done, of
any customer rule: "no communication for N days" included) with the push content filled in. One tap sends it into
the chat and finishes the to-do; "done" finishes it without sending.

A send is recorded the way the sidebar records every send: before the messages go to the chat (the content text,
then each live material of the node as a tracked link, recorded as the sidebar's material sends); the to-do gets
``sent_at``, ``sent_by = "sidebar"``, status done. The records count as communication for the "no communication"
trigger (:mod:`.quiet`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from scrm.sdk import Customer, Employee, utcnow

from ..materials.models import Material
from ..messaging.textcards import fill
from .delivery import variables
from .models import RuleKind, SopNode, SopRule, SopTask, TaskStatus

OPEN = (TaskStatus.REMINDED, TaskStatus.SENT)
LIMIT = 20
VIA = "sidebar"


@dataclass
class QuickReply:
    task: SopTask
    rule: str
    title: str
    content: str
    materials: list[Material] = field(default_factory=list)


def _materials(session: Session, tenant_id: int, node: SopNode) -> list[Material]:
    wanted = [a.get("material_id") for a in node.attachments or [] if isinstance(a, dict)]
    wanted = [w for w in wanted if isinstance(w, int)]
    if not wanted:
        return []
    found = {m.id: m for m in session.exec(select(Material).where(
        Material.tenant_id == tenant_id, Material.id.in_(wanted), Material.deleted_at.is_(None)))}
    return [found[w] for w in wanted if w in found]


def open_replies(session: Session, tenant_id: int, employee_id: int, customer_id: int) -> list[QuickReply]:
    """The employee's open customer to-dos for the customer, oldest due first."""
    rows = session.exec(select(SopTask, SopRule, SopNode).join(SopRule, SopRule.id == SopTask.rule_id)
                        .join(SopNode, SopNode.id == SopTask.node_id)
                        .where(SopTask.tenant_id == tenant_id, SopTask.employee_id == employee_id,
                               SopTask.customer_id == customer_id, SopTask.status.in_(OPEN),
                               SopRule.kind == RuleKind.CUSTOMER)
                        .order_by(SopTask.due_at, SopTask.id).limit(LIMIT)).all()
    if not rows:
        return []
    customer = session.get(Customer, customer_id)
    employee = session.get(Employee, employee_id)
    out = []
    for task, rule, node in rows:
        values = variables(task, rule, {customer_id: customer.name if customer else ""}, {},
                           {employee_id: employee.name if employee else ""})
        out.append(QuickReply(task, rule.name, fill(node.title, values), fill(node.content, values),
                              _materials(session, tenant_id, node)))
    return out


def open_reply(session: Session, tenant_id: int, employee_id: int, task_id: int) -> QuickReply | None:
    """The employee's open to-do ``task_id`` as a quick reply (None: not theirs, not this tenant's, not open)."""
    task = session.get(SopTask, task_id)
    if task is None or task.tenant_id != tenant_id or task.employee_id != employee_id or task.customer_id is None:
        return None
    if task.status not in OPEN:
        return None
    return next((r for r in open_replies(session, tenant_id, employee_id, task.customer_id) if r.task.id == task.id),
                None)


def finish(session: Session, task: SopTask, *, sent: bool) -> None:
    """Mark the to-do done (and sent from the sidebar when ``sent``), in the caller's transaction."""
    now = utcnow()
    if sent and task.sent_at is None:
        task.sent_at, task.sent_by = now, VIA
    task.status, task.done_at = TaskStatus.DONE, task.done_at or now
    session.add(task)
    session.flush()
