"""The area's REST API, nested in the members API (``/api/v1/members/``).

``GET /customers/<id>/profile`` and ``PATCH /customers/<id>/profile`` (profile and custom fields, validated by the
rules of the create form; absent keys are left alone), ``GET /fields`` (system and custom field definitions).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from pydantic import BaseModel, ConfigDict

from scrm.sdk import Customer, get_scoped
from scrm.sdk.web import ApiError, api_actor, api_operation, audit_action, body, current_tenant, db

from .fields import SYSTEM_FIELDS, FieldError, custom_fields
from .profile import clean_profile, profile_of, update_customer

bp = Blueprint("customers_api", __name__)


class ProfilePatch(BaseModel):
    """The profile keys to change; ``custom`` maps ``cf_<id>`` keys (see ``GET /fields``) to values."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    gender: int | str | None = None
    mobiles: list[str] | None = None
    birthday: str | None = None
    nickname: str | None = None
    email: str | None = None
    landline: str | None = None
    fax: str | None = None
    wechat_id: str | None = None
    qq: str | None = None
    region: str | None = None
    custom: dict[str, Any] | None = None


class ProfileOut(BaseModel):
    """A customer's profile: core columns, the profile keys kept in attributes, and ``custom`` by field key."""

    id: int
    name: str
    gender: int
    gender_label: str
    mobiles: list[str]
    source: str
    is_member: bool
    owner_employee_id: int | None
    birthday: str | None
    nickname: str | None
    email: str | None
    landline: str | None
    fax: str | None
    wechat_id: str | None
    qq: str | None
    region: str | None
    custom: dict[str, Any]


class FieldDefinitionOut(BaseModel):
    """A system field (``system`` true: key, label, type, required) or a custom field (every key)."""

    key: str
    label: str
    type: str
    system: bool
    required: bool | None = None
    id: int | None = None
    max_length: int | None = None
    charset: list[str] | None = None
    options: list[Any] | None = None
    enabled: bool | None = None
    required_member: bool | None = None
    required_unassigned: bool | None = None
    sort_order: int | None = None


class FieldDefinitionList(BaseModel):
    items: list[FieldDefinitionOut]


def _customer(customer_id: int) -> Customer:
    customer = get_scoped(db(), Customer, current_tenant().id, customer_id)
    if customer is None or customer.merged_into_id is not None:
        raise ApiError(404, "not_found", f"no customer {customer_id}")
    return customer


@bp.get("/customers/<int:customer_id>/profile")
@api_operation("members", "/customers/{customer_id}/profile", "get",
               "A customer's profile with custom field values (merged customers are not found)", response=ProfileOut)
def get_profile(customer_id: int):
    customer = _customer(customer_id)
    return profile_of(db(), customer, custom_fields(db(), current_tenant().id, enabled_only=True))


@bp.patch("/customers/<int:customer_id>/profile")
@api_operation("members", "/customers/{customer_id}/profile", "patch",
               "Change profile and custom field values (absent keys are left alone), validated like the create form",
               request=ProfilePatch, response=ProfileOut)
def patch_profile(customer_id: int):
    customer = _customer(customer_id)
    patch = body(ProfilePatch)
    data = patch.model_dump(exclude_unset=True, exclude={"custom"})
    fields = custom_fields(db(), current_tenant().id, enabled_only=True)
    known = {f.key for f in fields}
    unknown = sorted(set(patch.custom or {}) - known)
    if unknown:
        raise ApiError(422, "validation_error", f"unknown custom fields: {', '.join(unknown)}",
                       {f"custom.{k}": "unknown or disabled field" for k in unknown})
    data.update(patch.custom or {})
    try:
        clean = clean_profile(db(), current_tenant().id, data, customer=customer, partial=True, fields=fields)
    except FieldError as exc:
        fields_out = {(k if not k.startswith("cf_") else f"custom.{k}"): v for k, v in exc.errors.items()}
        raise ApiError(422, "validation_error", str(exc), fields_out) from exc
    changed = update_customer(db(), customer, clean, actor=api_actor())
    audit_action("members.customer.update", f"customer:{customer.id}", fields=changed)
    return profile_of(db(), customer, fields)


@bp.get("/fields")
@api_operation("members", "/fields", "get", "The system and custom field definitions, system fields first",
               response=FieldDefinitionList)
def list_fields():
    system = [{"key": f.key, "label": str(f.label), "type": f.field_type, "required": f.required, "system": True}
              for f in SYSTEM_FIELDS]
    custom = [{"key": f.key, "id": f.id, "label": f.name, "type": f.field_type, "max_length": f.max_length,
               "charset": f.charset, "options": f.options, "enabled": f.enabled,
               "required_member": f.required_member, "required_unassigned": f.required_unassigned,
               "sort_order": f.sort_order, "system": False} for f in custom_fields(db(), current_tenant().id)]
    return {"items": system + custom}
