"""Pages of enterprise Moments tasks, under ``/t/<tenant>/wecom/moments/`` (endpoints ``wecom.moments.*``)."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlmodel import select

from scrm.sdk import Customer, Tag, current_zone, format_local, local_datetime, tabular, zone_title
from scrm.sdk.web import STAFF, audit_action, current_tenant, current_user, db, platform, role_required
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import AccountNotConfigured, find_account, list_accounts
from ..client import WeComClient, WeComUnavailable
from ..rules import limits
from ..views.customer_links import customer_page_url
from . import autosync, behaviour, pages, records, results, service
from .models import MomentInteraction, MomentsRule, PublishMode, TaskStatus

log = logging.getLogger(__name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

bp = Blueprint("moments", __name__, url_prefix="/moments", template_folder="../templates")

TABS = tuple(service.TABS)


def _ints(name: str) -> list[int]:
    return [int(v) for v in request.form.getlist(name) if v.strip().isdigit()]


@bp.get("/")
@role_required(*STAFF)
def index():
    tenant = current_tenant()
    tab = request.args.get("tab", "")
    tab = tab if tab in TABS else ""
    tasks = service.newest_first(db(), tenant.id, tab or None)
    stats = service.summaries(db(), tenant.id, [t.id for t in tasks])
    rules = limits(db(), tenant.id)
    return render_template("wecom/moments/index.html", tasks=tasks, stats=stats, tab=tab, tabs=TABS,
                           counts=service.tab_counts(db(), tenant.id),
                           month_used=service.month_used(db(), tenant.id), rules=rules)


def _form_context(values: dict, errors: dict) -> dict:
    tenant = current_tenant()
    rules = limits(db(), tenant.id)
    return {"values": values, "errors": errors, "max_text": service.MAX_TEXT,
            "accounts": [a for a in list_accounts(db(), tenant.id) if a.active],
            "employees": service.permitted_employees(db(), tenant.id), "tags": service.wecom_tags(db(), tenant.id),
            "month_left": service.month_left(db(), tenant.id), "rules": rules,
            "materials": service.material_choices(db(), tenant.id), "max_images": service.MAX_IMAGES,
            "zone": current_zone().key}


def _publish_at(raw: str) -> datetime | None:
    """A ``datetime-local`` value read in the brand's time zone; None when empty or not a time."""
    try:
        moment = datetime.fromisoformat(raw.strip()) if raw.strip() else None
    except ValueError:
        return None
    return local_datetime(moment.date(), moment.time().replace(tzinfo=None)) if moment else None


@bp.route("/new", methods=["GET", "POST"])
@role_required(*STAFF)
def create():
    tenant = current_tenant()
    if request.method == "GET":
        empty = {"account_id": None, "text": "", "link_title": "", "link_url": "", "employee_ids": [],
                 "tag_ids": [], "with_link": False, "material_ids": [], "target": service.TARGET_WECOM,
                 "mode": PublishMode.NOW.value, "publish_at": ""}
        return render_template("wecom/moments/form.html", **_form_context(empty, {}))
    form = request.form
    account = form.get("account_id", "").strip()
    raw = {"account_id": int(account) if account.isdigit() else None, "text": form.get("text", ""),
           "link_title": form.get("link_title", "") if form.get("with_link") else "",
           "link_url": form.get("link_url", "") if form.get("with_link") else "",
           "employee_ids": _ints("employee_ids"), "tag_ids": _ints("tag_ids"), "material_ids": _ints("material_ids"),
           "target": form.get("target", service.TARGET_WECOM), "mode": form.get("mode", PublishMode.NOW.value),
           "publish_at": _publish_at(form.get("publish_at", ""))}
    try:
        values = service.validate(db(), tenant.id, service.MomentInput(**raw))
    except service.MomentError as exc:
        db().rollback()
        context = _form_context({**raw, "with_link": bool(form.get("with_link")),
                                 "publish_at": form.get("publish_at", "")}, exc.fields)
        return render_template("wecom/moments/form.html", **context), 422
    user = current_user()
    task = service.create(db(), tenant.id, values, created_by=user.email if user else "")
    audit_action("wecom.moments.create", f"moment_task:{task.id}")
    db().commit()
    if task.status == TaskStatus.QUEUED:
        from .jobs import poll_moments

        poll_moments.send(tenant.id)
        flash(_("Moments task created: WeCom is preparing it for the employees."), "success")
    elif task.status == TaskStatus.SCHEDULED:
        flash(_("Moments post scheduled for %(at)s.", at=format_local(task.publish_at)), "success")
    else:
        flash(_("Published on the employees' Moments pages."), "success")
    return redirect(url_for(".detail", task_id=task.id))


