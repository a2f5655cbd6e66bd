"""Tables of the loyalty area (prefixed ``members_``): orders and their imports, points, lifecycle stages with their
membership history and reminder settings, notifications, performance targets, the home-dashboard snapshot, member
levels with the customers' levels, and order lines (products).

Money is stored as integer fen (1 yuan = 100 fen), like WeChat Pay: sums stay exact in SQL on every database.
Times are aware UTC datetimes; periods (today, this month) are days of the tenant's time zone (Asia/Shanghai by default).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, UniqueConstraint

from scrm.sdk import TenantScoped, json_column, utcnow


class OrderStatus(StrEnum):
    CREATED = "created"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"


class Order(TenantScoped, table=True):
    """One order of a sales channel. ``paid_at`` set means the order was paid (a purchase); refunds do not undo it
    (after-sales orders stay in the sales figures, spec A R27). ``refunded_at`` is the refund-success time."""

    __tablename__ = "members_order"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source", "order_no"),
        Index("ix_members_order_customer_paid", "customer_id", "paid_at", "paid_cents"),
        Index("ix_members_order_tenant_paid", "tenant_id", "paid_at", "customer_id"),  # customer_id: index-only
        Index("ix_members_order_tenant_created", "tenant_id", "created_at"),
        Index("ix_members_order_tenant_refunded", "tenant_id", "refunded_at"),
        Index("ix_members_order_store_paid", "store_id", "paid_at"),
        Index("ix_members_order_employee_paid", "employee_id", "paid_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=40, description="sales channel and shop, e.g. 'tmall', 'douyin:flagship'")
    order_no: str = Field(max_length=64)
    customer_id: int = Field(foreign_key="customer.id")
    store_id: int | None = Field(default=None, foreign_key="department.id", ondelete="SET NULL")
    employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")
    status: str = Field(default=OrderStatus.PAID.value, max_length=20)
    item_count: int = 0
    goods_cents: int = 0
    shipping_original_cents: int = 0
    shipping_discount_cents: int = 0
    discount_cents: int = 0
    paid_cents: int = 0
    refund_cents: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    paid_at: datetime | None = None
    refunded_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class OrderImport(TenantScoped, table=True):
    """An uploaded order file: validated rows are kept with it until the import job applies them."""

    __tablename__ = "members_order_import"
    id: int | None = Field(default=None, primary_key=True)
    filename: str = Field(max_length=200)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    status: str = Field(default="previewed", max_length=12, description="previewed, queued, running, done, failed")
    total_rows: int = 0
    valid_rows: int = 0
    error_rows: int = 0
    errors: list[Any] = json_column(default_factory=list)
    processed_rows: int = 0
    created_count: int = 0
    updated_count: int = 0
    message: str = Field(default="", max_length=500)
    created_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class PointsBalance(TenantScoped, table=True):
    __tablename__ = "members_points_balance"
    __table_args__ = (UniqueConstraint("tenant_id", "customer_id"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True, ondelete="CASCADE")
    balance: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class PointsEntry(TenantScoped, table=True):
    """One line of the points ledger: ``balance_after`` is the customer's balance once ``delta`` applied."""

    __tablename__ = "members_points_entry"
    __table_args__ = (Index("ix_members_points_entry_customer", "customer_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE")
    delta: int
    balance_after: int
    reason: str = Field(max_length=200)
    actor: str = Field(default="", max_length=120, description="who: a user's e-mail, api:<token>, system")
    user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, index=True)


class ReminderMode(StrEnum):
    REALTIME = "realtime"
    DELAYED = "delayed"


class Stage(TenantScoped, table=True):
    """A lifecycle stage. With ``automation_enabled`` the customers matching ``entry_rule`` (a condition tree)
    enter it; the highest ordinal wins when several rules match."""

    __tablename__ = "members_stage"
    __table_args__ = (UniqueConstraint("tenant_id", "ordinal"), UniqueConstraint("tenant_id", "name"))
    id: int | None = Field(default=None, primary_key=True)
    ordinal: int
    name: str = Field(max_length=30)
    description: str = Field(default="", max_length=500)
    plan_description: str = Field(default="", max_length=2000)
    automation_enabled: bool = False
    entry_rule: dict[str, Any] = json_column()
    follow_up_enabled: bool = False
    follow_up_employee: bool = True
    follow_up_admin: bool = False
    change_employee: bool = False
    change_employee_mode: str = Field(default=ReminderMode.REALTIME.value, max_length=10)
    change_employee_delay: int = Field(default=0, description="minutes, when delayed")
    change_admin: bool = False
    change_admin_mode: str = Field(default=ReminderMode.REALTIME.value, max_length=10)
    change_admin_delay: int = Field(default=0, description="minutes, when delayed")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class FollowUpCondition(StrEnum):
    STAY_TIME = "stay_time"
    NO_CONTACT_TIME = "no_contact_time"


class StageFollowUpRule(TenantScoped, table=True):
    """"[stay time | no-contact time] exceeds ``days`` days → remind at ``send_time`` (HH:MM:SS, tenant time zone)"."""

    __tablename__ = "members_stage_follow_up_rule"
    id: int | None = Field(default=None, primary_key=True)
    stage_id: int = Field(foreign_key="members_stage.id", index=True, ondelete="CASCADE")
    condition: str = Field(default=FollowUpCondition.STAY_TIME.value, max_length=20)
    days: int = 0
    send_time: str = Field(default="10:00:00", max_length=8)


