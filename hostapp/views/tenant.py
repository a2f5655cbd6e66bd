"""A tenant's own pages: home, customers, plugins and their settings, API tokens, audit log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func
from sqlmodel import select

from scrm.core.models import ApiToken, AuditLog, Role, User
from scrm.core.plugins.enablement import (
    EnablementError,
    disable_plugin,
    enable_plugin,
    tenant_settings,
    update_settings,
)
from scrm.core.plugins.registry import PluginStatus
from scrm.core.services import audit
from scrm.core.services.scoping import scoped
from scrm.core.services.tokens import issue_token

from .. import home
from ..auth import role_required
from ..pagination import keyset_page
from ..platform_ext import db, platform
from ..settings_form import form_fields, parse_form

bp = Blueprint("tenant", __name__)
ADMIN = (Role.TENANT_ADMIN,)
STAFF = (Role.TENANT_ADMIN, Role.OPERATOR)


def _audit(action: str, target: str = "", **detail) -> None:
    audit.record(db(), action, tenant_id=g.tenant.id, user_id=g.user.id, actor=g.user.email, target=target,
                 detail=detail, ip=request.remote_addr)


@bp.get("/")
def dashboard():
    cards = sorted(g.hooks.contribute("dashboard_cards", tenant=g.tenant, user=g.user, session=db()),
                   key=lambda c: c.order)
    year, month = home.parse_month(request.args.get("month"))
    return render_template("tenant/dashboard.html", cards=cards,
                           todo=home.todo_list(g.hooks, g.tenant, g.user, db()),
                           calendar=home.calendar_month(g.hooks, g.tenant, db(), year, month),
                           articles=home.latest_articles(db(), g.tenant.id))


@bp.get("/calendar")
def calendar():
    """The marketing calendar's page: the month of ``day`` and what that day holds (festivals, the official
    holiday schedule, the plans, schedules and campaigns plugins contribute)."""
    day = home.parse_day(request.args.get("day"))
    month = home.calendar_month(g.hooks, g.tenant, db(), day.year, day.month)
    selected = next(d for week in month.weeks for d in week if d.info.day == day)
    return render_template("tenant/calendar.html", calendar=month, selected=selected)


#: the customer list lives in the members plugin; the host's old list URL leads there
MEMBERS_CUSTOMER_LIST = ("members", "members.customers.index")


@bp.get("/customers")
@role_required(*STAFF)
def customers():
    """The host's former customer list: a redirect to the members plugin's list when the tenant enabled it (query
    string kept), otherwise a notice saying where customers are managed."""
    plugin, endpoint = MEMBERS_CUSTOMER_LIST
    if plugin in g.hooks.enabled:
        return redirect(url_for(endpoint, **request.args.to_dict()))
    return render_template("tenant/customers.html")


@bp.get("/plugins")
@role_required(*ADMIN)
def plugins():
    registry = platform().registry
    enabled = platform().enabled_plugins(db(), g.tenant.id)
    records = sorted((r for r in registry.records.values() if _shown(r, g.user)), key=lambda r: (r.category, r.name))
    return render_template("tenant/plugins.html", records=records, enabled=enabled)


def _shown(record, user) -> bool:
    """Whether ``user`` sees ``record`` on a tenant's plugins page. Brand admins see what the platform offers: not an
    example or test plugin (``Plugin.hidden``) and not one installed but left out of plugins.toml; platform admins
    see everything."""
    if record.builtin:
        return False
    if user.is_platform_admin:
        return True
    hidden = record.plugin is not None and getattr(record.plugin, "hidden", False)
    return not hidden and record.status != PluginStatus.NOT_LISTED


@bp.post("/plugins/<name>/enable")
@role_required(*ADMIN)
def enable(name: str):
    try:
        enable_plugin(db(), platform().registry, g.tenant, name)
        _audit("plugin.enable", name)
        db().commit()
        flash(_("Plugin %(name)s enabled.", name=name), "success")
    except EnablementError as exc:
        db().rollback()
        flash(str(exc), "error")
    return redirect(url_for("tenant.plugins"))


@bp.post("/plugins/<name>/disable")
@role_required(*ADMIN)
def disable(name: str):
    try:
        disable_plugin(db(), platform().registry, g.tenant, name)
        _audit("plugin.disable", name)
        db().commit()
        flash(_("Plugin %(name)s disabled.", name=name), "success")
    except EnablementError as exc:
        db().rollback()
        flash(str(exc), "error")
    return redirect(url_for("tenant.plugins"))


@bp.route("/plugins/<name>/settings", methods=["GET", "POST"])
@role_required(*ADMIN)
def plugin_settings(name: str):
    plugin = platform().registry.plugin(name)
    if plugin is None or name not in g.hooks.enabled or plugin.settings_model is None:
        abort(404)
    errors: dict[str, str] = {}
    values = tenant_settings(db(), platform().registry, g.tenant.id, name)
    status = 200
    if request.method == "POST":
        submitted = parse_form(plugin.settings_model, request.form)
        try:
            update_settings(db(), platform().registry, g.tenant, name, submitted)
            _audit("plugin.settings", name, settings=submitted)
            db().commit()
            flash(_("Settings saved."), "success")
            return redirect(url_for("tenant.plugin_settings", name=name))
        except EnablementError as exc:
            db().rollback()
            errors = exc.field_errors
            values = {**values, **submitted}
            status = 422
    fields = form_fields(plugin.settings_model, values)
    return render_template("tenant/plugin_settings.html", plugin=plugin, fields=fields, errors=errors), status


@bp.route("/tokens", methods=["GET", "POST"])
@role_required(*ADMIN)
def tokens():
    new_token = None
    error = None
    if request.method == "POST":
        name = (request.form.get("name") or "").strip()
        if not name or len(name) > 100:
            error = _("Give the token a name of at most 100 characters.")
        else:
            new_token, row = issue_token(db(), g.tenant.id, name, g.user.id)
            _audit("token.create", row.prefix, name=name)
            db().commit()
    rows = db().exec(scoped(ApiToken, g.tenant.id).order_by(ApiToken.id.desc())).all()
    return render_template("tenant/tokens.html", tokens=rows, new_token=new_token, error=error), \
        (400 if error else 200)


@bp.post("/tokens/<int:token_id>/revoke")
@role_required(*ADMIN)
def revoke_token(token_id: int):
    row = db().get(ApiToken, token_id)
    if row is None or row.tenant_id != g.tenant.id:
        abort(404)
    row.revoked = True
    db().add(row)
    _audit("token.revoke", row.prefix)
    db().commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for("tenant.tokens"))


@bp.get("/audit")
@role_required(*ADMIN)
def audit_log():
    query = select(AuditLog).where(AuditLog.tenant_id == g.tenant.id)
    action = request.args.get("action")
    if action:
        query = query.where(AuditLog.action == action)
    page = keyset_page(db(), query, AuditLog, request.args.get("after"), limit=50)
    users = {u.id: u for u in db().exec(select(User).where(User.id.in_({e.user_id for e in page.items}))).all()}
    actions = db().exec(select(AuditLog.action).where(AuditLog.tenant_id == g.tenant.id)
                        .group_by(AuditLog.action).order_by(func.min(AuditLog.action))).all()
    return render_template("tenant/audit.html", page=page, users=users, actions=actions, action=action)