@bp.post("/<int:task_id>/delete")
@role_required(*STAFF)
def delete(task_id: int):
    """Take the post off every employee's Moments page (a scheduled one is cancelled)."""
    tenant = current_tenant()
    task = service.get(db(), tenant.id, task_id) or abort(404)
    kept = task.to_wecom and task.status != TaskStatus.SCHEDULED
    service.delete_post(db(), task)
    audit_action("wecom.moments.delete", f"moment_task:{task_id}")
    db().commit()
    if kept:
        flash(_("Taken off the employees' Moments pages. WeCom keeps the Moment itself."), "success")
        return redirect(url_for(".detail", task_id=task_id))
    flash(_("Moments post deleted."), "success")
    return redirect(url_for(".index"))


@bp.get("/<int:task_id>")
@role_required(*STAFF)
def detail(task_id: int):
    tenant = current_tenant()
    task = service.get(db(), tenant.id, task_id) or abort(404)
    senders = service.senders_of(db(), task)
    interactions = list(db().exec(select(MomentInteraction).where(MomentInteraction.task_id == task.id)
                                  .order_by(MomentInteraction.happened_at.desc()).limit(200)))
    names = {e.userid: e.name for _s, e in senders}
    ids = sorted({i.customer_id for i in interactions if i.customer_id})
    customers = {cid: name for cid, name in db().exec(
        select(Customer.id, Customer.name).where(Customer.tenant_id == tenant.id, Customer.id.in_(ids)))}
    return render_template("wecom/moments/detail.html", task=task, senders=senders, interactions=interactions,
                           names=names, customers=customers, tags=service.tags_by_id(db(), tenant.id, task.tag_ids),
                           stats=service.summaries(db(), tenant.id, [task.id])[task.id],
                           profile_url=lambda cid: customer_page_url("detail", cid) if cid else None)


@bp.post("/<int:task_id>/refresh")
@role_required(*STAFF)
def refresh(task_id: int):
    """Read the task's state from WeCom now (creation, publish results, comments and likes)."""
    tenant = current_tenant()
    task = service.get(db(), tenant.id, task_id) or abort(404)
    account = find_account(db(), tenant.id, task.account_id) or abort(404)
    try:
        with WeComClient.for_account(account, platform()) as client:
            if task.status == TaskStatus.QUEUED:
                results.submit(db(), client, task)
            if task.status == TaskStatus.CREATING:
                results.check(db(), client, task)
            if task.status == TaskStatus.CREATED:
                results.refresh(db(), client, task)
    except (WeComUnavailable, AccountNotConfigured, WeChatAPIError) as exc:
        db().rollback()
        log.warning("Moments task %s not refreshed: %s", task_id, exc)
        flash(_("WeCom could not be read: %(error)s", error=str(exc)), "error")
        return redirect(url_for(".detail", task_id=task_id))
    audit_action("wecom.moments.refresh", f"moment_task:{task_id}")
    db().commit()
    flash(_("Results read from WeCom."), "success")
    return redirect(url_for(".detail", task_id=task_id))


@bp.get("/employees")
@role_required(*STAFF)
def employees():
    """员工朋友圈: each employee's page link, customer views, content count and last publish time."""
    tenant = current_tenant()
    name, sort = request.args.get("name", ""), request.args.get("sort", "views")
    sort = sort if sort in pages.SORTS else "views"
    rows = pages.rows(db(), tenant.id, name=name, sort=sort)
    without = pages.without_permission(db(), tenant.id, name=name)
    db().commit()  # pages made on first listing
    return render_template("wecom/moments/employees.html", rows=rows, name=name, sort=sort, tenant_slug=tenant.slug,
                           without_permission=without)


