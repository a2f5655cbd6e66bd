"""Pages of group welcome templates, the group tab of the welcome page (``/t/<tenant>/wecom/welcome/group/``,
endpoints ``wecom.group_welcome.*``)."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from scrm.sdk.web import STAFF, audit_action, current_tenant, current_user, db, platform, role_required
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import AccountNotConfigured, find_account, list_accounts
from ..client import WeComClient, WeComUnavailable
from ..materials.attachments import AttachmentError
from . import service

log = logging.getLogger(__name__)

bp = Blueprint("group_welcome", __name__, url_prefix="/welcome/group", template_folder="../templates")


@bp.get("/")
@role_required(*STAFF)
def index():
    rows = service.newest_first(db(), current_tenant().id)
    return render_template("wecom/group_welcome/index.html", rows=rows, kind_of=service.kind_of)


def _submitted() -> tuple[dict, service.GroupWelcomeInput]:
    form = request.form
    account = form.get("account_id", "").strip()
    raw = {"account_id": int(account) if account.isdigit() else None, "text": form.get("text", ""),
           "material_ids": [int(v) for v in form.getlist("material_ids") if v.strip().isdigit()],
           "keep_typed": bool(form.get("keep_typed")), "notify_employees": bool(form.get("notify_employees"))}
    return raw, service.GroupWelcomeInput(**raw)


def _values_of(row) -> dict:
    return {"account_id": row.account_id, "text": row.text, "material_ids": service.material_ids_of(row),
            "keep_typed": service.is_typed(row.attachment), "notify_employees": row.notify_employees}


def _form(values: dict, errors: dict, row=None, status: int = 200):
    accounts = [a for a in list_accounts(db(), current_tenant().id) if a.active]
    return render_template("wecom/group_welcome/form.html", values=values, errors=errors, row=row, accounts=accounts,
                           max_text=service.MAX_TEXT, choices=service.choices(db(), current_tenant().id),
                           max_materials=service.MAX_MATERIALS,
                           typed=row.attachment if row is not None and service.is_typed(row.attachment) else None
                           ), status


def _save(row=None):
    tenant = current_tenant()
    raw, data = _submitted()
    try:
        values = service.validate(db(), tenant.id, data, creating=row is None, current=row)
    except service.GroupWelcomeError as exc:
        return _form(raw, exc.fields, row, 422)
    db().commit()  # WeCom is called outside an open transaction (a token refresh never waits on it)
    try:
        with WeComClient.for_account(values.account, platform()) as client:
            if row is None:
                user = current_user()
                row = service.create(db(), client, tenant.id, values, created_by=user.email if user else "")
                action, message = "wecom.group_welcome.create", _("Group welcome message created.")
            else:
                service.update(db(), client, row, values)
                action, message = "wecom.group_welcome.update", _("Group welcome message saved.")
    except (WeComUnavailable, AccountNotConfigured, WeChatAPIError, AttachmentError) as exc:
        db().rollback()
        log.warning("group welcome template not saved in WeCom: %s", exc)
        return _form(raw, {"wecom": _("WeCom refused the welcome message: %(error)s", error=str(exc))}, row, 502)
    audit_action(action, f"group_welcome:{row.id}")
    db().commit()
    flash(message, "success")
    return redirect(url_for(".index"))


@bp.route("/new", methods=["GET", "POST"])
@role_required(*STAFF)
def create():
    if request.method == "POST":
        return _save()
    return _form({"account_id": None, "text": "", "material_ids": [], "keep_typed": False,
                  "notify_employees": True}, {})


@bp.get("/<int:template_id>")
@role_required(*STAFF)
def detail(template_id: int):
    row = service.get(db(), current_tenant().id, template_id) or abort(404)
    return render_template("wecom/group_welcome/detail.html", row=row, kind=service.kind_of(row))


@bp.route("/<int:template_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit(template_id: int):
    row = service.get(db(), current_tenant().id, template_id) or abort(404)
    if request.method == "POST":
        return _save(row)
    return _form(_values_of(row), {}, row)


@bp.post("/<int:template_id>/delete")
@role_required(*STAFF)
def remove(template_id: int):
    tenant = current_tenant()
    row = service.get(db(), tenant.id, template_id) or abort(404)
    account = find_account(db(), tenant.id, row.account_id) or abort(404)
    db().commit()
    try:
        with WeComClient.for_account(account, platform()) as client:
            service.remove(db(), client, row)
    except (WeComUnavailable, AccountNotConfigured, WeChatAPIError) as exc:
        db().rollback()
        flash(_("WeCom refused the welcome message: %(error)s", error=str(exc)), "error")
        return redirect(url_for(".index"))
    audit_action("wecom.group_welcome.delete", f"group_welcome:{template_id}")
    db().commit()
    flash(_("Group welcome message deleted."), "success")
    return redirect(url_for(".index"))
