"""Churned and deleted customers, under ``/t/<tenant>/wecom/churn/`` (endpoints ``wecom.churn.*``).

Lists and exports are open to every member of the tenant (employees see their scope); the reminder settings to
tenant admins; the "Retain" page (opened from the churn reminder on a phone) to the employee of the relation, their
superior, and users whose data scope covers the customer. Links to a customer's 360 profile appear only when the
tenant enabled the plugin that owns it (members; found by endpoint name, never imported).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlmodel import Session

from scrm.sdk import Customer, Employee, EmployeeStatus, channel_accounts, get_scoped
from scrm.sdk.web import (
    ADMIN,
    Role,
    audit_action,
    current_membership,
    current_tenant,
    current_user,
    customer_visibility,
    db,
    has_role,
    platform,
    role_required,
)

from ..accounts import PLUGIN
from ..messaging.links import remember_public_url
from ..sync.models import Follow, FollowStatus
from ..views.customer_links import customer_page_url
from . import exporting, listing, retaining, settings, stages
from .models import DigestFrequency, FriendLoss, LossKind

bp = Blueprint("churn", __name__, url_prefix="/churn", template_folder="../templates")

MEMBERS = (Role.TENANT_ADMIN, Role.OPERATOR, Role.EMPLOYEE)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def profile_url(customer_id: int) -> str | None:
    """The customer's 360 profile when the tenant enabled the members plugin, else None (no link)."""
    return customer_page_url("detail", customer_id)


@bp.context_processor
def _helpers() -> dict:
    return {"local_time": lambda moment: exporting.local_time(moment, "%Y-%m-%d %H:%M"), "profile_url": profile_url}


def _my_employee_id() -> int | None:
    membership = current_membership()
    return membership.employee_id if membership is not None else None


def _query(kind: LossKind):
    flt = listing.LossFilter.parse(kind, request.args)
    query = listing.build_query(db(), current_tenant().id, flt, employee_id=_my_employee_id(),
                                visibility=customer_visibility())
    return flt, query


def _employees() -> list[Employee]:
    return list(db().execute(select(Employee).where(Employee.tenant_id == current_tenant().id)
                             .order_by(Employee.status, Employee.name)).scalars())


def _list(kind: LossKind, template: str):
    flt, query = _query(kind)
    total = listing.count(db(), query)
    rows = listing.rows(db(), query, offset=(flt.page - 1) * listing.PAGE_SIZE)
    return render_template(template, flt=flt, rows=rows, total=total, employees=_employees(),
                           names=listing.employee_names(db(), current_tenant().id), page_size=listing.PAGE_SIZE,
                           is_admin=has_role(*ADMIN), has_employee=_my_employee_id() is not None)


@bp.get("/")
@role_required(*MEMBERS)
def index():
    return redirect(url_for(".churned"))


@bp.get("/churned")
@role_required(*MEMBERS)
def churned():
    return _list(LossKind.CHURNED, "wecom/churn/churned.html")


@bp.get("/deleted")
@role_required(*MEMBERS)
def deleted():
    return _list(LossKind.DELETED, "wecom/churn/deleted.html")


