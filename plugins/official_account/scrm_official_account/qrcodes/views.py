"""参数二维码 (parameter QR codes) under ``/t/<tenant>/official_account/qrcodes/`` (endpoints
``official_account.qrcodes.*``): list with scans and new follows, create (temporary / permanent, numeric or string
scene, logo option, store or campaign use), detail with the statistics chart, and the PNG image."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from scrm.sdk import Department, MenuItem
from scrm.sdk.web import ADMIN, STAFF, audit_action, current_tenant, current_user, db, platform, role_required
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import find_account, list_accounts
from ..client import OAClient, OAUnavailable
from ..fans import labels  # noqa: F401  (the purpose labels)
from . import service
from .models import QrCode

bp = Blueprint("qrcodes", __name__, url_prefix="/qrcodes")

ERRORS = {
    "name_required": _l("Enter a name."),
    "name_too_long": _l("A name is at most 60 characters."),
    "scene_required": _l("Give either a numeric scene or a text scene."),
    "scene_str_too_long": _l("A text scene is 1 to 64 characters."),
    "scene_id_out_of_range": _l("A permanent code's numeric scene is 1 to 100,000."),
    "expire_out_of_range": _l("A temporary code is valid 1 second to 30 days (2,592,000 seconds)."),
    "scene_taken": _l("Another valid code of this account already uses this scene."),
    "bad_number": _l("Enter a whole number."),
}
PURPOSES = ("general", "store", "campaign")


def menu_items(tenant, user):
    return [MenuItem(_l("Parameter QR codes"), "official_account.qrcodes.index", order=35,
                     group="ops.official_account")]


def _code_or_404(code_id: int) -> QrCode:
    code = db().get(QrCode, code_id)
    if code is None or code.tenant_id != current_tenant().id:
        abort(404)
    return code


def _number(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 10:
        raise service.QrCodeError("bad_number")
    return int(raw)


@bp.get("/")
@role_required(*STAFF)
def index():
    tenant = current_tenant()
    accounts = list_accounts(db(), tenant.id, enabled_only=False)
    return render_template("official_account/qrcodes/index.html", rows=service.list_codes(db(), tenant.id),
                           names={a.id: a.name for a in accounts}, accounts=accounts)


def _form(errors=None, form=None, status=200):
    tenant = current_tenant()
    departments = db().exec(select(Department).where(Department.tenant_id == tenant.id).order_by(Department.name))
    return render_template("official_account/qrcodes/form.html", accounts=list_accounts(db(), tenant.id),
                           departments=list(departments), errors=errors or {}, form=form or {},
                           purposes=PURPOSES), status


@bp.get("/new")
@role_required(*ADMIN)
def new():
    return _form(form={"temporary": "1", "expire_days": "30", "with_logo": "1"})


@bp.post("/new")
@role_required(*ADMIN)
def create():
    form = request.form.to_dict()
    account = find_account(db(), current_tenant().id, int(form.get("account_id") or 0)
                           if (form.get("account_id") or "").isdigit() else 0)
    if account is None:
        return _form({"account_id": _("Choose an official account.")}, form, 422)
    temporary = form.get("temporary") == "1"
    department_id = None
    if form.get("department_id"):
        department = db().get(Department, int(form["department_id"])) if form["department_id"].isdigit() else None
        if department is None or department.tenant_id != account.tenant_id:
            return _form({"department_id": _("Choose a store of this brand.")}, form, 422)
        department_id = department.id
    purpose = form.get("purpose") if form.get("purpose") in PURPOSES else "general"
    try:
        scene_id = _number(form.get("scene_id"))
        days = _number(form.get("expire_days"))
        seconds = _number(form.get("expire_seconds"))
        expire = seconds if seconds is not None else (days * 86400 if days is not None else None)
        service.validate(form.get("name", ""), temporary, scene_id, form.get("scene_str") or None, expire)
        with OAClient.for_account(account, platform(), backoff=(0.5,)) as client:
            code = service.create(db(), account, client, name=form.get("name", ""), temporary=temporary,
                                  scene_id=scene_id, scene_str=(form.get("scene_str") or None),
                                  expire_seconds=expire, with_logo=form.get("with_logo") == "1", purpose=purpose,
                                  department_id=department_id, created_by=getattr(current_user(), "email", ""))
    except service.QrCodeError as exc:
        return _form({"form": str(ERRORS.get(str(exc), exc))}, form, 422)
    except WeChatAPIError as exc:
        db().rollback()
        return _form({"form": _("WeChat refused the code (error %(code)s).", code=exc.errcode)}, form, 422)
    except OAUnavailable:
        db().rollback()
        return _form({"form": _("WeChat cannot be reached now; nothing was changed.")}, form, 422)
    audit_action("official_account.qrcode_created", f"official_account_qrcode:{code.id}", name=code.name)
    db().commit()
    flash(_("QR code created."), "success")
    return redirect(url_for("official_account.qrcodes.detail", code_id=code.id))


@bp.get("/<int:code_id>")
@role_required(*STAFF)
def detail(code_id: int):
    code = _code_or_404(code_id)
    account = find_account(db(), code.tenant_id, code.account_id)
    stats = service.stats(db(), code)
    chart = {"labels": [d for d, _s, _f in stats["by_day"]], "scans": [s for _d, s, _f in stats["by_day"]],
             "follows": [f for _d, _s, f in stats["by_day"]]}
    department = db().get(Department, code.department_id) if code.department_id else None
    return render_template("official_account/qrcodes/detail.html", code=code, account=account, stats=stats,
                           chart=chart, department=department)


@bp.get("/<int:code_id>.png")
@role_required(*STAFF)
def image(code_id: int):
    """The code's image drawn from its URL, with the brand logo in the centre when the code asks for it."""
    from scrm.sdk import qr

    code = _code_or_404(code_id)
    size = request.args.get("size", type=int) or qr.DEFAULT_SIZE
    if size not in qr.SIZES:
        size = qr.DEFAULT_SIZE
    logo = qr.tenant_qr_logo(db(), code.tenant_id) if code.with_logo else None
    png = qr.render_qr(code.url or f"scene:{code.scene_str or code.scene_id}", size, logo)
    return Response(png, mimetype="image/png",
                    headers={"Content-Disposition": f'inline; filename="qrcode-{code.id}.png"'})
