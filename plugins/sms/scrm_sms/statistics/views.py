"""The push-statistics pages, under ``/t/<tenant>/sms/statistics/`` (endpoints ``sms.statistics.*``): tabs
marketing / notification, the summary, the push records of a date range with a daily chart, and each push's success
details with the CSV / XLSX export (columns phone, customer name, send time; phones masked when the brand masks
them, spec A.6)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from flask_babel import gettext as _

from scrm.sdk import date_span, export_time, local_today, mask_mobile, tabular, zone_title
from scrm.sdk.web import STAFF, audit_action, current_tenant, db, parse_int, role_required

from .. import content
from ..smstemplates import labels  # noqa: F401  (the category labels)
from . import queries

bp = Blueprint("statistics", __name__, url_prefix="/statistics")

MAX_RANGE_DAYS = 366


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _category() -> str:
    raw = request.args.get("tab")
    return raw if raw in content.CATEGORIES else content.MARKETING


def _phone(value: str) -> str:
    return mask_mobile(value) if current_tenant().mask_mobiles and value.isdigit() else value


@bp.get("/")
@role_required(*STAFF)
def index():
    tenant = current_tenant()
    category = _category()
    today = local_today()
    day_to = _day(request.args.get("to")) or today
    day_from = _day(request.args.get("from")) or (day_to - timedelta(days=29))
    if day_from > day_to:
        day_from, day_to = day_to, day_from
    if (day_to - day_from).days >= MAX_RANGE_DAYS:
        day_from = day_to - timedelta(days=MAX_RANGE_DAYS - 1)
    page = parse_int(request.args.get("page"), 1) or 1
    result = queries.records(db(), tenant.id, category, date_span(day_from).start, date_span(day_to).end, page,
                             chart_from=day_from, chart_to=day_to)
    chart = {"labels": [d.strftime("%m-%d") for d in result.days],
             "datasets": [{"label": _("Total sent"), "data": result.sent_by_day, "backgroundColor": "#3b82f6"},
                          {"label": _("Successfully delivered"), "data": result.delivered_by_day, "backgroundColor": "#07c160"}]}
    args = {"tab": category, "from": day_from.isoformat(), "to": day_to.isoformat()}
    return render_template("sms/statistics/index.html", category=category, summary=queries.summary(
        db(), tenant.id, category), result=result, chart=chart, args=args, day_from=day_from, day_to=day_to)


@bp.get("/<int:bulk_id>")
@role_required(*STAFF)
def details(bulk_id: int):
    tenant = current_tenant()
    bulk = queries.push(db(), tenant.id, bulk_id) or abort(404)
    rows, next_after = queries.details(db(), bulk, parse_int(request.args.get("after")))
    return render_template("sms/statistics/details.html", bulk=bulk, rows=rows, next_after=next_after,
                           record=queries.record_of(db(), bulk),
                           phone=_phone)


@bp.get("/<int:bulk_id>/export.<fmt>")
@role_required(*STAFF)
def export(bulk_id: int, fmt: str):
    """The push's success details: phone, customer name, send time (the tenant's zone named in the title)."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    tenant = current_tenant()
    bulk = queries.push(db(), tenant.id, bulk_id) or abort(404)
    titles = [_("Phone"), _("Customer name"), zone_title(_("Send time"))]
    session = db()
    masked = tenant.mask_mobiles

    def rows():
        for row in queries.iter_details(session, bulk):
            yield [mask_mobile(row.phone) if masked and row.phone.isdigit() else row.phone, row.customer_name,
                   export_time(row.sent_at)]
        session.commit()

    audit_action("sms.statistics_export", f"sms_bulk:{bulk.id}", format=fmt)
    session.commit()
    filename = f"sms-push-{bulk.id}-success.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "csv":
        return Response(stream_with_context(tabular.csv_stream(titles, rows())), mimetype="text/csv; charset=utf-8",
                        headers=disposition)
    handle = tabular.xlsx_file(titles, rows(), sheet=_("Success details"))
    return Response(handle.read(), headers=disposition,
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
