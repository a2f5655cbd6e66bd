"""Tables of the platform rules (lineage branch ``wecom_rules``): a tenant's overrides of WeCom's limits and the
personal tags of follow relations."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, UniqueConstraint

from scrm.sdk import TenantScoped, utcnow


class LimitOverrides(TenantScoped, table=True):
    """A tenant's values of WeCom's platform limits. A NULL column follows the platform default, so a tenant that
    never changed a limit gets the new default when WeCom's rule (and the platform's default) changes."""

    __tablename__ = "wecom_limit_overrides"
    __table_args__ = (UniqueConstraint("tenant_id"),)
    id: int | None = Field(default=None, primary_key=True)
    personal_mass_per_day: int | None = None
    enterprise_mass_per_week: int | None = None
    enterprise_mass_per_month: int | None = None
    moments_per_employee_day: int | None = None
    enterprise_moments_per_month: int | None = None
    external_contacts_per_employee: int | None = None
    passive_adds_per_day: int | None = None
    group_chat_members: int | None = None
    enterprise_mass_per_day: int | None = None
    group_mass_per_day: int | None = None
    group_mass_per_month: int | None = None
    mass_tasks_per_month: int | None = None
    group_mass_tasks_per_month: int | None = None
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str = Field(default="", max_length=200)


class PersonalTag(TenantScoped, table=True):
    """A personal tag (WeCom tag type 2) that the relation's employee put on the customer. Personal tags have no
    WeCom id: a tag is its group name and name on one follow relation (the customer is the relation's, so
    merges move them with the relation). Visible to that employee and to admins."""

    __tablename__ = "wecom_personal_tag"
    __table_args__ = (UniqueConstraint("follow_id", "group_name", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    follow_id: int = Field(foreign_key="wecom_follow.id", ondelete="CASCADE")
    group_name: str = Field(default="", max_length=60)
    name: str = Field(max_length=60)
    created_at: datetime = Field(default_factory=utcnow)
