"""REST endpoints of member levels under ``/api/v1/members/``: the ladder (list, create, change, delete) and a
customer's level (read, set, remove; one customer or many).

``valid_until`` of an assignment: ``"permanent"``, a day ``"YYYY-MM-DD"`` (today or later, Beijing time), or absent
for the level's default validity. A level is named by ``level_id`` or by its ``level`` name.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from scrm.sdk import Customer
from scrm.sdk.web import ApiError, api_actor, api_operation, audit_action, body, current_tenant, db

from . import levels, orders
from .api import api
from .models import MemberLevel

BULK_MAX = 10_000


class LevelIn(BaseModel):
    """A level; ``validity_months`` absent or null means permanent."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=levels.NAME_MAX)
    rank: int = Field(ge=1, le=levels.RANK_MAX)
    description: str = Field("", max_length=levels.DESCRIPTION_MAX)
    validity_months: int | None = Field(None, ge=1, le=levels.MONTHS_MAX)


class LevelPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=levels.NAME_MAX)
    rank: int | None = Field(None, ge=1, le=levels.RANK_MAX)
    description: str | None = Field(None, max_length=levels.DESCRIPTION_MAX)
    validity_months: int | None = Field(None, ge=1, le=levels.MONTHS_MAX)


class LevelOut(BaseModel):
    id: int
    name: str
    rank: int
    description: str
    validity_months: int | None
    holders: int


class LevelList(BaseModel):
    items: list[LevelOut]


class LevelDeletedOut(BaseModel):
    deleted: bool


class LevelAssignIn(BaseModel):
    """Set a customer's level: ``level_id`` or ``level`` (name); null for both removes it."""

    model_config = ConfigDict(extra="forbid")
    level_id: int | None = None
    level: str | None = None
    valid_until: str | None = None


class LevelBulkAssignIn(LevelAssignIn):
    customer_ids: list[int] = Field(min_length=1, max_length=BULK_MAX)


class CustomerLevelOut(BaseModel):
    """The customer's current level (null when none, or expired); ``valid_until`` null means permanent."""

    customer_id: int
    level_id: int | None
    level: str | None
    rank: int | None
    valid_until: str | None
    permanent: bool | None


class LevelBulkAssignOut(BaseModel):
    customers: int


def _level_out(level: MemberLevel, holders: dict[int, int]) -> dict:
    return {"id": level.id, "name": level.name, "rank": level.rank, "description": level.description,
            "validity_months": level.validity_months, "holders": holders.get(level.id, 0)}


def _level_or_404(level_id: int) -> MemberLevel:
    level = levels.get_level(db(), current_tenant().id, level_id)
    if level is None:
        raise ApiError(404, "not_found", f"no level {level_id}")
    return level


def _invalid(exc: levels.LevelError) -> ApiError:
    return ApiError(422, "validation_error", str(exc), exc.errors)


@api.get("/levels")
@api_operation("members", "/levels", "get", "The member levels, lowest rank first, with how many customers hold "
               "each today", response=LevelList)
def list_levels():
    tenant = current_tenant()
    holders = levels.holder_counts(db(), tenant.id)
    return {"items": [_level_out(level, holders) for level in levels.ladder(db(), tenant.id)]}


def _save(level: MemberLevel | None, data: dict) -> MemberLevel:
    data = {**data, "validity": "months" if data.get("validity_months") else "permanent"}
    try:
        clean = levels.clean_level(db(), current_tenant().id, data, level)
    except levels.LevelError as exc:
        raise _invalid(exc) from exc
    saved = levels.save_level(db(), current_tenant().id, clean, level)
    audit_action("members.level.save", f"level:{saved.id}", **clean)
    return saved


@api.post("/levels")
@api_operation("members", "/levels", "post", "Create a member level (name and rank unique)", request=LevelIn,
               response=LevelOut, status=201)
def create_level():
    level = _save(None, body(LevelIn).model_dump())
    return _level_out(level, {}), 201


@api.patch("/levels/<int:level_id>")
@api_operation("members", "/levels/{level_id}", "patch", "Change a member level (absent keys are left alone; "
               "validity_months null makes it permanent)", request=LevelPatch, response=LevelOut)
