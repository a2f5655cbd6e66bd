"""The bulk-send table (branch ``sms_bulk``): one row per 短信群发; the recipients' messages are delivery-ledger rows
(task_ref ``sms_bulk:<id>:<segments>``), so per-recipient results and delivery reports live in the core ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field

from scrm.sdk import TenantScoped, Timestamped, json_column

#: statuses: scheduled (待发送, a time in the future), sending (发送中), paused (已暂停), finished (发送成功),
#: failed (发送失败: nothing could be planned), cancelled (已取消)
SCHEDULED, SENDING, PAUSED, FINISHED, FAILED, CANCELLED = (
    "scheduled", "sending", "paused", "finished", "failed", "cancelled")
STATUSES = (SCHEDULED, SENDING, PAUSED, FINISHED, FAILED, CANCELLED)
OPEN = (SCHEDULED, SENDING, PAUSED)


class SmsBulkSend(TenantScoped, Timestamped, table=True):
    """``audience``: ``{"mode": "tags", "tag_ids": [..]}``, ``{"mode": "segment", "segment_id": n}`` or
    ``{"mode": "phones", "phones": [[customer_id|null, mobile], ...]}`` (validated, deduplicated, opted-out removed).
    ``classes``: billed segments -> recipients at confirmation; ``estimated`` = Σ segments × recipients (reserved).
    Quota counters (billed messages): ``reserved`` at confirmation, then ``consumed`` / ``released`` as the ledger
    settles; delivered / failed counts are refreshed from the ledger by the dispatch job."""

    __tablename__ = "sms_bulk_send"
    __table_args__ = (Index("ix_sms_bulk_tenant_created", "tenant_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    category: str = Field(max_length=20)
    signature: str = Field(max_length=30)
    content: str = Field(max_length=600, description="the body as typed, variables ${...} included")
    body: str = Field(max_length=2000, description="the body with the constant variables filled in")
    template_id: int | None = None
    audience: dict[str, Any] = json_column()
    send_at: datetime | None = Field(default=None, description="scheduled time (UTC); None: at once")
    status: str = Field(default=SCHEDULED, max_length=12)
    recipients: int = 0
    invalid_numbers: int = 0
    excluded_numbers: int = 0
    classes: dict[str, Any] = json_column()
    max_customer_id: int | None = None
    estimated: int = 0
    reserved: int = 0
    consumed: int = 0
    released: int = 0
    planned: int = 0
    cursor: int | None = Field(default=None, description="last customer id (or pasted index) planned")
    plan_done: bool = False
    lease_until: datetime | None = None
    delivered_count: int = 0
    failed_count: int = 0
    sent_count: int = 0
    pending_count: int = 0
    created_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    creator_name: str = Field(default="", max_length=100)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = Field(default=None, max_length=500)
