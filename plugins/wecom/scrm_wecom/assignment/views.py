"""The "Unassigned users" screen under ``/t/<tenant>/wecom/assignment/`` (endpoints ``wecom.assignment.*``): the
Unassigned, Resigned inheritance and On-the-job transfer tabs, and the assignment records with CSV / XLSX export.

Who may use it: tenant admins and operators (operators see the inheritance and transfer tabs and the records within
their data scope); employees linked to a WeCom member open the Unassigned tab and claim customers for themselves.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from sqlmodel import Session

from scrm.sdk import EmployeeStatus, Role, Tag, get_scoped, mask_mobile, scoped, utcnow
from scrm.sdk.web import (
    ADMIN,
    STAFF,
    audit_action,
    current_membership,
    current_tenant,
    current_user,
    customer_visibility,
    db,
    has_role,
    parse_int,
    platform,
    role_required,
    tenant_hooks,
)
from scrm.sdk.wechat import WeChatAPIError

from ..labels import assignment_kind_label, assignment_status_label
from ..views.customer_links import customer_page_url
from ..welcome.segments import local_time
from . import exporting, handover, pool, queries, records, tracking
from .models import Kind, Status
from .pool import AssignmentError

bp = Blueprint("assignment", __name__, url_prefix="/assignment", template_folder="../templates")

EVERYONE = (Role.TENANT_ADMIN, Role.OPERATOR, Role.EMPLOYEE)
RECORDS_PAGE = 50
HOOK_COLUMNS = ("member_type", "member_level", "stage")


@bp.context_processor
def helpers() -> dict:
    def localtime(moment, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """A stored (UTC) time in Asia/Shanghai; "" for None."""
        return local_time(moment).strftime(fmt) if moment else ""

    return {"localtime": localtime, "members_url": customer_page_url}


def _filter_types():
    return tenant_hooks().contribute("audience_filters", tenant=current_tenant())


def _columns(customer_ids: list[int]) -> dict:
    """The ``customer_columns`` other plugins contribute for this page's customers (one call per page)."""
    if not customer_ids:
        return {}
    found = tenant_hooks().contribute("customer_columns", tenant=current_tenant(), customer_ids=customer_ids,
                                      session=db())
    return {c.key: c for c in found if c.key in HOOK_COLUMNS}


def _selected_ids() -> list[int]:
    ids = []
    for raw in request.form.getlist("customer_ids"):
        try:
            ids.append(int(raw))
        except ValueError:
            continue
    return sorted(set(ids))


def _visibility():
    return customer_visibility()


def _my_employee():
    membership = current_membership()
    if membership is None or membership.employee_id is None:
        return None
    from scrm.sdk import Employee

    return get_scoped(db(), Employee, current_tenant().id, membership.employee_id)


