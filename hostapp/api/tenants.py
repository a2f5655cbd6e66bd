"""Tenants (platform tokens) and the token's own tenant."""

from __future__ import annotations

from flask import g
from sqlmodel import select

from scrm.core.models import Tenant
from scrm.core.services import audit
from scrm.core.services.users import AccountError, create_tenant

from ..platform_ext import db, platform
from . import ApiError, api_actor, body, bp, platform_required, tenant_required
from .openapi import registry
from .schemas import TenantIn, TenantList, TenantOut


def _out(t: Tenant) -> dict:
    return TenantOut.model_validate(t, from_attributes=True).model_dump(mode="json")


@bp.get("/tenants")
@registry.operation("/tenants", "get", "List tenants", "tenants", response=TenantList, auth="platform")
@platform_required
def list_tenants():
    return {"items": [_out(t) for t in db().exec(select(Tenant).order_by(Tenant.id))]}


@bp.post("/tenants")
@registry.operation("/tenants", "post", "Create a tenant (plugins default-enabled in plugins.toml are enabled)",
                    "tenants", request=TenantIn, response=TenantOut, status=201, auth="platform")
@platform_required
def create_tenant_api():
    data = body(TenantIn)
    try:
        tenant = create_tenant(db(), data.slug, data.name, platform().manifest.default_enabled(), platform().registry)
    except AccountError as exc:
        raise ApiError(409 if "already exists" in str(exc) else 422, "invalid_tenant", str(exc)) from exc
    audit.record(db(), "tenant.create", tenant_id=tenant.id, actor=api_actor(), target=tenant.slug)
    return _out(tenant), 201


@bp.get("/tenant")
@registry.operation("/tenant", "get", "The tenant of the token", "tenants", response=TenantOut)
@tenant_required
def own_tenant():
    return _out(g.tenant)
