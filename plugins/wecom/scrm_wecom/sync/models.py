"""Tables of the WeCom sync: follow relations, the members seen in WeCom, and sync runs (lineage ``wecom_sync``)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, UniqueConstraint

from scrm.sdk import TenantScoped, json_column, utcnow


class FollowStatus(StrEnum):
    """The state of one employee ↔ customer friendship."""

    ACTIVE = "active"
    DELETED = "deleted"  # the employee deleted the customer (del_external_contact), or it vanished from WeCom
    CHURNED = "churned"  # the customer deleted or blocked the employee (del_follow_user)
    TRANSFERRED = "transferred"  # the relation moved to another employee (del_external_contact, DELETE_BY_TRANSFER)


class Follow(TenantScoped, table=True):
    """A WeCom follow relation: customer ``external_userid`` is a friend of member ``userid`` of ``account_id``.

    One row per (account, external_userid, userid); a re-add reactivates the row (``added_at`` is the latest add).
    ``employee_id`` is None while the member is not in the local org tree yet.
    """

    __tablename__ = "wecom_follow"
    __table_args__ = (
        UniqueConstraint("account_id", "external_userid", "userid"),
        Index("ix_wecom_follow_customer", "tenant_id", "customer_id"),
        Index("ix_wecom_follow_employee_status", "tenant_id", "employee_id", "status"),
        # the audience filters "added between" and "added through live code" (migration wecom_audience_0001)
        Index("ix_wecom_follow_added", "tenant_id", "added_at", "customer_id"),
        Index("ix_wecom_follow_state", "tenant_id", "state", "customer_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE")
    employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")
    userid: str = Field(max_length=64)
    external_userid: str = Field(max_length=64)
    remark: str = Field(default="", max_length=100)
    description: str = Field(default="", max_length=255)
    add_way: int = 0
    state: str = Field(default="", max_length=64)
    added_at: datetime | None = None
    status: str = Field(default=FollowStatus.ACTIVE, max_length=12)
    deleted_at: datetime | None = None
    churned_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class SyncMember(TenantScoped, table=True):
    """A member of the corp as the address book last showed it, linking the account to the local employee.

    Only employees listed here are marked "left" when they disappear from WeCom: staff created by hand stay alone.
    """

    __tablename__ = "wecom_sync_member"
    __table_args__ = (UniqueConstraint("account_id", "userid"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    employee_id: int = Field(foreign_key="employee.id", index=True, ondelete="CASCADE")
    userid: str = Field(max_length=64)
    wecom_status: int = Field(default=1, description="WeCom status: 1 active, 2 disabled, 4 not activated, 5 left")
    contact_permission: bool | None = Field(
        default=None, description="the customer-contact permission (get_follow_user_list) as last read; None: not "
                                  "read yet (see sync/permission.py)")


class SyncRun(TenantScoped, table=True):
    """One sync of an account (``kind`` full, tags, org), its progress and its results."""

    __tablename__ = "wecom_sync_run"
    __table_args__ = (Index("ix_wecom_sync_run_account", "tenant_id", "account_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    kind: str = Field(default="full", max_length=10)
    status: str = Field(default="queued", max_length=10, description="queued, running, done or failed")
    phase: str = Field(default="", max_length=20)
    progress: int = Field(default=0, description="percent done, 0..100")
    stats: dict[str, Any] = json_column()
    error: str | None = Field(default=None, max_length=500)
    requested_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