@bp.get("/employees/links.<any(csv, xlsx):fmt>")
@role_required(*STAFF)
def export_links(fmt: str):
    """导出链接: every employee of the list (the current search) with their link and counters, CSV or XLSX."""
    tenant = current_tenant()
    rows = pages.rows(db(), tenant.id, name=request.args.get("name", ""), sort=request.args.get("sort", "views"))
    titles = [_("Employee"), _("Employee ID"), _("Link"), _("Customer views"), _("Posts"),
              zone_title(_("Last published"))]
    cells = [[r.employee.name, r.employee.userid,
              url_for("wecom_public.moments.page", tenant=tenant.slug, token=r.page.token, _external=True),
              r.page.views, r.posts, format_local(r.last_published, "%Y-%m-%d %H:%M:%S", "")] for r in rows]
    audit_action("wecom.moments.export_links", fmt, rows=len(cells))
    db().commit()
    name = f"moments-links-{tenant.slug}.{fmt}"
    if fmt == "xlsx":
        return send_file(tabular.xlsx_file(titles, cells, sheet=_("Employee Moments")), as_attachment=True,
                         download_name=name, mimetype=XLSX)
    return Response(tabular.csv_text(titles, cells), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


RECORD_PAGE_SIZES = (10, 20, 50)


def _record_args() -> dict:
    status = request.args.get("status", "")
    create_type = request.args.get("type", "")
    per_page = request.args.get("per_page", "")
    per_page = int(per_page) if per_page.isdigit() and int(per_page) in RECORD_PAGE_SIZES else RECORD_PAGE_SIZES[0]
    page = request.args.get("page", "")
    return {"status": status if status in ("synced", "unsynced") else "",
            "create_type": create_type if create_type in ("0", "1") else "", "per_page": per_page,
            "page": int(page) if page.isdigit() and int(page) > 0 else 1}


@bp.get("/records")
@role_required(*STAFF)
def wecom_records():
    """企微朋友圈: the Moments read from WeCom, enterprise and personal, with their sync state."""
    tenant, args = current_tenant(), _record_args()
    rows, total = records.listing(db(), tenant.id, **args)
    names = {e.id: e for e in records.employees_by_id(db(), tenant.id, [r.employee_id for r in rows])}
    return render_template("wecom/moments/records.html", rows=rows, total=total, names=names,
                           pages=max(1, -(-total // args["per_page"])), page_sizes=RECORD_PAGE_SIZES,
                           fetch_days=records.FETCH_DAYS, content_labels=records.CONTENT_LABELS,
                           type_labels=records.TYPE_LABELS, **args)


@bp.post("/records/fetch")
@role_required(*STAFF)
def fetch_records():
    """同步企微朋友圈记录: read the last month of Moments of every active account from WeCom."""
    tenant = current_tenant()
    read = new = 0
    try:
        for account in (a for a in list_accounts(db(), tenant.id) if a.active):
            with WeComClient.for_account(account, platform()) as client:
                result = records.fetch(db(), client, account)
            read, new = read + result.read, new + result.new
    except (WeComUnavailable, AccountNotConfigured, WeChatAPIError) as exc:
        db().rollback()
        log.warning("WeCom Moments records of tenant %s not read: %s", tenant.id, exc)
        flash(_("WeCom could not be read: %(error)s", error=str(exc)), "error")
        return redirect(url_for(".wecom_records"))
    audit_action("wecom.moments.fetch_records", "moment_records", read=read, new=new)
    db().commit()
    flash(_("%(read)s Moments read from WeCom, %(new)s new.", read=read, new=new), "success")
    return redirect(url_for(".wecom_records"))


@bp.post("/records/sync")
@role_required(*STAFF)
def sync_records():
    """同步至历史朋友圈: the selected unsynced records go onto their creator's Moments page."""
    tenant = current_tenant()
    ids = _ints("record_ids")
    if not ids:
        flash(_("Select at least one record."), "error")
        return redirect(url_for(".wecom_records"))
    done = records.sync_to_history(db(), tenant.id, ids)
    audit_action("wecom.moments.sync_records", "moment_records", synced=done)
    db().commit()
    flash(_("%(n)s Moments synced to the employees' Moments pages.", n=done), "success")
    return redirect(url_for(".wecom_records"))


@bp.get("/records.<any(csv, xlsx):fmt>")
@role_required(*STAFF)
def export_records(fmt: str):
    """The records of the current filters (all pages), CSV or XLSX."""
    tenant, args = current_tenant(), _record_args()
    rows, _total = records.listing(db(), tenant.id, status=args["status"], create_type=args["create_type"],
                                   page=1, per_page=100_000)
    names = {e.id: e.name for e in records.employees_by_id(db(), tenant.id, [r.employee_id for r in rows])}
    titles = [_("Moment ID"), _("Content"), _("Moments type"), _("Publish type"), _("Creator"),
              zone_title(_("Created at")), _("Sync status")]
    cells = [[r.moment_id, r.text or (r.link or {}).get("url", ""), str(records.CONTENT_LABELS[r.content_type]),
              str(records.TYPE_LABELS[r.create_type]), names.get(r.employee_id, r.creator_userid),
              format_local(r.created_in_wecom_at, "%Y-%m-%d %H:%M:%S", ""),
              _("Synced") if r.synced_at else _("Not synced")] for r in rows]
    audit_action("wecom.moments.export_records", fmt, rows=len(cells))
    db().commit()
    name = f"moments-records-{tenant.slug}.{fmt}"
    if fmt == "xlsx":
        return send_file(tabular.xlsx_file(titles, cells, sheet=_("WeCom Moments")), as_attachment=True,
                         download_name=name, mimetype=XLSX)
    return Response(tabular.csv_text(titles, cells), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _rules_context(values: dict, errors: dict) -> dict:
    tenant = current_tenant()
    rules = behaviour.rules_of(db(), tenant.id)
    tag_ids = sorted({t for r in rules for t in r.tag_ids})
    names = {t.id: t.name for t in service.tags_by_id(db(), tenant.id, tag_ids)}
    due = autosync.next_run(db(), tenant.id)
    return {"auto_sync": autosync.auto_sync_on(db(), tenant.id), "zone": current_zone().key,
            "auto_sync_next": format_local(due) if due else "",
            "rule_tags": {r.id: "、".join(names[t] for t in r.tag_ids if t in names) for r in rules},"rules": rules, "hits": behaviour.hit_counts(db(), tenant.id), "values": values, "errors": errors,
            "tags": list(db().exec(select(Tag).where(Tag.tenant_id == tenant.id).order_by(Tag.group_id, Tag.id)))}


@bp.get("/settings")
@role_required(*STAFF)
def settings():
    """朋友圈设置: the customer behaviour rules (§2.1.2)."""
    return render_template("wecom/moments/settings.html",
                           **_rules_context({"threshold": "", "score": "", "tag_ids": []}, {}))


@bp.post("/settings/rules")
@role_required(*STAFF)
def add_rule():
    tenant = current_tenant()
    raw = {"threshold": request.form.get("threshold", ""), "score": request.form.get("score", ""),
           "tag_ids": _ints("tag_ids")}
    user = current_user()
    try:
        rule = behaviour.create(db(), tenant.id, behaviour.RuleInput(**raw), created_by=user.email if user else "")
    except behaviour.RuleError as exc:
        db().rollback()
        return render_template("wecom/moments/settings.html", **_rules_context(raw, exc.fields)), 422
    audit_action("wecom.moments.rule_create", f"moments_rule:{rule.id}")
    db().commit()
    flash(_("Behaviour rule added."), "success")
    return redirect(url_for(".settings"))


@bp.post("/settings/rules/<int:rule_id>/delete")
@role_required(*STAFF)
def delete_rule(rule_id: int):
    tenant = current_tenant()
    rule = db().get(MomentsRule, rule_id)
    if rule is None or rule.tenant_id != tenant.id:
        abort(404)
    db().delete(rule)
    audit_action("wecom.moments.rule_delete", f"moments_rule:{rule_id}")
    db().commit()
    flash(_("Behaviour rule deleted."), "success")
    return redirect(url_for(".settings"))


@bp.post("/settings/auto-sync")
@role_required(*STAFF)
def save_auto_sync():
    """自动同步企微朋友圈 (§2.1.1): on arms the sync at 00:00 and 12:00 of the brand's time zone, off cancels it."""
    tenant = current_tenant()
    on = request.form.get("auto_sync") == "1"
    autosync.set_auto_sync(db(), tenant.id, on)
    audit_action("wecom.moments.auto_sync", "moments_settings", on=on)
    db().commit()
    flash(_("Automatic sync turned on.") if on else _("Automatic sync turned off."), "success")
    return redirect(url_for(".settings"))
