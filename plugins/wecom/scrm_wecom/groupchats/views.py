"""Pages of the customer group chats under ``/t/<tenant>/wecom/groupchats/`` (endpoints ``wecom.groupchats.*``):
the mirrored chats with the "Sync" button, the unassigned chats (owner left) and their assignment, the assignment
records with CSV / XLSX export, a chat's detail with its members, and tagging chats with group tags (the tag
management page is :mod:`.tag_views`)."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from sqlmodel import Session, select
from werkzeug.routing import BuildError

from scrm.sdk import Customer, Employee
from scrm.sdk.web import (
    STAFF,
    audit_action,
    current_tenant,
    current_user,
    customer_visibility,
    db,
    parse_int,
    platform,
    role_required,
)

from ..accounts import find_account, list_accounts
from ..client import WeComClient
from ..group_welcome import group_welcome_templates
from ..views.customer_links import customer_page_url
from ..welcome.segments import local_time
from . import assignment, exporting, jobs, sync, tag_views, tags
from .counters import local_day, today_counts
from .models import ChatStatus, GroupChat, GroupMember, MemberType

bp = Blueprint("groupchats", __name__, url_prefix="/groupchats", template_folder="../templates")
bp.register_blueprint(tag_views.bp)

PAGE_SIZE = 50


@bp.context_processor
def helpers() -> dict:
    def localtime(moment, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """An aware time in Asia/Shanghai; "—" for None."""
        return local_time(moment).strftime(fmt) if moment else "—"

    return {"localtime": localtime, "employee_label": exporting.employee_label,
            "status_label": exporting.status_label, "error_label": exporting.error_label,
            "customer_url": customer_url, "unassigned_users_url": unassigned_users_url}


def customer_url(customer_id: int) -> str:
    """The customer's profile page when the tenant enabled the members plugin, else the host's customer list."""
    return customer_page_url("detail", customer_id) or url_for("tenant.customers")


def unassigned_users_url() -> str:
    """The "Unassigned users" screen (the assignment feature's first tab) when installed, else the group chat tab."""
    try:
        return url_for("wecom.assignment.unassigned")
    except BuildError:
        return url_for("wecom.groupchats.unassigned")


def _int_arg(name: str) -> int | None:
    return parse_int(request.values.get(name), low=0)


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _tag_args() -> list[int]:
    return [v for v in map(parse_int, request.args.getlist("tag")) if v is not None]


def _form_ids(name: str) -> list[int]:
    return [v for v in map(parse_int, request.form.getlist(name)) if v is not None]


def _page_number() -> int:
    return max(1, _int_arg("page") or 1)


def _operator() -> str:
    user = current_user()
    return user.email if user is not None else "api"


def _employees(ids) -> dict[int, Employee]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {e.id: e for e in db().exec(select(Employee).where(Employee.tenant_id == current_tenant().id,
                                                               Employee.id.in_(ids)))}


def _sync_context() -> dict:
    tenant = current_tenant()
    accounts = list_accounts(db(), tenant.id)
    return {"accounts": accounts, "last_sync": sync.latest_sync(db(), tenant.id)}


# -- all chats -----------------------------------------------------------------------------------------------------------

def _sort_arg() -> str:
    sort = request.args.get("sort", "-created")
    return sort if sort in assignment.SORTS else "-created"


def _index_page(error: str = "", checked: tuple[list[int], list[int]] = ([], []), status: int = 200):
    tenant = current_tenant()
    name, state = request.args.get("name", ""), request.args.get("status", ChatStatus.NORMAL)
    tag_ids, sort = _tag_args(), _sort_arg()
    query = select(GroupChat).where(GroupChat.tenant_id == tenant.id)
    if state in (ChatStatus.NORMAL, ChatStatus.DISMISSED):
        query = query.where(GroupChat.status == state)
    if name.strip():
        query = query.where(GroupChat.name.contains(name.strip(), autoescape=True))
    query = tags.with_tags(query, tenant.id, tag_ids)
    total = assignment.count_of(db(), query)
    page = _page_number()
    chats = list(db().exec(query.order_by(assignment.SORTS[sort], GroupChat.id.desc())
                           .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    today = local_day()
    args = {"name": name, "status": state, "tag": tag_ids[0] if tag_ids else "", "sort": sort}
    return render_template("wecom/groupchats/index.html", chats=chats, total=total, page=page,
                           more=page * PAGE_SIZE < total, name=name, status=state, args=args, sort=sort,
                           tag_ids=tag_ids, tag_groups=tags.tag_groups(db(), tenant.id),
                           chat_tags=tags.tags_by_chat(db(), tenant.id, [c.id for c in chats]),
                           owners=_employees(c.owner_employee_id for c in chats), tag_error=error,
                           checked_chats=checked[0], checked_tags=checked[1],
                           counts={c.id: today_counts(c, today) for c in chats}, **_sync_context()), status


@bp.get("/")
@role_required(*STAFF)
def index():
    return _index_page()


# -- unassigned ----------------------------------------------------------------------------------------------------------

def _chat_filter() -> assignment.ChatFilter:
    return assignment.ChatFilter(name=request.args.get("name", ""), owner_id=_int_arg("owner"), sort=_sort_arg(),
                                 tag_ids=_tag_args())


def _unassigned_page(errors: dict[str, str] | None = None, selected: tuple[list[int], int | None] = ([], None),
                     status: int = 200, checked_tags: list[int] | None = None):
    tenant = current_tenant()
    filters = _chat_filter()
    query = assignment.unassigned_query(tenant.id, filters)
    total = assignment.count_of(db(), query)
    page = _page_number()
    rows = list(db().exec(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    today = local_day()
    chat_ids = [chat.id for chat, _owner in rows]
    args = {"name": filters.name, "owner": filters.owner_id or "", "tag": filters.tag_ids[0] if filters.tag_ids
            else "", "sort": filters.sort}
    return render_template(
        "wecom/groupchats/unassigned.html", rows=rows, total=total, page=page, more=page * PAGE_SIZE < total,
        filters=filters, args=args, owners=assignment.left_owners(db(), tenant.id),
        employees=assignment.active_employees(db(), tenant.id, include=selected[1]),
        counts={chat.id: today_counts(chat, today) for chat, _owner in rows},
        pending=assignment.pending_takeovers(db(), tenant.id, chat_ids),
        tag_groups=tags.tag_groups(db(), tenant.id), chat_tags=tags.tags_by_chat(db(), tenant.id, chat_ids),
        checked_tags=checked_tags or [], errors=errors or {}, selected_ids=selected[0],
        selected_takeover=selected[1], **_sync_context()), status


@bp.get("/unassigned")
@role_required(*STAFF)
def unassigned():
    return _unassigned_page()


@bp.post("/assign")
@role_required(*STAFF)
def assign():
    tenant = current_tenant()
    chat_ids = [v for v in map(parse_int, request.form.getlist("chat_ids")) if v is not None]
    takeover_id = _int_arg("takeover_id")
    try:
        chats, takeover = assignment.validate(db(), tenant.id, chat_ids, takeover_id)
    except assignment.AssignmentError as exc:
        return _unassigned_page(exc.fields, (chat_ids, takeover_id), 422)
    clients: dict[int, WeComClient] = {}

    def client(account_id: int) -> WeComClient:
        if account_id not in clients:
            account = find_account(db(), tenant.id, account_id) or abort(404)
            clients[account_id] = WeComClient.for_account(account, platform())
        return clients[account_id]

    try:
        outcome = assignment.assign(db(), client, chats, takeover, _operator())
    finally:
        for opened in clients.values():
            opened.close()
    audit_action("wecom.group_chats_assigned", f"employee:{takeover.id}", chats=[c.id for c in chats],
                 waiting=outcome.waiting, failed=outcome.failed)
    if outcome.waiting:
        jobs.schedule_tracker(db(), tenant.id)
    db().commit()
    if outcome.waiting:
        flash(_("%(count)s group chats are being assigned to %(name)s. WeCom changes the owner with a delay: "
                "refresh this page later to see it.", count=outcome.waiting, name=takeover.name), "success")
    if outcome.failed:
        flash(_("WeCom refused %(count)s group chats; see the assignment records.", count=outcome.failed)
              + (" " + "; ".join(outcome.errors[:3]) if outcome.errors else ""), "error")
    return redirect(url_for("wecom.groupchats.unassigned"))


@bp.get("/employees")
@role_required(*STAFF)
def employee_options():
    """The "new owner" picker's options: active employees matching ``q`` (name or userid), for htmx."""
    found = assignment.active_employees(db(), current_tenant().id, request.args.get("q", ""))
    return render_template("wecom/groupchats/_employee_options.html", employees=found, selected_takeover=None)


# -- group tags on chats -------------------------------------------------------------------------------------------------

@bp.post("/tag")
@role_required(*STAFF)
def tag_chats():
    """Add (``mode=add``) or remove (``mode=remove``) the chosen tags on the selected chats of the list ``back``
    (index or unassigned); bad input re-renders that list with the message (422)."""
    tenant = current_tenant()
    chat_ids, tag_ids = _form_ids("chat_ids"), _form_ids("tag_ids")
    remove, back = request.form.get("mode") == "remove", request.form.get("back", "index")
    try:
        changed = tags.tag_chats(db(), tenant.id, chat_ids, tag_ids, _operator(), remove=remove)
    except tags.TagError as exc:
        db().rollback()
        if back == "unassigned":
            return _unassigned_page({"tag_ids": exc.message}, (chat_ids, None), 422, checked_tags=tag_ids)
        return _index_page(exc.message, (chat_ids, tag_ids), 422)
    audit_action("wecom.group_chats_untagged" if remove else "wecom.group_chats_tagged", "wecom_group_chat",
                 chats=chat_ids, tags=tag_ids, changed=changed)
    db().commit()
    flash(_("Tags removed from the selected group chats.") if remove
          else _("Tags added to the selected group chats."), "success")
    return redirect(url_for("wecom.groupchats.unassigned" if back == "unassigned" else "wecom.groupchats.index"))


@bp.post("/<int:chat_pk>/tags")
@role_required(*STAFF)
def set_tags(chat_pk: int):
    """Make the checked tags the chat's group tags (none checked: no tags)."""
    tenant = current_tenant()
    chat = db().exec(select(GroupChat).where(GroupChat.tenant_id == tenant.id, GroupChat.id == chat_pk)).first()
    if chat is None:
        abort(404)
    tag_ids = _form_ids("tag_ids")
    tags.set_chat_tags(db(), chat, tag_ids, _operator())
    audit_action("wecom.group_chat_tags_set", f"wecom_group_chat:{chat.id}", tags=tag_ids)
    db().commit()
    flash(_("Group tags saved."), "success")
    return redirect(url_for("wecom.groupchats.detail", chat_pk=chat.id))


# -- records -------------------------------------------------------------------------------------------------------------

def _record_filter() -> assignment.RecordFilter:
    return assignment.RecordFilter(name=request.args.get("name", ""), takeover_id=_int_arg("takeover"),
                                   start=_date_arg("start"), end=_date_arg("end"))


@bp.get("/records")
@role_required(*STAFF)
def records():
    tenant = current_tenant()
    filters = _record_filter()
    query = assignment.records_query(tenant.id, filters)
    total = assignment.count_of(db(), query)
    page = _page_number()
    rows = list(db().exec(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    return render_template("wecom/groupchats/records.html", rows=rows, total=total, page=page,
                           more=page * PAGE_SIZE < total, filters=filters,
                           takeovers=assignment.takeover_choices(db(), tenant.id),
                           export_args={k: v for k, v in request.args.items() if k != "page"})


@bp.get("/records/export.<fmt>")
@role_required(*STAFF)
def export_records(fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    tenant = current_tenant()
    query = assignment.records_query(tenant.id, _record_filter())
    audit_action("wecom.group_assignments.export", fmt, rows=assignment.count_of(db(), query))
    db().commit()
    filename = f"group-chat-assignments-{local_day().isoformat()}.{fmt}"
    headers = {"Content-Disposition": f"attachment; filename={filename}"}
    if fmt == "xlsx":
        return Response(exporting.xlsx_file(db(), query), headers=headers,
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    filters, tenant_id, engine = _record_filter(), tenant.id, platform().engine

    def stream():
        # a session of its own, closed with the body: the request's session ends before the body streams
        with Session(engine, expire_on_commit=False) as session:
            yield from exporting.csv_stream(session, assignment.records_query(tenant_id, filters))

    return Response(stream_with_context(stream()), headers=headers, mimetype="text/csv; charset=utf-8")


# -- detail --------------------------------------------------------------------------------------------------------------

def _visible_members(tenant_id: int, members: list[GroupMember]) -> list[GroupMember]:
    """The roster without the customers outside the user's data scope (employees and unknown external users stay)."""
    scope = customer_visibility()
    ids = {m.customer_id for m in members if m.customer_id}
    if scope is None or not ids:
        return members
    visible = set(db().exec(select(Customer.id).where(Customer.tenant_id == tenant_id, Customer.id.in_(ids), scope)))
    return [m for m in members if not m.customer_id or m.customer_id in visible]


@bp.get("/<int:chat_pk>")
@role_required(*STAFF)
def detail(chat_pk: int):
    tenant = current_tenant()
    chat = db().exec(select(GroupChat).where(GroupChat.tenant_id == tenant.id, GroupChat.id == chat_pk)).first()
    if chat is None:
        abort(404)
    members = list(db().exec(select(GroupMember).where(GroupMember.tenant_id == tenant.id,
                                                       GroupMember.group_chat_id == chat.id)
                             .order_by(GroupMember.type, GroupMember.join_time, GroupMember.id)))
    shown = _visible_members(tenant.id, members)
    hidden, members = len(members) - len(shown), shown
    history = list(db().exec(assignment.records_query(tenant.id, assignment.RecordFilter()).where(
        assignment.GroupAssignment.group_chat_id == chat.id)))
    employees = _employees([chat.owner_employee_id, *(m.employee_id for m in members)])
    return render_template("wecom/groupchats/detail.html", chat=chat, members=members, hidden=hidden, history=history,
                           tag_groups=tags.tag_groups(db(), tenant.id),
                           chat_tags=tags.tags_by_chat(db(), tenant.id, [chat.id]).get(chat.id, []),
                           owner=employees.get(chat.owner_employee_id), employees=employees,
                           counts=today_counts(chat), account=find_account(db(), tenant.id, chat.account_id),
                           EMPLOYEE=MemberType.EMPLOYEE,
                           welcome_templates=group_welcome_templates(db(), tenant.id, chat.account_id))


# -- sync ----------------------------------------------------------------------------------------------------------------

@bp.post("/sync")
@role_required(*STAFF)
def start_sync():
    tenant = current_tenant()
    accounts = list_accounts(db(), tenant.id)
    wanted = _int_arg("account")
    account = next((a for a in accounts if wanted is None or a.id == wanted), None) or abort(404)
    run, created = sync.create_sync(db(), account, _operator())
    if created:
        audit_action("wecom.group_chats_sync", f"channel_account:{account.id}", run_id=run.id)
    db().commit()
    if created:
        jobs.sync_group_chats.send(tenant.id, run_id=run.id)
        flash(_("Group chat sync started."), "success")
    else:
        flash(_("A group chat sync of this account is already running."), "error")
    back = "unassigned" if request.form.get("back") == "unassigned" else "index"
    return redirect(url_for(f"wecom.groupchats.{back}"))


@bp.get("/syncs/<int:run_id>/progress")
@role_required(*STAFF)
def sync_progress(run_id: int):
    run = sync.find_sync(db(), current_tenant().id, run_id) or abort(404)
    return render_template("wecom/groupchats/_progress.html", run=run)
