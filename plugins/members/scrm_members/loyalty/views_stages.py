"""Stage pages: the board (N in this stage, new and flow today), stage settings with the entry rule and the stage's
reminders, the stage detail with its customers, "Refresh data", the reminder master switch and the notifications."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import and_, delete, select

from scrm.sdk import Customer, Employee, utcnow
from scrm.sdk.web import (
    ADMIN,
    STAFF,
    audit_action,
    current_tenant,
    customer_visibility,
    db,
    parse_int,
    role_required,
)

from . import reminders, stages
from .jobs import evaluate_stages, stage_follow_up
from .models import FollowUpCondition, Notification, ReminderMode, Stage, StageFollowUpRule, StageMembership
from .web import PAGE_SIZE, after_id, bp


def _stage_or_404(stage_id: int) -> Stage:
    stage = stages.get_stage(db(), current_tenant().id, stage_id)
    if stage is None:
        abort(404)
    return stage


def _editor(rule: dict | None, types: list) -> dict:
    from ..segments.rule_form import editor_rows, grouped_types

    return {"sections": grouped_types(types), "rows": editor_rows(db(), current_tenant().id, rule, types, None)}


@bp.get("/stages/")
@role_required(*STAFF)
def stages_board():
    """The board shows ``BOARD_PAGE_SIZE`` stage cards at a time ("01-04", "05-08"), with previous / next."""
    tenant = current_tenant()
    every = stages.tenant_stages(db(), tenant.id)
    board_page = stages.board_page(every, request.args.get("page"))
    return render_template("members/loyalty/stages.html", stages=every, shown=board_page.stages, board_page=board_page,
                           figures=stages.board(db(), tenant.id, scope=customer_visibility()), max_stages=stages.MAX_STAGES,
                           master=reminders.settings(db(), tenant.id).master_enabled)


@bp.post("/stages/refresh")
@role_required(*STAFF)
def stages_refresh():
    evaluate_stages.send(current_tenant().id)
    flash(_("Stage data is being refreshed; reload the page in a moment."), "success")
    return redirect(url_for("members.loyalty.stages_board"))


def _read_rules(form) -> tuple[list[dict], str | None]:
    rules, error = [], None
    conditions, days, times = form.getlist("r_condition"), form.getlist("r_days"), form.getlist("r_time")
    for condition, raw_days, raw_time in zip(conditions, days, times, strict=False):
        if not condition:
            continue
        try:
            send_time = reminders.parse_send_time(raw_time or "10:00:00")
        except ValueError:
            error = _("Give reminder times as HH:MM:SS.")
            continue
        if condition not in {c.value for c in FollowUpCondition} or not (raw_days or "0").strip().isdigit() \
                or int(raw_days or 0) > 3650:
            error = _("Give each reminder rule a condition and a number of days from 0 to 3650.")
            continue
        rules.append({"condition": condition, "days": int(raw_days or 0), "send_time": send_time})
    return rules, error


def _delay(form, name: str) -> tuple[int, str | None]:
    raw = (form.get(name) or "0").strip()
    if not raw.isdigit() or int(raw) > 7 * 24 * 60:
        return 0, _("Give a delay in minutes from 0 to 10080 (7 days).")
    return int(raw), None


@bp.route("/stages/new", methods=["GET", "POST"], defaults={"stage_id": None})
@bp.route("/stages/<int:stage_id>/edit", methods=["GET", "POST"])
@role_required(*ADMIN)
def stage_form(stage_id: int | None):
    from scrm.sdk.web import translated_filter_types

    from ..segments.rule_form import parse_rule

    tenant = current_tenant()
    stage = _stage_or_404(stage_id) if stage_id is not None else None
    types = translated_filter_types(stages.tenant_filter_types(db(), tenant))
    errors: dict[str, str] = {}
    if request.method == "GET":
        data = stage or Stage(tenant_id=tenant.id, ordinal=len(stages.tenant_stages(db(), tenant.id)) + 1, name="")
        rules = [{"condition": r.condition, "days": r.days, "send_time": r.send_time}
                 for r in stages.follow_up_rules(db(), tenant.id, stage.id)] if stage else []
        rule = data.entry_rule
    else:
        form = request.form
        rule = parse_rule(form, types)
        rules, rules_error = _read_rules(form)
        employee_delay, delay_error = _delay(form, "change_employee_delay")
        admin_delay, admin_delay_error = _delay(form, "change_admin_delay")
        for key, message in (("follow_up", rules_error), ("change", delay_error or admin_delay_error)):
            if message:
                errors[key] = message
        modes = {m.value for m in ReminderMode}
        data = Stage(tenant_id=tenant.id, ordinal=0, name=form.get("name", "").strip(),
                     description=form.get("description", "").strip(),
                     plan_description=form.get("plan_description", "").strip(),
                     automation_enabled=bool(form.get("automation_enabled")), entry_rule=rule,
                     follow_up_enabled=bool(form.get("follow_up_enabled")),
                     follow_up_employee=bool(form.get("follow_up_employee")),
                     follow_up_admin=bool(form.get("follow_up_admin")),
                     change_employee=bool(form.get("change_employee")),
                     change_employee_mode=form.get("change_employee_mode") if form.get("change_employee_mode") in modes
                     else ReminderMode.REALTIME.value, change_employee_delay=employee_delay,
                     change_admin=bool(form.get("change_admin")),
                     change_admin_mode=form.get("change_admin_mode") if form.get("change_admin_mode") in modes
                     else ReminderMode.REALTIME.value, change_admin_delay=admin_delay)
        if data.follow_up_enabled and not rules:
            errors["follow_up"] = _("Add at least one follow-up rule, or turn the follow-up reminder off.")
        try:
            ordinal, name = stages.check_stage(
                db(), tenant.id, stage_id, ordinal=form.get("ordinal", ""), name=data.name,
                description=data.description, plan_description=data.plan_description,
                automation_enabled=data.automation_enabled, entry_rule=rule, types=types)
        except stages.StageError as exc:
            errors.update(exc.fields)
        data.ordinal = parse_int(form.get("ordinal"), 0, low=0) or 0
        if not errors:
            target = stage or Stage(tenant_id=tenant.id, ordinal=ordinal, name=name)
            for field in ("description", "plan_description", "automation_enabled", "entry_rule", "follow_up_enabled",
                          "follow_up_employee", "follow_up_admin", "change_employee", "change_employee_mode",
                          "change_employee_delay", "change_admin", "change_admin_mode", "change_admin_delay"):
                setattr(target, field, getattr(data, field))
            target.ordinal, target.name, target.updated_at = ordinal, name, utcnow()
            db().add(target)
            db().flush()
            db().execute(delete(StageFollowUpRule).where(StageFollowUpRule.tenant_id == tenant.id,
                                                         StageFollowUpRule.stage_id == target.id))
            for item in rules:
                db().add(StageFollowUpRule(tenant_id=tenant.id, stage_id=target.id, **item))
            db().flush()
            reminders.ensure_follow_up_schedules(db(), tenant.id, stage_follow_up.name)
            audit_action("members.stage.save", f"stage:{target.id}", name=name, automation=target.automation_enabled)
            db().commit()
            flash(_("Stage %(name)s saved.", name=name), "success")
            return redirect(url_for("members.loyalty.stages_board"))
    status = 422 if errors else 200
    return render_template("members/loyalty/stage_form.html", stage=stage, data=data, rules=rules, errors=errors,
                           conditions=[c.value for c in FollowUpCondition], **_editor(rule, types)), status


@bp.post("/stages/<int:stage_id>/delete")
@role_required(*ADMIN)
def stage_delete(stage_id: int):
    stage = _stage_or_404(stage_id)
    db().delete(stage)
    audit_action("members.stage.delete", f"stage:{stage.id}", name=stage.name)
    db().flush()
    reminders.ensure_follow_up_schedules(db(), current_tenant().id, stage_follow_up.name)
    db().commit()
    flash(_("Stage %(name)s deleted.", name=stage.name), "success")
    return redirect(url_for("members.loyalty.stages_board"))


@bp.get("/stages/<int:stage_id>")
@role_required(*STAFF)
def stage_detail(stage_id: int):
    stage = _stage_or_404(stage_id)
    query = (select(Customer, StageMembership).join(StageMembership, and_(
        StageMembership.customer_id == Customer.id, StageMembership.stage_id == stage.id,
        StageMembership.left_at.is_(None))).where(Customer.tenant_id == current_tenant().id,
                                                  Customer.merged_into_id.is_(None)))
    scope = customer_visibility()
    if scope is not None:
        query = query.where(scope)
    after = after_id()
    if after:
        query = query.where(StageMembership.id < after)
    rows = db().execute(query.order_by(StageMembership.id.desc()).limit(PAGE_SIZE + 1)).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    figures = stages.board(db(), current_tenant().id).get(stage.id)
    return render_template("members/loyalty/stage_detail.html", stage=stage, rows=rows, figures=figures,
                           next_after=rows[-1][1].id if more else None)


@bp.route("/stages/reminders", methods=["GET", "POST"])
@role_required(*ADMIN)
def stage_reminders():
    tenant = current_tenant()
    row = reminders.settings(db(), tenant.id)
    employees = db().execute(select(Employee).where(Employee.tenant_id == tenant.id).order_by(Employee.name)).scalars().all()
    errors: dict[str, str] = {}
    if request.method == "POST":
        known = {e.id for e in employees}
        chosen = [v for v in map(parse_int, request.form.getlist("admin_employee_id")) if v is not None]
        if any(i not in known for i in chosen):
            errors["admins"] = _("Choose admins among the tenant's employees.")
        else:
            row.master_enabled = bool(request.form.get("master_enabled"))
            row.admin_employee_ids, row.updated_at = sorted(set(chosen)), utcnow()
            db().add(row)
            audit_action("members.stage.reminders", "stage_reminders", enabled=row.master_enabled,
                         admins=row.admin_employee_ids)
            db().commit()
            flash(_("Reminder settings saved."), "success")
            return redirect(url_for("members.loyalty.stages_board"))
    return render_template("members/loyalty/stage_reminders.html", settings=row, employees=employees,
                           errors=errors), 422 if errors else 200


@bp.get("/notifications/")
@role_required(*STAFF)
def notifications():
    tenant = current_tenant()
    query = (select(Notification, Employee.name).join(Employee, Employee.id == Notification.recipient_employee_id)
             .where(Notification.tenant_id == tenant.id))
    after = after_id()
    if after:
        query = query.where(Notification.id < after)
    rows = db().execute(query.order_by(Notification.id.desc()).limit(PAGE_SIZE + 1)).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return render_template("members/loyalty/notifications.html", rows=rows,
                           next_after=rows[-1][0].id if more else None)
