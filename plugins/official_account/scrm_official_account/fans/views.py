"""用户管理 (user management) under ``/t/<tenant>/official_account/fans/`` (endpoints ``official_account.fans.*``):
the visitor and fan lists, the fan detail, the follower sync with its progress, and the account's OA tags."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from scrm.sdk import MenuItem
from scrm.sdk.web import (
    ADMIN,
    STAFF,
    audit_action,
    current_tenant,
    current_user,
    db,
    platform,
    role_required,
    tenant_hooks,
)
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import find_account, list_accounts
from ..client import OAClient, OAUnavailable
from . import jobs, labels, service, sync  # noqa: F401  (labels: the area's code labels)
from .models import FanSyncRun, OATag

bp = Blueprint("fans", __name__, url_prefix="/fans")

TAG_ERRORS = {
    "name_required": _l("Enter a tag name."),
    "name_too_long": _l("A tag name is at most 30 bytes (10 Chinese characters)."),
    "name_taken": _l("This account already has a tag with this name."),
    "too_many_tags": _l("An official account has at most 100 tags of its own."),
    "reserved_tag": _l("WeChat's reserved tags cannot be changed."),
    "fan_has_too_many_tags": _l("A fan carries at most 20 tags."),
}


def menu_items(tenant, user):
    return [MenuItem(_l("User management"), "official_account.fans.index", order=30, group="ops.official_account")]


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _int(raw: str | None) -> int | None:
    try:
        value = int(raw) if raw not in (None, "") else None
    except ValueError:
        return None
    return value if value is None or 0 < value < 2**31 else None


def _account_or_404(account_id: int):
    return find_account(db(), current_tenant().id, account_id) or abort(404)


def _requested_by() -> str:
    user = current_user()
    return user.email if user is not None else "api"


def profile_url(customer_id: int | None) -> str | None:
    """The customer's 360 profile when the members plugin is enabled (found by endpoint, never imported)."""
    endpoint = "members.customers.detail"
    if customer_id is None or "members" not in tenant_hooks().enabled or endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, customer_id=customer_id)


@bp.get("/")
@role_required(*STAFF)
def index():
    tenant = current_tenant()
    accounts = list_accounts(db(), tenant.id, enabled_only=False)
    tab = request.args.get("tab", service.FOLLOWERS)
    if tab not in (service.FOLLOWERS, service.VISITORS):
        tab = service.FOLLOWERS
    account_id = _int(request.args.get("account"))
    if account_id is not None and all(a.id != account_id for a in accounts):
        abort(404)
    filters = service.FanFilter(tab=tab, account_id=account_id, q=(request.args.get("q") or "")[:100],
                                visit_from=_date(request.args.get("visit_from")),
                                visit_to=_date(request.args.get("visit_to")))
    page = _int(request.args.get("page")) or 1
    rows, total = service.list_fans(db(), tenant.id, filters, page)
    names = {a.id: a.name for a in accounts}
    args = {k: v for k, v in {"tab": tab, "account": account_id or "", "q": filters.q,
                              "visit_from": request.args.get("visit_from") or "",
                              "visit_to": request.args.get("visit_to") or ""}.items() if v}
    return render_template("official_account/fans/index.html", rows=rows, total=total, filters=filters,
                           accounts=accounts, names=names, page=page, page_size=service.PAGE_SIZE, args=args,
                           counts=service.counts(db(), tenant.id, account_id), profile_url=profile_url)


@bp.get("/<int:fan_id>")
@role_required(*STAFF)
def detail(fan_id: int):
    fan = service.find_fan(db(), current_tenant().id, fan_id) or abort(404)
    account = _account_or_404(fan.account_id)
    info = service.fan_detail(db(), fan)
    return render_template("official_account/fans/detail.html", fan=fan, account=account,
                           tags=service.account_tags(db(), fan.tenant_id, fan.account_id), profile_url=profile_url,
                           **info)


@bp.get("/sync")
@role_required(*ADMIN)
def sync_page():
    tenant = current_tenant()
    accounts = list_accounts(db(), tenant.id)
    account_id = _int(request.args.get("account"))
    account = next((a for a in accounts if a.id == account_id), None) if account_id else \
        (accounts[0] if accounts else None)
    if account_id and account is None:
        abort(404)
    runs = sync.latest_runs(db(), tenant.id, account.id) if account else []
    resumable = sync.resumable_run(db(), tenant.id, account.id) if account else None
    return render_template("official_account/fans/sync.html", accounts=accounts, account=account, runs=runs,
                           resumable=resumable,
                           tags=service.account_tags(db(), tenant.id, account.id) if account else [],
                           errors=TAG_ERRORS)


