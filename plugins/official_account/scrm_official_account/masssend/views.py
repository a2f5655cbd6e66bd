"""群发管理 pages, under ``/t/<tenant>/official_account/masssend/`` (endpoints ``official_account.masssend.*``): the
list with the tabs 立即群发 / 定时群发 (and 模板消息, the synced templates), the create / edit form with the live
estimate (预计发送人数), the detail with WeChat's figures and the fans it failed for, deletion."""

from __future__ import annotations

from datetime import date, time

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from scrm.sdk import MenuItem, date_span, local_datetime
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

from ..accounts import find_account, is_verified_service, list_accounts
from ..fans.models import OATag
from ..materials import picker_choices
from . import audience as audiences
from . import dispatch, labels, service
from . import template_messages as templates
from .models import ALL_FANS, IMMEDIATE, MSG_TYPES, SCHEDULED, STATUSES, WAITING, MassSend

bp = Blueprint("masssend", __name__, url_prefix="/masssend", template_folder="../templates")
TABS = {IMMEDIATE: _l("Immediate sends"), SCHEDULED: _l("Scheduled sends"), "templates": _l("Template messages")}
PER_PAGE = 10


def menu_items(tenant, user):
    return [MenuItem(_l("Mass sends"), "official_account.masssend.index", order=20, group="ops.official_account")]


def _by() -> str:
    user = current_user()
    return user.email if user is not None else "api"


def _account(account_id: int | None):
    tenant = current_tenant()
    if account_id:
        return find_account(db(), tenant.id, account_id) or abort(404)
    accounts = list_accounts(db(), tenant.id)
    return accounts[0] if accounts else None


def _send_or_404(account, mass_send_id: int) -> MassSend:
    return service.find(db(), current_tenant().id, mass_send_id, account.id) or abort(404)


