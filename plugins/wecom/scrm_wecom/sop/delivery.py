"""Delivering due tasks: the employee's to-do as an app-message text card, exactly once.

``deliver_due`` claims a batch of due tasks of ON rules in one statement (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so several workers share the work without taking a task twice; SQLite has one writer), queues the cards
through the plugin's outbound path and marks the tasks ``reminded`` with their ledger row, all in one transaction:
either the cards and the marks are committed together or neither is, so a process killed mid-run leaves the
unclaimed tasks pending for the next run and nothing is sent twice (the ledger key of a card is derived from its
tasks as well).

An employee with several tasks in one batch gets one card listing them (the task list page), not one card per task:
WeCom takes at most about 10,000 ``message/send`` calls a minute per corp, and 100,000 to-dos due in the same minute
would otherwise need ten minutes of WeCom's whole budget. A single task gets its own card (title: the node's title;
description: the content with the customer's variables; link: the task page).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import update
from sqlmodel import Session, select

from scrm.sdk import Customer, Employee, Tenant, format_local, utcnow

from ..groupchats.models import GroupChat
from ..messaging.content import Text
from ..messaging.i18n import translator
from ..messaging.links import page_url
from ..messaging.outbound import account_for, queue_app_message
from ..messaging.textcards import CardSpec, TextCardError, check_card, fill
from .models import RuleStatus, SopNode, SopRule, SopTask, TaskStatus

BATCH = 2000
#: tasks listed by name in a card for several tasks
LISTED = 5
BUTTON = "去完成"


@dataclass
class DeliveryRun:
    tasks: int = 0
    cards: int = 0
    batches: int = 0
    tenants: set[int] = field(default_factory=set)


def claim(session: Session, now, limit: int, tenant_id: int | None = None) -> list[SopTask]:
    """Due pending tasks of ON rules, locked for this transaction (skipping rows another worker holds). Ordered by
    employee: a batch holds whole employees' to-dos, so an employee gets one card for all their due to-dos (every
    run drains what is due, so the order never delays a task past the run)."""
    query = (select(SopTask).join(SopRule, SopRule.id == SopTask.rule_id)
             .where(SopTask.status == TaskStatus.PENDING, SopTask.due_at <= now, SopRule.status == RuleStatus.ON)
             .order_by(SopTask.employee_id, SopTask.id).limit(limit))
    if tenant_id is not None:
        query = query.where(SopTask.tenant_id == tenant_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=SopTask)
    return list(session.exec(query))


def variables(task: SopTask, rule: SopRule, customers: dict, groups: dict, employees: dict) -> dict[str, str]:
    return {"customer": customers.get(task.customer_id, ""), "group": groups.get(task.group_chat_id, ""),
            "employee": employees.get(task.employee_id, ""), "rule": rule.name,
            "due": format_local(task.due_at, "%m-%d %H:%M")}


def _names(session: Session, model, ids: set, column) -> dict:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(session.exec(select(model.id, column).where(model.id.in_(list(ids)))).all())


def deliver_batch(session: Session, tasks: list[SopTask], now) -> int:
    """Queue the cards of ``tasks`` (claimed in ``session``) and mark them reminded; returns the cards queued."""
    if not tasks:
        return 0
    _ = translator()
    rules = {r.id: r for r in session.exec(select(SopRule).where(SopRule.id.in_({t.rule_id for t in tasks})))}
    nodes = {n.id: n for n in session.exec(select(SopNode).where(SopNode.id.in_({t.node_id for t in tasks})))}
    customers = _names(session, Customer, {t.customer_id for t in tasks}, Customer.name)
    groups = _names(session, GroupChat, {t.group_chat_id for t in tasks}, GroupChat.name)
    employees = _names(session, Employee, {t.employee_id for t in tasks}, Employee.name)
    tenants = {t.id: t for t in session.exec(select(Tenant).where(Tenant.id.in_({t.tenant_id for t in tasks})))}
    by_employee: dict[tuple[int, int | None], list[SopTask]] = defaultdict(list)
    for task in tasks:
        by_employee[(task.tenant_id, task.employee_id)].append(task)
    accounts: dict[int, object] = {}
    cards = 0
    for (tenant_id, employee_id), mine in by_employee.items():
        if tenant_id not in accounts:
            accounts[tenant_id] = account_for(session, tenant_id, None)
        account, slug = accounts[tenant_id], tenants[tenant_id].slug
        first = mine[0]
        key = f"wecom.sop:{first.id}" if len(mine) == 1 else f"wecom.sop:{first.id}+{len(mine)}"
        if len(mine) == 1:
            rule, node = rules[first.rule_id], nodes[first.node_id]
            values = variables(first, rule, customers, groups, employees)
            url = page_url(account, f"/t/{slug}/wecom/sop/tasks/{first.id}")
            title = fill(node.title, values)
            description = fill(node.content, values) or title
        else:
            url = page_url(account, f"/t/{slug}/wecom/sop/tasks")
            title = _("You have %(count)s SOP to-dos", count=len(mine))
            lines = [f"{rules[t.rule_id].name} · {customers.get(t.customer_id) or groups.get(t.group_chat_id) or '-'}"
                     for t in mine[:LISTED]]
            more = _("and %(count)s more", count=len(mine) - LISTED) if len(mine) > LISTED else ""
            description = "\n".join([*lines, more]).strip()
        content = None
        if url:
            try:
                content = check_card(CardSpec(title, description, url, BUTTON))
            except TextCardError:  # a rule's own title is checked on save; a long filled text is cut by WeCom's rule
                from ..messaging.content import cut_bytes

                content = check_card(CardSpec(cut_bytes(title, 128), cut_bytes(description, 512), url, BUTTON))
        content = content or Text(f"{title}\n{description}")
        row = queue_app_message(session, tenant_id, employee_id=employee_id, content=content, key=key,
                                task_ref=f"wecom_sop:{first.rule_id}", customer_id=first.customer_id
                                if len(mine) == 1 else None, account=account)
        ids = [t.id for t in mine]
        session.execute(update(SopTask).where(SopTask.id.in_(ids), SopTask.status == TaskStatus.PENDING)
                        .values(status=TaskStatus.REMINDED, reminded_at=now, delivery_id=row.id))
        cards += 1
    return cards


def deliver_due(session: Session, tenant_id: int | None = None, *, batch: int = BATCH, max_batches: int | None = None,
                now=None, after_batch=None) -> DeliveryRun:
    """Deliver every due task (of ``tenant_id``, or of all tenants), one committed batch at a time."""
    run = DeliveryRun()
    while max_batches is None or run.batches < max_batches:
        moment = now or utcnow()
        tasks = claim(session, moment, batch, tenant_id)
        if not tasks:
            session.rollback()
            break
        run.cards += deliver_batch(session, tasks, moment)
        run.tasks += len(tasks)
        run.batches += 1
        run.tenants.update(t.tenant_id for t in tasks)
        session.commit()
        if after_batch is not None:
            after_batch(run)
        if len(tasks) < batch:
            break
    return run
