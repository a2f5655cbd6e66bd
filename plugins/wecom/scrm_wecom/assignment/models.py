"""The assignment records: one row per customer claimed, assigned, inherited or handed over."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field

from scrm.sdk import TenantScoped, utcnow


class Kind(StrEnum):
    POOL_CLAIM = "pool_claim"  # 领取: the signed-in employee takes a pool customer
    POOL_ASSIGN = "pool_assign"  # 分配: an operator gives pool customers to employees
    RESIGNED_INHERIT = "resigned_inherit"  # 离职继承
    ONJOB_TRANSFER = "onjob_transfer"  # 在职转接


class Status(StrEnum):
    """WeCom's transfer statuses (1 taken over, 2 waiting, 3 refused, 4 limit, 5 no record) and ``failed``: WeCom
    refused the call, or the customer's data changed during the 24-hour window of an on-the-job transfer."""

    WAITING = "waiting"
    TAKEN_OVER = "taken_over"
    REFUSED = "refused"
    LIMIT = "limit"
    NO_RECORD = "no_record"
    FAILED = "failed"


class Origin(StrEnum):
    WECOM = "wecom"  # started on the assignment screen
    MEMBERS = "members"  # a WeCom friend transferred on the members' customer pages


WECOM_STATUS = {1: Status.TAKEN_OVER, 2: Status.WAITING, 3: Status.REFUSED, 4: Status.LIMIT, 5: Status.NO_RECORD}
FINAL = (Status.TAKEN_OVER, Status.REFUSED, Status.LIMIT, Status.NO_RECORD, Status.FAILED)


class AssignmentRecord(TenantScoped, table=True):
    """One customer given to ``takeover_employee_id``. Pool claims and assignments, and customers moved without
    WeCom, are taken over at once. A WeCom transfer (``account_id`` set) waits for WeCom's result; an on-the-job one
    takes effect at ``effective_at`` (24 hours later) unless the customer's data changed in between."""

    __tablename__ = "wecom_assignment_record"
    __table_args__ = (
        Index("ix_wecom_assignment_customer", "tenant_id", "customer_id", "assigned_at"),
        Index("ix_wecom_assignment_status", "tenant_id", "status", "effective_at"),
        Index("ix_wecom_assignment_time", "tenant_id", "assigned_at", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE")
    kind: str = Field(max_length=20, description="Kind")
    origin: str = Field(default=Origin.WECOM.value, max_length=10, description="Origin")
    from_employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")
    takeover_employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")
    status: str = Field(default=Status.TAKEN_OVER.value, max_length=12, description="Status")
    account_id: int | None = Field(default=None, foreign_key="channel_account.id", ondelete="SET NULL")
    external_userid: str = Field(default="", max_length=64)
    handover_userid: str = Field(default="", max_length=64)
    takeover_userid: str = Field(default="", max_length=64)
    message: str = Field(default="", max_length=200, description="transfer_success_msg sent to the customer")
    error: str = Field(default="", max_length=200)
    source_event: str = Field(default="", max_length=64, description="the domain event that started it (members)")
    operator_user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    assigned_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = Field(default=None, description="when WeCom accepted the transfer call")
    effective_at: datetime | None = None
    finished_at: datetime | None = None
