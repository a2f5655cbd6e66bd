"""自定义菜单 pages, under ``/t/<tenant>/official_account/menus/`` (endpoints ``official_account.menus.*``): the default
menu's editor (保存 / 发布到微信 / 删除), the personalised menus (list, rule + menu editor, publish, delete) and the
click statistics (菜单分析) per account."""

from __future__ import annotations

import json
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from scrm.sdk import MenuItem, local_today
from scrm.sdk.web import (
    STAFF,
    audit_action,
    current_tenant,
    current_user,
    db,
    parse_int,
    platform,
    role_required,
)

from ..accounts import find_account, list_accounts
from ..materials import picker_choices
from . import labels, service
from . import tree as menu_tree
from .models import CONDITIONAL, PLATFORMS, Menu
from .tree import MenuInvalid

bp = Blueprint("menus", __name__, url_prefix="/menus", template_folder="../templates")
TABS = {"default": _l("Default menu"), "conditional": _l("Personalised menus"), "stats": _l("Menu analysis")}
PER_PAGE = 10
STATS_DAYS_MAX = 92


def menu_items(tenant, user):
    return [MenuItem(_l("Custom menus"), "official_account.menus.index", order=50, group="ops.official_account")]


def _by() -> str:
    user = current_user()
    return user.email if user is not None else "api"


def _account(account_id: int | None):
    tenant = current_tenant()
    if account_id:
        return find_account(db(), tenant.id, account_id) or abort(404)
    accounts = list_accounts(db(), tenant.id)
    return accounts[0] if accounts else None


def _form_account():
    return _account(parse_int(request.form.get("account_id"), 0) or -1)


def _client(account):
    from ..client import OAClient

    return OAClient.for_account(account, platform())


def _tree_from_form():
    try:
        return json.loads(request.form.get("tree") or "[]")
    except ValueError:
        return None


def _limits() -> dict:
    return {"top_max": menu_tree.TOP_MAX, "sub_max": menu_tree.SUB_MAX, "top_name_bytes": menu_tree.TOP_NAME_MAX_BYTES,
            "sub_name_chars": menu_tree.SUB_NAME_MAX_CHARS, "reply_max": menu_tree.REPLY_TEXT_MAX,
            "rule_name": menu_tree.RULE_NAME_MAX}


def _materials(account):
    choices = picker_choices(db(), current_tenant().id, account.id)
    return [m for kind in choices for m in choices[kind]]


def _upstream(exc: Exception) -> str:
    from ..client import OAUnavailable

    if isinstance(exc, service.MenuPublishError):
        return _("WeChat refused the menu: %(code)s %(message)s", code=exc.errcode, message=exc.errmsg)
    if isinstance(exc, OAUnavailable):
        return _("WeChat could not be reached: %(error)s", error=str(exc))
    raise exc


def _upstream_errors():
    from ..client import OAUnavailable

    return (service.MenuPublishError, OAUnavailable)


@bp.get("/")
@role_required(*STAFF)
def index():
    account = _account(parse_int(request.args.get("account_id"), 0))
    tab = request.args.get("tab", "default")
    if tab == "conditional":
        return _conditional_list(account)
    if tab == "stats":
        return _stats(account)
    menu = service.default_menu(db(), current_tenant().id, account.id) if account is not None else None
    return _default_page(account, menu, menu.tree if menu else [], [])


def _default_page(account, menu, tree, errors, status=200):
    tenant = current_tenant()
    conditional = (service.conditional_menus(db(), tenant.id, account.id, limit=1)[1]
                   if account is not None else 0)
    return render_template("official_account/menus/default.html", account=account,
                           accounts=list_accounts(db(), tenant.id), tab="default", tabs=TABS, menu=menu, tree=tree,
                           errors=errors, limits=_limits(), conditional_count=conditional,
                           materials=_materials(account) if account is not None else []), status


@bp.post("/default")
@role_required(*STAFF)
def save_default():
    account = _form_account()
    tenant = current_tenant()
    raw = _tree_from_form()
    try:
        menu = service.save_default(db(), tenant.id, account, raw, _by())
    except MenuInvalid as exc:
        db().rollback()
        menu = service.default_menu(db(), tenant.id, account.id)
        return _default_page(account, menu, raw if isinstance(raw, list) else [],
                             [labels.problem_message(p) for p in exc.problems], 422)
    audit_action("official_account.menu.save", f"menu:{menu.id}", account=account.id)
    db().commit()
    flash(_("Menu saved. It is not on WeChat until you publish it."), "success")
    return redirect(url_for(".index", account_id=account.id))


