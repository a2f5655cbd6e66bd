"""消息管理 pages under ``/t/<tenant>/official_account/messages/`` (endpoints ``official_account.messages.*``):
the conversations of the last 48 hours per account (消息列表), one conversation with its history and the reply box,
and the quick-reply scripts (话术列表)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from scrm.sdk import MenuItem, OutboundError, date_span, utcnow
from scrm.sdk.web import STAFF, current_tenant, current_user, db, parse_int, role_required, translate

from ..accounts import find_account, list_accounts
from ..plugin import feature_module
from ..replies import Reply
from . import service
from .service import TEXT_MAX, ReplyRefused, ScriptError

bp = Blueprint("messages", __name__, url_prefix="/messages", template_folder="../templates")

MATERIAL_KINDS = ("image", "video")


def menu_items(tenant, user):
    return [MenuItem(_l("Message management"), "official_account.messages.index", order=60,
                     group="ops.official_account")]


def _account_or_404(account_id: int):
    return find_account(db(), current_tenant().id, account_id) or abort(404)


def _materials_service():
    return feature_module("materials", "service")


def _materials(account_id: int) -> dict[str, list]:
    materials = _materials_service()
    if materials is None:
        return {}
    out = {}
    for kind in MATERIAL_KINDS:
        rows, _total = materials.list_materials(db(), current_tenant().id, account_id, kind, limit=50)
        out[kind] = [m for m in rows if m.media_id]
    return out


@bp.get("/")
@role_required(*STAFF)
def index():
    tenant = current_tenant()
    accounts = list_accounts(db(), tenant.id)
    if not accounts:
        return render_template("official_account/messages/index.html", accounts=[], account=None, rows=[],
                               total=0, search="")
    account_id = parse_int(request.args.get("account"))
    account = next((a for a in accounts if a.id == account_id), None) if account_id else accounts[0]
    if account is None:
        abort(404)
    search = (request.args.get("q") or "").strip()[:64]
    rows, total = service.conversations(db(), tenant.id, account.id, search=search)
    return render_template("official_account/messages/index.html", accounts=accounts, account=account, rows=rows,
                           total=total, search=search, window_hours=int(service.WINDOW.total_seconds() // 3600))


def _conversation_page(account, openid: str, *, errors: dict | None = None, values: dict | None = None,
                       status: int = 200):
    tenant = current_tenant()
    conversation = service.conversation_of(db(), tenant.id, account.id, openid)
    if conversation is None:
        abort(404)
    search = (request.args.get("q") or "").strip()[:64]
    messages = service.history(db(), tenant.id, account.id, openid, search=search)
    fans = service._fans(db(), tenant.id, account.id, [openid])
    fan = fans.get(openid)
    return render_template(
        "official_account/messages/conversation.html", account=account, conversation=conversation,
        fan=fan, messages=messages, search=search, open=service.window_open(conversation),
        closes_at=service.closes_at(conversation), scripts=service.scripts(db(), tenant.id, enabled_only=True),
        materials=_materials(account.id), errors=errors or {}, values=values or {}, text_max=TEXT_MAX), status


@bp.get("/<int:account_id>/<openid>")
@role_required(*STAFF)
def conversation(account_id: int, openid: str):
    return _conversation_page(_account_or_404(account_id), openid[:64])


def _reply_from_form(account) -> tuple[Reply | None, str, dict]:
    """The reply the form asks for, its source, and errors by field."""
    tenant = current_tenant()
    kind = request.form.get("kind") or "text"
    if kind == "text":
        text = (request.form.get("content") or "").strip()
        if not text:
            return None, "", {"content": _("Enter a reply.")}
        if len(text) > TEXT_MAX:
            return None, "", {"content": _("A reply is at most %(max)s characters.", max=TEXT_MAX)}
        return Reply.text(text), "staff", {}
    if kind == "script":
        script = service.find_script(db(), tenant.id, parse_int(request.form.get("script_id")) or 0)
        if script is None or not script.enabled:
            return None, "", {"script_id": _("Choose an enabled quick-reply script.")}
        return Reply.text(script.content), f"script:{script.id}", {}
    if kind in MATERIAL_KINDS:
        materials = _materials_service()
        material = materials.find(db(), tenant.id, parse_int(request.form.get("material_id")) or 0, account.id) \
            if materials is not None else None
        if material is None or material.kind != kind or not material.media_id:
            return None, "", {"material_id": _("Choose a material of this account.")}
        if kind == "image":
            return Reply.image(material.media_id), f"material:{material.id}", {}
        return Reply.video(material.media_id, material.title or material.name, material.description), \
            f"material:{material.id}", {}
    return None, "", {"kind": _("Choose what to send.")}


@bp.post("/<int:account_id>/<openid>/reply")
@role_required(*STAFF)
def reply(account_id: int, openid: str):
    account = _account_or_404(account_id)
    openid = openid[:64]
    tenant = current_tenant()
    if service.conversation_of(db(), tenant.id, account.id, openid) is None:
        abort(404)
    values = {k: request.form.get(k, "") for k in ("kind", "content", "script_id", "material_id")}
    answer, source, errors = _reply_from_form(account)
    if errors:
        return _conversation_page(account, openid, errors=errors, values=values, status=422)
    try:
        service.send_reply(db(), tenant.id, account.id, openid, answer, user_id=current_user().id, source=source)
    except ReplyRefused as exc:
        db().rollback()
        return _conversation_page(account, openid, errors={"window": translate(exc.message)}, values=values,
                                  status=422)
    except OutboundError as exc:
        db().rollback()
        return _conversation_page(account, openid, errors={"kind": str(exc)}, values=values, status=422)
    db().commit()
    flash(_("Reply queued."), "success")
    return redirect(url_for(".conversation", account_id=account.id, openid=openid))


# -- quick-reply scripts (话术列表) --------------------------------------------------------------------------------


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.get("/scripts")
@role_required(*STAFF)
def scripts():
    tenant = current_tenant()
    search = (request.args.get("q") or "").strip()[:30]
    start, end = _day(request.args.get("from")), _day(request.args.get("to"))
    rows = service.scripts(db(), tenant.id, search=search,
                           created_from=date_span(start).start if start else None,
                           created_to=date_span(end).end if end else None)
    return render_template("official_account/messages/scripts.html", rows=rows, search=search,
                           start=request.args.get("from", "") if start else "",
                           end=request.args.get("to", "") if end else "")


def _script_form(script=None, values: dict | None = None, errors: dict | None = None, status: int = 200):
    values = values or ({"name": script.name, "content": script.content, "enabled": script.enabled}
                        if script else {"name": "", "content": "", "enabled": True})
    return render_template("official_account/messages/script_form.html", script=script, values=values,
                           errors=errors or {}), status


def _script_or_404(script_id: int):
    return service.find_script(db(), current_tenant().id, script_id) or abort(404)


@bp.route("/scripts/new", methods=["GET", "POST"])
@role_required(*STAFF)
def create_script():
    if request.method == "GET":
        return _script_form()
    return _save_script(None)


@bp.route("/scripts/<int:script_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit_script(script_id: int):
    script = _script_or_404(script_id)
    if request.method == "GET":
        return _script_form(script)
    return _save_script(script)


def _save_script(script):
    values = {"name": request.form.get("name", ""), "content": request.form.get("content", ""),
              "enabled": request.form.get("enabled") == "on"}
    try:
        service.save_script(db(), current_tenant().id, script=script, **values)
    except ScriptError as exc:
        db().rollback()
        return _script_form(script, values, {k: translate(v) for k, v in exc.errors.items()}, 422)
    db().commit()
    flash(_("Quick-reply script saved."), "success")
    return redirect(url_for(".scripts"))


@bp.post("/scripts/<int:script_id>/toggle")
@role_required(*STAFF)
def toggle_script(script_id: int):
    script = _script_or_404(script_id)
    script.enabled = not script.enabled
    script.updated_at = utcnow()
    db().add(script)
    db().commit()
    flash(_("Script enabled.") if script.enabled else _("Script disabled."), "success")
    return redirect(url_for(".scripts"))


@bp.post("/scripts/<int:script_id>/delete")
@role_required(*STAFF)
def delete_script(script_id: int):
    db().delete(_script_or_404(script_id))
    db().commit()
    flash(_("Quick-reply script deleted."), "success")
    return redirect(url_for(".scripts"))
