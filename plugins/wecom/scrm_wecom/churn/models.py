"""Tables of churned and deleted customers (lineage branch ``wecom_churn``): one row per lost friendship and the
tenant's reminder settings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, UniqueConstraint

from scrm.sdk import TenantScoped, json_column, utcnow


class LossKind(StrEnum):
    """How a friendship ended."""

    CHURNED = "churned"  # the customer deleted the employee (del_follow_user)
    DELETED = "deleted"  # the employee deleted the customer (del_external_contact, not caused by a transfer)


class DigestFrequency(StrEnum):
    EVERY_EVENT = "every_event"
    DAILY_DIGEST = "daily_digest"


class FriendLoss(TenantScoped, table=True):
    """One churn or deletion of a customer ↔ employee relation, recorded from the WeCom callback.

    ``employee_id`` is the member of the relation ("added by"); ``owner_employee_id`` the customer's owner when it
    happened; ``operator_employee_id`` who deleted (deletions only: the member whose account removed the customer).
    A second deletion after a re-add is a second row; a redelivered event adds nothing (``event_id`` is unique).
    """

    __tablename__ = "wecom_friend_loss"
    __table_args__ = (
        UniqueConstraint("tenant_id", "event_id"),
        Index("ix_wecom_friend_loss_kind_time", "tenant_id", "kind", "lost_at"),
        Index("ix_wecom_friend_loss_kind_employee", "tenant_id", "kind", "employee_id"),
        Index("ix_wecom_friend_loss_customer", "tenant_id", "customer_id"),
        # the losses of one relation (the welcome's "was this friendship welcomed already" check)
        Index("ix_wecom_friend_loss_relation", "tenant_id", "external_userid", "userid", "lost_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)
    event_id: str = Field(max_length=64, description="the domain event the row was recorded from")
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE")
    employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")
    owner_employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")
    operator_employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")
    userid: str = Field(max_length=64)
    external_userid: str = Field(max_length=64)
    added_at: datetime | None = None
    lost_at: datetime
    created_at: datetime = Field(default_factory=utcnow)


class ChurnSettings(TenantScoped, table=True):
    """A tenant's churn reminder (churned tab) and deleted-user notification (deleted tab) settings."""

    __tablename__ = "wecom_churn_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)
    id: int | None = Field(default=None, primary_key=True)
    churn_enabled: bool = False
    employee_stage_ids: list[Any] = json_column(default_factory=list)
    superior_stage_ids: list[Any] = json_column(default_factory=list)
    deleted_enabled: bool = False
    deleted_admin_ids: list[Any] = json_column(default_factory=list)
    deleted_frequency: str = Field(default=DigestFrequency.EVERY_EVENT, max_length=12)
    digest_through_id: int = Field(default=0, description="the last deletion row a digest covered")
    updated_at: datetime = Field(default_factory=utcnow)
