"""Friend welcome messages: who they are for (all employees or a list), their default content and time segments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, UniqueConstraint

from scrm.sdk import TenantScoped, json_column, utcnow


class WelcomeMessage(TenantScoped, table=True):
    """A friend welcome message. ``content`` is the default content (see ``welcome.content``); when ``segmented``,
    ``segments`` holds time segments tried before it. The newest (by ``updated_at``) message that includes an
    employee is the one sent to that employee's new friends."""

    __tablename__ = "wecom_welcome_message"
    __table_args__ = (Index("ix_wecom_welcome_message_latest", "tenant_id", "updated_at", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    all_employees: bool = False
    segmented: bool = False
    content: dict[str, Any] = json_column()
    segments: list[dict[str, Any]] = json_column(default_factory=list)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class WelcomeMessageEmployee(TenantScoped, table=True):
    """One employee a welcome message is for (unused when the message is for all employees)."""

    __tablename__ = "wecom_welcome_employee"
    __table_args__ = (UniqueConstraint("welcome_id", "employee_id"),)
    id: int | None = Field(default=None, primary_key=True)
    welcome_id: int = Field(foreign_key="wecom_welcome_message.id", ondelete="CASCADE")
    employee_id: int = Field(foreign_key="employee.id", index=True, ondelete="CASCADE")
