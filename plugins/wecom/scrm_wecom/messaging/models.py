"""The table of application messages to employees (lineage branch ``wecom_messaging``).

The core delivery ledger (``message_delivery``) holds one row per message: its idempotency key, recipient userid,
status, WeCom ``msgid`` and error. ``wecom_app_message`` keeps what the ledger cannot: the content (so a failed
message can be sent again), the recipient employee, the attempts and WeCom's last answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field

from scrm.sdk import TenantScoped, json_column, utcnow


class AppMessage(TenantScoped, table=True):
    """One application message (``message/send``) to one employee, tied to its delivery-ledger row."""

    __tablename__ = "wecom_app_message"
    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="message_delivery.id", unique=True, ondelete="CASCADE")
    account_id: int | None = Field(default=None, foreign_key="channel_account.id", ondelete="SET NULL")
    employee_id: int | None = Field(default=None, foreign_key="employee.id", index=True, ondelete="SET NULL")
    msgtype: str = Field(max_length=10, description="text or textcard")
    content: dict[str, Any] = json_column()
    attempts: int = 0
    sending_since: datetime | None = Field(default=None, description="set while a worker is calling WeCom")
    response: dict[str, Any] = json_column()
    created_at: datetime = Field(default_factory=utcnow)