def patch_level(level_id: int):
    level = _level_or_404(level_id)
    patch = body(LevelPatch).model_dump(exclude_unset=True)
    data = {"name": level.name, "rank": level.rank, "description": level.description,
            "validity_months": level.validity_months, **patch}
    saved = _save(level, data)
    return _level_out(saved, levels.holder_counts(db(), current_tenant().id))


@api.delete("/levels/<int:level_id>")
@api_operation("members", "/levels/{level_id}", "delete", "Delete a member level nobody holds (409 otherwise)",
               response=LevelDeletedOut)
def delete_level(level_id: int):
    level = _level_or_404(level_id)
    try:
        levels.delete_level(db(), current_tenant().id, level)
    except levels.LevelError as exc:
        raise ApiError(409, "level_in_use", exc.errors["level"]) from exc
    audit_action("members.level.delete", f"level:{level_id}")
    return {"deleted": True}


def _chosen(data: LevelAssignIn) -> MemberLevel | None:
    tenant_id = current_tenant().id
    if data.level_id is not None:
        return _level_or_404(data.level_id)
    if data.level is not None:
        level = levels.by_name(db(), tenant_id).get(data.level.strip().casefold())
        if level is None:
            raise ApiError(422, "validation_error", f"no level named {data.level!r}", {"level": "unknown level"})
        return level
    return None


def _assign(customer_ids: list[int], data: LevelAssignIn) -> int:
    level = _chosen(data)
    until = None
    if level is not None:
        try:
            until = levels.valid_until_for(level, data.valid_until)
        except levels.LevelError as exc:
            raise _invalid(exc) from exc
    count = levels.assign(db(), current_tenant().id, customer_ids, level, until, actor=api_actor())
    audit_action("members.level.assign", f"{count} customers", level_id=level.id if level else None,
                 valid_until=until.isoformat() if until else None, customer_ids=customer_ids[:1000])
    return count


def _customer_level(customer_id: int) -> dict:
    held = levels.held_level(db(), current_tenant().id, customer_id)
    if held is None:
        return {"customer_id": customer_id, "level_id": None, "level": None, "rank": None, "valid_until": None,
                "permanent": None}
    return {"customer_id": customer_id, "level_id": held.level_id, "level": held.name, "rank": held.rank,
            "valid_until": held.valid_until.isoformat() if held.valid_until else None, "permanent": held.permanent}


def _live(customer_id: int) -> int:
    if orders.live_customer(db(), current_tenant().id, customer_id) is None:
        raise ApiError(404, "not_found", f"no customer {customer_id}")
    return customer_id


@api.get("/customers/<int:customer_id>/level")
@api_operation("members", "/customers/{customer_id}/level", "get", "A customer's current member level",
               response=CustomerLevelOut)
def get_customer_level(customer_id: int):
    return _customer_level(_live(customer_id))


@api.put("/customers/<int:customer_id>/level")
@api_operation("members", "/customers/{customer_id}/level", "put", "Set (or, with no level, remove) a customer's "
               "member level", request=LevelAssignIn, response=CustomerLevelOut)
def put_customer_level(customer_id: int):
    _assign([_live(customer_id)], body(LevelAssignIn))
    return _customer_level(customer_id)


@api.delete("/customers/<int:customer_id>/level")
@api_operation("members", "/customers/{customer_id}/level", "delete", "Remove a customer's member level",
               response=CustomerLevelOut)
def delete_customer_level(customer_id: int):
    _assign([_live(customer_id)], LevelAssignIn())
    return _customer_level(customer_id)


@api.post("/levels/assignments")
@api_operation("members", "/levels/assignments", "post", "Give many customers a level (or remove theirs); every id "
               "must be a live customer of the tenant", request=LevelBulkAssignIn, response=LevelBulkAssignOut,
               status=201)
def bulk_assign():
    data = body(LevelBulkAssignIn)
    ids = list(dict.fromkeys(data.customer_ids))
    known = set(db().execute(select(Customer.id).where(Customer.tenant_id == current_tenant().id,
                                                       Customer.id.in_(ids),
                                                       Customer.merged_into_id.is_(None))).scalars())
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ApiError(422, "validation_error", f"unknown customers: {unknown[:20]}",
                       {"customer_ids": "unknown or merged customers"})
    return {"customers": _assign(ids, data)}, 201