@bp.post("/default/publish")
@role_required(*STAFF)
def publish_default():
    account = _form_account()
    tenant = current_tenant()
    menu = service.default_menu(db(), tenant.id, account.id)
    if menu is None:
        return _default_page(account, None, [], [_("Save a menu before publishing it.")], 422)
    try:
        with _client(account) as client:
            service.publish_default(db(), client, menu)
    except MenuInvalid as exc:
        db().rollback()
        return _default_page(account, menu, menu.tree, [labels.problem_message(p) for p in exc.problems], 422)
    except _upstream_errors() as exc:
        message = _upstream(exc)
        db().commit()  # keeps last_error
        return _default_page(account, menu, menu.tree, [message], 502)
    audit_action("official_account.menu.publish", f"menu:{menu.id}", account=account.id)
    db().commit()
    flash(_("Menu published to WeChat. Fans see it within 24 hours or when they follow again."), "success")
    return redirect(url_for(".index", account_id=account.id))


@bp.post("/default/delete")
@role_required(*STAFF)
def delete_default():
    account = _form_account()
    tenant = current_tenant()
    try:
        with _client(account) as client:
            count = service.delete_all(db(), client, tenant.id, account.id)
    except _upstream_errors() as exc:
        db().rollback()
        flash(_upstream(exc), "error")
        return redirect(url_for(".index", account_id=account.id))
    audit_action("official_account.menu.delete_all", f"account:{account.id}", menus=count)
    db().commit()
    flash(_("The default menu and every personalised menu were deleted."), "success")
    return redirect(url_for(".index", account_id=account.id))


# -- personalised menus ---------------------------------------------------------------------------------------------