@bp.get("/<any(churned, deleted):kind>/export.<any(csv, xlsx):fmt>")
@role_required(*MEMBERS)
def export(kind: str, fmt: str):
    loss_kind = LossKind(kind)
    tenant = current_tenant()
    _flt, query = _query(loss_kind)
    audit_action(f"wecom.churn.export_{kind}", fmt, rows=listing.count(db(), query),
                 filter=request.query_string.decode()[:500])
    db().commit()
    name = f"{kind}-customers-{tenant.slug}.{fmt}"
    title = _("Churned users") if loss_kind is LossKind.CHURNED else _("Deleted users")
    if fmt == "xlsx":
        handle = exporting.xlsx_file(exporting.table(db(), tenant.id, loss_kind, query), title)
        return send_file(handle, as_attachment=True, download_name=name, mimetype=XLSX)
    tenant_id = tenant.id

    def stream():
        # a session of its own: the request's session is closed when the view returns, before the body streams
        with Session(platform().engine, expire_on_commit=False) as session:
            yield from exporting.csv_stream(exporting.table(session, tenant_id, loss_kind, query))

    return Response(stream_with_context(stream()), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _remember_address() -> None:
    for account in channel_accounts(db(), current_tenant().id, PLUGIN):
        remember_public_url(db(), account, request.url_root)


@bp.route("/churned/settings", methods=["GET", "POST"])
@role_required(*ADMIN)
def churn_settings():
    tenant = current_tenant()
    row = settings.settings_of(db(), tenant.id)
    choices = stages.stage_choices(db(), tenant)
    values = {"enabled": row.churn_enabled, "employee_stages": row.employee_stage_ids,
              "superior_stages": row.superior_stage_ids}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {"enabled": bool(request.form.get("enabled")),
                  "employee_stages": request.form.getlist("employee_stages"),
                  "superior_stages": request.form.getlist("superior_stages")}
        try:
            settings.save_churn_reminder(db(), tenant.id, enabled=values["enabled"],
                                         employee_stages=values["employee_stages"],
                                         superior_stages=values["superior_stages"],
                                         known_stages=[c[0] for c in choices])
        except settings.SettingsError as exc:
            db().rollback()
            errors = exc.fields
        else:
            _remember_address()
            audit_action("wecom.churn.reminder_settings", "churned", **values)
            db().commit()
            flash(_("Churn reminder saved."), "success")
            return redirect(url_for(".churned"))
    selected = {key: {str(v) for v in values[key]} for key in ("employee_stages", "superior_stages")}
    return render_template("wecom/churn/churn_settings.html", values=values, selected=selected, choices=choices,
                           errors=errors), 422 if errors else 200


@bp.route("/deleted/settings", methods=["GET", "POST"])
@role_required(*ADMIN)
def deleted_settings():
    tenant = current_tenant()
    row = settings.settings_of(db(), tenant.id)
    notice = settings.DeletedNotice(row.deleted_enabled, list(row.deleted_admin_ids), row.deleted_frequency)
    errors: dict[str, str] = {}
    if request.method == "POST":
        notice = settings.DeletedNotice(bool(request.form.get("enabled")), request.form.getlist("admin_ids"),
                                        request.form.get("frequency") or "")
        try:
            settings.save_deleted_notice(db(), tenant.id, notice)
        except settings.SettingsError as exc:
            db().rollback()
            errors = exc.fields
        else:
            _remember_address()
            audit_action("wecom.churn.deleted_settings", "deleted", enabled=notice.enabled,
                         admins=notice.admin_ids, frequency=notice.frequency)
            db().commit()
            flash(_("Deleted-user notification saved."), "success")
            return redirect(url_for(".deleted"))
    employees = [e for e in _employees() if e.status != EmployeeStatus.LEFT]
    return render_template("wecom/churn/deleted_settings.html", notice=notice, employees=employees,
                           selected={str(i) for i in notice.admin_ids}, frequencies=DigestFrequency,
                           errors=errors), 422 if errors else 200


def _may_open(loss: FriendLoss) -> bool:
    """The relation's employee, their superior, and users whose data scope covers the customer."""
    user = current_user()
    if user is not None and user.is_platform_admin:
        return True
    mine = _my_employee_id()
    if mine is not None and loss.employee_id is not None:
        if mine == loss.employee_id:
            return True
        employee = db().get(Employee, loss.employee_id)
        if employee is not None and employee.superior_id == mine:
            return True
    visibility = customer_visibility()
    where = [Customer.id == loss.customer_id] + ([visibility] if visibility is not None else [])
    return bool(db().execute(select(exists().where(*where))).scalar())


@bp.get("/retain/<int:loss_id>")
@role_required(*MEMBERS)
def retain(loss_id: int):
    tenant = current_tenant()
    loss = get_scoped(db(), FriendLoss, tenant.id, loss_id) or abort(404)
    if not _may_open(loss):
        abort(403)
    customer = db().get(Customer, loss.customer_id)
    names = listing.employee_names(db(), tenant.id)
    friends = list(db().execute(select(Follow).where(
        Follow.tenant_id == tenant.id, Follow.customer_id == customer.id,
        Follow.status == FollowStatus.ACTIVE)).scalars())
    labels = dict(stages.stage_choices(db(), tenant))
    stage = next((label for stage_id, label in labels.items()
                  if stages.in_stages(db(), tenant, customer.id, [stage_id])), None)
    follow_up = db().execute(select(listing.last_follow_up()).select_from(FriendLoss)
                             .where(FriendLoss.id == loss.id)).scalar()
    return render_template("wecom/churn/retain.html", loss=loss, customer=customer, names=names, friends=friends,
                           stage=stage, last_follow_up=follow_up, days=listing.days_since(follow_up),
                           remark=retaining.remark_of(db(), loss), mobile=retaining.mobile_of(customer),
                           live_code=retaining.live_code_of(db(), loss))
