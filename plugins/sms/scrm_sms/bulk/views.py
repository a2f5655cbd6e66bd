"""短信群发 pages under ``/t/<tenant>/sms/bulk/`` (endpoints ``sms.bulk.*``): the list (status, time range, signature,
remaining balance, estimated / delivered / failed, creator), the form with a live estimate (``estimate``, JSON, read
by ``static/sms/bulk_form.js``), the detail with per-recipient results, and pause / resume / cancel."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func
from sqlmodel import select

from scrm.sdk import (
    ChannelAccount,
    MessageDelivery,
    Tag,
    date_span,
    local_datetime,
    mask_mobile,
    utcnow,
)
from scrm.sdk.web import STAFF, current_tenant, current_user, db, parse_int, plugin_settings, role_required

from .. import content as rules
from ..quota import service as quota
from . import (
    labels,  # noqa: F401  (the code labels the pages show)
    service,
)
from .models import OPEN, PAUSED, SENDING, STATUSES, SmsBulkSend

bp = Blueprint("bulk", __name__, url_prefix="/bulk", static_folder="../static", static_url_path="/static")
PER_PAGE = 10
DETAIL_ROWS = 50


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _bulk(bulk_id: int) -> SmsBulkSend:
    row = db().get(SmsBulkSend, bulk_id)
    if row is None or row.tenant_id != current_tenant().id:
        abort(404)
    return row


def _accounts():
    tenant = current_tenant()
    return db().exec(select(ChannelAccount).where(ChannelAccount.tenant_id == tenant.id,
                                                  ChannelAccount.plugin == "sms",
                                                  ChannelAccount.active.is_(True)).order_by(ChannelAccount.id)).all()


def _approved_signatures():
    """The tenant's approved signatures (the only ones a send may use), each with its account."""
    from ..signatures import service as signatures

    return signatures.approved(db(), current_tenant().id)


def _signatures():
    return sorted({s.text for s in _approved_signatures()})


def _templates():
    from .. import content
    from ..smstemplates.service import usable

    # a template with ${code} is sent by the feature that issues the codes (promotion rewards), never in bulk
    return [t for t in usable(db(), current_tenant().id)
            if content.CODE_VARIABLE not in content.variables_in(t.content)]


def _segments():
    from scrm.sdk import FilterType  # noqa: F401

    types = service.filter_types(db(), current_tenant())
    for ft in types:
        if ft.key == "segment" and ft.choices is not None:
            return ft.choices(db(), current_tenant().id)
    return []


@bp.get("/")
@role_required(*STAFF)
def index():
    tenant = current_tenant()
    args = request.args
    status = args.get("status") if args.get("status") in STATUSES else ""
    day_from, day_to = _day(args.get("from")), _day(args.get("to"))
    query = select(SmsBulkSend).where(SmsBulkSend.tenant_id == tenant.id)
    if status:
        query = query.where(SmsBulkSend.status == status)
    when = func.coalesce(SmsBulkSend.send_at, SmsBulkSend.created_at)
    if day_from:
        query = query.where(when >= date_span(day_from).start)
    if day_to:
        query = query.where(when < date_span(day_to).end)
    total = db().exec(select(func.count()).select_from(query.subquery())).one()
    page = max(parse_int(args.get("page"), 1) or 1, 1)
    rows = db().exec(query.order_by(SmsBulkSend.id.desc()).offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    balances = quota.summary(db(), tenant.id)
    filters = {k: v for k, v in {"status": status, "from": args.get("from") or "",
                                 "to": args.get("to") or ""}.items() if v}
    return render_template("sms/bulk/index.html", rows=rows, total=total, page=page,
                           pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), status=status, statuses=STATUSES,
                           day_from=args.get("from") or "", day_to=args.get("to") or "", balances=balances,
                           signatures=_signatures(), filters=filters, OPEN=OPEN)


def _form_values(form) -> dict:
    return {k: form.get(k, "") for k in ("account_id", "category", "signature", "content", "mode", "phones",
                                         "segment_id", "send_mode", "send_at", "template_id", "link_url")} | {
        "tag_ids": form.getlist("tag_ids")}


def _render_form(values: dict, errors: dict | None = None, status: int = 200):
    tenant = current_tenant()
    tags = db().exec(select(Tag).where(Tag.tenant_id == tenant.id).order_by(Tag.id)).all()
    return render_template("sms/bulk/form.html", values=values, errors=errors or {}, accounts=_accounts(),
                           tags=tags, segments=_segments(), templates=_templates(),
                           signatures=_approved_signatures(),
                           balances=quota.summary(db(), tenant.id), content_max=rules.CONTENT_MAX,
                           signature_max=rules.signature_limit(plugin_settings("sms"))), status


@bp.get("/new")
@role_required(*STAFF)
def new():
    accounts = _accounts()
    first = accounts[0].id if accounts else None
    signature = next((s.text for s in _approved_signatures() if s.account_id == first), "")
    values = {"category": "marketing", "mode": "tags", "send_mode": "now", "tag_ids": [],
              "account_id": str(first or ""), "signature": signature}
    return _render_form(values)


def _audience(values: dict) -> dict:
    mode = values.get("mode")
    if mode == "phones":
        return {"mode": "phones", "text": values.get("phones") or ""}
    if mode == "segment":
        return {"mode": "segment", "segment_id": values.get("segment_id")}
    return {"mode": "tags", "tag_ids": values.get("tag_ids") or []}


def _send_at(values: dict) -> tuple[datetime | None, str | None]:
    if values.get("send_mode") != "later":
        return None, None
    try:
        local = datetime.fromisoformat(values.get("send_at") or "")
    except ValueError:
        return None, _("Enter the send time.")
    at = local_datetime(local.date(), local.time())
    if at <= utcnow():
        return None, _("The send time must be in the future.")
    return at, None


