"""The org tree: departments and employees (WeCom members or the brand's own staff)."""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Field, UniqueConstraint

from .base import TenantScoped, Timestamped


class Department(TenantScoped, Timestamped, table=True):
    """A node of the tenant's org tree (``parent_id``); ``external_id`` is the channel's department id."""

    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    parent_id: int | None = Field(default=None, foreign_key="department.id", ondelete="SET NULL")
    external_id: str | None = Field(default=None, max_length=64)
    order: int = 0


class EmployeeStatus(StrEnum):
    """Whether an employee works (``active``), is disabled in the channel (``inactive``) or has left."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    LEFT = "left"


class Employee(TenantScoped, Timestamped, table=True):
    """A staff member of the tenant, identified by the channel's ``userid`` (e.g. the WeCom userid)."""

    __table_args__ = (UniqueConstraint("tenant_id", "userid"),)
    id: int | None = Field(default=None, primary_key=True)
    userid: str = Field(max_length=64, description="the channel's employee id, e.g. WeCom userid")
    name: str = Field(max_length=100)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True, ondelete="SET NULL")
    superior_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")
    mobile: str | None = Field(default=None, max_length=20)
    position: str | None = Field(default=None, max_length=100)
    status: EmployeeStatus = Field(default=EmployeeStatus.ACTIVE, max_length=10)
