"""Employee promotion activities (员工推广, spec marketing-and-platform-rules A.8, B.8): the activity, each
participating employee with their exclusive code or link, the results attributed to them, and their rewards."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, UniqueConstraint

from scrm.sdk import TenantScoped, json_column, utcnow


class Target:
    """What an employee's poster leads to: their own WeCom live code (add as friend) or a link."""

    LIVE_CODE = "live_code"
    LINK = "link"


class Standard:
    """The customer event an achievement standard counts: friends added through the code, or link clicks."""

    FRIENDS = "friends"
    CLICKS = "clicks"


class RemindMode:
    """Reminders to the promoter at the target: once, or at every multiple of it (B.8)."""

    ONCE = "once"
    EVERY = "every"


class RewardKind:
    """No reward; a reward code on the employee's page; the code by SMS (a template the SMS plugin offers through
    the ``message_templates`` hook); the brand's rewards system (webhook)."""

    NONE = "none"
    CODE = "code"
    SMS = "sms"
    WEBHOOK = "webhook"


class WebhookAuth:
    """The four authentication methods of B.8: none, basic, secret key (HMAC signature), OAuth2 (client
    credentials)."""

    NONE = "none"
    BASIC = "basic"
    SECRET = "secret"
    OAUTH2 = "oauth2"
    ALL = (NONE, BASIC, SECRET, OAUTH2)


class RewardStatus:
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class PromotionActivity(TenantScoped, table=True):
    """One promotion activity. ``starts_at`` / ``ends_at`` are UTC (the local midnights of its first day and of the
    day after its last); results count inside ``[starts_at, ends_at)``. Webhook credentials are encrypted at rest
    (``webhook_secret``, the platform's secret box)."""

    __tablename__ = "wecom_promotion_activity"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=50)
    description: str = Field(default="", max_length=500)
    starts_at: datetime
    ends_at: datetime
    all_employees: bool = False
    target: str = Field(default=Target.LIVE_CODE, max_length=10)
    link_url: str = Field(default="", max_length=1000)
    standard: str = Field(default=Standard.FRIENDS, max_length=10)
    standard_count: int = 10
    remind_mode: str = Field(default=RemindMode.ONCE, max_length=10)
    remind_days_before: int = Field(default=1, description="days before the end to remind those below the standard")
    reward: str = Field(default=RewardKind.NONE, max_length=10)
    webhook_url: str = Field(default="", max_length=1000)
    webhook_auth: str = Field(default=WebhookAuth.NONE, max_length=10)
    webhook_token_url: str = Field(default="", max_length=1000)
    webhook_secret: str = Field(default="", max_length=2000)
    #: the SMS reward's template: the ``MessageTemplate.key`` chosen (``sms:<account>:<template>``) and its name
    sms_template: str = Field(default="", max_length=200)
    sms_template_name: str = Field(default="", max_length=100)
    #: the brand's customer tags (core ``Tag`` ids) given to a customer whose result counts (B.8 "tags")
    tag_ids: list[int] = json_column(default_factory=list)
    below_reminded_at: datetime | None = None
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class PromotionCover(TenantScoped, table=True):
    """The activity's cover image (B.8 "cover"): a PNG or JPG checked before decoding (``materials.files.check_cover``),
    at most one per activity, kept apart from the activity row so that lists do not read the bytes."""

    __tablename__ = "wecom_promotion_cover"
    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="wecom_promotion_activity.id", unique=True, ondelete="CASCADE")
    mime: str = Field(max_length=20)
    sha256: str = Field(max_length=64)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class PromotionDepartment(TenantScoped, table=True):
    __tablename__ = "wecom_promotion_department"
    __table_args__ = (UniqueConstraint("activity_id", "department_id"),)
    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="wecom_promotion_activity.id", ondelete="CASCADE")
    department_id: int = Field(foreign_key="department.id", index=True, ondelete="CASCADE")


class PromotionParticipant(TenantScoped, table=True):
    """One employee in an activity: ``token`` opens their H5 page, ``state`` (``pr:<random>``) comes back on every
    friend added through their contact way, ``link_id`` is their short link. ``reminded_multiple`` is the highest
    multiple of the standard they were told about (0: none)."""

    __tablename__ = "wecom_promotion_participant"
    __table_args__ = (UniqueConstraint("activity_id", "employee_id"), UniqueConstraint("tenant_id", "state"))
    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="wecom_promotion_activity.id", ondelete="CASCADE")
    employee_id: int = Field(foreign_key="employee.id", index=True, ondelete="CASCADE")
    token: str = Field(max_length=32, unique=True)
    state: str = Field(max_length=30)
    config_id: str | None = Field(default=None, max_length=64)
    qr_code: str | None = Field(default=None, max_length=500)
    link_id: int | None = Field(default=None, foreign_key="short_link.id", ondelete="SET NULL")
    achieved_at: datetime | None = None
    reminded_multiple: int = 0
    poster_sent: bool = False


class PromotionResult(TenantScoped, table=True):
    """One friend added through a participant's code (``event_id`` the domain event's: a redelivery counts once)."""

    __tablename__ = "wecom_promotion_result"
    __table_args__ = (Index("ix_wecom_promotion_result_participant", "participant_id", "occurred_at"),)
    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="wecom_promotion_activity.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="wecom_promotion_participant.id", ondelete="CASCADE")
    external_userid: str = Field(max_length=128)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", ondelete="SET NULL")
    event_id: str = Field(max_length=36, unique=True)
    occurred_at: datetime = Field(default_factory=utcnow)


class PromotionReward(TenantScoped, table=True):
    """The reward of one participant who reached the standard: at most one (``participant_id`` unique), with a
    reward code and, for a webhook or SMS reward, the durable delivery state (``key`` is the Idempotency-Key sent;
    an SMS reward's ledger row is ``delivery_id``, sent with the key ``<key>:sms:<attempts>``)."""

    __tablename__ = "wecom_promotion_reward"
    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="wecom_promotion_activity.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="wecom_promotion_participant.id", unique=True, ondelete="CASCADE")
    key: str = Field(max_length=64, unique=True)
    code: str = Field(max_length=16)
    kind: str = Field(default=RewardKind.NONE, max_length=10)
    status: str = Field(default=RewardStatus.PENDING, max_length=10)
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str = Field(default="", max_length=500)
    #: the outbound ledger row (``message_delivery.id``) of the SMS of an SMS reward's last attempt
    delivery_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
