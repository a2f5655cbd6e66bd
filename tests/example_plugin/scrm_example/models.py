"""The plugin's one table. Its name carries the plugin prefix; its migration lives in the plugin's own lineage."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from scrm.sdk import TenantScoped, utcnow


class ExampleNote(TenantScoped, table=True):
    __tablename__ = "example_note"
    id: int | None = Field(default=None, primary_key=True)
    body: str = Field(max_length=200)
    source: str = Field(default="manual", max_length=20, description="manual, api, job or event")
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True, ondelete="SET NULL")
    event_id: str | None = Field(default=None, max_length=36, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
