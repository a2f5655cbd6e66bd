"""Platform tables: plugin enablement, channel accounts, the outbox, schedules, the delivery ledger and the audit log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, Text
from sqlmodel import Column, Field, SQLModel, UniqueConstraint

from ..timeutil import utcnow
from .base import TenantScoped, Timestamped, json_column


class TenantPlugin(TenantScoped, table=True):
    __tablename__ = "tenant_plugin"
    __table_args__ = (UniqueConstraint("tenant_id", "plugin"),)
    id: int | None = Field(default=None, primary_key=True)
    plugin: str = Field(max_length=40)
    enabled: bool = False
    settings: dict[str, Any] = json_column()
    enabled_at: datetime | None = None
    disabled_at: datetime | None = None


class ChannelAccount(TenantScoped, Timestamped, table=True):
    """An account on an external channel (a WeCom corp, an OA, an SMS provider, a pay merchant).

    ``credentials`` holds the encrypted JSON of the secrets; read it through the channel account service only.
    """

    __tablename__ = "channel_account"
    __table_args__ = (UniqueConstraint("plugin", "external_id", "tenant_id"),)
    id: int | None = Field(default=None, primary_key=True)
    plugin: str = Field(max_length=40, index=True)
    name: str = Field(max_length=100)
    external_id: str = Field(max_length=100, description="corpid, appid, merchant id, access key id ...")
    credentials: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    config: dict[str, Any] = json_column()
    active: bool = True
    last_error: str | None = Field(default=None, max_length=500)


class Outbox(TenantScoped, table=True):
    """A domain event, written in the transaction of the change it describes; its id is the event id."""

    __table_args__ = (Index("ix_outbox_pending", "dispatched_at", "enqueued_at"),)
    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=36, unique=True)
    type: str = Field(max_length=80, index=True)
    payload: dict[str, Any] = json_column()
    created_at: datetime = Field(default_factory=utcnow)
    enqueued_at: datetime | None = None
    dispatched_at: datetime | None = None
    attempts: int = 0


class EventDelivery(SQLModel, table=True):
    """One subscriber plugin has handled one event: the record that makes redelivery harmless."""

    __tablename__ = "event_delivery"
    __table_args__ = (UniqueConstraint("outbox_id", "plugin"),)
    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(foreign_key="outbox.id", ondelete="CASCADE")
    plugin: str = Field(max_length=40)
    delivered_at: datetime = Field(default_factory=utcnow)


class JobStatus(StrEnum):
    PENDING = "pending"
    ENQUEUED = "enqueued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ScheduledJob(SQLModel, table=True):
    """Durable due work: the scheduler tick enqueues rows whose ``due_at`` has passed.

    ``interval_seconds`` makes a recurring job (the row moves to its next due time after each run).
    ``key`` names a job so that scheduling it again replaces it instead of adding a second one.
    """

    __tablename__ = "scheduled_job"
    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_scheduled_job_due", "status", "due_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id", index=True, ondelete="CASCADE")
    key: str | None = Field(default=None, max_length=200)
    actor: str = Field(max_length=120)
    plugin: str = Field(max_length=40)
    kwargs: dict[str, Any] = json_column()
    due_at: datetime
    interval_seconds: int | None = None
    status: JobStatus = Field(default=JobStatus.PENDING, max_length=10)
    attempts: int = 0
    max_attempts: int = 5
    run_count: int = 0
    enqueued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)


class DeliveryStatus(StrEnum):
    """A ledger row's status. It moves only forward: queued -> sending -> sent -> delivered -> read, or ends as
    failed or skipped with a reason (``scrm.core.outbound.ledger.advance`` applies the moves)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    SKIPPED = "skipped"


