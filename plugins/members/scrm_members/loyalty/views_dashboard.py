"""The home dashboard page (figures of the last snapshot, Chart.js charts, the update time), its "Refresh" button,
and the performance targets the rankings need."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from scrm.sdk import Department, Employee
from scrm.sdk.web import ADMIN, STAFF, audit_action, current_tenant, db, role_required

from . import dashboard
from .jobs import refresh_dashboard
from .models import PerformanceTarget
from .periods import local_now, to_cents, wan, yuan
from .web import bp


@bp.get("/dashboard/")
@role_required(*STAFF)
def dashboard_page():
    """The statistics are part of the tenant's home page: the old address leads there (query string kept)."""
    return redirect(url_for("tenant.dashboard", **request.args.to_dict()))


def dashboard_section(tenant, session) -> str:
    """The statistics as an HTML section of the home page (rendered in the current request)."""
    snapshot = dashboard.latest(session, tenant.id)
    data = snapshot.data if snapshot is not None else None
    return render_template("members/loyalty/_dashboard_body.html", snapshot=snapshot, data=data,
                           delta=dashboard.delta, wan=wan, yuan=yuan)


@bp.post("/dashboard/refresh")
@role_required(*STAFF)
def dashboard_refresh():
    refresh_dashboard.send(current_tenant().id)
    flash(_("The statistics are being refreshed; reload the page in a moment."), "success")
    return redirect(url_for("tenant.dashboard"))


@bp.route("/dashboard/targets", methods=["GET", "POST"])
@role_required(*ADMIN)
def targets():
    from scrm.sdk import utcnow

    tenant = current_tenant()
    departments = db().execute(select(Department).where(Department.tenant_id == tenant.id)
                               .order_by(Department.order, Department.name)).scalars().all()
    employees = db().execute(select(Employee).where(Employee.tenant_id == tenant.id)
                             .order_by(Employee.name)).scalars().all()
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        kind, owner = form.get("kind", ""), form.get("owner_id", "")
        known = {d.id for d in departments} if kind == "department" else {e.id for e in employees}
        if kind not in ("department", "employee") or not owner.isdigit() or int(owner) not in known:
            errors["owner_id"] = _("Choose a store or an employee.")
        year = form.get("year", "")
        if not year.isdigit() or not 2000 <= int(year) <= 2100:
            errors["year"] = _("Give a year from 2000 to 2100.")
        try:
            cents = to_cents(form.get("target", ""))
            if cents <= 0:
                raise ValueError
        except ValueError:
            cents = 0
            errors["target"] = _("Give a target amount above zero in yuan.")
        if not errors:
            column = PerformanceTarget.department_id if kind == "department" else PerformanceTarget.employee_id
            row = db().execute(select(PerformanceTarget).where(
                PerformanceTarget.tenant_id == tenant.id, column == int(owner),
                PerformanceTarget.year == int(year))).scalar_one_or_none()
            if row is None:
                row = PerformanceTarget(tenant_id=tenant.id, year=int(year), target_cents=cents,
                                        **{f"{kind}_id": int(owner)})
            row.target_cents = cents
            db().add(row)
            audit_action("members.target.save", f"{kind}:{owner}", year=int(year), amount=yuan(cents))
            db().commit()
            flash(_("Target saved."), "success")
            return redirect(url_for("members.loyalty.targets"))
    rows = db().execute(select(PerformanceTarget, Department.name, Employee.name)
                        .outerjoin(Department, Department.id == PerformanceTarget.department_id)
                        .outerjoin(Employee, Employee.id == PerformanceTarget.employee_id)
                        .where(PerformanceTarget.tenant_id == tenant.id)
                        .order_by(PerformanceTarget.year.desc(), PerformanceTarget.id)).all()
    return render_template("members/loyalty/targets.html", rows=rows, departments=departments, employees=employees,
                           errors=errors, form=form, this_year=local_now(utcnow()).year), 422 if errors else 200
