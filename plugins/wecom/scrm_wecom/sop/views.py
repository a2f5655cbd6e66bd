"""The SOP pages under ``/t/<tenant>/wecom/sop/`` (endpoints ``wecom.sop.*``).

Operators (tenant admins and operators): the rule lists (tabs 客户SOP / 社群SOP, search by name), create, edit (paused
rules only), details with the bound groups, pause / enable / terminate / delete, and the completion statistics
with a chart and CSV / XLSX export. Employees: their task list and task page (the text card's link, a 375 px phone
page): the content to send, copy or send in WeCom (recorded), mark done.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from scrm.sdk import Customer, Employee, EmployeeStatus, Tag, format_local, get_scoped, utcnow
from scrm.sdk.tabular import csv_stream, xlsx_file
from scrm.sdk.web import (
    STAFF,
    Role,
    audit_action,
    current_membership,
    current_tenant,
    current_user,
    db,
    role_required,
    tenant_hooks,
)

from ..groupchats.models import GroupChat
from ..materials.attachments import choices as material_choices
from ..materials.models import Material
from ..materials.urls import preview_url
from ..messaging.links import remember_public_url
from ..messaging.outbound import account_for
from ..messaging.textcards import fill
from . import rules as service
from .delivery import variables
from .models import RuleKind, RuleStatus, SopBinding, SopNode, SopRule, SopTask, TaskStatus, Trigger
from .planning import nodes_of
from .quiet import DEFAULT_DAYS as QUIET_DAYS
from .stats import by_rule, completion
from .templates import TEMPLATES, prefill
from .templates import template as scene_template

bp = Blueprint("sop", __name__, url_prefix="/sop", template_folder="../templates", static_folder="static",
               static_url_path="/static")
MEMBERS = (Role.TENANT_ADMIN, Role.OPERATOR, Role.EMPLOYEE)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TRIGGER_LABELS = {Trigger.FRIEND_ADDED: _l("Added as friend"), Trigger.TAG_ADDED: _l("Tag added"),
                  Trigger.STAGE_ENTERED: _l("Stage entered"), Trigger.JOINED_GROUP: _l("Joined a group chat"),
                  Trigger.DATE_FIELD: _l("Date field (birthday)"), Trigger.SCHEDULE: _l("Fixed schedule"),
                  Trigger.NO_COMMUNICATION: _l("No communication for N days"),
                  Trigger.GROUP_BOUND: _l("Group joined the rule")}
STATUS_LABELS = {RuleStatus.ON: _l("Rule on"), RuleStatus.PAUSED: _l("Rule paused"),
                 RuleStatus.TERMINATED: _l("Rule terminated")}
TASK_LABELS = {TaskStatus.PENDING: _l("Not due yet"), TaskStatus.REMINDED: _l("Waiting to be sent"),
               TaskStatus.SENT: _l("Content sent"), TaskStatus.DONE: _l("Marked done"),
               TaskStatus.CANCELLED: _l("Cancelled with the rule")}


def _by() -> str:
    user = current_user()
    return user.email if user is not None else ""


def _rule(rule_id: int) -> SopRule:
    return get_scoped(db(), SopRule, current_tenant().id, rule_id) or abort(404)


def _kind() -> str:
    kind = request.values.get("kind", RuleKind.CUSTOMER)
    return kind if kind in (RuleKind.CUSTOMER, RuleKind.GROUP) else RuleKind.CUSTOMER


def _stage_choices() -> list[tuple]:
    tenant = current_tenant()
    for filters in tenant_hooks().contribute("audience_filters", tenant=tenant):
        for item in filters if isinstance(filters, list) else [filters]:
            if getattr(item, "key", None) == "stage" and item.choices is not None:
                return list(item.choices(db(), tenant.id))
    return []


def _choices() -> dict:
    tenant_id = current_tenant().id
    return {"employees": db().exec(select(Employee).where(Employee.tenant_id == tenant_id,
                                                          Employee.status != EmployeeStatus.LEFT)
                                   .order_by(Employee.name)).all(),
            "tags": db().exec(select(Tag).where(Tag.tenant_id == tenant_id).order_by(Tag.name).limit(500)).all(),
            "stages": _stage_choices(), "trigger_labels": TRIGGER_LABELS,
            "triggers": service.GROUP_TRIGGERS, "customer_triggers": service.CUSTOMER_TRIGGERS,
            "quiet_default": QUIET_DAYS}


@bp.get("/")
@role_required(*STAFF)
def index():
    tenant, kind = current_tenant(), _kind()
    q = (request.args.get("q") or "").strip()[:20]
    query = select(SopRule).where(SopRule.tenant_id == tenant.id, SopRule.kind == kind)
    if q:
        query = query.where(SopRule.name.contains(q))
    rules = db().exec(query.order_by(SopRule.id.desc())).all()
    totals = by_rule(completion(db(), tenant.id))
    groups = dict(db().exec(select(SopBinding.rule_id, SopBinding.id).where(SopBinding.tenant_id == tenant.id)).all())
    return render_template("wecom/sop/index.html", rules=rules, kind=kind, q=q, totals=totals, templates=TEMPLATES,
                           trigger_labels=TRIGGER_LABELS, status_labels=STATUS_LABELS, has_groups=groups)


def _node_count() -> int:
    raw = request.form.get("node_count", "1")
    return min(int(raw), service.MAX_NODES + 1) if raw.isdigit() and len(raw) < 4 else 1


def _input() -> service.RuleInput:
    form = request.form
    nodes = []
    for index in range(_node_count()):
        field = f"node-{index}-"
        node = service.NodeInput(form.get(field + "day", "0"), form.get(field + "hour", "0"),
                                 form.get(field + "minute", "0"), form.get(field + "title", ""),
                                 form.get(field + "content", ""), form.getlist(field + "materials"))
        if node.title.strip() or node.content.strip() or node.materials:
            nodes.append(node)
    return service.RuleInput(kind=_kind(), name=form.get("name", ""), description=form.get("description", ""),
                             trigger=form.get("trigger", ""), tag_id=form.get("tag_id", ""),
                             stage_id=form.get("stage_id", ""), date_field=form.get("date_field", "birthday"),
                             start=form.get("start", ""), every_days=form.get("every_days", "0"),
                             quiet_days=form.get("quiet_days", str(QUIET_DAYS)),
                             employee_ids=form.getlist("employee_ids"), nodes=nodes)


def _node_editing(data: service.RuleInput) -> bool:
    """"Add a node" and "remove" re-show the form (no script needed); True when the request was one of those."""
    form = request.form
    if form.get("add_node"):
        data.nodes = _all_nodes()
        if len(data.nodes) < service.MAX_NODES:
            data.nodes.append(service.NodeInput())
        return True
    remove = form.get("remove_node", "")
    if remove.isdigit() and len(remove) < 4:
        index = int(remove)
        data.nodes = [n for i, n in enumerate(_all_nodes()) if i != index] or [service.NodeInput()]
        return True
    return False


def _all_nodes() -> list[service.NodeInput]:
    form = request.form
    return [service.NodeInput(form.get(f"node-{i}-day", "0"), form.get(f"node-{i}-hour", "0"),
                              form.get(f"node-{i}-minute", "0"), form.get(f"node-{i}-title", ""),
                              form.get(f"node-{i}-content", ""), form.getlist(f"node-{i}-materials"))
            for i in range(_node_count())]


def _form(rule: SopRule | None, values: dict, errors: dict, status: int = 200):
    materials = material_choices(db(), current_tenant().id)
    return render_template("wecom/sop/form.html", rule=rule, values=values, errors=errors, kind=values["kind"],
                           materials=materials, **_choices()), status


def _values_of(rule: SopRule | None, kind: str) -> dict:
    if rule is None:
        return {"kind": kind, "name": "", "description": "", "trigger": "", "params": {}, "employee_ids": [],
                "nodes": [{"day_offset": 0, "hour": 0, "minute": 1, "title": "", "content": "", "materials": []}]}
    return {"kind": rule.kind, "name": rule.name, "description": rule.description, "trigger": rule.trigger,
            "params": rule.params or {}, "employee_ids": list(rule.employee_ids or []),
            "nodes": [{"day_offset": n.day_offset, "hour": n.hour, "minute": n.minute, "title": n.title,
                       "content": n.content, "materials": [a.get("material_id") for a in n.attachments or []]}
                      for n in nodes_of(db(), rule)]}


def _submitted(data: service.RuleInput) -> dict:
    params = {"tag_id": data.tag_id, "stage_id": data.stage_id, "field": data.date_field, "start": data.start,
              "every_days": data.every_days, "quiet_days": data.quiet_days}
    return {"kind": data.kind, "name": data.name, "description": data.description, "trigger": data.trigger,
            "params": params, "employee_ids": [int(e) for e in data.employee_ids if str(e).isdigit()],
            "nodes": [{"day_offset": n.day_offset, "hour": n.hour, "minute": n.minute, "title": n.title,
                       "content": n.content, "materials": [int(m) for m in n.materials if str(m).isdigit()
                                                           and len(str(m)) < 10]} for n in data.nodes]
            or [{"day_offset": 0, "hour": 0, "minute": 1, "title": "", "content": "", "materials": []}]}


def _remember_address() -> None:
    """The text cards link to the address operators use (see ``messaging.links``)."""
    account = account_for(db(), current_tenant().id, None)
    if account is not None:
        remember_public_url(db(), account, request.url_root)


def _check_stage(data: service.RuleInput) -> dict:
    if data.trigger == Trigger.STAGE_ENTERED and data.stage_id not in {str(v) for v, _label in _stage_choices()}:
        return {"stage_id": _("Choose a stage.")}
    return {}


@bp.route("/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new():
    kind = _kind()
    if request.method == "GET":
        found = scene_template(request.args.get("template")) if kind == RuleKind.CUSTOMER else None
        return _form(None, prefill(found) if found else _values_of(None, kind), {})
    data = _input()
    if _node_editing(data):
        return _form(None, _submitted(data), {})
    try:
        errors = _check_stage(data)
        if errors:
            raise service.RuleError(errors)
        rule = service.create(db(), current_tenant().id, data, _by())
    except service.RuleError as exc:
        db().rollback()
        return _form(None, _submitted(data), exc.errors, 422)
    _remember_address()
    audit_action("wecom.sop.created", f"sop_rule:{rule.id}", name=rule.name, kind=rule.kind)
    db().commit()
    flash(_("SOP rule saved."), "success")
    return redirect(url_for(".detail", rule_id=rule.id))


@bp.route("/<int:rule_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit(rule_id: int):
    rule = _rule(rule_id)
    if rule.status != RuleStatus.PAUSED:
        flash(_("Pause the rule before editing it."), "error")
        return redirect(url_for(".detail", rule_id=rule.id))
    if request.method == "GET":
        return _form(rule, _values_of(rule, rule.kind), {})
    data = _input()
    if _node_editing(data):
        data.kind = rule.kind
        return _form(rule, _submitted(data), {})
    try:
        errors = _check_stage(data)
        if errors:
            raise service.RuleError(errors)
        service.update_rule(db(), rule, data)
    except service.RuleError as exc:
        db().rollback()
        data.kind = rule.kind
        return _form(rule, _submitted(data), exc.errors, 422)
    _remember_address()
    audit_action("wecom.sop.updated", f"sop_rule:{rule.id}", name=rule.name)
    db().commit()
    flash(_("SOP rule saved."), "success")
    return redirect(url_for(".detail", rule_id=rule.id))


@bp.get("/<int:rule_id>")
@role_required(*STAFF)
def detail(rule_id: int):
    rule = _rule(rule_id)
    tenant_id = current_tenant().id
    bound = db().exec(select(SopBinding, GroupChat).join(GroupChat, GroupChat.id == SopBinding.group_chat_id)
                      .where(SopBinding.rule_id == rule.id).order_by(SopBinding.joined_at)).all()
    groups = db().exec(select(GroupChat).where(GroupChat.tenant_id == tenant_id).order_by(GroupChat.name)
                       .limit(500)).all() if rule.kind == RuleKind.GROUP else []
    employees = dict(db().exec(select(Employee.id, Employee.name).where(Employee.tenant_id == tenant_id)).all())
    rows = completion(db(), tenant_id, rule.id)
    return render_template("wecom/sop/detail.html", rule=rule, nodes=nodes_of(db(), rule), bound=bound,
                           groups=groups, employees=employees, rows=rows, trigger_labels=TRIGGER_LABELS,
                           status_labels=STATUS_LABELS, stages=dict(_stage_choices()) if rule.trigger ==
                           Trigger.STAGE_ENTERED else {},
                           tag=get_scoped(db(), Tag, tenant_id, (rule.params or {}).get("tag_id")))


@bp.post("/<int:rule_id>/status")
@role_required(*STAFF)
def status(rule_id: int):
    rule = _rule(rule_id)
    action = request.form.get("action", "")
    try:
        service.set_status(db(), rule, action)
    except service.RuleError as exc:
        db().rollback()
        flash(next(iter(exc.errors.values())), "error")
        return redirect(url_for(".detail", rule_id=rule_id)), 303
    audit_action("wecom.sop.status", f"sop_rule:{rule.id}", move=action, status=rule.status)
    db().commit()
    flash(_("Rule status: %(status)s.", status=STATUS_LABELS[rule.status]), "success")
    return redirect(url_for(".detail", rule_id=rule.id))


@bp.post("/<int:rule_id>/delete")
@role_required(*STAFF)
def delete(rule_id: int):
    rule = _rule(rule_id)
    kind = rule.kind
    try:
        service.delete_rule(db(), rule)
    except service.RuleError as exc:
        db().rollback()
        flash(next(iter(exc.errors.values())), "error")
        return redirect(url_for(".detail", rule_id=rule_id)), 303
    audit_action("wecom.sop.deleted", f"sop_rule:{rule_id}")
    db().commit()
    flash(_("SOP rule deleted."), "success")
    return redirect(url_for(".index", kind=kind))


@bp.post("/<int:rule_id>/groups")
@role_required(*STAFF)
def add_groups(rule_id: int):
    rule = _rule(rule_id)
    ids = [int(v) for v in request.form.getlist("group_ids") if v.isdigit() and len(v) < 10]
    try:
        joined = service.bind_groups(db(), rule, ids)
    except service.RuleError as exc:
        db().rollback()
        flash(next(iter(exc.errors.values())), "error")
        return redirect(url_for(".detail", rule_id=rule_id)), 303
    audit_action("wecom.sop.groups_added", f"sop_rule:{rule.id}", groups=ids)
    db().commit()
    flash(_("%(num)s group chats joined the rule.", num=joined), "success")
    return redirect(url_for(".detail", rule_id=rule.id))


@bp.post("/<int:rule_id>/groups/<int:group_id>/remove")
@role_required(*STAFF)
def remove_group(rule_id: int, group_id: int):
    rule = _rule(rule_id)
    if not service.unbind_group(db(), rule, group_id):
        abort(404)
    audit_action("wecom.sop.group_removed", f"sop_rule:{rule.id}", group=group_id)
    db().commit()
    flash(_("The group chat left the rule."), "success")
    return redirect(url_for(".detail", rule_id=rule.id))


# -- completion statistics ----------------------------------------------------------------------------------------

def _rule_filter() -> int | None:
    raw = request.args.get("rule_id", "")
    if raw.isdigit() and len(raw) < 10:
        return _rule(int(raw)).id
    return None


@bp.get("/stats")
@role_required(*STAFF)
def stats():
    tenant_id, rule_id = current_tenant().id, _rule_filter()
    rows = completion(db(), tenant_id, rule_id)
    totals = by_rule(rows)
    chart = {"labels": [name for name, *_rest in totals.values()],
             "datasets": [{"label": _("Due to-dos"), "data": [v[1] for v in totals.values()]},
                          {"label": _("Sent"), "data": [v[2] for v in totals.values()]},
                          {"label": _("Done"), "data": [v[3] for v in totals.values()]}]}
    rules = db().exec(select(SopRule).where(SopRule.tenant_id == tenant_id).order_by(SopRule.name)).all()
    return render_template("wecom/sop/stats.html", rows=rows, chart=chart, rules=rules, rule_id=rule_id)


def _cells(rows):
    for row in rows:
        yield [row.rule, row.node, row.employee, row.due, row.sent, row.done, row.rate]


@bp.get("/stats.<any(csv, xlsx):fmt>")
@role_required(*STAFF)
def export(fmt: str):
    rows = completion(db(), current_tenant().id, _rule_filter())
    titles = [_("Rule"), _("Task node"), _("Employee"), _("Due to-dos"), _("Sent"), _("Done"), _("Completion rate") + " (%)"]
    audit_action("wecom.sop.export", fmt, rows=len(rows))
    db().commit()
    name = f"sop-completion.{fmt}"
    if fmt == "xlsx":
        return send_file(xlsx_file(titles, _cells(rows), _("SOP completion")), as_attachment=True,
                         download_name=name, mimetype=XLSX)
    return Response(csv_stream(titles, _cells(rows)), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# -- the employee's phone pages -----------------------------------------------------------------------------------

def _employee_id() -> int | None:
    membership = current_membership()
    return membership.employee_id if membership is not None else None


def _my_task(task_id: int, write: bool = False) -> SopTask:
    task = get_scoped(db(), SopTask, current_tenant().id, task_id) or abort(404)
    mine = task.employee_id is not None and task.employee_id == _employee_id()
    membership = current_membership()
    staff = current_user().is_platform_admin or (membership is not None and membership.role in STAFF)
    if not mine and (write or not staff):
        abort(403)
    if task.status in (TaskStatus.PENDING, TaskStatus.CANCELLED):
        abort(404)
    return task


@bp.get("/tasks")
@role_required(*MEMBERS)
def tasks():
    tenant_id, employee_id = current_tenant().id, _employee_id()
    rows = db().exec(select(SopTask, SopNode.title, Customer.name, GroupChat.name)
                     .join(SopNode, SopNode.id == SopTask.node_id)
                     .outerjoin(Customer, Customer.id == SopTask.customer_id)
                     .outerjoin(GroupChat, GroupChat.id == SopTask.group_chat_id)
                     .where(SopTask.tenant_id == tenant_id, SopTask.employee_id == (employee_id or 0),
                            SopTask.status.in_([TaskStatus.REMINDED, TaskStatus.SENT, TaskStatus.DONE]))
                     .order_by(SopTask.status == TaskStatus.DONE, SopTask.due_at.desc()).limit(100)).all()
    rows = [(task, fill(title, {"customer": customer, "group": group}), customer, group)
            for task, title, customer, group in rows]
    return render_template("wecom/sop/tasks.html", rows=rows, labels=TASK_LABELS, linked=employee_id is not None,
                           local=lambda m: format_local(m, "%m-%d %H:%M", empty="-"))


@bp.get("/tasks/<int:task_id>")
@role_required(*MEMBERS)
def task(task_id: int):
    row = _my_task(task_id)
    rule, node = db().get(SopRule, row.rule_id), db().get(SopNode, row.node_id)
    customers = {row.customer_id: db().get(Customer, row.customer_id).name} if row.customer_id else {}
    groups = {row.group_chat_id: db().get(GroupChat, row.group_chat_id).name} if row.group_chat_id else {}
    employees = {row.employee_id: db().get(Employee, row.employee_id).name} if row.employee_id else {}
    values = variables(row, rule, customers, groups, employees)
    wanted = [a.get("material_id") for a in node.attachments or [] if isinstance(a, dict)]
    found = {m.id: m for m in db().exec(select(Material).where(
        Material.tenant_id == row.tenant_id, Material.id.in_([w for w in wanted if isinstance(w, int)] or [0]),
        Material.deleted_at.is_(None)))}
    materials = [(found[w].title, preview_url(db(), found[w])) for w in wanted if w in found]
    return render_template("wecom/sop/task.html", task=row, rule=rule, node=node, title=fill(node.title, values),
                           materials=materials,
                           content=fill(node.content, values), subject=values["customer"] or values["group"],
                           labels=TASK_LABELS, mine=row.employee_id == _employee_id(),
                           local=lambda m: format_local(m, "%m-%d %H:%M", empty="-"))


@bp.post("/tasks/<int:task_id>/sent")
@role_required(*MEMBERS)
def sent(task_id: int):
    row = _my_task(task_id, write=True)
    how = request.form.get("via", "copy")
    if how not in ("copy", "wecom"):
        abort(400)
    if row.sent_at is None:
        row.sent_at, row.sent_by = utcnow(), how
        if row.status == TaskStatus.REMINDED:
            row.status = TaskStatus.SENT
        db().add(row)
        audit_action("wecom.sop.task_sent", f"sop_task:{row.id}", via=how)
        db().commit()
    flash(_("Send recorded."), "success")
    return redirect(url_for(".task", task_id=row.id))


@bp.post("/tasks/<int:task_id>/done")
@role_required(*MEMBERS)
def done(task_id: int):
    row = _my_task(task_id, write=True)
    if row.status != TaskStatus.DONE:
        row.status, row.done_at = TaskStatus.DONE, utcnow()
        db().add(row)
        audit_action("wecom.sop.task_done", f"sop_task:{row.id}")
        db().commit()
    flash(_("Marked done."), "success")
    return redirect(url_for(".task", task_id=row.id))