class MessageDelivery(TenantScoped, table=True):
    """The delivery ledger: one row per outbound message. Frequency caps, statistics and idempotency read it."""

    __tablename__ = "message_delivery"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_delivery_customer_channel", "tenant_id", "customer_id", "channel", "created_at"),
        Index("ix_delivery_task", "tenant_id", "task_ref"),
        # a recipient's messages on a channel (e.g. the welcome a WeCom friendship already got), customer known or not
        Index("ix_delivery_recipient", "tenant_id", "recipient", "channel"),
        # delivery reports find their row by the provider's message id
        Index("ix_delivery_provider", "channel", "provider_id"),
        # the outbound relay: queued rows the broker never took, "sending" rows a crashed worker left
        Index("ix_delivery_pending", "status", "enqueued_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=40)
    account_id: int | None = Field(default=None, foreign_key="channel_account.id", ondelete="SET NULL")
    customer_id: int | None = Field(default=None, foreign_key="customer.id", ondelete="SET NULL")
    recipient: str = Field(max_length=128)
    kind: str = Field(default="message", max_length=40, description="message, mass, welcome, sms, redpacket ...")
    task_ref: str | None = Field(default=None, max_length=80, description="the sending task, e.g. 'mass_task:12'")
    idempotency_key: str = Field(max_length=120)
    status: DeliveryStatus = Field(default=DeliveryStatus.QUEUED, max_length=10)
    provider_id: str | None = Field(default=None, max_length=128)
    error_code: str | None = Field(default=None, max_length=40)
    error: str | None = Field(default=None, max_length=500)
    #: why the message is sent (``mass_send``, ``welcome``, ``notification`` ...): the exclusion hook and the
    #: frequency caps are asked for it; None on rows written before the outbound path
    purpose: str | None = Field(default=None, max_length=40)
    #: the message: ``{"kind": "text", "payload": {...}}`` (``OutboundMessage.to_json``); {} on older rows
    message: dict[str, Any] = json_column()
    #: provider calls started for this row (the claim counts them); the last allowed one marks the row failed
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    #: when the broker took the send job (None: not yet, the outbound relay enqueues it)
    enqueued_at: datetime | None = None
    #: when a worker claimed the row for its provider call (status ``sending``)
    sending_at: datetime | None = None
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    read_at: datetime | None = None


class EarlyDeliveryReport(TenantScoped, table=True):
    """A delivery report that arrived before the send job recorded the provider message id it names (fast
    providers report within milliseconds). The send job applies it, forward only, in the transaction that records
    the id, and deletes it; ``scrm.core.outbound.ledger`` keeps and applies these rows."""

    __tablename__ = "delivery_report_early"
    __table_args__ = (UniqueConstraint("tenant_id", "channel", "provider_id"),
                      Index("ix_delivery_report_early_time", "created_at"))
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=40)
    provider_id: str = Field(max_length=128)
    account_id: int | None = None
    #: the reported status (a ``DeliveryStatus`` value)
    status: str = Field(max_length=10)
    error_code: str | None = Field(default=None, max_length=40)
    error: str | None = Field(default=None, max_length=500)
    #: when the provider says the status was reached
    reported_at: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)


class MessageCap(TenantScoped, table=True):
    """A tenant's frequency cap: at most ``per_day`` messages of ``purpose`` to one customer on ``channel`` per day
    (the tenant's day). ``channel`` "*" applies to every channel without its own row; ``per_day`` None lifts the
    default cap. Read through ``scrm.core.outbound.caps``."""

    __tablename__ = "message_cap"
    __table_args__ = (UniqueConstraint("tenant_id", "purpose", "channel"),)
    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(max_length=40)
    channel: str = Field(default="*", max_length=40)
    per_day: int | None = Field(default=None, ge=0)


class AuditLog(Timestamped, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_tenant_time", "tenant_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id", ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    actor: str = Field(default="", max_length=200, description="who: a user email, 'api:<token prefix>', 'cli', 'system'")
    action: str = Field(max_length=80)
    target: str = Field(default="", max_length=200)
    detail: dict[str, Any] = json_column()
    ip: str | None = Field(default=None, max_length=64)


class InboundCallback(Timestamped, table=True):
    """A raw inbound callback, stored before processing; ``dedupe_key`` makes provider retries harmless."""

    __tablename__ = "inbound_callback"
    __table_args__ = (UniqueConstraint("account_id", "dedupe_key"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    plugin: str = Field(max_length=40)
    dedupe_key: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    processed_at: datetime | None = None
    error: str | None = Field(default=None, max_length=500)
    #: the job that processes the row (``Inbound.process``): the inbox recovery re-runs it with ``inbound_ids``
    process_actor: str | None = Field(default=None, max_length=120)
    #: times the inbox recovery re-ran the row; at ``Settings.inbox_max_attempts`` it ends failed
    attempts: int = 0
    retried_at: datetime | None = None
    #: set when the recovery gave up on the row (``error`` says why): failed rows are never re-run
    failed_at: datetime | None = None


class SkippedJob(TenantScoped, table=True):
    """A job the worker skipped because its tenant had disabled its plugin (the tenant middleware records it)."""

    __tablename__ = "skipped_job"
    __table_args__ = (Index("ix_skipped_job_tenant_time", "tenant_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    plugin: str = Field(max_length=40)
    actor: str = Field(max_length=120)
    message_id: str = Field(default="", max_length=64)
    #: the ledger row the job would have sent (``delivery_id`` in its arguments), marked skipped with it
    delivery_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
