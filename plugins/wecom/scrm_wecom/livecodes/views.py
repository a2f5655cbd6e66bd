"""Pages of channel live codes, under ``/t/<tenant>/wecom/livecodes/`` (endpoints ``wecom.livecodes.*``)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import select

from scrm.sdk import Tag, TagGroup, qr, uploads
from scrm.sdk.web import (
    STAFF,
    audit_action,
    current_tenant,
    current_user,
    db,
    parse_int,
    platform,
    role_required,
)
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import AccountNotConfigured, find_account, list_accounts, record_config_error
from ..client import WeComClient, WeComUnavailable
from ..materials.attachments import choices as material_choices
from ..rules.capacity import warnings_for as capacity_warnings
from ..welcome.content import (
    ATTACHMENT_TYPES,
    MATERIAL_KINDS,
    MAX_ATTACHMENTS,
    TYPE_LABELS,
    VARIABLES,
    kept_attachments,
    preview,
)
from ..welcome.forms import content_from_form, content_is_blank, int_list
from ..welcome.service import active_employees
from . import friends, service
from .models import MULTI, SINGLE, LiveCode

bp = Blueprint("livecodes", __name__, url_prefix="/livecodes", template_folder="../templates")

UPSTREAM_ERRORS = (WeChatAPIError, WeComUnavailable, AccountNotConfigured)


def _code_or_404(code_id: int):
    return service.get(db(), current_tenant().id, code_id) or abort(404)


def _client(account) -> WeComClient:
    return WeComClient.for_account(account, platform())


def _upstream_message(exc: Exception, account) -> str:
    """The error to show for a failed WeCom call; configuration errors also go on the account's page."""
    if isinstance(exc, WeChatAPIError):
        record_config_error(db(), account, exc.errcode, exc.errmsg or "")
        return _("WeCom refused the request: %(code)s %(message)s", code=exc.errcode, message=exc.errmsg or "")
    if isinstance(exc, AccountNotConfigured):
        return _("The WeCom account has no customer-contact secret: complete its settings first.")
    return _("WeCom could not be reached: %(error)s", error=str(exc))


@bp.get("/")
@role_required(*STAFF)
def index():
    tenant = current_tenant()
    codes = list(db().exec(select(LiveCode).where(LiveCode.tenant_id == tenant.id)
                           .order_by(LiveCode.id.desc())))
    totals = friends.totals(db(), tenant.id, [c.id for c in codes])
    accounts = {a.id: a for a in list_accounts(db(), tenant.id)}
    employees = service.employees_by_code(db(), tenant.id, [c.id for c in codes])
    rows = [{"code": c, "stats": totals[c.id], "account": accounts.get(c.account_id),
             "employees": employees[c.id],
             "welcome": preview(c.welcome) if c.welcome else None} for c in codes]
    return render_template("wecom/livecodes/index.html", rows=rows, has_accounts=bool(accounts))


def _tag_choices(tenant_id: int) -> list[tuple[str, list[Tag]]]:
    groups = {g.id: g for g in db().exec(select(TagGroup).where(TagGroup.tenant_id == tenant_id))}
    tags = db().exec(select(Tag).where(Tag.tenant_id == tenant_id).order_by(Tag.group_id, Tag.order, Tag.id))
    out: dict[int, tuple[str, list[Tag]]] = {}
    for tag in tags:
        group = groups.get(tag.group_id)
        out.setdefault(tag.group_id, (group.name if group else "", []))[1].append(tag)
    return list(out.values())


def _form(values: dict, errors: dict, code=None, status: int = 200):
    tenant = current_tenant()
    context = {"values": values, "errors": errors, "code": code, "accounts": list_accounts(db(), tenant.id),
               "employees": active_employees(db(), tenant.id), "tag_groups": _tag_choices(tenant.id),
               "attachment_types": ATTACHMENT_TYPES, "type_labels": TYPE_LABELS, "max_attachments": MAX_ATTACHMENTS,
               "variables": VARIABLES, "SINGLE": SINGLE, "MULTI": MULTI,
               "material_options": material_choices(db(), tenant.id, MATERIAL_KINDS)}
    return render_template("wecom/livecodes/form.html", **context), status


def _submitted(code=None) -> dict:
    form = request.form
    welcome = content_from_form(form, "welcome-")
    kind = parse_int(form.get("kind"), 0) or 0
    account_id = parse_int(form.get("account_id"), 0) or 0
    if code is not None:  # fixed by WeCom at creation
        kind, account_id = code.kind, code.account_id
    return {"name": form.get("name") or "", "account_id": account_id, "kind": kind,
            "employee_ids": int_list(form, "employee_ids"), "skip_verify": bool(form.get("skip_verify")),
            "tag_ids": int_list(form, "tag_ids"), "has_welcome": bool(form.get("has_welcome")), "welcome": welcome}


