"""Saving rules and moving them between states (spec §3.6, §3.7, §4.6, §4.7).

* name required, at most 20 characters; description at most 200; at least one task node; a customer rule at least
  one executing employee; each node a title (the text card's title: at most 128 bytes with its variables at their
  longest), content (the card's description: at most 512 bytes likewise), a day offset 0–365, hour 0–23, minute
  0–59; "no communication for N days" a whole N from 1 to 365 (3 by default);
* states: ON ⇄ PAUSED, ON or PAUSED → TERMINATED (final); editing only while PAUSED; deleting only when not ON;
* pausing or terminating cancels the rule's pending tasks (to-dos already delivered stay open for the employee);
  enabling again starts a new revision: group bindings are planned again for the nodes still ahead, customer
  triggers that fired while the rule was paused are not replayed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, update
from sqlmodel import Session, select

from scrm.sdk import Employee, EmployeeStatus, Tag, utcnow

from ..groupchats.models import GroupChat
from ..materials.attachments import choices as material_choices
from ..materials.minilinks import text_error
from ..messaging.textcards import TextCardError, check_template
from .jobs import ensure_schedule
from .models import RuleKind, RuleStatus, SopBinding, SopNode, SopRule, SopTask, TaskStatus, Trigger
from .planning import plan_binding
from .quiet import DEFAULT_DAYS as QUIET_DAYS
from .quiet import MAX_DAYS as QUIET_MAX
from .quiet import MIN_DAYS as QUIET_MIN

NAME_CHARS = 20
DESCRIPTION_CHARS = 200
CONTENT_CHARS = 2000
MAX_NODES = 20
MAX_DAYS = 365
MAX_MATERIALS = 9
CUSTOMER_TRIGGERS = (Trigger.FRIEND_ADDED, Trigger.TAG_ADDED, Trigger.STAGE_ENTERED, Trigger.JOINED_GROUP,
                     Trigger.DATE_FIELD, Trigger.SCHEDULE, Trigger.NO_COMMUNICATION)
GROUP_TRIGGERS = (Trigger.GROUP_BOUND, Trigger.SCHEDULE)
DATE_FIELDS = ("birthday",)


class RuleError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class NodeInput:
    day_offset: str = "0"
    hour: str = "0"
    minute: str = "0"
    title: str = ""
    content: str = ""
    materials: list[str] = field(default_factory=list)


@dataclass
class RuleInput:
    kind: str = RuleKind.CUSTOMER
    name: str = ""
    description: str = ""
    trigger: str = ""
    tag_id: str = ""
    stage_id: str = ""
    date_field: str = "birthday"
    start: str = ""
    every_days: str = "0"
    quiet_days: str = str(QUIET_DAYS)
    employee_ids: list[str] = field(default_factory=list)
    nodes: list[NodeInput] = field(default_factory=list)


def _int(value: str, low: int, high: int) -> int | None:
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if low <= number <= high else None


CARD_ERRORS = {"title_required": _l("Enter the to-do's title."),
               "title_too_long": _l("The title is longer than 128 bytes (with its variables filled in)."),
               "description_required": _l("Enter the content to send."),
               "description_too_long": _l("The content is longer than 512 bytes (with its variables filled in)."),
               "unknown_variable": _l("Unknown variable: use {customer}, {group}, {employee}, {rule} or {due}.")}


def validate(session: Session, tenant_id: int, data: RuleInput) -> tuple[dict, list[dict]]:
    errors: dict[str, str] = {}
    kind = data.kind if data.kind in (RuleKind.CUSTOMER, RuleKind.GROUP) else None
    if kind is None:
        errors["kind"] = str(_l("Choose customer SOP or group SOP."))
    name = data.name.strip()
    if not name:
        errors["name"] = str(_l("Enter a name."))
    elif len(name) > NAME_CHARS:
        errors["name"] = str(_l("At most %(num)s characters.", num=NAME_CHARS))
    if len(data.description.strip()) > DESCRIPTION_CHARS:
        errors["description"] = str(_l("At most %(num)s characters.", num=DESCRIPTION_CHARS))
    triggers = GROUP_TRIGGERS if kind == RuleKind.GROUP else CUSTOMER_TRIGGERS
    params: dict = {}
    if data.trigger not in triggers:
        errors["trigger"] = str(_l("Choose a trigger."))
    elif data.trigger == Trigger.TAG_ADDED:
        tag_id = _int(data.tag_id, 1, 2**31 - 1)
        if tag_id is None or session.exec(select(Tag.id).where(Tag.tenant_id == tenant_id, Tag.id == tag_id)).first() is None:
            errors["tag_id"] = str(_l("Choose a tag of this brand."))
        params["tag_id"] = tag_id
    elif data.trigger == Trigger.STAGE_ENTERED:
        stage_id = _int(data.stage_id, 1, 2**31 - 1)
        if stage_id is None:
            errors["stage_id"] = str(_l("Choose a stage."))
        params["stage_id"] = stage_id
    elif data.trigger == Trigger.DATE_FIELD:
        if data.date_field not in DATE_FIELDS:
            errors["date_field"] = str(_l("Choose a date field."))
        params["field"] = data.date_field
    elif data.trigger == Trigger.SCHEDULE:
        try:
            start = datetime.fromisoformat(data.start.strip())
            params["start"] = start.replace(tzinfo=None, second=0, microsecond=0).isoformat(timespec="minutes")
        except ValueError:
            errors["start"] = str(_l("Enter the first time, e.g. 2026-12-01 09:00."))
        every = _int(data.every_days or "0", 0, MAX_DAYS)
        if every is None:
            errors["every_days"] = str(_l("Between %(low)s and %(high)s.", low=0, high=MAX_DAYS))
        params["every_days"] = every or 0
    elif data.trigger == Trigger.NO_COMMUNICATION:
        days = _int(data.quiet_days or "", QUIET_MIN, QUIET_MAX)
        if days is None:
            errors["quiet_days"] = str(_l("A whole number of days from %(low)s to %(high)s.", low=QUIET_MIN,
                                          high=QUIET_MAX))
        params["quiet_days"] = days or QUIET_DAYS
    employees: list[int] = []
    if kind == RuleKind.CUSTOMER:
        wanted = {_int(e, 1, 2**31 - 1) for e in data.employee_ids if str(e).strip()}
        valid = set(session.exec(select(Employee.id).where(
            Employee.tenant_id == tenant_id, Employee.id.in_([w for w in wanted if w] or [0]),
            Employee.status != EmployeeStatus.LEFT)).all())
        if not wanted:
            errors["employee_ids"] = str(_l("Choose at least one executing employee."))
        elif wanted != valid:
            errors["employee_ids"] = str(_l("Choose active employees of this brand."))
        employees = sorted(valid)
    params["employee_ids"] = employees
    nodes: list[dict] = []
    offered = {mid for mid, _title in material_choices(session, tenant_id)} if any(
        n.materials for n in data.nodes) else set()
    if not data.nodes:
        errors["nodes"] = str(_l("Add at least one task node."))
    elif len(data.nodes) > MAX_NODES:
        errors["nodes"] = str(_l("At most %(num)s task nodes.", num=MAX_NODES))
    for index, node in enumerate(data.nodes):
        day, hour, minute = _int(node.day_offset, 0, MAX_DAYS), _int(node.hour, 0, 23), _int(node.minute, 0, 59)
        if day is None or hour is None or minute is None:
            errors[f"node-{index}-timing"] = str(_l("Day 0 to 365, hour 0 to 23, minute 0 to 59."))
        title, content = node.title.strip(), node.content.strip()
        if len(content) > CONTENT_CHARS:
            errors[f"node-{index}-content"] = str(_l("At most %(num)s characters.", num=CONTENT_CHARS))
        elif (malformed := text_error(content)) is not None:  # spec 2.6.2: push content with mini program links
            errors[f"node-{index}-content"] = malformed
        else:
            try:
                check_template(title, content)
            except TextCardError as exc:
                errors[f"node-{index}-{'title' if exc.field == 'title' else 'content'}"] = str(CARD_ERRORS[str(exc)])
        materials = [_int(m, 1, 2**31 - 1) for m in node.materials if str(m).strip()]
        if len(materials) > MAX_MATERIALS:
            errors[f"node-{index}-materials"] = str(_l("At most %(num)s materials.", num=MAX_MATERIALS))
        elif not set(materials) <= offered:
            errors[f"node-{index}-materials"] = str(_l("Choose materials of this brand's material library."))
        nodes.append({"day_offset": day or 0, "hour": hour or 0, "minute": minute or 0, "title": title,
                      "content": content, "position": index,
                      "attachments": [{"material_id": m} for m in dict.fromkeys(materials) if m]})
    if errors:
        raise RuleError(errors)
    return {"kind": kind, "name": name, "description": data.description.strip(), "trigger": data.trigger,
            "params": params}, nodes


def create(session: Session, tenant_id: int, data: RuleInput, by: str) -> SopRule:
    values, nodes = validate(session, tenant_id, data)
    employees = values["params"].pop("employee_ids")
    rule = SopRule(tenant_id=tenant_id, employee_ids=employees, created_by=by[:200], **values)
    session.add(rule)
    session.flush()
    _write_nodes(session, rule, nodes)
    ensure_schedule(session, tenant_id, evaluate_soon=rule.trigger == Trigger.NO_COMMUNICATION)
    return rule


def _write_nodes(session: Session, rule: SopRule, nodes: list[dict]) -> None:
    for node in nodes:
        session.add(SopNode(tenant_id=rule.tenant_id, rule_id=rule.id, **node))
    session.flush()


def update_rule(session: Session, rule: SopRule, data: RuleInput) -> SopRule:
    """Edit a PAUSED rule (its kind stays). Nodes are replaced: the tasks of removed nodes that are still pending
    are gone with them; delivered to-dos keep their node until the rule is deleted (nodes are versioned by id)."""
    if rule.status != RuleStatus.PAUSED:
        raise RuleError({"status": str(_l("Pause the rule before editing it."))})
    data.kind = rule.kind
    values, nodes = validate(session, rule.tenant_id, data)
    rule.employee_ids = values["params"].pop("employee_ids")
    for key, value in values.items():
        setattr(rule, key, value)
    rule.updated_at = utcnow()
    session.add(rule)
    kept = set(session.exec(select(SopTask.node_id).where(SopTask.rule_id == rule.id).distinct()).all())
    old = session.exec(select(SopNode).where(SopNode.rule_id == rule.id)).all()
    for node in old:
        if node.id in kept:  # a retired node keeps its delivered to-dos; position -1 hides it from the rule
            node.position = -1 - node.position if node.position >= 0 else node.position
            session.add(node)
        else:
            session.delete(node)
    session.flush()
    _write_nodes(session, rule, nodes)
    return rule


def cancel_pending(session: Session, rule_id: int, group_chat_id: int | None = None) -> int:
    statement = update(SopTask).where(SopTask.rule_id == rule_id, SopTask.status == TaskStatus.PENDING)
    if group_chat_id is not None:
        statement = statement.where(SopTask.group_chat_id == group_chat_id)
    return session.execute(statement.values(status=TaskStatus.CANCELLED)).rowcount or 0


def set_status(session: Session, rule: SopRule, action: str) -> SopRule:
    """``pause`` (ON → PAUSED), ``enable`` (PAUSED → ON), ``terminate`` (ON or PAUSED → TERMINATED, final)."""
    moves = {"pause": ({RuleStatus.ON}, RuleStatus.PAUSED), "enable": ({RuleStatus.PAUSED}, RuleStatus.ON),
             "terminate": ({RuleStatus.ON, RuleStatus.PAUSED}, RuleStatus.TERMINATED)}
    if action not in moves or rule.status not in moves[action][0]:
        raise RuleError({"status": str(_l("This rule cannot be changed that way in its current state."))})
    rule.status = moves[action][1]
    rule.updated_at = utcnow()
    if rule.status == RuleStatus.ON:
        rule.revision += 1
        session.add(rule)
        session.flush()
        for binding in session.exec(select(SopBinding).where(SopBinding.rule_id == rule.id)).all():
            plan_binding(session, rule, binding)
        ensure_schedule(session, rule.tenant_id, evaluate_soon=rule.trigger == Trigger.NO_COMMUNICATION)
    else:
        cancel_pending(session, rule.id)
        session.add(rule)
    session.flush()
    return rule


def delete_rule(session: Session, rule: SopRule) -> None:
    if rule.status == RuleStatus.ON:
        raise RuleError({"status": str(_l("Pause or terminate the rule before deleting it."))})
    session.execute(delete(SopTask).where(SopTask.rule_id == rule.id))
    session.execute(delete(SopBinding).where(SopBinding.rule_id == rule.id))
    session.execute(delete(SopNode).where(SopNode.rule_id == rule.id))
    session.delete(rule)
    session.flush()


def bind_groups(session: Session, rule: SopRule, group_ids: list[int]) -> int:
    """Put the tenant's groups ``group_ids`` in group rule ``rule`` (a group in another rule moves: its pending
    tasks there are cancelled); day 0 is now. Returns how many groups joined."""
    if rule.kind != RuleKind.GROUP or rule.status == RuleStatus.TERMINATED:
        raise RuleError({"groups": str(_l("Groups join only a group SOP rule that is not terminated."))})
    valid = set(session.exec(select(GroupChat.id).where(GroupChat.tenant_id == rule.tenant_id,
                                                        GroupChat.id.in_(group_ids or [0]))).all())
    if not group_ids or valid != set(group_ids):
        raise RuleError({"groups": str(_l("Choose group chats of this brand."))})
    joined = 0
    for group_id in sorted(valid):
        binding = session.exec(select(SopBinding).where(SopBinding.group_chat_id == group_id)).first()
        if binding is not None and binding.rule_id == rule.id:
            continue
        if binding is not None:
            cancel_pending(session, binding.rule_id, group_id)
            binding.rule_id, binding.joined_at = rule.id, utcnow()
        else:
            binding = SopBinding(tenant_id=rule.tenant_id, rule_id=rule.id, group_chat_id=group_id)
        session.add(binding)
        session.flush()
        plan_binding(session, rule, binding)
        joined += 1
    ensure_schedule(session, rule.tenant_id)
    return joined


def locked_binding(session: Session, tenant_id: int, group_id: int) -> SopBinding | None:
    """The binding of the tenant's group ``group_id``, locked for this transaction (``FOR UPDATE`` on PostgreSQL:
    two changes of the same group wait for each other, so the second sees the first's tasks and cancels them)."""
    return session.exec(select(SopBinding).where(SopBinding.tenant_id == tenant_id,
                                                 SopBinding.group_chat_id == group_id).with_for_update()).first()


