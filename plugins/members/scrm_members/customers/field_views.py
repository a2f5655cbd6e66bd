"""Field settings (客户设置 → 字段设置), tenant admins only: the system fields (read-only) and the custom fields.

Deleting a custom field also removes its values from every customer of the tenant (one SQL update), so a later field
can never inherit them.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import text
from sqlmodel import Session

from scrm.sdk import get_scoped
from scrm.sdk.web import ADMIN, audit_action, current_tenant, db, role_required

from .blueprint import bp
from .fields import (
    CHARSET_LABELS,
    CHARSETS,
    DEFAULT_MAX_LENGTH,
    SYSTEM_FIELDS,
    TYPE_LABELS,
    FieldError,
    cascade_paths,
    clean_definition,
    custom_fields,
    save_definition,
)
from .models import CustomField, FieldType


def form_values(form) -> dict:
    return {"name": form.get("name", ""), "field_type": form.get("field_type", ""),
            "max_length": form.get("max_length", ""), "charset": form.getlist("charset"),
            "options": form.get("options", ""), "enabled": form.get("enabled") == "on",
            "required_member": form.get("required_member") == "on",
            "required_unassigned": form.get("required_unassigned") == "on", "sort_order": form.get("sort_order", "0")}


def definition_values(field: CustomField) -> dict:
    options = field.options
    if field.field_type == FieldType.CASCADE:
        options = "\n".join("/".join(p) for p in cascade_paths(field.options))
    elif isinstance(options, list):
        options = "\n".join(map(str, options))
    return {"name": field.name, "field_type": field.field_type, "max_length": field.max_length or "",
            "charset": field.charset, "options": options, "enabled": field.enabled,
            "required_member": field.required_member, "required_unassigned": field.required_unassigned,
            "sort_order": field.sort_order}


def _page(field: CustomField | None, values: dict, errors: dict, status: int = 200):
    return render_template("members/customers/field_form.html", field=field, values=values, errors=errors,
                           types=TYPE_LABELS, charsets=CHARSETS, charset_labels=CHARSET_LABELS), status


@bp.get("/fields")
@role_required(*ADMIN)
def fields():
    return render_template("members/customers/fields.html", system=SYSTEM_FIELDS,
                           fields=custom_fields(db(), current_tenant().id), types=TYPE_LABELS)


@bp.route("/fields/new", methods=["GET", "POST"])
@role_required(*ADMIN)
def field_new():
    if request.method == "GET":
        chosen = request.args.get("field_type", FieldType.SINGLE_LINE_TEXT.value)
        return _page(None, {"field_type": chosen, "max_length": DEFAULT_MAX_LENGTH, "charset": list(CHARSETS),
                            "enabled": False, "required_member": False, "required_unassigned": False,
                            "sort_order": 0}, {})
    values = form_values(request.form)
    try:
        clean = clean_definition(db(), current_tenant().id, values)
        field = save_definition(db(), current_tenant().id, clean)
        audit_action("members.field.create", f"field:{field.id}", name=field.name, type=field.field_type)
        db().commit()
    except FieldError as exc:
        db().rollback()
        return _page(None, values, exc.errors, 422)
    flash(_("Field %(name)s created.", name=field.name), "success")
    return redirect(url_for("members.customers.fields"))


def _field(field_id: int) -> CustomField:
    field = get_scoped(db(), CustomField, current_tenant().id, field_id)
    if field is None:
        abort(404)
    return field


@bp.route("/fields/<int:field_id>/edit", methods=["GET", "POST"])
@role_required(*ADMIN)
def field_edit(field_id: int):
    field = _field(field_id)
    if request.method == "GET":
        return _page(field, definition_values(field), {})
    values = form_values(request.form)
    try:
        clean = clean_definition(db(), current_tenant().id, values, field)
        save_definition(db(), current_tenant().id, clean, field)
        audit_action("members.field.update", f"field:{field.id}", name=field.name)
        db().commit()
    except FieldError as exc:
        db().rollback()
        values["field_type"] = field.field_type
        return _page(field, values, exc.errors, 422)
    flash(_("Field %(name)s saved.", name=field.name), "success")
    return redirect(url_for("members.customers.fields"))


def drop_values(session: Session, tenant_id: int, key: str) -> None:
    """Remove ``key`` from the attributes of every customer of the tenant (one statement)."""
    if session.get_bind().dialect.name == "postgresql":
        sql = ("UPDATE customer SET attributes = (attributes::jsonb - :key)::json "
               "WHERE tenant_id = :tenant AND (attributes::jsonb) ? :key")
    else:
        sql = ("UPDATE customer SET attributes = json_remove(attributes, '$.' || :key) "
               "WHERE tenant_id = :tenant AND json_type(attributes, '$.' || :key) IS NOT NULL")
    session.execute(text(sql), {"key": key, "tenant": tenant_id})


@bp.post("/fields/<int:field_id>/delete")
@role_required(*ADMIN)
def field_delete(field_id: int):
    field = _field(field_id)
    name = field.name
    drop_values(db(), field.tenant_id, field.key)
    db().delete(field)
    audit_action("members.field.delete", f"field:{field_id}", name=name)
    db().commit()
    flash(_("Field %(name)s deleted with its values.", name=name), "success")
    return redirect(url_for("members.customers.fields"))