def _save(code=None):
    tenant = current_tenant()
    raw = _submitted(code)
    welcome = raw["welcome"] if raw["has_welcome"] or not content_is_blank(raw["welcome"]) else None
    data = service.LiveCodeInput(name=raw["name"], account_id=raw["account_id"], kind=raw["kind"],
                                 employee_ids=raw["employee_ids"], skip_verify=raw["skip_verify"],
                                 tag_ids=raw["tag_ids"], welcome=welcome)
    try:
        values = service.validate(db(), tenant.id, data, list_accounts(db(), tenant.id),
                                  kept=kept_attachments(code.welcome if code is not None else None))
    except service.LiveCodeError as exc:
        return _form(raw, exc.fields, code, 422)
    db().commit()  # nothing written yet: end the read transaction before WeCom is called (see service.create)
    try:
        with _client(values.account) as client:
            if code is None:
                user = current_user()
                code = service.create(db(), client, tenant.id, values, created_by=user.email if user else "")
            else:
                service.update(db(), client, code, values)
    except UPSTREAM_ERRORS as exc:
        db().rollback()
        message = _upstream_message(exc, values.account)
        db().commit()  # keeps only the account's last_error
        return _form(raw, {"upstream": message}, code, 502)
    audit_action("wecom.live_code.save", f"live_code:{code.id}", name=code.name)
    db().commit()
    flash(_("Live code saved."), "success")
    return redirect(url_for(".detail", code_id=code.id))


@bp.route("/new", methods=["GET", "POST"])
@role_required(*STAFF)
def create():
    if request.method == "POST":
        return _save()
    accounts = list_accounts(db(), current_tenant().id)
    empty = {"name": "", "account_id": accounts[0].id if accounts else None, "kind": SINGLE, "employee_ids": [],
             "skip_verify": True, "tag_ids": [], "has_welcome": False, "welcome": {}}
    return _form(empty, {})


@bp.route("/<int:code_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit(code_id: int):
    code = _code_or_404(code_id)
    if request.method == "POST":
        return _save(code)
    values = {"name": code.name, "account_id": code.account_id, "kind": code.kind,
              "employee_ids": [e.id for e in service.employees_of(db(), code)], "skip_verify": code.skip_verify,
              "tag_ids": [t.id for t in service.tags_of(db(), code)], "has_welcome": bool(code.welcome),
              "welcome": code.welcome}
    return _form(values, {}, code)


@bp.post("/<int:code_id>/delete")
@role_required(*STAFF)
def remove(code_id: int):
    code = _code_or_404(code_id)
    account = find_account(db(), code.tenant_id, code.account_id)
    db().commit()
    try:
        with _client(account) as client:
            service.remove(db(), client, code)
    except UPSTREAM_ERRORS as exc:
        db().rollback()
        flash(_upstream_message(exc, account), "error")
        db().commit()
        return redirect(url_for(".detail", code_id=code_id))
    audit_action("wecom.live_code.delete", f"live_code:{code_id}")
    db().commit()
    flash(_("Live code deleted."), "success")
    return redirect(url_for(".index"))


def _detail_page(code: LiveCode, logo_error: str | None = None, status: int = 200):
    tenant = current_tenant()
    employees = service.employees_of(db(), code)
    page = render_template(
        "wecom/livecodes/detail.html", code=code, account=find_account(db(), tenant.id, code.account_id),
        employees=employees, tags=service.tags_of(db(), code),
        capacity_warnings=capacity_warnings(db(), tenant.id, [e.id for e in employees]),
        stats=friends.totals(db(), tenant.id, [code.id])[code.id], chart=friends.daily(db(), tenant.id, code.id),
        welcome=preview(code.welcome) if code.welcome else None, sizes=qr.SIZES, default_size=qr.DEFAULT_SIZE,
        has_own_logo=bool(code.logo), logo_error=logo_error)
    return page, status


@bp.get("/<int:code_id>")
@role_required(*STAFF)
def detail(code_id: int):
    return _detail_page(_code_or_404(code_id))


@bp.get("/<int:code_id>/qr.png")
@role_required(*STAFF)
def qr_image(code_id: int):
    code = _code_or_404(code_id)
    if not code.qr_code:
        abort(404)
    size = parse_int(request.args.get("size") or qr.DEFAULT_SIZE, 0)
    if size not in qr.SIZES:
        abort(400)
    png = qr.render_qr(code.qr_code, size, service.logo_for(db(), code))
    response = Response(png, mimetype="image/png")
    if request.args.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="live-code-{code.id}-{size}.png"'
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


def _uploaded_logo() -> bytes:
    return qr.validate_logo(uploads.read_upload(request.files.get("logo"), qr.MAX_LOGO_BYTES))


@bp.post("/<int:code_id>/logo")
@role_required(*STAFF)
def code_logo(code_id: int):
    """Upload (or with ``remove`` drop) the code's own logo; the account's logo applies without one."""
    code = _code_or_404(code_id)
    if request.form.get("remove"):
        code.logo = None
    else:
        try:
            code.logo = _uploaded_logo()
        except qr.LogoRejected as exc:
            return _detail_page(code, qr.logo_message(exc), 422)
    db().add(code)
    audit_action("wecom.live_code.logo", f"live_code:{code.id}")
    db().commit()
    flash(_("Logo saved."), "success")
    return redirect(url_for(".detail", code_id=code.id))


@bp.post("/accounts/<int:account_id>/logo")
@role_required(*STAFF)
def account_logo(account_id: int):
    """Upload (or with ``remove`` drop) the logo of every code of a WeCom account; the form sits on the page of
    one of its codes (``code_id``), where the answer goes back to."""
    account = find_account(db(), current_tenant().id, account_id) or abort(404)
    code = _code_or_404(parse_int(request.form.get("code_id"), 0) or 0)
    if code.account_id != account.id:
        abort(404)
    try:
        service.set_account_logo(db(), account, None if request.form.get("remove") else _uploaded_logo())
    except qr.LogoRejected as exc:
        return _detail_page(code, qr.logo_message(exc), 422)
    audit_action("wecom.live_code.account_logo", f"account:{account.id}")
    db().commit()
    flash(_("Logo saved."), "success")
    return redirect(url_for(".detail", code_id=code.id))
