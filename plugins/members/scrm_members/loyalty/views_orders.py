"""Order pages: the order list (visible customers only) and the import (upload, preview with row errors and their
CSV download, start or resume, and a progress bar polled by htmx)."""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select

from scrm.sdk import Customer, Department, Employee
from scrm.sdk.web import STAFF, audit_action, current_tenant, customer_visibility, db, role_required

from . import order_import
from .models import Order, OrderImport
from .periods import yuan
from .web import PAGE_SIZE, after_id, bp, user_id

PREVIEW_ERRORS = 20


@bp.get("/orders/")
@role_required(*STAFF)
def orders():
    tenant = current_tenant()
    q = request.args.get("q", "").strip()
    source = request.args.get("source", "").strip()
    query = (select(Order, Customer.name, Customer.mobile, Department.name, Employee.name)
             .join(Customer, Customer.id == Order.customer_id)
             .outerjoin(Department, Department.id == Order.store_id)
             .outerjoin(Employee, Employee.id == Order.employee_id)
             .where(Order.tenant_id == tenant.id))
    scope = customer_visibility()
    if scope is not None:
        query = query.where(scope)
    if q:
        query = query.where(or_(Order.order_no == q, Customer.mobile == q, Customer.name.contains(q)))
    if source:
        query = query.where(Order.source == source)
    after = after_id()
    if after:
        query = query.where(Order.id < after)
    rows = db().execute(query.order_by(Order.id.desc()).limit(PAGE_SIZE + 1)).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    sources = db().execute(select(Order.source).where(Order.tenant_id == tenant.id).group_by(Order.source)
                           .order_by(Order.source)).scalars().all()
    return render_template("members/loyalty/orders.html", rows=rows, q=q, source=source, sources=sources,
                           next_after=rows[-1][0].id if more else None, yuan=yuan)


def _import_or_404(import_id: int) -> OrderImport:
    job = db().get(OrderImport, import_id)
    if job is None or job.tenant_id != current_tenant().id:
        abort(404)
    return job


@bp.route("/orders/import", methods=["GET", "POST"])
@role_required(*STAFF)
def order_import_new():
    error, status = None, 200
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            error, status = _("Choose a CSV or XLSX file."), 422
        else:
            try:
                job = order_import.create(db(), current_tenant().id, upload.filename, upload.read(), user_id())
            except order_import.ImportFileError as exc:
                error, status = str(exc), 422
            else:
                audit_action("members.orders.import_uploaded", job.filename, rows=job.total_rows)
                db().commit()
                return redirect(url_for("members.loyalty.order_import_view", import_id=job.id))
    recent = db().execute(select(OrderImport).where(OrderImport.tenant_id == current_tenant().id)
                          .order_by(OrderImport.id.desc()).limit(10)).scalars().all()
    return render_template("members/loyalty/order_import.html", error=error, recent=recent,
                           fields=order_import.orders.FIELDS, line_columns=order_import.LINE_COLUMNS), status


@bp.get("/orders/import/<int:import_id>")
@role_required(*STAFF)
def order_import_view(import_id: int):
    job = _import_or_404(import_id)
    return render_template("members/loyalty/order_import_preview.html", job=job,
                           errors=job.errors[:PREVIEW_ERRORS])


@bp.post("/orders/import/<int:import_id>/start")
@role_required(*STAFF)
def order_import_start(import_id: int):
    job = _import_or_404(import_id)
    if job.status not in ("previewed", "failed"):
        return render_template("members/loyalty/order_import_preview.html", job=job, errors=job.errors[:PREVIEW_ERRORS],
                               error=_("This import has already started.")), 409
    if job.valid_rows == 0:
        return render_template("members/loyalty/order_import_preview.html", job=job, errors=job.errors[:PREVIEW_ERRORS],
                               error=_("The file has no valid row to import.")), 422
    audit_action("members.orders.import_started", job.filename, rows=job.valid_rows)
    order_import.enqueue(db(), job)
    return redirect(url_for("members.loyalty.order_import_view", import_id=job.id))


@bp.get("/orders/import/<int:import_id>/progress")
@role_required(*STAFF)
def order_import_progress(import_id: int):
    return render_template("members/loyalty/_import_progress.html", job=_import_or_404(import_id))


@bp.get("/orders/import/<int:import_id>/errors.csv")
@role_required(*STAFF)
def order_import_errors(import_id: int):
    job = _import_or_404(import_id)
    return Response(order_import.errors_csv(job), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=order-import-{job.id}-errors.csv"})

