"""Stores linked to official accounts (lineage ``official_account_stores``).

A store is a department of the org tree (the demo brand's stores are departments); a company admin links it to an
account: its own account (the store's fans are that account's fans) or an account the store shares with others.
A link cannot be undone: no page removes or moves it, and the model refuses an update or a delete.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, UniqueConstraint

from scrm.sdk import TenantScoped, utcnow


class StoreLink(TenantScoped, table=True):
    """Store (department) ``department_id`` uses account ``account_id``; one account per store, for good."""

    __tablename__ = "official_account_store_link"
    __table_args__ = (UniqueConstraint("tenant_id", "department_id"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE", index=True)
    department_id: int = Field(foreign_key="department.id", ondelete="CASCADE")
    linked_by: str = Field(default="", max_length=200)
    linked_at: datetime = Field(default_factory=utcnow)