class StageMembership(TenantScoped, table=True):
    """A customer's stay in a stage; the row with ``left_at`` NULL is the customer's current stage."""

    __tablename__ = "members_stage_membership"
    __table_args__ = (
        # customer_id / stage_id last: the stage filter of audiences reads these indexes alone (index-only scans)
        Index("ix_members_stage_membership_stage", "stage_id", "left_at", "entered_at", "customer_id"),
        Index("ix_members_stage_membership_customer", "customer_id", "left_at", "stage_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE")
    stage_id: int = Field(foreign_key="members_stage.id", ondelete="CASCADE")
    entered_at: datetime = Field(default_factory=utcnow)
    left_at: datetime | None = None


class StageReminderSettings(TenantScoped, table=True):
    """The tenant's master "Stage reminder" switch and the admins (employees) who receive admin reminders."""

    __tablename__ = "members_stage_reminder_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)
    id: int | None = Field(default=None, primary_key=True)
    master_enabled: bool = False
    admin_employee_ids: list[int] = json_column(default_factory=list)
    scheduled_times: list[str] = json_column(default_factory=list)
    updated_at: datetime = Field(default_factory=utcnow)


class Notification(TenantScoped, table=True):
    """A reminder for an employee: ``pending`` until ``due_at``, then ``sent`` (published as a
    ``members.notification`` event that a channel plugin delivers), or ``cancelled`` when the master switch was off
    at the due time. ``dedupe_key`` makes a reminder at most once."""

    __tablename__ = "members_notification"
    __table_args__ = (UniqueConstraint("tenant_id", "dedupe_key"),
                      Index("ix_members_notification_due", "tenant_id", "status", "due_at"))
    id: int | None = Field(default=None, primary_key=True)
    recipient_employee_id: int = Field(foreign_key="employee.id", ondelete="CASCADE")
    kind: str = Field(max_length=30)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", ondelete="SET NULL")
    stage_id: int | None = Field(default=None, foreign_key="members_stage.id", ondelete="SET NULL")
    text: str = Field(max_length=500)
    dedupe_key: str = Field(max_length=120)
    status: str = Field(default="pending", max_length=10)
    due_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class PerformanceTarget(TenantScoped, table=True):
    """A yearly order-amount target of a store (department) or an employee, for the home rankings."""

    __tablename__ = "members_performance_target"
    __table_args__ = (UniqueConstraint("tenant_id", "department_id", "employee_id", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    department_id: int | None = Field(default=None, foreign_key="department.id", ondelete="CASCADE")
    employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="CASCADE")
    year: int
    target_cents: int


class DashboardSnapshot(TenantScoped, table=True):
    """The home dashboard's figures as the statistics job last computed them."""

    __tablename__ = "members_dashboard_snapshot"
    __table_args__ = (UniqueConstraint("tenant_id"),)
    id: int | None = Field(default=None, primary_key=True)
    data: dict[str, Any] = json_column()
    computed_at: datetime = Field(default_factory=utcnow)


class MemberLevel(TenantScoped, table=True):
    """A member level (会员等级) of the tenant's ladder: ``rank`` orders it (1 is the entry level, higher ranks are
    higher levels); ``validity_months`` is the default validity of a new assignment (None: permanent)."""

    __tablename__ = "members_level"
    __table_args__ = (UniqueConstraint("tenant_id", "name"), UniqueConstraint("tenant_id", "rank"))
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=30)
    rank: int
    description: str = Field(default="", max_length=200)
    validity_months: int | None = Field(default=None, description="default validity in months; None: permanent")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CustomerLevel(TenantScoped, table=True):
    """A customer's level: at most one per customer, valid through ``valid_until`` (a local day, inclusive) or
    permanently when it is None. An expired row reads as no level everywhere."""

    __tablename__ = "members_customer_level"
    __table_args__ = (UniqueConstraint("tenant_id", "customer_id"),
                      Index("ix_members_customer_level_level", "level_id", "valid_until"))
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE")
    level_id: int = Field(foreign_key="members_level.id", ondelete="CASCADE")
    valid_until: date | None = None
    assigned_by: str = Field(default="", max_length=120, description="who: a user's e-mail, api:<token>, import")
    assigned_at: datetime = Field(default_factory=utcnow)


class OrderItem(TenantScoped, table=True):
    """One line of an order: a product (by its code), the quantity, the unit price and the amount paid for the line
    (fen). Lines belong to their order: they follow it on a customer merge and go with it."""

    __tablename__ = "members_order_item"
    __table_args__ = (Index("ix_members_order_item_order", "order_id", "line_no"),
                      Index("ix_members_order_item_product", "tenant_id", "product_code"))
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="members_order.id", ondelete="CASCADE")
    line_no: int
    product_code: str = Field(max_length=64)
    product_name: str = Field(max_length=200)
    category: str = Field(default="", max_length=60)
    quantity: int
    unit_price_cents: int = 0
    paid_cents: int = 0
