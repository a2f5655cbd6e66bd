"""The table of application messages to employees (lineage branch ``wecom_messaging``).

The core delivery ledger (``message_delivery``, written by the platform's outbound path) holds one row per message:
its idempotency key, recipient userid, message, status, attempts, WeCom ``msgid`` and error. ``wecom_app_message``
keeps what the ledger does not: the recipient employee, the account, the content as WeCom takes it (so a failed
message can be sent again) and WeCom's last answer with the attempt that got it.
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
    response: dict[str, Any] = json_column()
    created_at: datetime = Field(default_factory=utcnow)