@bp.post("/sync/<int:account_id>")
@role_required(*ADMIN)
def start_sync(account_id: int):
    account = _account_or_404(account_id)
    tenant_id = account.tenant_id
    if sync.active_run(db(), tenant_id, account.id) is not None:
        flash(_("A fan sync of this account is already running."), "error")
        return redirect(url_for("official_account.fans.sync_page", account=account.id))
    run = sync.resumable_run(db(), tenant_id, account.id)
    if run is not None and request.form.get("resume") == "1":
        run.status = sync.QUEUED
        message = _("The fan sync continues where it stopped.")
    else:
        run = FanSyncRun(tenant_id=tenant_id, account_id=account.id, requested_by=_requested_by()[:200])
        message = _("Fan sync started.")
    db().add(run)
    db().flush()
    audit_action("official_account.fan_sync", f"channel_account:{account.id}", run_id=run.id)
    db().commit()
    jobs.run_fan_sync.send(tenant_id, run_id=run.id)
    flash(message, "success")
    return redirect(url_for("official_account.fans.sync_page", account=account.id))


@bp.get("/sync/runs/<int:run_id>")
@role_required(*ADMIN)
def run_progress(run_id: int):
    run = db().get(FanSyncRun, run_id)
    if run is None or run.tenant_id != current_tenant().id:
        abort(404)
    return render_template("official_account/fans/_run.html", run=run)


def _client(account) -> OAClient:
    return OAClient.for_account(account, platform(), backoff=(0.5,))


def _tag_failure(exc: Exception, account_id: int):
    if isinstance(exc, service.TagError):
        flash(str(TAG_ERRORS.get(str(exc), exc)), "error")
    elif isinstance(exc, WeChatAPIError):
        db().rollback()
        flash(_("WeChat refused the change (error %(code)s).", code=exc.errcode), "error")
    else:
        db().rollback()
        flash(_("WeChat cannot be reached now; nothing was changed."), "error")
    return redirect(url_for("official_account.fans.sync_page", account=account_id)), 422


@bp.post("/tags/<int:account_id>/pull")
@role_required(*ADMIN)
def pull_tags(account_id: int):
    account = _account_or_404(account_id)
    try:
        with _client(account) as client:
            count = service.pull_tags(db(), account, client)
    except (WeChatAPIError, OAUnavailable) as exc:
        return _tag_failure(exc, account.id)
    db().commit()
    flash(_("%(n)s OA tags read from WeChat.", n=count), "success")
    return redirect(url_for("official_account.fans.sync_page", account=account.id))


@bp.post("/tags/<int:account_id>")
@role_required(*ADMIN)
def create_tag(account_id: int):
    account = _account_or_404(account_id)
    try:
        with _client(account) as client:
            tag = service.create_tag(db(), account, client, request.form.get("name", ""))
    except (service.TagError, WeChatAPIError, OAUnavailable) as exc:
        return _tag_failure(exc, account.id)
    audit_action("official_account.tag_created", f"official_account_tag:{tag.id}", name=tag.name)
    db().commit()
    flash(_("OA tag created."), "success")
    return redirect(url_for("official_account.fans.sync_page", account=account.id))


def _tag_or_404(tag_id: int) -> OATag:
    tag = db().get(OATag, tag_id)
    if tag is None or tag.tenant_id != current_tenant().id:
        abort(404)
    return tag


@bp.post("/tags/edit/<int:tag_id>")
@role_required(*ADMIN)
def edit_tag(tag_id: int):
    tag = _tag_or_404(tag_id)
    account = _account_or_404(tag.account_id)
    try:
        with _client(account) as client:
            if request.form.get("delete") == "1":
                service.delete_tag(db(), account, client, tag)
            else:
                service.rename_tag(db(), account, client, tag, request.form.get("name", ""))
    except (service.TagError, WeChatAPIError, OAUnavailable) as exc:
        return _tag_failure(exc, account.id)
    db().commit()
    flash(_("OA tags saved."), "success")
    return redirect(url_for("official_account.fans.sync_page", account=account.id))


@bp.post("/<int:fan_id>/tags")
@role_required(*STAFF)
def tag_fan(fan_id: int):
    fan = service.find_fan(db(), current_tenant().id, fan_id) or abort(404)
    account = _account_or_404(fan.account_id)
    tag = _tag_or_404(_int(request.form.get("tag_id")) or 0)
    if tag.account_id != account.id:
        abort(404)
    try:
        with _client(account) as client:
            service.tag_fan(db(), account, client, fan, tag, untag=request.form.get("untag") == "1")
    except (service.TagError, WeChatAPIError, OAUnavailable) as exc:
        response, status = _tag_failure(exc, account.id)
        return redirect(url_for("official_account.fans.detail", fan_id=fan.id)), status
    db().commit()
    flash(_("OA tags saved."), "success")
    return redirect(url_for("official_account.fans.detail", fan_id=fan.id))
