"""Pages of the WeCom sync under ``/t/<tenant>/wecom/sync/`` (endpoints ``wecom.sync.*``): runs with an htmx-polled
progress bar, the daily schedule, and the WeCom corp tags (create, rename, delete, reconcile)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import select

from scrm.sdk import ScheduledJob, Tag
from scrm.sdk.web import (
    ADMIN,
    STAFF,
    audit_action,
    current_tenant,
    current_user,
    db,
    parse_int,
    platform,
    role_required,
)
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import AccountNotConfigured, find_account, list_accounts, record_config_error
from ..client import WeComClient, WeComUnavailable
from ..rules.capacity import capacity_of
from . import jobs, runner, wecom_tags

bp = Blueprint("sync", __name__, url_prefix="/sync", template_folder="../templates")

UPSTREAM_ERRORS = (WeChatAPIError, WeComUnavailable, AccountNotConfigured)


def _account_or_404(account_id: int):
    return find_account(db(), current_tenant().id, account_id) or abort(404)


def _chosen_account(accounts):
    """The account named by ``?account=`` (404 if it is not the tenant's), else the first one."""
    raw = request.values.get("account")
    if raw is None:
        return accounts[0] if accounts else None
    wanted = parse_int(raw)
    return next((a for a in accounts if a.id == wanted), None) or abort(404)


def _daily_enabled(tenant_id: int, account_id: int) -> bool:
    key = jobs.schedule_key(tenant_id, account_id)
    row = db().exec(select(ScheduledJob.status).where(ScheduledJob.key == key)).first()
    return row is not None and row not in ("cancelled", "done")


def _user_id() -> int | None:
    user = current_user()
    return getattr(user, "id", None)


def _requested_by() -> str:
    user = current_user()
    return user.email if user is not None else "api"


@bp.get("/")
@role_required(*ADMIN)
def index():
    tenant = current_tenant()
    accounts = list_accounts(db(), tenant.id)
    account = _chosen_account(accounts)
    runs = runner.latest_runs(db(), tenant.id, account.id) if account is not None else []
    capacity = capacity_of(db(), tenant.id)
    return render_template("wecom/sync/index.html", accounts=accounts, account=account, runs=runs,
                           current=runs[0] if runs else None, capacity=capacity,
                           flagged=sum(1 for r in capacity if r.near_cap or r.adds_reached),
                           daily=_daily_enabled(tenant.id, account.id) if account is not None else False)


@bp.post("/<int:account_id>/run")
@role_required(*ADMIN)
def start(account_id: int):
    account = _account_or_404(account_id)
    kind = request.form.get("kind", runner.FULL)
    if kind not in (runner.FULL, runner.TAGS):
        abort(400)
    run, created = runner.create_run(db(), account, kind, _requested_by())
    if created:
        audit_action("wecom.sync_started", f"channel_account:{account.id}", kind=kind, run_id=run.id)
    db().commit()
    if created:
        jobs.run_sync.send(account.tenant_id, run_id=run.id)
        flash(_("Sync started."), "success")
    else:
        flash(_("A sync of this account is already running."), "error")
    return redirect(url_for("wecom.sync.index", account=account.id))


@bp.get("/runs/<int:run_id>/progress")
@role_required(*ADMIN)
def progress(run_id: int):
    run = runner.find_run(db(), current_tenant().id, run_id) or abort(404)
    return render_template("wecom/sync/_progress.html", run=run)


@bp.post("/<int:account_id>/daily")
@role_required(*ADMIN)
def daily(account_id: int):
    account = _account_or_404(account_id)
    if request.form.get("enabled") == "1":
        jobs.enable_daily(db(), account.tenant_id, account.id)
        message = _("The daily full sync is on.")
    else:
        jobs.disable_daily(db(), account.tenant_id, account.id)
        message = _("The daily full sync is off.")
    audit_action("wecom.sync_daily", f"channel_account:{account.id}", enabled=request.form.get("enabled") == "1")
    db().commit()
    flash(message, "success")
    return redirect(url_for("wecom.sync.index", account=account.id))


# -- WeCom tags --------------------------------------------------------------------------------------------------------


def _tags_page(account, errors: dict[str, str] | None = None, form: dict | None = None, status: int = 200):
    tenant = current_tenant()
    groups = wecom_tags.wecom_groups(db(), tenant.id)
    tags = wecom_tags.wecom_tags(db(), tenant.id)
    by_group: dict[int, list[Tag]] = {g.id: [] for g in groups}
    for tag in tags:
        by_group.setdefault(tag.group_id, []).append(tag)
    return render_template("wecom/sync/tags.html", account=account, accounts=list_accounts(db(), tenant.id),
                           groups=groups, by_group=by_group, errors=errors or {}, form=form or {},
                           max_tag=wecom_tags.TAG_NAME_MAX, max_group=wecom_tags.GROUP_NAME_MAX), status


def _upstream(exc: Exception, account) -> str:
    if isinstance(exc, WeChatAPIError):
        record_config_error(db(), account, exc.errcode, exc.errmsg or "")
        db().commit()
        return _("WeCom refused the request: %(code)s %(message)s", code=exc.errcode, message=exc.errmsg or "")
    if isinstance(exc, AccountNotConfigured):
        return _("The WeCom account has no customer-contact secret: complete its settings first.")
    return _("WeCom could not be reached: %(error)s", error=str(exc))


@bp.get("/tags")
@role_required(*STAFF)
def tags():
    account = _chosen_account(list_accounts(db(), current_tenant().id))
    return _tags_page(account)


def _row_or_404(kind: str, row_id: int):
    tenant_id = current_tenant().id
    if kind == "tag":
        return wecom_tags.find_tag(db(), tenant_id, row_id) or abort(404)
    if kind == "group":
        return wecom_tags.find_group(db(), tenant_id, row_id) or abort(404)
    abort(404)


@bp.post("/tags/new")
@role_required(*STAFF)
def new_tags():
    tenant = current_tenant()
    account = _chosen_account(list_accounts(db(), tenant.id)) or abort(404)
    form = {"group_id": request.form.get("group_id", ""), "group_name": request.form.get("group_name", ""),
            "names": request.form.get("names", "")}
    group = None
    if form["group_id"]:
        group_id = parse_int(form["group_id"], low=1)
        if group_id is None:
            return _tags_page(account, {"group": _("Choose a group.")}, form, 422)
        group = wecom_tags.find_group(db(), tenant.id, group_id)
        if group is None:
            return _tags_page(account, {"group": _("Choose a group.")}, form, 422)
    names = form["names"].replace("\r", "").split("\n")
    try:
        with WeComClient.for_account(account, platform()) as client:
            created = wecom_tags.create_tags(db(), client, tenant.id, names, group=group,
                                             group_name=form["group_name"])
    except wecom_tags.TagInputError as exc:
        db().rollback()
        return _tags_page(account, exc.fields, form, 422)
    except UPSTREAM_ERRORS as exc:
        db().rollback()
        return _tags_page(account, {"wecom": _upstream(exc, account)}, form, 422)
    audit_action("wecom.tags_created", f"tag_group:{created[0].group_id}", names=[t.name for t in created])
    wecom_tags.catalog_changed(db(), tenant.id, created, "created", _user_id())
    db().commit()
    flash(_("Tags created in WeCom."), "success")
    return redirect(url_for("wecom.sync.tags", account=account.id))


@bp.post("/tags/<kind>/<int:row_id>/rename")
@role_required(*STAFF)
def rename(kind: str, row_id: int):
    row = _row_or_404(kind, row_id)
    account = _chosen_account(list_accounts(db(), current_tenant().id)) or abort(404)
    name = request.form.get("name", "")
    try:
        with WeComClient.for_account(account, platform()) as client:
            wecom_tags.rename(db(), client, row, name)
    except wecom_tags.TagInputError as exc:
        db().rollback()
        return _tags_page(account, {f"{kind}-{row_id}": next(iter(exc.fields.values()))}, {}, 422)
    except UPSTREAM_ERRORS as exc:
        db().rollback()
        return _tags_page(account, {"wecom": _upstream(exc, account)}, {}, 422)
    audit_action("wecom.tag_renamed", f"{'tag' if kind == 'tag' else 'tag_group'}:{row_id}", name=name.strip())
    if kind == "tag":
        wecom_tags.catalog_changed(db(), row.tenant_id, [row], "updated", _user_id())
    db().commit()
    flash(_("Renamed in WeCom."), "success")
    return redirect(url_for("wecom.sync.tags", account=account.id))


@bp.post("/tags/<kind>/<int:row_id>/delete")
@role_required(*STAFF)
def delete(kind: str, row_id: int):
    row = _row_or_404(kind, row_id)
    account = _chosen_account(list_accounts(db(), current_tenant().id)) or abort(404)
    try:
        with WeComClient.for_account(account, platform()) as client:
            wecom_tags.delete(db(), client, row)
    except UPSTREAM_ERRORS as exc:
        db().rollback()
        return _tags_page(account, {"wecom": _upstream(exc, account)}, {}, 422)
    audit_action("wecom.tag_deleted", f"{'tag' if kind == 'tag' else 'tag_group'}:{row_id}")
    db().commit()
    flash(_("Deleted in WeCom."), "success")
    return redirect(url_for("wecom.sync.tags", account=account.id))

