"""The platform rules page under ``/t/<tenant>/wecom/rules/`` (endpoints ``wecom.rules.*``, tenant admins): the
tenant's WeCom limits (save, reset to defaults) and the employees' capacity against them (CSV / XLSX export)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from scrm.sdk.web import ADMIN, audit_action, current_tenant, current_user, db, role_required

from ..churn.exporting import csv_stream, xlsx_file
from . import settings as rule_limits
from .capacity import EmployeeCapacity, capacity_of

bp = Blueprint("rules", __name__, url_prefix="/rules", template_folder="../templates")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _by() -> str:
    user = current_user()
    return user.email if user is not None else "api"


def _page(values: dict[str, str], errors: dict[str, str], status: int = 200):
    tenant = current_tenant()
    row = rule_limits.overrides_of(db(), tenant.id)
    rows = capacity_of(db(), tenant.id)
    return render_template("wecom/rules/index.html", specs=rule_limits.SPECS, sections=rule_limits.SECTIONS,
                           values=values, errors=errors, defaults=rule_limits.DEFAULTS, overrides=row,
                           capacity=rows, flagged=sum(1 for r in rows if r.near_cap or r.adds_reached)), status


def _current_values() -> dict[str, str]:
    current = rule_limits.limits(db(), current_tenant().id)
    return {name: str(getattr(current, name)) for name in rule_limits.NAMES}


@bp.get("/")
@role_required(*ADMIN)
def index():
    return _page(_current_values(), {})


@bp.post("/")
@role_required(*ADMIN)
def save():
    tenant = current_tenant()
    if request.form.get("reset"):
        rule_limits.reset(db(), tenant.id, _by())
        audit_action("wecom.rules.reset", f"tenant:{tenant.id}")
        db().commit()
        flash(_("Every limit follows the defaults again."), "success")
        return redirect(url_for(".index"))
    submitted = {name: (request.form.get(name) or "").strip() for name in rule_limits.NAMES}
    values, errors = rule_limits.validate(submitted)
    if errors:
        return _page(submitted, errors, 422)
    saved = rule_limits.save(db(), tenant.id, values, _by())
    audit_action("wecom.rules.saved", f"tenant:{tenant.id}", **{k: getattr(saved, k) for k in rule_limits.NAMES})
    db().commit()
    flash(_("Platform limits saved."), "success")
    return redirect(url_for(".index"))


def _cells(rows: list[EmployeeCapacity]):
    yield [_("Employee"), _("WeCom userid"), _("External contacts"), _("Limit"), _("Share (%)"), _("Added today"),
           _("Daily add limit"), _("Flag")]
    for row in rows:
        flags = [_("at the limit") if row.at_cap else _("near the limit") if row.near_cap else "",
                 _("daily adds reached") if row.adds_reached else ""]
        yield [row.name, row.userid, row.contacts, row.contacts_cap, round(row.share * 100, 1), row.adds_today,
               row.adds_cap, "; ".join(f for f in flags if f)]


@bp.get("/capacity.<any(csv, xlsx):fmt>")
@role_required(*ADMIN)
def export(fmt: str):
    tenant = current_tenant()
    rows = capacity_of(db(), tenant.id)
    audit_action("wecom.rules.export_capacity", fmt, rows=len(rows))
    db().commit()
    name = f"employee-capacity.{fmt}"
    if fmt == "xlsx":
        return send_file(xlsx_file(_cells(rows), _("Employee capacity")), as_attachment=True, download_name=name,
                         mimetype=XLSX)
    return Response("".join(csv_stream(_cells(rows))), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