def _tab_context(tab: str, flt: queries.TabFilter):
    tenant = current_tenant()
    tenant_id = tenant.id
    session = db()
    types = _filter_types()
    where = queries.tab_clause(session, tenant_id, tab, flt, None if tab == queries.UNASSIGNED else _visibility(),
                               types)
    number = parse_int(request.args.get("page"), 1, low=1) or 1
    customers = queries.page(session, where, number, sort=flt.sort)
    owners = queries.employees(session, tenant_id, [c.owner_employee_id for c in customers])
    counts = queries.counts(session, where)
    badges = queries.contact_badges(session, tenant_id, customers) if tab != queries.UNASSIGNED else {}
    return dict(tab=tab, flt=flt, customers=customers, owners=owners, counts=counts, badges=badges,
                columns=_columns([c.id for c in customers]), genders=queries.GENDERS,
                customer_types=queries.CUSTOMER_TYPES, levels=queries.level_choices(session, tenant_id, types),
                show_mobile=(lambda v: mask_mobile(v) if tenant.mask_mobiles else (v or "")),
                is_admin=has_role(*ADMIN), new_customer_url=customer_page_url("new", unassigned=1),
                page=number, page_size=queries.PAGE_SIZE, pages=max(1, -(-counts.total // queries.PAGE_SIZE)),
                sources=queries.source_choices(session, tenant_id),
                departments=queries.department_choices(session, tenant_id),
                tags=list(db().exec(scoped(Tag, tenant_id).order_by(Tag.name)).all()) if tab != queries.UNASSIGNED
                else [],
                active=queries.employee_choices(session, tenant_id, EmployeeStatus.ACTIVE),
                resigned=queries.employee_choices(session, tenant_id, EmployeeStatus.LEFT),
                groupchats_url=_groupchats_url(), is_staff=_is_staff(), me=_my_employee(),
                message_max=handover.MESSAGE_MAX, record_labels=records)


def _is_staff() -> bool:
    return has_role(*STAFF)


@bp.app_template_global("wecom_endpoint_exists")
def endpoint_exists(endpoint: str) -> bool:
    """For the tab strip: whether a page of another feature is installed."""
    return endpoint in current_app.view_functions


def _groupchats_url() -> str | None:
    """The 4th tab (unassigned group chats) belongs to another feature: linked only when it is installed."""
    return url_for("wecom.groupchats.unassigned") if "wecom.groupchats.unassigned" in current_app.view_functions \
        else None


def _render_tab(tab: str, errors: dict[str, str] | None = None, status: int = 200):
    flt = queries.parse_filter(request.args)
    return render_template(f"wecom/assignment/{tab}.html", errors=errors or {}, form=request.form,
                           **_tab_context(tab, flt)), status


@bp.get("/")
@role_required(*EVERYONE)
def unassigned():
    return _render_tab(queries.UNASSIGNED)


@bp.get("/resigned")
@role_required(*STAFF)
def resigned():
    return _render_tab(queries.RESIGNED)


@bp.get("/onjob")
@role_required(*STAFF)
def onjob():
    return _render_tab(queries.ONJOB)


def _back(endpoint: str):
    return redirect(url_for(endpoint, **queries.parse_filter(request.args).args))


def _pool_ids() -> list[int]:
    """The selected customers that are still in the pool (another tenant's ids simply do not match)."""
    tenant_id = current_tenant().id
    where = queries.tab_clause(db(), tenant_id, queries.UNASSIGNED, queries.TabFilter())
    return queries.ids_matching(db(), where, _selected_ids())


@bp.post("/claim")
@role_required(*EVERYONE)
def claim():
    if not _selected_ids():
        return _render_tab(queries.UNASSIGNED, {"customers": _("Choose at least one customer.")}, 400)
    try:
        taken = pool.claim(db(), current_tenant().id, _pool_ids(), _my_employee(), current_user().id)
    except AssignmentError as exc:
        return _render_tab(queries.UNASSIGNED, {exc.field: str(exc)}, 400)
    audit_action("wecom.pool_claim", "customers", count=taken)
    db().commit()
    flash(_("%(n)s customers claimed.", n=taken) if taken else _("Nothing claimed: someone else took them first."),
          "success" if taken else "error")
    return _back("wecom.assignment.unassigned")


def _assign_dialog(selected: list[int], ids: list[int], employees: list, errors: dict | None = None,
                   status: int = 200):
    preview = pool.Preview(len(selected), len(employees), len(ids))
    shares = pool.split_evenly(ids, [e.id for e in employees])
    return render_template("wecom/assignment/assign.html", preview=preview, employees=employees, shares=shares,
                           selected=selected, errors=errors or {}, chosen={e.id for e in employees},
                           active=queries.employee_choices(db(), current_tenant().id, EmployeeStatus.ACTIVE)), status


@bp.post("/assign")
@role_required(*STAFF)
def assign():
    """Without ``confirm``: the dialog with "selected X, members Y, expected Z", the split and the employee picker
    (``pick``: opened from a row or re-shown from the dialog, where no employee yet is fine); with it: assign."""
    selected = _selected_ids()
    raw_employees = request.form.getlist("employee_ids")
    picking = request.form.get("pick") == "1" and request.form.get("confirm") != "1"
    errors = {}
    if not selected:
        errors["customers"] = _("Choose at least one customer.")
    employees = []
    if not (picking and not raw_employees):
        try:
            employees = pool.active_employees(db(), current_tenant().id, raw_employees)
        except AssignmentError as exc:
            errors[exc.field] = str(exc)
    if errors:
        return _render_tab(queries.UNASSIGNED, errors, 400)
    ids = _pool_ids()
    if request.form.get("confirm") != "1":
        return _assign_dialog(selected, ids, employees)
    try:
        taken = pool.assign(db(), current_tenant().id, ids, employees, current_user().id)
    except AssignmentError as exc:
        return _render_tab(queries.UNASSIGNED, {exc.field: str(exc)}, 400)
    audit_action("wecom.pool_assign", "customers", shares=taken)
    db().commit()
    flash(_("%(n)s customers assigned.", n=sum(taken.values())), "success")
    return _back("wecom.assignment.unassigned")


def _start_sending(tenant_id: int) -> None:
    """After the commit: send now. The poll scheduled with the records sends whatever the broker lost."""
    from .jobs import send_transfers

    send_transfers.send(tenant_id)


def _schedule_poll(tenant_id: int) -> None:
    tracking.schedule_poll(db(), tenant_id, utcnow() + tracking.POLL_EVERY)


@bp.post("/inherit")
@role_required(*STAFF)
def inherit():
    tenant_id = current_tenant().id
    where = queries.tab_clause(db(), tenant_id, queries.RESIGNED, queries.TabFilter(), _visibility())
    ids = queries.ids_matching(db(), where, _selected_ids())
    try:
        result = handover.inherit(db(), tenant_id, ids, request.form.get("takeover_id"), current_user().id)
    except AssignmentError as exc:
        return _render_tab(queries.RESIGNED, {exc.field: str(exc)}, 400)
    audit_action("wecom.resigned_inherit", "customers", takeover_id=request.form.get("takeover_id"),
                 waiting=result.waiting, moved=result.moved)
    if result.waiting:
        _schedule_poll(tenant_id)
    db().commit()
    if result.waiting:
        _start_sending(tenant_id)
    flash(_("%(w)s customers wait for WeCom, %(m)s moved at once.", w=result.waiting, m=result.moved), "success")
    return _back("wecom.assignment.resigned")


@bp.post("/transfer")
@role_required(*STAFF)
def transfer():
    tenant_id = current_tenant().id
    where = queries.tab_clause(db(), tenant_id, queries.ONJOB, queries.TabFilter(), _visibility())
    ids = queries.ids_matching(db(), where, _selected_ids())
    try:
        result = handover.transfer(db(), tenant_id, ids, request.form.get("takeover_id"),
                                   request.form.get("message", ""), current_user().id)
    except AssignmentError as exc:
        return _render_tab(queries.ONJOB, {exc.field: str(exc)}, 400)
    audit_action("wecom.onjob_transfer", "customers", takeover_id=request.form.get("takeover_id"),
                 count=result.waiting)
    _schedule_poll(tenant_id)
    db().commit()
    _start_sending(tenant_id)
    flash(_("%(n)s customers handed over: effective in 24 hours unless the customer refuses.", n=result.waiting),
          "success")
    return _back("wecom.assignment.onjob")


@bp.post("/resigned/reconcile")
@role_required(*STAFF)
def reconcile_resigned():
    """Ask WeCom which members left (``get_unassigned_list``) and mark them left here."""
    from ..accounts import AccountNotConfigured, list_accounts
    from ..client import WeComUnavailable
    from . import resigned as resigned_module

    changed = 0
    try:
        for account in list_accounts(db(), current_tenant().id):
            changed += resigned_module.reconcile(db(), platform(), account)
    except (WeChatAPIError, WeComUnavailable, AccountNotConfigured) as exc:
        db().rollback()
        flash(_("WeCom could not be asked: %(error)s", error=str(exc)), "error")
        return _back("wecom.assignment.resigned")
    audit_action("wecom.resigned_reconcile", "employees", changed=changed)
    resigned_module.ensure_check(db(), current_tenant().id)
    db().commit()
    flash(_("%(n)s employees who left WeCom were marked as left.", n=changed), "success")
    return _back("wecom.assignment.resigned")


# -- records -----------------------------------------------------------------------------------------------------------


def _records_where():
    return records.where(current_tenant().id, request.args, _visibility())


@bp.get("/records")
@role_required(*STAFF)
def records_index():
    tenant_id = current_tenant().id
    clause = _records_where()
    number = parse_int(request.args.get("page"), 1, low=1) or 1
    total = records.count(db(), clause)
    rows = records.rows(db(), tenant_id, clause, (number - 1) * RECORDS_PAGE, RECORDS_PAGE)
    from scrm.sdk import Employee

    staff = list(db().exec(scoped(Employee, tenant_id).order_by(Employee.name)).all())
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("wecom/assignment/records.html", rows=rows, total=total, page=number,
                           pages=max(1, -(-total // RECORDS_PAGE)), staff=staff, args=args, kinds=Kind,
                           statuses=Status, kind_label=assignment_kind_label,
                           status_label=assignment_status_label,
                           employee_label=records.employee_label, groupchats_url=_groupchats_url(), tab="records",
                           is_staff=True)


@bp.get("/records/export.<fmt>")
@role_required(*STAFF)
def records_export(fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    tenant_id = current_tenant().id
    clause = _records_where()
    audit_action("wecom.assignment_records_export", "wecom_assignment_record", format=fmt)
    db().commit()
    if fmt == "csv":
        engine = platform().engine

        def stream():
            # a session of its own, closed with the body: the request's session ends before the body streams
            with Session(engine, expire_on_commit=False) as session:
                yield from exporting.csv_stream(session, tenant_id, clause)

        return Response(stream_with_context(stream()), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": "attachment; filename=assignment-records.csv"})
    return send_file(exporting.xlsx_file(db(), tenant_id, clause), as_attachment=True,
                     download_name="assignment-records.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
