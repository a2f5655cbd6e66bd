"""The org tree: departments and employees (WeCom members or the brand's own staff)."""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Field, UniqueConstraint

from .base import TenantScoped, Timestamped


class Department(TenantScoped, Timestamped, table=True):
    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    parent_id: int | None = Field(default=None, foreign_key="department.id", ondelete="SET NULL")
    external_id: str | None = Field(default=None, max_length=64)
    order: int = 0


class EmployeeStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    LEFT = "left"


class Employee(TenantScoped, Timestamped, table=True):
    __table_args__ = (UniqueConstraint("tenant_id", "userid"),)
    id: int | None = Field(default=None, primary_key=True)
    userid: str = Field(max_length=64, description="the channel's employee id, e.g. WeCom userid")
    name: str = Field(max_length=100)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True, ondelete="SET NULL")
    superior_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")
    mobile: str | None = Field(default=None, max_length=20)
    position: str | None = Field(default=None, max_length=100)
    status: EmployeeStatus = Field(default=EmployeeStatus.ACTIVE, max_length=10)
