"""Tables of the customers area (prefixed ``members_``): custom field definitions, owner transfers and import jobs.

Profile fields the core ``Customer`` lacks (birthday, nickname, email, ...) and custom field values are kept in
``Customer.attributes`` (see ``fields.py``): the core merge then chooses them field by field like core columns, and
audiences filter them with JSON path expressions.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, UniqueConstraint

from scrm.sdk import TenantScoped, json_column, utcnow


class FieldType(StrEnum):
    """The seven custom field types of the field settings."""

    SINGLE_LINE_TEXT = "single_line_text"
    MULTI_LINE_TEXT = "multi_line_text"
    SINGLE_SELECT = "single_select"
    MULTI_SELECT = "multi_select"
    DATE = "date"
    CASCADE = "cascade"
    NUMBER = "number"


class CustomField(TenantScoped, table=True):
    """A custom customer field. Its values live in ``Customer.attributes[field.key]``.

    ``charset`` lists the allowed character classes of text types (chinese, digits, letters, symbols); ``options``
    holds the choices of select types (a list of labels) or the tree of a cascade (``[{"label", "children"}]``)."""

    __tablename__ = "members_custom_field"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=8)
    field_type: str = Field(max_length=20, description="FieldType")
    max_length: int | None = Field(default=None, description="text types only; 100 unless set")
    charset: list[str] = json_column(default_factory=list)
    options: list[Any] = json_column(default_factory=list)
    enabled: bool = False
    required_member: bool = False
    required_unassigned: bool = False
    sort_order: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def key(self) -> str:
        """The key of the field's value in ``Customer.attributes``."""
        return f"cf_{self.id}"


class TransferStatus(StrEnum):
    PENDING = "pending"
    EFFECTIVE = "effective"
    FAILED = "failed"


class TransferRecord(TenantScoped, table=True):
    """One customer handed from one owner to another. WeCom friends change owner 24 hours after the request
    (status pending until then); other customers at once."""

    __tablename__ = "members_transfer_record"
    __table_args__ = (Index("ix_members_transfer_customer_time", "customer_id", "requested_at"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE")
    from_employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")
    to_employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")
    requested_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    reason: str = Field(default="", max_length=200)
    wecom_friend: bool = False
    status: str = Field(default=TransferStatus.EFFECTIVE.value, max_length=10, description="TransferStatus")
    requested_at: datetime = Field(default_factory=utcnow)
    effective_at: datetime = Field(default_factory=utcnow)


class ImportStatus(StrEnum):
    UPLOADED = "uploaded"
    VALIDATING = "validating"
    VALIDATED = "validated"
    APPLYING = "applying"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ImportJob(TenantScoped, table=True):
    """A customer import: the uploaded file, its column mapping, validation results and apply progress.

    Rows are applied in batches; ``applied_rows`` (valid rows done) is committed with each batch, so a failed import
    resumes after the last committed batch without importing a row twice."""

    __tablename__ = "members_import_job"
    id: int | None = Field(default=None, primary_key=True)
    filename: str = Field(max_length=200)
    file_format: str = Field(max_length=4, description="csv or xlsx")
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    columns: list[str] = json_column(default_factory=list)
    mapping: dict[str, Any] = json_column()
    status: str = Field(default=ImportStatus.UPLOADED.value, max_length=12, description="ImportStatus")
    total_rows: int = 0
    valid_rows: int = 0
    error_rows: int = 0
    errors: list[Any] = json_column(default_factory=list)
    applied_rows: int = 0
    created_count: int = 0
    updated_count: int = 0
    message: str = Field(default="", max_length=500)
    created_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