def move_group(session: Session, group: GroupChat, rule: SopRule) -> SopBinding:
    """An employee moves their group to the enabled group rule ``rule`` of the same brand (spec §2.7.2, §4.7 rule 3):
    the same path as an operator's binding (:func:`bind_groups`): the old rule's pending tasks for the group are
    cancelled, day 0 is now and the new rule's nodes are planned."""
    if rule.tenant_id != group.tenant_id or rule.kind != RuleKind.GROUP or rule.status != RuleStatus.ON:
        raise RuleError({"rule": str(_l("Choose an enabled group SOP rule of this brand."))})
    current = locked_binding(session, group.tenant_id, group.id)
    if current is not None and current.rule_id == rule.id:
        raise RuleError({"rule": str(_l("The group chat is already in this rule."))})
    bind_groups(session, rule, [group.id])
    return locked_binding(session, group.tenant_id, group.id)


def restart_group(session: Session, group: GroupChat) -> SopBinding:
    """Restart the group's rule cycle (规则周期, decision): day 0 becomes now, the pending tasks of the current cycle
    are cancelled and the rule's nodes are planned again from "join day". Only for an enabled rule whose trigger is
    the group joining it (a fixed-schedule rule follows its schedule, not the join day)."""
    binding = locked_binding(session, group.tenant_id, group.id)
    if binding is None:
        raise RuleError({"group": str(_l("The group chat is in no group SOP rule."))})
    rule = session.get(SopRule, binding.rule_id)
    if rule.status != RuleStatus.ON:
        raise RuleError({"group": str(_l("The group's rule is not enabled: its cycle cannot be restarted."))})
    if rule.trigger != Trigger.GROUP_BOUND:
        raise RuleError({"group": str(_l("The group's rule runs on a fixed schedule: it has no cycle to restart."))})
    cancel_pending(session, rule.id, group.id)
    binding.joined_at = utcnow()
    session.add(binding)
    session.flush()
    plan_binding(session, rule, binding)
    ensure_schedule(session, rule.tenant_id)
    return binding


def unbind_group(session: Session, rule: SopRule, group_id: int) -> bool:
    binding = session.exec(select(SopBinding).where(SopBinding.rule_id == rule.id,
                                                    SopBinding.group_chat_id == group_id)).first()
    if binding is None:
        return False
    cancel_pending(session, rule.id, group_id)
    session.delete(binding)
    session.flush()
    return True
