"""群发管理 under ``/t/<tenant>/wecom/masssend/`` (endpoints ``wecom.masssend.*``; tenant admins and operators): the
two tabs 客户群发 / 社群群发, the form, the confirm page with the figures of the send (matched, left out by the
limits and by exclusion rules, employees), the detail page (cards, chart, members, targets), remind, cancel, refresh
and the CSV / XLSX export of the targets."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from scrm.sdk import Department, Employee, EmployeeStatus, Tag, local_datetime, tabular
from scrm.sdk.web import STAFF, audit_action, current_tenant, current_user, db, platform, role_required

from ..groupchats.models import GroupTag
from . import labels as _labels  # noqa: F401  (the code labels the pages show)
from . import planning, results, service, stats
from .models import ChatType, MemberStatus, RecipientStatus, SendType, TaskStatus

bp = Blueprint("masssend", __name__, url_prefix="/masssend", template_folder="../templates")
PAGE = 20
DETAIL_PAGE = 50


def _by() -> str:
    user = current_user()
    return user.email if user is not None else "api"


def _chat_type(value: str | None) -> str:
    return ChatType.GROUP.value if value == ChatType.GROUP.value else ChatType.SINGLE.value


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return max(1, min(int(raw), 100_000)) if raw.isdigit() else 1


@bp.get("/")
@role_required(*STAFF)
def index():
    tenant = current_tenant()
    chat_type = _chat_type(request.args.get("tab"))
    status = request.args.get("status", "")
    status = status if status in {s.value for s in TaskStatus} else ""
    page = _page_number()
    rows, total = service.list_tasks(db(), tenant.id, chat_type, status=status,
                                     keyword=(request.args.get("q") or "").strip()[:100], offset=(page - 1) * PAGE,
                                     limit=PAGE)
    progress = service.progress(db(), [t.id for t in rows])
    return render_template("wecom/masssend/index.html", rows=rows, total=total, progress=progress, tab=chat_type,
                           status=status, q=request.args.get("q", ""), page=page,
                           pages=max(1, (total + PAGE - 1) // PAGE), statuses=list(TaskStatus))


# -- form, confirm, create -------------------------------------------------------------------------------------------


def _choices(chat_type: str) -> dict:
    session, tenant = db(), current_tenant()
    employees = session.execute(select(Employee.id, Employee.name).where(
        Employee.tenant_id == tenant.id, Employee.status == EmployeeStatus.ACTIVE).order_by(Employee.name)).all()
    out = {"employees": employees, "attachments": _attachment_choices()}
    if chat_type == ChatType.GROUP:
        out["departments"] = session.execute(select(Department.id, Department.name).where(
            Department.tenant_id == tenant.id).order_by(Department.name)).all()
        out["group_tags"] = session.execute(select(GroupTag.id, GroupTag.name).where(
            GroupTag.tenant_id == tenant.id).order_by(GroupTag.name)).all()
    else:
        out["tags"] = session.execute(select(Tag.id, Tag.name).where(Tag.tenant_id == tenant.id).order_by(
            Tag.name).limit(500)).all()
        types = {f.key: f for f in planning.filter_types(session, tenant)}
        segment = types.get("segment")
        out["segments"] = segment.choices(session, tenant.id) if segment and segment.choices else None
        gender = types.get("gender")
        out["genders"] = gender.choices(session, tenant.id) if gender and gender.choices else None
        out["added_between"] = "wecom_added_between" in types
    return out


def _attachment_choices() -> list:
    try:
        from ..materials import attachments
    except ImportError:
        return []
    return list(attachments.choices(db(), current_tenant().id))


def _form_input() -> tuple[service.MassSendInput, dict[str, str]]:
    form = request.form
    chat_type = _chat_type(form.get("chat_type"))
    errors: dict[str, str] = {}
    send_at = None
    if form.get("send_type") == SendType.SCHEDULED.value:
        raw = (form.get("send_at") or "").strip()
        try:
            moment = datetime.fromisoformat(raw) if raw else None
            send_at = local_datetime(moment.date(), moment.time().replace(tzinfo=None)) if moment else None
        except ValueError:
            errors["send_at"] = _("Enter a date and time.")
    audience = {key: form.getlist(key) for key in ("tag_ids", "owner_ids", "genders", "department_ids",
                                                  "group_tag_ids")}
    audience.update({key: form.get(key, "") for key in ("segment_id", "added_from", "added_to", "name")})
    attachment_ids = [int(v) for v in form.getlist("attachment_ids") if v.strip().isdigit()]
    data = service.MassSendInput(chat_type=chat_type, text=(form.get("text") or "")[:20000],
                                 attachment_ids=attachment_ids,
                                 audience=service.clean_audience(chat_type, audience),
                                 send_type=form.get("send_type") or SendType.IMMEDIATE.value, send_at=send_at)
    return data, errors


def _form(data: service.MassSendInput, errors: dict[str, str], status: int = 200):
    return render_template("wecom/masssend/form.html", data=data, errors=errors, choices=_choices(data.chat_type),
                           send_at=request.form.get("send_at", "")), status


@bp.get("/new")
@role_required(*STAFF)
def create_form():
    return _form(service.MassSendInput(chat_type=_chat_type(request.args.get("tab"))), {})[0]


@bp.post("/confirm")
@role_required(*STAFF)
def confirm():
    data, errors = _form_input()
    found = None
    if not errors:
        errors, found = service.validate(db(), current_tenant(), data)
    if errors:
        return _form(data, errors, 422)
    return render_template("wecom/masssend/confirm.html", data=data, preview=found, form=request.form)


@bp.post("/")
@role_required(*STAFF)
def create():
    data, errors = _form_input()
    if errors:
        return _form(data, errors, 422)
    try:
        task = service.create(db(), current_tenant(), data, _by())
    except service.MassSendInvalid as exc:
        db().rollback()
        return _form(data, exc.errors, 422)
    audit_action("wecom.masssend.created", f"mass_task:{task.id}", chat_type=task.chat_type,
                 send_type=task.send_type)
    db().commit()
    flash(_("The mass send is saved; the employees get their tasks when it goes out."), "success")
    return redirect(url_for(".detail", task_id=task.id))


# -- detail and actions ----------------------------------------------------------------------------------------------


def _task(task_id: int):
    task = service.find(db(), current_tenant().id, task_id)
    if task is None:
        abort(404)
    return task


@bp.get("/<int:task_id>")
@role_required(*STAFF)
def detail(task_id: int):
    task = _task(task_id)
    found = stats.cards(db(), task)
    view = request.args.get("view", "targets")
    status = request.args.get("status", "")
    keyword = (request.args.get("q") or "").strip()[:100]
    page = _page_number()
    if view == "members":
        status = status if status in {s.value for s in MemberStatus} else ""
        rows, total = stats.member_rows(db(), task, status, (page - 1) * DETAIL_PAGE, DETAIL_PAGE)
    else:
        view = "targets"
        status = status if status in {s.value for s in RecipientStatus} else ""
        rows, total = stats.recipient_rows(db(), task, status, keyword, (page - 1) * DETAIL_PAGE, DETAIL_PAGE)
    return render_template("wecom/masssend/detail.html", task=task, cards=found, chart=stats.chart(task, found),
                           progress=service.progress(db(), [task.id])[task.id], view=view, status=status, q=keyword,
                           rows=rows, total=total, page=page, pages=max(1, (total + DETAIL_PAGE - 1) // DETAIL_PAGE),
                           status_label=stats.status_label, member_status_label=stats.member_status_label,
                           recipient_statuses=list(RecipientStatus), member_statuses=list(MemberStatus))


def _refusal(code: str) -> str:
    messages = {"NOTHING_TO_REMIND": _("Every employee has sent; there is no one to remind."),
                "REMIND_LIMIT": _("WeCom allows 3 reminders a day; try again tomorrow."),
                "NOT_CANCELLABLE": _("This mass send can no longer be cancelled.")}
    return messages.get(code, code)


@bp.post("/<int:task_id>/remind")
@role_required(*STAFF)
def remind(task_id: int):
    task = _task(task_id)
    try:
        count = results.remind(db(), platform(), task)
    except results.ActionRefused as exc:
        flash(_refusal(exc.code), "error")
        return redirect(url_for(".detail", task_id=task.id))
    audit_action("wecom.masssend.reminded", f"mass_task:{task.id}", members=count)
    db().commit()
    flash(_("%(count)s employees were reminded.", count=count), "success")
    return redirect(url_for(".detail", task_id=task.id))


@bp.post("/<int:task_id>/cancel")
@role_required(*STAFF)
def cancel(task_id: int):
    task = _task(task_id)
    try:
        results.cancel(db(), platform(), task)
    except results.ActionRefused as exc:
        flash(_refusal(exc.code), "error")
        return redirect(url_for(".detail", task_id=task.id))
    audit_action("wecom.masssend.cancelled", f"mass_task:{task.id}")
    db().commit()
    flash(_("The mass send is cancelled."), "success")
    return redirect(url_for(".detail", task_id=task.id))


@bp.post("/<int:task_id>/refresh")
@role_required(*STAFF)
def refresh(task_id: int):
    task = _task(task_id)
    if task.status != TaskStatus.SENT:
        flash(_("Results are read once the mass send went out."), "error")
        return redirect(url_for(".detail", task_id=task.id))
    applied = results.poll(db(), platform(), task)
    flash(_("Results read from WeCom: %(count)s updated.", count=applied), "success")
    return redirect(url_for(".detail", task_id=task.id))


@bp.get("/<int:task_id>/targets.<any(csv, xlsx):fmt>")
@role_required(*STAFF)
def export(task_id: int, fmt: str):
    task = _task(task_id)
    audit_action("wecom.masssend.exported", f"mass_task:{task.id}", format=fmt)
    db().commit()
    titles, rows = stats.export_rows(db(), task)
    name = f"mass-send-{task.id}.{fmt}"
    if fmt == "xlsx":
        return send_file(tabular.xlsx_file(titles, rows, sheet=_("Mass send")), as_attachment=True,
                         download_name=name, mimetype=tabular.XLSX_MIMETYPE)
    return Response(tabular.csv_stream(titles, rows), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