def _day(raw):
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@bp.get("/")
@role_required(*STAFF)
def index():
    tenant = current_tenant()
    account = _account(parse_int(request.args.get("account_id"), 0))
    tab = request.args.get("tab", IMMEDIATE)
    if tab not in TABS:
        tab = IMMEDIATE
    if tab == "templates":
        rows = templates.templates_of(db(), tenant.id, account.id) if account is not None else []
        return render_template("official_account/masssend/templates.html", account=account,
                               accounts=list_accounts(db(), tenant.id), tab=tab, tabs=TABS, rows=rows,
                               verified=account is not None and is_verified_service(account))
    page = max(1, parse_int(request.args.get("page"), 1) or 1)
    status = request.args.get("status", "")
    status = status if status in STATUSES else ""
    keyword = (request.args.get("q") or "").strip()[:60]
    start, end = _day(request.args.get("from")), _day(request.args.get("to"))
    rows, total = ([], 0)
    if account is not None:
        rows, total = service.list_sends(db(), tenant.id, account.id, tab, status=status, keyword=keyword,
                                         sent_from=date_span(start).start if start else None,
                                         sent_to=date_span(end).end if end else None,
                                         offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    return render_template("official_account/masssend/index.html", account=account,
                           accounts=list_accounts(db(), tenant.id), tab=tab, tabs=TABS, rows=rows, total=total,
                           page=page, pages=max(1, -(-total // PER_PAGE)), status=status, statuses=STATUSES,
                           q=keyword, date_from=request.args.get("from", ""), date_to=request.args.get("to", ""),
                           verified=account is not None and is_verified_service(account), service=service)


# -- the form -----------------------------------------------------------------------------------------------------

def _ints(name: str) -> list[int]:
    out = []
    for raw in request.form.getlist(name):
        value = parse_int(raw, None)
        out.append(value if value is not None else -1)
    return out


def _input() -> tuple[service.MassSendInput, dict[str, str]]:
    form = request.form
    msg_type = form.get("msg_type", "text")
    scheduled_at = None
    bad: dict[str, str] = {}
    if form.get("send_mode") == SCHEDULED:
        day, at = _day(form.get("scheduled_date")), form.get("scheduled_time", "")
        try:
            clock = time.fromisoformat(at) if at else None
        except ValueError:
            clock = None
        if day is not None and clock is not None:
            scheduled_at = local_datetime(day, clock)
        elif form.get("scheduled_date") or at:
            bad["scheduled_at"] = service.SCHEDULE_REQUIRED
    follow_from, follow_to = _day(form.get("follow_from")), _day(form.get("follow_to"))
    if form.get("follow_from") and follow_from is None:
        bad["follow_to"] = service.BAD_FOLLOW_RANGE
    if form.get("follow_to") and follow_to is None:
        bad["follow_to"] = service.BAD_FOLLOW_RANGE
    data = service.MassSendInput(
        audience_mode=form.get("audience_mode", ALL_FANS), tag_ids=_ints("tag_ids"), genders=_ints("genders"),
        province=(form.get("province") or "").strip()[:40], city=(form.get("city") or "").strip()[:40],
        follow_from=follow_from, follow_to=follow_to, msg_type=msg_type, text=form.get("text", ""),
        material_id=parse_int(form.get(f"material_{msg_type}"), None) or None,
        send_mode=form.get("send_mode", IMMEDIATE), scheduled_at=scheduled_at)
    return data, bad


def _values(data: service.MassSendInput) -> dict:
    from scrm.sdk import local

    scheduled = local(data.scheduled_at) if data.scheduled_at else None
    return {"audience_mode": data.audience_mode, "tag_ids": data.tag_ids, "genders": data.genders,
            "province": data.province, "city": data.city,
            "follow_from": data.follow_from.isoformat() if data.follow_from else "",
            "follow_to": data.follow_to.isoformat() if data.follow_to else "", "msg_type": data.msg_type,
            "text": data.text, "material_id": data.material_id, "send_mode": data.send_mode,
            "scheduled_date": scheduled.date().isoformat() if scheduled else "",
            "scheduled_time": scheduled.strftime("%H:%M") if scheduled else ""}


def _form_page(account, send, values, errors, estimated=None, status=200):
    tenant = current_tenant()
    tags = list(db().exec(OATag.__table__.select().where(OATag.tenant_id == tenant.id,
                                                         OATag.account_id == account.id)
                          .order_by(OATag.wechat_id)).all())
    return render_template("official_account/masssend/form.html", account=account, send=send, values=values,
                           errors={k: labels.error_message(v, estimated) for k, v in errors.items()},
                           estimated=estimated, tags=tags, provinces=audiences.PROVINCES,
                           materials=picker_choices(db(), tenant.id, account.id), msg_types=MSG_TYPES,
                           verified=is_verified_service(account), limits={
                               "min": service.MIN_RECIPIENTS, "max": service.MAX_RECIPIENTS,
                               "text": service.TEXT_MAX}, limit_note=labels.limit_note()), status


@bp.get("/new")
@role_required(*STAFF)
def new():
    account = _account(parse_int(request.args.get("account_id"), 0)) or abort(404)
    data = service.MassSendInput()
    errors = {} if is_verified_service(account) else {"": service.NOT_VERIFIED_SERVICE_ACCOUNT}
    estimated = service.estimate(db(), current_tenant().id, account, data)
    return _form_page(account, None, _values(data), errors, estimated)


@bp.post("/estimate")
@role_required(*STAFF)
def estimate():
    """The live 预计发送人数 of the form's filters (JSON, for ``masssend_form.js``)."""
    account = _account(parse_int(request.form.get("account_id"), 0) or -1)
    data, _bad = _input()
    count = service.estimate(db(), current_tenant().id, account, data)
    ok = service.MIN_RECIPIENTS <= count <= service.MAX_RECIPIENTS
    code = "" if ok else service.AUDIENCE_TOO_SMALL if count < service.MIN_RECIPIENTS else service.AUDIENCE_TOO_LARGE
    return jsonify({"estimated": count, "ok": ok, "message": labels.error_message(code, count) if code else ""})


@bp.post("/")
@role_required(*STAFF)
def create():
    tenant = current_tenant()
    account = _account(parse_int(request.form.get("account_id"), 0) or -1)
    data, bad = _input()
    if bad:
        return _form_page(account, None, _values(data), bad, service.estimate(db(), tenant.id, account, data), 422)
    try:
        send = service.create(db(), tenant.id, account, data, _by())
    except service.MassSendInvalid as exc:
        db().rollback()
        return _form_page(account, None, _values(data), exc.errors, exc.estimated, 422)
    audit_action("official_account.mass_send.create", f"mass_send:{send.id}", account=account.id,
                 estimated=send.estimated, mode=send.send_mode)
    db().commit()
    if send.send_mode == IMMEDIATE:
        dispatch.dispatch_mass_send.send(tenant.id, mass_send_id=send.id)
    flash(_("Mass send created for %(count)s fans.", count=send.estimated), "success")
    return redirect(url_for(".index", account_id=account.id, tab=send.send_mode))


@bp.get("/<int:mass_send_id>/edit")
@role_required(*STAFF)
def edit(mass_send_id: int):
    account = _account(parse_int(request.args.get("account_id"), 0)) or abort(404)
    send = _send_or_404(account, mass_send_id)
    data = service.MassSendInput(
        audience_mode=send.audience_mode, tag_ids=list(send.tag_ids), genders=list(send.genders),
        province=send.province, city=send.city, follow_from=send.follow_from, follow_to=send.follow_to,
        msg_type=send.msg_type, text=send.text, material_id=send.material_id, send_mode=send.send_mode,
        scheduled_at=send.scheduled_at)
    errors = {} if send.status == WAITING else {"": service.IMMUTABLE_AFTER_SEND}
    return _form_page(account, send, _values(data), errors, send.estimated, 200 if not errors else 409)


@bp.post("/<int:mass_send_id>")
@role_required(*STAFF)
def update(mass_send_id: int):
    tenant = current_tenant()
    account = _account(parse_int(request.form.get("account_id"), 0) or -1)
    send = _send_or_404(account, mass_send_id)
    data, bad = _input()
    if bad and send.status == WAITING:
        return _form_page(account, send, _values(data), bad, None, 422)
    try:
        send = service.update(db(), tenant.id, account, send, data)
    except service.MassSendInvalid as exc:
        db().rollback()
        status = 409 if exc.errors.get("") == service.IMMUTABLE_AFTER_SEND else 422
        return _form_page(account, send, _values(data), exc.errors, exc.estimated, status)
    audit_action("official_account.mass_send.update", f"mass_send:{send.id}", account=account.id)
    db().commit()
    if send.send_mode == IMMEDIATE:
        dispatch.dispatch_mass_send.send(tenant.id, mass_send_id=send.id)
    flash(_("Mass send saved."), "success")
    return redirect(url_for(".index", account_id=account.id, tab=send.send_mode))


@bp.get("/<int:mass_send_id>")
@role_required(*STAFF)
def detail(mass_send_id: int):
    account = _account(parse_int(request.args.get("account_id"), 0)) or abort(404)
    send = _send_or_404(account, mass_send_id)
    return render_template("official_account/masssend/detail.html", account=account, send=send,
                           failures=dispatch.failures(db(), send), service=service)


@bp.post("/<int:mass_send_id>/delete")
@role_required(*STAFF)
def delete(mass_send_id: int):
    account = _account(parse_int(request.form.get("account_id"), 0) or -1)
    send = _send_or_404(account, mass_send_id)
    mode = send.send_mode
    try:
        service.delete(db(), current_tenant().id, send)
    except service.MassSendInvalid as exc:
        db().rollback()
        flash(labels.error_message(exc.errors.get("", "")), "error")
        return redirect(url_for(".index", account_id=account.id, tab=mode))
    audit_action("official_account.mass_send.delete", f"mass_send:{mass_send_id}", account=account.id)
    db().commit()
    flash(_("Mass send deleted."), "success")
    return redirect(url_for(".index", account_id=account.id, tab=mode))


@bp.post("/templates/sync")
@role_required(*STAFF)
def sync_templates():
    from scrm.sdk.wechat import WeChatAPIError

    from ..accounts import NotVerifiedServiceAccount
    from ..client import OAClient, OAUnavailable

    tenant = current_tenant()
    account = _account(parse_int(request.form.get("account_id"), 0) or -1)
    try:
        with OAClient.for_account(account, platform()) as client:
            count = templates.sync_templates(db(), client, tenant.id, account)
    except NotVerifiedServiceAccount:
        db().rollback()
        flash(_("Only verified service accounts can send template messages."), "error")
        return redirect(url_for(".index", account_id=account.id, tab="templates"))
    except (WeChatAPIError, OAUnavailable) as exc:
        db().rollback()
        flash(_("WeChat could not give the templates: %(error)s", error=str(exc)), "error")
        return redirect(url_for(".index", account_id=account.id, tab="templates"))
    audit_action("official_account.templates.sync", f"account:{account.id}", templates=count)
    db().commit()
    flash(_("%(count)s templates synced.", count=count), "success")
    return redirect(url_for(".index", account_id=account.id, tab="templates"))


