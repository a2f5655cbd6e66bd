"""Customers of the token's tenant: list (keyset), One-ID create-or-match, read, update, merge."""

from __future__ import annotations

from flask import g, request
from sqlalchemy import or_
from sqlmodel import select

from scrm.core.events import EventTypes, publish
from scrm.core.models import Customer, CustomerIdentity, Employee, IdentityKind
from scrm.core.services import audit, customer_rules
from scrm.core.services.identity import IdentityError, find_match, match_or_create
from scrm.core.services.merge import MergeError, merge_customers
from scrm.core.services.scoping import get_scoped, scoped
from scrm.core.timeutil import utcnow

from ..labels import translate
from ..platform_ext import db
from . import ApiError, api_actor, body, bp, tenant_required
from .inputs import INT_MAX, InvalidParameter, query_int
from .openapi import registry
from .schemas import CustomerIn, CustomerMatch, CustomerOut, CustomerPage, CustomerPatch, MergeIn

MAX_LIMIT = 200


def customer_out(customer: Customer, identities: list[CustomerIdentity] | None = None) -> dict:
    if identities is None:
        identities = db().exec(select(CustomerIdentity).where(CustomerIdentity.customer_id == customer.id)).all()
    data = CustomerOut.model_validate(customer, from_attributes=True).model_dump(mode="json")
    data["identities"] = [{"kind": i.kind, "value": i.value} for i in identities]
    return data


def _get(customer_id: int) -> Customer:
    customer = get_scoped(db(), Customer, g.tenant.id, customer_id)
    if customer is None:
        raise ApiError(404, "not_found", f"no customer {customer_id}")
    return customer


def _refused(exc: customer_rules.CustomerRuleError, status: int = 422, code: str = "validation_error") -> ApiError:
    """A refusal by the customer rules, worded as the members form words it (in the request's language)."""
    fields = {field: translate(message) for field, message in exc.fields.items()}
    return ApiError(status, code, "; ".join(fields.values()), fields)


def _int_arg(name: str, default: int | None, low: int = 1, high: int = INT_MAX) -> int | None:
    try:
        return query_int(name, default, low=low, high=high)
    except InvalidParameter as exc:
        raise ApiError(400, "invalid_parameter", str(exc)) from exc


@bp.get("/customers")
@registry.operation("/customers", "get", "List customers, newest first (keyset pagination)", "customers",
                    response=CustomerPage, params=[
                        {"name": "cursor", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                     "maximum": INT_MAX}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                    "maximum": MAX_LIMIT}},
                        {"name": "q", "in": "query", "schema": {"type": "string"},
                         "description": "name or mobile contains"}])