@bp.post("/new")
@role_required(*STAFF)
def create():
    values = _form_values(request.form)
    send_at, error = _send_at(values)
    if error:
        return _render_form(values, {"send_at": error}, 400)
    user = current_user()
    template_id = parse_int(values.get("template_id"), None) if values.get("template_id") else None
    try:
        bulk = service.create(
            db(), current_tenant(), account_id=parse_int(values.get("account_id"), 0) or 0,
            category=values.get("category") or "", signature=values.get("signature") or "",
            content=values.get("content") or "", audience=_audience(values), send_at=send_at,
            template_id=template_id, user_id=user.id if user else None,
            creator_name=(user.name if user is not None and getattr(user, "name", "") else (user.email if user else "")),
            employee_name=(getattr(user, "name", "") or "") if user else "", link_url=values.get("link_url") or None,
            public_base=request.url_root, signature_max=rules.signature_limit(plugin_settings("sms")))
    except service.BulkError as exc:
        db().rollback()
        return _render_form(values, {exc.field or "form": f"{exc.message} ({exc.code})"}, 400)
    db().commit()
    flash(_("Bulk send created: %(n)s recipients, %(m)s messages.", n=bulk.recipients, m=bulk.estimated), "success")
    return redirect(url_for("sms.bulk.detail", bulk_id=bulk.id))


@bp.get("/estimate")
@role_required(*STAFF)
def estimate():
    """The live estimate of the form: recipients, billed messages per recipient class, invalid numbers."""
    tenant = current_tenant()
    args = request.args
    values = {"mode": args.get("mode"), "phones": args.get("phones") or "", "segment_id": args.get("segment_id"),
              "tag_ids": args.getlist("tag_ids")}
    category = args.get("category") if args.get("category") in quota.CATEGORIES else "marketing"
    body = service.fill_constants((args.get("content") or "").strip(), employee_name="",
                                  company_name=tenant.name)
    composer = service.Composer((args.get("signature") or "").strip(), body, category,
                                len(service._link_base(request.url_root)) if "${link}" in body else 0)
    audience = _audience(values)
    invalid = 0
    if audience["mode"] == "phones":
        pasted = service.parse_phones(audience["text"][:200_000])
        invalid = len(pasted.invalid)
        audience = {"mode": "phones", "phones": service.pasted_recipients(db(), tenant.id,
                                                                           pasted.valid[:service.MAX_PASTED])}
    elif audience["mode"] == "tags" and not [t for t in audience["tag_ids"] if str(t).isdigit()]:
        audience = None
    elif audience["mode"] == "segment" and not str(audience.get("segment_id") or "").isdigit():
        audience = None
    try:
        result = service.measure(db(), tenant, audience, composer) if audience else service.Estimate()
    except Exception:  # noqa: BLE001  (a malformed audience estimates nothing)
        result = service.Estimate()
    return jsonify({"recipients": result.recipients, "billed": result.billed, "invalid": invalid,
                    "per_message": composer.segments(""), "length": rules.wire_length(composer.text(""))})


@bp.get("/<int:bulk_id>")
@role_required(*STAFF)
def detail(bulk_id: int):
    bulk = _bulk(bulk_id)
    status = request.args.get("status") or ""
    page = max(parse_int(request.args.get("page"), 1) or 1, 1)
    query = select(MessageDelivery).where(MessageDelivery.tenant_id == bulk.tenant_id,
                                          MessageDelivery.task_ref.like(f"sms_bulk:{bulk.id}:%"))
    if status:
        query = query.where(MessageDelivery.status == status)
    rows = db().exec(query.order_by(MessageDelivery.id).offset((page - 1) * DETAIL_ROWS).limit(DETAIL_ROWS)).all()
    from scrm.sdk import Customer

    names = {}
    ids = [r.customer_id for r in rows if r.customer_id]
    if ids:
        names = dict(db().exec(select(Customer.id, Customer.name).where(Customer.id.in_(ids),
                                                                         Customer.tenant_id == bulk.tenant_id)).all())
    masked = current_tenant().mask_mobiles
    return render_template("sms/bulk/detail.html", bulk=bulk, rows=rows, names=names, page=page, status=status,
                           show=(lambda m: mask_mobile(m) if masked else m),
                           progress=_progress(bulk), PAUSED=PAUSED, SENDING=SENDING, OPEN=OPEN)


def _progress(bulk: SmsBulkSend) -> int:
    if not bulk.estimated:
        return 0
    done = bulk.sent_count + bulk.failed_count
    return min(100, round(100 * done / bulk.estimated))


def _action(bulk_id: int, fn, ok: str, refused: str):
    bulk = _bulk(bulk_id)
    if fn(db(), bulk):
        from scrm.sdk.web import audit_action

        audit_action(f"sms.bulk.{fn.__name__}", f"sms_bulk:{bulk.id}")
        db().commit()
        flash(ok, "success")
    else:
        db().rollback()
        flash(refused, "error")
    return redirect(url_for("sms.bulk.detail", bulk_id=bulk_id))


@bp.post("/<int:bulk_id>/pause")
@role_required(*STAFF)
def pause(bulk_id: int):
    return _action(bulk_id, service.pause, _("Paused."), _("Only a running or scheduled send can be paused."))


@bp.post("/<int:bulk_id>/resume")
@role_required(*STAFF)
def resume(bulk_id: int):
    return _action(bulk_id, service.resume, _("Resumed."), _("Only a paused send can be resumed."))


@bp.post("/<int:bulk_id>/cancel")
@role_required(*STAFF)
def cancel(bulk_id: int):
    return _action(bulk_id, service.cancel, _("Cancelled: the unused quota returns to the balance."),
                   _("This send has ended already."))
