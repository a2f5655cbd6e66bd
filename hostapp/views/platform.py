"""Platform pages: the tenant list, creating tenants, and the plugin catalogue."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func
from sqlmodel import select

from scrm.core.models import Role, TenantPlugin
from scrm.core.services import audit
from scrm.core.services.users import AccountError, add_member, create_tenant, tenant_plugin_counts, tenants_of

from ..auth import login_required, platform_admin_required
from ..platform_ext import db, platform

bp = Blueprint("host", __name__)


@bp.get("/")
@login_required
def index():
    tenants = tenants_of(db(), g.user)
    if len(tenants) == 1 and not g.user.is_platform_admin:
        return redirect(url_for("tenant.dashboard", tenant=tenants[0].slug))
    return render_template("admin/tenants.html", tenants=tenants, counts=tenant_plugin_counts(db()),
                           errors={}, form={})


@bp.post("/admin/tenants")
@platform_admin_required
def create_tenant_view():
    form = {k: (request.form.get(k) or "").strip() for k in ("slug", "name")}
    try:
        tenant = create_tenant(db(), form["slug"], form["name"], platform().manifest.default_enabled(),
                               platform().registry)
        add_member(db(), tenant, g.user, Role.TENANT_ADMIN)
        audit.record(db(), "tenant.create", tenant_id=tenant.id, user_id=g.user.id, actor=g.user.email,
                     target=tenant.slug, ip=request.remote_addr)
        db().commit()
    except AccountError as exc:
        db().rollback()
        tenants = tenants_of(db(), g.user)
        return render_template("admin/tenants.html", tenants=tenants, counts=tenant_plugin_counts(db()),
                               errors={"form": str(exc)}, form=form), 422
    flash(_("Tenant %(name)s created.", name=tenant.name), "success")
    return redirect(url_for("host.index"))


@bp.get("/admin/plugins")
@platform_admin_required
def plugin_catalogue():
    registry = platform().registry
    enabled_counts = dict(db().exec(
        select(TenantPlugin.plugin, func.count()).where(TenantPlugin.enabled == True)  # noqa: E712
        .group_by(TenantPlugin.plugin)).all())
    records = sorted((r for r in registry.records.values() if not r.builtin), key=lambda r: (r.status, r.name))
    return render_template("admin/plugins.html", records=records, hooks_of=registry.hooks_of,
                           enabled_counts=enabled_counts)


@bp.get("/admin/plugins/<name>")
@platform_admin_required
def plugin_detail(name: str):
    record = platform().registry.get(name)
    if record is None or record.builtin:
        abort(404)
    tenants = db().exec(select(TenantPlugin).where(TenantPlugin.plugin == name, TenantPlugin.enabled == True)  # noqa
                        ).all()
    return render_template("admin/plugin_detail.html", record=record, hooks=platform().registry.hooks_of(name),
                           tenant_rows=tenants)