def _conditional_list(account):
    tenant = current_tenant()
    page = max(1, parse_int(request.args.get("page"), 1) or 1)
    name = (request.args.get("q") or "").strip()[:30]
    start, end = _day(request.args.get("from")), _day(request.args.get("to"))
    from scrm.sdk import date_span

    rows, total = ([], 0)
    if account is not None:
        rows, total = service.conditional_menus(
            db(), tenant.id, account.id, name=name, created_from=date_span(start).start if start else None,
            created_to=date_span(end).end if end else None, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    default = service.default_menu(db(), tenant.id, account.id) if account is not None else None
    return render_template("official_account/menus/conditional_list.html", account=account,
                           accounts=list_accounts(db(), tenant.id), tab="conditional", tabs=TABS, rows=rows,
                           total=total, page=page, pages=max(1, -(-total // PER_PAGE)), q=name,
                           date_from=request.args.get("from", ""), date_to=request.args.get("to", ""),
                           default=default, labels=labels)


def _day(raw):
    from datetime import date

    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _conditional_page(account, menu, values, tree, errors, status=200):
    tenant = current_tenant()
    return render_template("official_account/menus/conditional_form.html", account=account, menu=menu,
                           values=values, tree=tree, errors=errors, limits=_limits(), platforms=PLATFORMS,
                           tags=service.oa_tags(db(), tenant.id, account.id), materials=_materials(account),
                           labels=labels), status


def _menu_or_404(account, menu_id: int) -> Menu:
    menu = service.find_menu(db(), current_tenant().id, account.id, menu_id)
    if menu is None or menu.kind != CONDITIONAL:
        abort(404)
    return menu


@bp.get("/conditional/new")
@role_required(*STAFF)
def new_conditional():
    account = _account(parse_int(request.args.get("account_id"), 0)) or abort(404)
    return _conditional_page(account, None, {"name": "", "platform": "", "tag_id": ""}, [], [])


@bp.get("/conditional/<int:menu_id>")
@role_required(*STAFF)
def edit_conditional(menu_id: int):
    account = _account(parse_int(request.args.get("account_id"), 0)) or abort(404)
    menu = _menu_or_404(account, menu_id)
    values = {"name": menu.name, "platform": menu.platform, "tag_id": "" if menu.tag_id is None else menu.tag_id}
    return _conditional_page(account, menu, values, menu.tree, [])


@bp.post("/conditional")
@role_required(*STAFF)
def save_conditional():
    account = _form_account()
    tenant = current_tenant()
    menu_id = parse_int(request.form.get("menu_id"), 0)
    menu = _menu_or_404(account, menu_id) if menu_id else None
    raw = _tree_from_form()
    tag_raw = (request.form.get("tag_id") or "").strip()
    tag_id = parse_int(tag_raw, None) if tag_raw else None
    values = {"name": request.form.get("name", ""), "platform": request.form.get("platform", ""),
              "tag_id": tag_raw}
    if tag_raw and tag_id is None:
        tag_id = -1  # not a number: refused as not an OA tag
    try:
        menu = service.save_conditional(db(), tenant.id, account, menu=menu, name=values["name"],
                                        platform=values["platform"], tag_id=tag_id, raw=raw, by=_by())
    except MenuInvalid as exc:
        db().rollback()
        return _conditional_page(account, menu, values, raw if isinstance(raw, list) else [],
                                 [labels.problem_message(p) for p in exc.problems], 422)
    audit_action("official_account.menu.save", f"menu:{menu.id}", account=account.id, kind="conditional")
    db().commit()
    flash(_("Personalised menu saved (not in effect until published)."), "success")
    return redirect(url_for(".index", account_id=account.id, tab="conditional"))


@bp.post("/conditional/<int:menu_id>/publish")
@role_required(*STAFF)
def publish_conditional(menu_id: int):
    account = _form_account()
    menu = _menu_or_404(account, menu_id)
    try:
        with _client(account) as client:
            service.publish_conditional(db(), client, menu)
    except MenuInvalid as exc:
        db().rollback()
        flash(" ".join(labels.problem_message(p) for p in exc.problems), "error")
        return redirect(url_for(".index", account_id=account.id, tab="conditional"))
    except _upstream_errors() as exc:
        message = _upstream(exc)
        db().commit()
        flash(message, "error")
        return redirect(url_for(".index", account_id=account.id, tab="conditional"))
    audit_action("official_account.menu.publish", f"menu:{menu.id}", account=account.id, kind="conditional")
    db().commit()
    flash(_("Personalised menu published to WeChat."), "success")
    return redirect(url_for(".index", account_id=account.id, tab="conditional"))


@bp.post("/conditional/<int:menu_id>/delete")
@role_required(*STAFF)
def delete_conditional(menu_id: int):
    account = _form_account()
    menu = _menu_or_404(account, menu_id)
    try:
        with _client(account) as client:
            service.delete_conditional(db(), client, menu)
    except _upstream_errors() as exc:
        db().rollback()
        flash(_upstream(exc), "error")
        return redirect(url_for(".index", account_id=account.id, tab="conditional"))
    audit_action("official_account.menu.delete", f"menu:{menu_id}", account=account.id)
    db().commit()
    flash(_("Personalised menu deleted."), "success")
    return redirect(url_for(".index", account_id=account.id, tab="conditional"))


# -- 菜单分析 -----------------------------------------------------------------------------------------------------------

def _stats(account):
    tenant = current_tenant()
    today = local_today()
    end = _day(request.args.get("to")) or today
    start = _day(request.args.get("from")) or end - timedelta(days=6)
    error = ""
    if start > end or (end - start).days >= STATS_DAYS_MAX:
        error = _("Choose a range of at most %(days)s days, the start before the end.", days=STATS_DAYS_MAX)
        end, start = today, today - timedelta(days=6)
    stats = (service.click_stats(db(), tenant.id, account.id, start, end) if account is not None
             else {"days": [], "items": [], "total": 0})
    palette = ["#07c160", "#2f7cf6", "#f5a623", "#d64545", "#8e44ad", "#16a085"]
    chart = {"labels": [d.strftime("%m-%d") for d in stats["days"]],
             "datasets": [{"label": item["name"] or item["target"], "data": item["per_day"],
                           "backgroundColor": palette[i % len(palette)]}
                          for i, item in enumerate(stats["items"][:6])]}
    return render_template("official_account/menus/stats.html", account=account,
                           accounts=list_accounts(db(), tenant.id), tab="stats", tabs=TABS, stats=stats,
                           chart=chart, date_from=start.isoformat(), date_to=end.isoformat(), error=error,
                           labels=labels), 422 if error else 200