@tenant_required
def list_customers():
    limit = _int_arg("limit", 50, 1, MAX_LIMIT)
    cursor = _int_arg("cursor", None)
    query = scoped(Customer, g.tenant.id).where(Customer.merged_into_id.is_(None))
    q = (request.args.get("q") or "").strip()
    if q:
        query = query.where(or_(Customer.name.ilike(f"%{q}%"), Customer.mobile.like(f"%{q}%")))
    if cursor:
        query = query.where(Customer.id < cursor)
    rows = list(db().exec(query.order_by(Customer.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    ids = [c.id for c in rows]
    idents: dict[int, list[CustomerIdentity]] = {i: [] for i in ids}
    if ids:
        for ident in db().exec(select(CustomerIdentity).where(CustomerIdentity.customer_id.in_(ids))):
            idents[ident.customer_id].append(ident)
    return {"items": [customer_out(c, idents[c.id]) for c in rows], "next_cursor": rows[-1].id if more else None}


@bp.post("/customers")
@registry.operation("/customers", "post", "Create a customer, or match an existing one by One-ID "
                    "(unionid first, then mobile)", "customers", request=CustomerIn, response=CustomerMatch,
                    status=201)
@tenant_required
def create_customer():
    data = body(CustomerIn)
    identities = dict(data.identities)
    try:  # the rules of the members form and the import; a call that matches a customer needs no name
        if data.mobile:
            identities[IdentityKind.MOBILE] = customer_rules.clean_mobile(data.mobile)
        name = data.name.strip()
        if name or find_match(db(), g.tenant.id, identities) is None:
            name = customer_rules.clean_name(name)
    except customer_rules.CustomerRuleError as exc:
        raise _refused(exc) from exc
    except IdentityError as exc:
        raise ApiError(422, "invalid_identity", str(exc)) from exc
    try:
        result = match_or_create(db(), g.tenant.id, identities, name=name, source=data.source,
                                 defaults={"gender": data.gender, "is_member": data.is_member,
                                           "attributes": data.attributes})
    except IdentityError as exc:
        raise ApiError(422, "invalid_identity", str(exc), {"mobile": str(exc)}) from exc
    audit.record(db(), "customer.create" if result.created else "customer.match", tenant_id=g.tenant.id,
                 actor=api_actor(), target=str(result.customer.id))
    db().flush()
    return {"customer": customer_out(result.customer), "created": result.created}, 201 if result.created else 200


@bp.get("/customers/<int:customer_id>")
@registry.operation("/customers/{customer_id}", "get", "One customer with identities", "customers",
                    response=CustomerOut)
@tenant_required
def get_customer(customer_id: int):
    return customer_out(_get(customer_id))


@bp.patch("/customers/<int:customer_id>")
@registry.operation("/customers/{customer_id}", "patch", "Update a customer", "customers", request=CustomerPatch,
                    response=CustomerOut)
@tenant_required
def update_customer(customer_id: int):
    customer = _get(customer_id)
    data = body(CustomerPatch).model_dump(exclude_unset=True)
    try:  # the rules of the members form and the import
        if "name" in data:
            data["name"] = customer_rules.clean_name(data["name"])
        if "mobile" in data and data["mobile"]:
            data["mobile"] = customer_rules.clean_mobile(data["mobile"])
    except customer_rules.CustomerRuleError as exc:
        raise _refused(exc) from exc
    if data.get("mobile"):
        try:
            customer_rules.check_mobiles_free(db(), g.tenant.id, [data["mobile"]], customer.id)
        except customer_rules.CustomerRuleError as exc:
            raise _refused(exc, status=409, code="duplicate_mobile") from exc
    if data.get("owner_employee_id") is not None and get_scoped(db(), Employee, g.tenant.id,
                                                                data["owner_employee_id"]) is None:
        raise ApiError(422, "validation_error", "owner_employee_id is not an employee of this tenant",
                       {"owner_employee_id": "unknown employee"})
    if customer.merged_into_id is not None:
        raise ApiError(409, "merged", f"customer {customer.id} was merged into {customer.merged_into_id}")
    for key, value in data.items():
        setattr(customer, key, value)
    customer.updated_at = utcnow()
    db().add(customer)
    if data.get("mobile"):
        existing = db().exec(select(CustomerIdentity).where(
            CustomerIdentity.customer_id == customer.id, CustomerIdentity.kind == IdentityKind.MOBILE)).first()
        if existing is None:
            db().add(CustomerIdentity(tenant_id=g.tenant.id, customer_id=customer.id, kind=IdentityKind.MOBILE,
                                      value=data["mobile"]))
        else:
            existing.value = data["mobile"]
            db().add(existing)
    publish(db(), g.tenant.id, EventTypes.CUSTOMER_UPDATED, {"customer_id": customer.id, "fields": sorted(data)})
    audit.record(db(), "customer.update", tenant_id=g.tenant.id, actor=api_actor(), target=str(customer.id),
                 detail={"fields": sorted(data)})
    db().flush()
    return customer_out(customer)


@bp.post("/customers/<int:customer_id>/merge")
@registry.operation("/customers/{customer_id}/merge", "post", "Merge another customer into this one", "customers",
                    request=MergeIn, response=CustomerOut)
@tenant_required
def merge_customer(customer_id: int):
    data = body(MergeIn)
    survivor, merged = _get(customer_id), _get(data.merged_id)
    try:
        merge_customers(db(), g.hooks, survivor, merged, data.choices, actor=api_actor())
    except MergeError as exc:
        raise ApiError(409, "merge_refused", str(exc)) from exc
    audit.record(db(), "customer.merge", tenant_id=g.tenant.id, actor=api_actor(), target=str(survivor.id),
                 detail={"merged_id": merged.id})
    db().flush()
    return customer_out(survivor)
