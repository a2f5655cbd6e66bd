"""The unsubscribe list page, ``/t/<tenant>/sms/unsubscribes/`` (endpoints ``sms.optout.*``): the numbers that
replied TD or were added by hand (masked when the tenant masks mobiles, spec A.6), a filter by number and source,
adding and removing by hand, and the CSV / XLSX export through the platform's one writer."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import func
from sqlmodel import select

from scrm.sdk import export_time, mask_mobile, tabular, zone_title
from scrm.sdk.timeline import add_entry
from scrm.sdk.web import (
    STAFF,
    audit_action,
    code_label,
    current_tenant,
    current_user,
    db,
    parse_int,
    role_required,
)

from ..labels import UNSUBSCRIBE_SOURCE as SOURCE_LABELS
from ..timeline import RESUBSCRIBED, UNSUBSCRIBED
from . import service
from .models import SOURCE_MANUAL, SOURCE_UPLINK, SmsUnsubscribe

bp = Blueprint("optout", __name__, url_prefix="/unsubscribes")
PAGE_SIZE = 20
EXPORT_MAX = 200_000
SOURCES = (SOURCE_UPLINK, SOURCE_MANUAL)


def _shown(mobile: str) -> str:
    return mask_mobile(mobile) if current_tenant().mask_mobiles else mobile


def _query():
    tenant = current_tenant()
    query = select(SmsUnsubscribe).where(SmsUnsubscribe.tenant_id == tenant.id)
    digits = "".join(ch for ch in request.args.get("q", "") if ch.isdigit())[:11]
    if digits:
        query = query.where(SmsUnsubscribe.mobile.contains(digits))
    source = request.args.get("source", "")
    if source in SOURCES:
        query = query.where(SmsUnsubscribe.source == source)
    return query


def _user_id() -> int | None:
    user = current_user()
    return user.id if user is not None else None


def _render(error: str | None = None, mobile: str = "", status: int = 200):
    query = _query()
    total = db().exec(select(func.count()).select_from(query.subquery())).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, parse_int(request.args.get("page"), default=1) or 1), pages)
    rows = db().exec(query.order_by(SmsUnsubscribe.created_at.desc(), SmsUnsubscribe.id.desc())
                     .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("sms/optout/index.html", rows=rows, total=total, page=page, pages=pages,
                           shown=_shown, sources=SOURCES, source_labels=SOURCE_LABELS, error=error,
                           mobile=mobile), status


@bp.get("/")
@role_required(*STAFF)
def index():
    return _render()


@bp.post("/add")
@role_required(*STAFF)
def add():
    """Put a number on the list by hand (an invalid number is refused with 422; a listed one is left as it is)."""
    tenant = current_tenant()
    raw = request.form.get("mobile", "").strip()
    number = service.normalise_mobile(raw)
    if number is None:
        return _render(_("Enter an 11-digit mainland mobile number."), raw, 422)
    session = db()
    if service.unsubscribe(session, tenant.id, number, source=SOURCE_MANUAL, user_id=_user_id()):
        for customer_id in service.customers_of(session, tenant.id, number):
            add_entry(session, UNSUBSCRIBED, tenant_id=tenant.id, customer_id=customer_id, mobile=number,
                      source=SOURCE_MANUAL)
        audit_action("sms.unsubscribe.add", mask_mobile(number))
        session.commit()
        flash(_("%(mobile)s will receive no more marketing SMS.", mobile=_shown(number)), "success")
    else:
        flash(_("%(mobile)s is already on the unsubscribe list.", mobile=_shown(number)), "info")
    return redirect(url_for("sms.optout.index"))


@bp.route("/<int:row_id>/remove", methods=["GET", "POST"])
@role_required(*STAFF)
def remove(row_id: int):
    """GET asks for confirmation; POST takes the number off the list (marketing SMS reach it again)."""
    tenant = current_tenant()
    row = db().get(SmsUnsubscribe, row_id)
    if row is None or row.tenant_id != tenant.id:
        abort(404)
    if request.method == "GET":
        return render_template("sms/optout/remove.html", row=row, shown=_shown)
    session = db()
    number = row.mobile
    service.resubscribe(session, tenant.id, number)
    for customer_id in service.customers_of(session, tenant.id, number):
        add_entry(session, RESUBSCRIBED, tenant_id=tenant.id, customer_id=customer_id, mobile=number)
    audit_action("sms.unsubscribe.remove", mask_mobile(number))
    session.commit()
    flash(_("%(mobile)s was taken off the unsubscribe list.", mobile=_shown(number)), "success")
    return redirect(url_for("sms.optout.index"))


@bp.get("/export")
@role_required(*STAFF)
def export():
    """The filtered list as CSV or XLSX (``format``); numbers masked when the tenant masks mobiles."""
    fmt = request.args.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        abort(400)
    tenant = current_tenant()
    header = [_("Mobile"), _("Source"), _("Reply"), zone_title(_("Unsubscribed at"))]
    found = db().exec(_query().order_by(SmsUnsubscribe.id).limit(EXPORT_MAX)).all()
    rows = [[_shown(r.mobile), code_label(SOURCE_LABELS, r.source), r.reply, export_time(r.created_at)]
            for r in found]
    audit_action("sms.unsubscribe.export", fmt, rows=len(rows))
    db().commit()
    name = f"sms-unsubscribes-{tenant.slug}.{fmt}"
    if fmt == "xlsx":
        return send_file(tabular.xlsx_file(header, rows, _("SMS unsubscribes")), as_attachment=True,
                         download_name=name,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return Response(tabular.csv_text(header, rows), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
