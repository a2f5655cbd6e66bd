"""Tenants (brands), users, memberships with roles and data scopes, API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from ..timeutil import DEFAULT_TIMEZONE, utcnow
from .base import TenantScoped, Timestamped


class Tenant(Timestamped, table=True):
    """A brand: the owner of every business row (``tenant_id``); ``slug`` is its URL segment (``/t/<slug>/``)."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=100)
    active: bool = True
    # bumped whenever a plugin is enabled or disabled; keys the per-tenant hook relay cache
    plugin_revision: int = 0
    # mask mobile numbers in lists, forms and exports (138****0000)
    mask_mobiles: bool = True
    # the IANA zone every time is shown in and every "today" is computed in (times are stored in UTC)
    timezone: str = Field(default=DEFAULT_TIMEZONE, max_length=64)
    # the language of data seeded for the tenant (stage ladder, levels ...); the UI language is the user's
    language: str = Field(default="zh_CN", max_length=10)


class Role(StrEnum):
    """A user's role in one tenant: tenant admin (everything), operator (the business pages) or employee (mobile pages)."""

    TENANT_ADMIN = "tenant_admin"
    OPERATOR = "operator"
    EMPLOYEE = "employee"


class DataScope(StrEnum):
    """What a membership's user sees of the tenant's customers: all, their department's subtree, or their own."""

    ALL = "all"
    DEPARTMENT = "department"
    MINE = "mine"


class User(Timestamped, table=True):
    """A person who signs in: platform admin or member of tenants through ``Membership`` rows."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=200, unique=True, index=True)
    name: str = Field(default="", max_length=100)
    password_hash: str = Field(max_length=200)
    is_platform_admin: bool = False
    active: bool = True
    locale: str | None = Field(default=None, max_length=10)
    last_login_at: datetime | None = None


class Membership(TenantScoped, table=True):
    """A user's role in one tenant. ``employee_id`` links an employee login to the org tree (scope 'mine')."""

    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    role: Role = Field(default=Role.OPERATOR, max_length=20)
    scope: DataScope = Field(default=DataScope.ALL, max_length=20)
    employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")


class ApiToken(SQLModel, table=True):
    """A REST API token. Tenant tokens see one tenant; platform tokens (no tenant) manage tenants."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=12)
    created_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked: bool = False
