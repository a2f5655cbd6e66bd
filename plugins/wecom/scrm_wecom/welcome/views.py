"""Pages of friend welcome messages, under ``/t/<tenant>/wecom/welcome/`` (endpoints ``wecom.welcome.*``)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from scrm.sdk.web import (
    STAFF,
    audit_action,
    current_tenant,
    current_user,
    customer_visibility,
    db,
    role_required,
)

from ..materials.attachments import choices as material_choices
from ..views.customer_links import customer_page_url
from . import service
from .content import (
    ATTACHMENT_TYPES,
    MATERIAL_KINDS,
    MAX_ATTACHMENTS,
    TYPE_LABELS,
    VARIABLES,
    item_count,
    kept_attachments,
    preview,
)
from .forms import content_from_form, int_list, segments_from_form
from .segments import MAX_SEGMENTS, WEEKDAY_LABELS

bp = Blueprint("welcome", __name__, url_prefix="/welcome", template_folder="../templates")

@bp.context_processor
def _links() -> dict:
    return {"profile_url": lambda customer_id: customer_page_url("detail", customer_id) if customer_id else None}


@bp.get("/")
@role_required(*STAFF)
def index():
    tenant = current_tenant()
    messages = service.newest_first(db(), tenant.id)
    employees = service.employees_by_message(db(), tenant.id, [m.id for m in messages])
    rows = [{"message": m, "preview": preview(_shown_content(m)), "employees": employees[m.id]} for m in messages]
    sends = service.recent_sends(db(), tenant.id, scope=customer_visibility())
    return render_template("wecom/welcome/index.html", rows=rows, sends=sends)


def _shown_content(message) -> dict:
    """The content the list previews: the default, or the first segment's when the segments need no default."""
    if not item_count(message.content) and message.segments:
        return message.segments[0]["content"]
    return message.content


@bp.get("/<int:welcome_id>")
@role_required(*STAFF)
def detail(welcome_id: int):
    """Read-only details: who it is for, the default content, the time segments, when it was created and edited."""
    message = service.get(db(), current_tenant().id, welcome_id) or abort(404)
    employees = service.employees_by_message(db(), message.tenant_id, [message.id])[message.id]
    return render_template("wecom/welcome/detail.html", message=message, employees=employees,
                           preview=preview(_shown_content(message)), type_labels=TYPE_LABELS,
                           material_labels=dict(material_choices(db(), message.tenant_id, MATERIAL_KINDS)),
                           weekday_labels=WEEKDAY_LABELS)


def _form_context(values: dict, errors: dict, message=None) -> dict:
    return {"values": values, "errors": errors, "message": message,
            "employees": service.active_employees(db(), current_tenant().id), "weekday_labels": WEEKDAY_LABELS,
            "attachment_types": ATTACHMENT_TYPES, "type_labels": TYPE_LABELS, "max_attachments": MAX_ATTACHMENTS,
            "max_segments": MAX_SEGMENTS, "variables": VARIABLES,
            "material_options": material_choices(db(), current_tenant().id, MATERIAL_KINDS)}


def _values_of(message) -> dict:
    employees = service.employees_by_message(db(), message.tenant_id, [message.id])[message.id]
    return {"all_employees": message.all_employees, "employee_ids": [e.id for e in employees],
            "segmented": message.segmented, "content": message.content, "segments": message.segments}


def _submitted() -> tuple[dict, service.WelcomeInput]:
    form = request.form
    raw = {"all_employees": form.get("audience") == "all", "employee_ids": int_list(form, "employee_ids"),
           "segmented": bool(form.get("segmented")), "content": content_from_form(form),
           "segments": segments_from_form(form)}
    return raw, service.WelcomeInput(**raw)


def _save(message=None):
    tenant = current_tenant()
    raw, data = _submitted()
    try:
        kept = kept_attachments(message.content, *(s.get("content") for s in message.segments or [])) \
            if message is not None else []
        values = service.validate(db(), tenant.id, data, kept=kept)
    except service.WelcomeError as exc:
        return render_template("wecom/welcome/form.html", **_form_context(raw, exc.fields, message)), 422
    if message is None:
        user = current_user()
        message = service.create(db(), tenant.id, values, created_by=user.email if user else "")
        audit_action("wecom.welcome.create", f"welcome:{message.id}")
        flash(_("Welcome message created."), "success")
    else:
        service.update(db(), message, values)
        audit_action("wecom.welcome.update", f"welcome:{message.id}")
        flash(_("Welcome message saved."), "success")
    db().commit()
    return redirect(url_for(".index"))


@bp.route("/new", methods=["GET", "POST"])
@role_required(*STAFF)
def create():
    if request.method == "POST":
        return _save()
    empty = {"all_employees": False, "employee_ids": [], "segmented": False, "content": {}, "segments": []}
    return render_template("wecom/welcome/form.html", **_form_context(empty, {}))


@bp.route("/<int:welcome_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit(welcome_id: int):
    message = service.get(db(), current_tenant().id, welcome_id) or abort(404)
    if request.method == "POST":
        return _save(message)
    return render_template("wecom/welcome/form.html", **_form_context(_values_of(message), {}, message))


@bp.post("/<int:welcome_id>/delete")
@role_required(*STAFF)
def remove(welcome_id: int):
    message = service.get(db(), current_tenant().id, welcome_id) or abort(404)
    service.remove(db(), message)
    audit_action("wecom.welcome.delete", f"welcome:{welcome_id}")
    db().commit()
    flash(_("Welcome message deleted."), "success")
    return redirect(url_for(".index"))
