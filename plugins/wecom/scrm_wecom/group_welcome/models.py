"""Table of group welcome templates (lineage branch ``wecom_group_welcome``): a template registered with WeCom."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text
from sqlmodel import Field

from scrm.sdk import TenantScoped, json_column, utcnow


class GroupWelcomeTemplate(TenantScoped, table=True):
    """A group welcome message (入群欢迎语): text and at most one attachment, registered in WeCom's group welcome
    material library under ``template_id``. Employees apply it to their groups in WeCom."""

    __tablename__ = "wecom_group_welcome_template"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    template_id: str = Field(default="", max_length=128)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    #: ``{}``, a material ``{"type": "image" | "link", "material_id", "title"}``, or one typed before the material
    #: centre: ``{"type": "image", "pic_url"}`` / ``{"type": "link", "title", "url", "desc", "picurl"}``
    attachment: dict[str, Any] = json_column()
    notify_employees: bool = False
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
