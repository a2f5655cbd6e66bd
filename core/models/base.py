"""Shared column helpers and the tenant-scoped mixin."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Column, Field, SQLModel

from ..timeutil import utcnow


def json_column(**kwargs: Any) -> Any:
    """A JSON column (JSONB-compatible on PostgreSQL, TEXT on SQLite)."""
    default = kwargs.pop("default_factory", dict)
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False), **kwargs)


class TenantScoped(SQLModel):
    """Mixin for business tables: every row belongs to one tenant and is only read through tenant-scoped queries."""

    tenant_id: int = Field(foreign_key="tenant.id", index=True, nullable=False, ondelete="CASCADE")


class Timestamped(SQLModel):
    """Mixin of a ``created_at`` column (UTC, set on insert)."""

    created_at: datetime = Field(default_factory=utcnow, nullable=False)
