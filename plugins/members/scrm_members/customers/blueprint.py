"""The area's page blueprint (``members.customers.*`` under ``/t/<tenant>/members/customers/``) and the helpers its
views share: the tenant's filter types, loading a customer the user may see, active employees, id lists."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g
from sqlmodel import select

from scrm.sdk import Customer, Employee, EmployeeStatus, FilterType, get_scoped, mask_mobile
from scrm.sdk.web import (
    current_tenant,
    customer_visibility,
    db,
    parse_int,
    tenant_hooks,
    translated_filter_types,
)

bp = Blueprint("customers", __name__, url_prefix="/customers")


def filter_types() -> list[FilterType]:
    """Every filter type the tenant's enabled plugins contribute."""
    return translated_filter_types(tenant_hooks().contribute("audience_filters", tenant=current_tenant()))


def visible_customer(customer_id: int) -> Customer:
    """The live customer ``customer_id`` of the tenant if the user may see it; 404 otherwise."""
    customer = get_scoped(db(), Customer, current_tenant().id, customer_id)
    if customer is None or customer.merged_into_id is not None:
        abort(404)
    visibility = customer_visibility()
    if visibility is not None:
        allowed = db().exec(select(Customer.id).where(Customer.id == customer.id, visibility)).first()
        if allowed is None:
            abort(404)
    return customer


def show_mobile(value: str | None) -> str:
    """A mobile number as the tenant shows it (masked when the tenant's switch is on)."""
    return mask_mobile(value) if current_tenant().mask_mobiles else (value or "")


def active_employees() -> list[Employee]:
    return list(db().exec(select(Employee).where(Employee.tenant_id == current_tenant().id,
                                                 Employee.status == EmployeeStatus.ACTIVE).order_by(Employee.name)))


def employee_names(ids: set[Any]) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = db().exec(select(Employee.id, Employee.name).where(Employee.tenant_id == current_tenant().id,
                                                             Employee.id.in_(ids)))
    return dict(rows.all())


def int_list(values: list[str]) -> list[int]:
    """Integers of ``values`` an INTEGER column holds (``parse_int``); anything else is dropped."""
    return list(dict.fromkeys(v for v in map(parse_int, values) if v is not None))


def user_actor() -> str:
    user = g.get("user")
    return user.email if user is not None else "system"
