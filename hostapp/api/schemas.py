"""Request and response bodies of the host API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class TenantOut(BaseModel):
    id: int
    slug: str
    name: str
    active: bool
    created_at: datetime


class TenantList(BaseModel):
    items: list[TenantOut]


class TenantIn(BaseModel):
    slug: str = Field(min_length=1, max_length=40, description="lowercase letters, digits and dashes")
    name: str = Field(min_length=1, max_length=100)


class PluginOut(BaseModel):
    name: str
    title: str
    version: str
    category: str
    status: str
    reason: str = ""
    requires: list[str] = []
    enabled: bool = False
    settings: dict[str, Any] = {}


class PluginList(BaseModel):
    items: list[PluginOut]


class PluginUpdate(BaseModel):
    enabled: bool | None = None
    settings: dict[str, Any] | None = None


class IdentityOut(BaseModel):
    kind: str
    value: str


class CustomerOut(BaseModel):
    id: int
    name: str
    mobile: str | None
    gender: int
    source: str
    is_member: bool
    owner_employee_id: int | None
    merged_into_id: int | None
    attributes: dict[str, Any]
    identities: list[IdentityOut] = []
    created_at: datetime
    updated_at: datetime


class CustomerPage(BaseModel):
    items: list[CustomerOut]
    next_cursor: int | None = Field(description="pass as ?cursor= for the next page; null on the last page")


class CustomerIn(BaseModel):
    name: str = Field(default="", description="the customer's name, at most 100 characters; required unless the "
                      "identities match an existing customer")
    mobile: str | None = Field(default=None, description="11-digit mainland mobile number")
    source: str = Field(default="api", max_length=50)
    gender: int = Field(default=0, ge=0, le=2)
    is_member: bool = False
    identities: dict[str, str] = Field(default_factory=dict, description="kind -> value, e.g. {'unionid': 'o6_b...'}")
    attributes: dict[str, Any] = Field(default_factory=dict)


class CustomerPatch(BaseModel):
    """Only the fields sent change; ``mobile`` and ``owner_employee_id`` may be null (cleared), the others may not."""

    name: str = Field(default=None, description="the customer's name, at most 100 characters")  # type: ignore[assignment]
    mobile: str | None = None
    gender: int = Field(default=None, ge=0, le=2)  # type: ignore[assignment]
    is_member: bool = Field(default=None)  # type: ignore[assignment]
    owner_employee_id: int | None = None
    attributes: dict[str, Any] = Field(default=None)  # type: ignore[assignment]


class MergeIn(BaseModel):
    merged_id: int
    choices: dict[str, str] = Field(default_factory=dict, description="field -> 'survivor' or 'merged'")


class CustomerMatch(BaseModel):
    customer: CustomerOut
    created: bool
