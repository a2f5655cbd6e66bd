"""REST endpoints of the segments area under ``/api/v1/members/``: tag categories and tags, tagging a customer,
segments (list, create, live count, keyset members, refresh) and the blacklist. A tenant API token acts for the whole
tenant: category visibility (a per-employee rule) does not narrow it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from pydantic import BaseModel, Field
from sqlalchemy import select

from scrm.sdk import AudienceError, Customer
from scrm.sdk.web import ApiError, api_operation, audit_action, body, current_tenant, db, query_int

from . import blacklist as blacklist_service
from . import segment_store as store
from . import tag_catalog as catalog
from .audiences import estimate, tenant_filter_types
from .models import BlacklistEntry, SegmentMember
from .tag_catalog import CatalogError
from .tagging import TaggingError, apply_tags, remove_tags

api = Blueprint("segments_api", __name__)
MAX_LIMIT = 200
TAB_PARAM = {"name": "tab", "in": "query", "schema": {"type": "string", "enum": ["manual", "auto"], "default": "manual"},
             "description": "manual or automatic tags"}
PAGE_PARAMS = [
    {"name": "cursor", "in": "query", "schema": {"type": "integer"},
     "description": "the next_cursor of the previous page"},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50}},
]


def _types() -> list:
    return tenant_filter_types(db(), current_tenant())


def _limit() -> int:
    return query_int("limit", 50, low=1, high=MAX_LIMIT)


def _cursor() -> int | None:
    return query_int("cursor", low=1)


# -- tags ------------------------------------------------------------------------------------------------------------


class CategoryIn(BaseModel):
    name: str = Field(min_length=1, max_length=catalog.CATEGORY_NAME_MAX)
    tab: str = Field("manual", pattern="^(manual|auto)$")
    parent_id: int | None = None


class TagsIn(BaseModel):
    category_id: int
    names: list[str] = Field(min_length=1, max_length=50)


class TagIdsIn(BaseModel):
    tag_ids: list[int] = Field(min_length=1, max_length=500)


class TagCategoryOut(BaseModel):
    id: int
    name: str
    tab: str
    parent_id: int | None


class TagCategoryList(BaseModel):
    items: list[TagCategoryOut]


class TagOut(BaseModel):
    id: int
    name: str
    category_id: int
    category: str
    tagged_people: int
    tagged_times: int
    updated_at: str


class TagList(BaseModel):
    total: int
    items: list[TagOut]


class CreatedTagOut(BaseModel):
    id: int
    name: str
    category_id: int


class CreatedTagList(BaseModel):
    items: list[CreatedTagOut]


class AddedCount(BaseModel):
    added: int


class UntaggedOut(BaseModel):
    removed: int


def _category_out(group) -> dict[str, Any]:
    return {"id": group.id, "name": group.name, "tab": group.source, "parent_id": group.parent_id}


@api.get("/tag-categories")
@api_operation("members", "/tag-categories", "get", "Tag categories of a tab", response=TagCategoryList,
               params=[TAB_PARAM])
def list_categories():
    tab = request.args.get("tab", "manual")
    return {"items": [_category_out(g) for g in catalog.categories(db(), current_tenant().id, tab)]}


@api.post("/tag-categories")
@api_operation("members", "/tag-categories", "post", "Create a tag category (a parent_id makes it a sub-category)",
               request=CategoryIn, response=TagCategoryOut, status=201)
def create_category():
    data = body(CategoryIn)
    try:
        group = catalog.create_category(db(), current_tenant().id, data.tab, data.name, data.parent_id)
    except CatalogError as exc:
        raise ApiError(422, "validation_error", str(exc), exc.fields) from exc
    audit_action("members.tag_category.create", group.name)
    return _category_out(group), 201


@api.get("/tags")
@api_operation("members", "/tags", "get", "Tags of a tab with how many people carry them (at most 1000 rows)",
               response=TagList, params=[TAB_PARAM])
def list_tags():
    tab = request.args.get("tab", "manual")
    if tab not in catalog.TABS:
        raise ApiError(400, "invalid_parameter", "tab must be manual or auto")
    rows, total = catalog.tag_rows(db(), current_tenant().id, tab, limit=MAX_LIMIT * 5)
    return {"total": total, "items": [
        {"id": r.tag.id, "name": r.tag.name, "category_id": r.tag.group_id, "category": r.category,
         "tagged_people": r.people, "tagged_times": r.times, "updated_at": r.updated_at.isoformat()}
        for r in rows]}


@api.post("/tags")
@api_operation("members", "/tags", "post", "Create tags in a category", request=TagsIn, response=CreatedTagList,
               status=201)
def create_tags():
    data = body(TagsIn)
    try:
        tags = catalog.create_tags(db(), current_tenant().id, data.category_id, data.names, None)
    except CatalogError as exc:
        raise ApiError(422, "validation_error", str(exc), exc.fields) from exc
    audit_action("members.tag.create", ", ".join(t.name for t in tags))
    return {"items": [{"id": t.id, "name": t.name, "category_id": t.group_id} for t in tags]}, 201


@api.post("/customers/<int:customer_id>/tags")
@api_operation("members", "/customers/{customer_id}/tags", "post", "Tag a customer; answers how many tags were new",
               request=TagIdsIn, response=AddedCount)
def tag_customer(customer_id: int):
    data = body(TagIdsIn)
    try:
        added = apply_tags(db(), current_tenant().id, [customer_id], data.tag_ids, None, source="api")
    except TaggingError as exc:
        raise ApiError(422, "invalid_tagging", str(exc)) from exc
    return {"added": added}


@api.delete("/customers/<int:customer_id>/tags")
@api_operation("members", "/customers/{customer_id}/tags", "delete",
               "Remove tags from a customer; answers how many were removed", request=TagIdsIn, response=UntaggedOut)
def untag_customer(customer_id: int):
    data = body(TagIdsIn)
    try:
        removed = remove_tags(db(), current_tenant().id, [customer_id], data.tag_ids, None, source="api")
    except TaggingError as exc:
        raise ApiError(422, "invalid_tagging", str(exc)) from exc
    return {"removed": removed}


# -- segments --------------------------------------------------------------------------------------------------------


class SegmentIn(BaseModel):
    name: str
    category_id: int
    kind: str = Field(pattern="^(dynamic|static)$")
    mode: str = Field("conditions", pattern="^(conditions|manual)$")
    description: str = ""
    rule: dict[str, Any] = Field(default_factory=lambda: {"conditions": []})


class SegmentOut(BaseModel):
    id: int
    name: str
    category_id: int
    kind: str
    mode: str
    state: str
    description: str
    rule: dict[str, Any]
    member_count: int
    created_at: str
    refreshed_at: str | None


class SegmentList(BaseModel):
    items: list[SegmentOut]


class SegmentCountOut(BaseModel):
    """``live`` is true when the rule was computed now, false for the picked members of a manual segment."""

    count: int
    live: bool


class SegmentMemberOut(BaseModel):
    id: int
    name: str
    is_member: bool
    added_at: str


class SegmentMemberPage(BaseModel):
    items: list[SegmentMemberOut]
    next_cursor: int | None


def _segment_out(segment) -> dict[str, Any]:
    return {"id": segment.id, "name": segment.name, "category_id": segment.category_id, "kind": segment.kind,
            "mode": segment.mode, "state": segment.state, "description": segment.description,
            "rule": segment.rule, "member_count": segment.member_count,
            "created_at": segment.created_at.isoformat(),
            "refreshed_at": segment.refreshed_at.isoformat() if segment.refreshed_at else None}


def _segment(segment_id: int):
    segment = store.get_segment(db(), current_tenant().id, segment_id)
    if segment is None:
        raise ApiError(404, "not_found", f"no segment {segment_id}")
    return segment


@api.get("/segments")
@api_operation("members", "/segments", "get", "The tenant's segments, newest first", response=SegmentList)
def list_segments():
    from .models import Segment

    rows = db().execute(select(Segment).where(Segment.tenant_id == current_tenant().id)
                        .order_by(Segment.id.desc())).scalars().all()
    return {"items": [_segment_out(s) for s in rows]}


@api.post("/segments")
@api_operation("members", "/segments", "post", "Create a segment (by-conditions segments are computed at once)",
               request=SegmentIn, response=SegmentOut, status=201)
def create_segment():
    data = body(SegmentIn)
    types = _types()
    try:
        clean = store.validate(db(), current_tenant().id, data.model_dump(), types)
        segment = store.create_segment(db(), current_tenant().id, clean, types, None)
    except store.SegmentError as exc:
        raise ApiError(422, "validation_error", str(exc), exc.fields) from exc
    audit_action("members.segment.create", segment.name)
    return _segment_out(segment), 201


@api.get("/segments/<int:segment_id>/count")
@api_operation("members", "/segments/{segment_id}/count", "get", "The number of customers matching a segment now",
               response=SegmentCountOut)
def segment_count(segment_id: int):
    """The number of customers matching the segment now: its rule computed live (by-conditions segments), or its
    picked members (manual ones)."""
    segment = _segment(segment_id)
    if segment.mode != "conditions":
        return {"count": store.live_member_count(db(), segment), "live": False}
    try:
        return {"count": estimate(db(), current_tenant().id, segment.rule, _types()), "live": True}
    except AudienceError as exc:
        raise ApiError(409, "rule_unavailable", str(exc)) from exc


@api.get("/segments/<int:segment_id>/members")
@api_operation("members", "/segments/{segment_id}/members", "get",
               "A segment's members by customer id descending (keyset pagination)", response=SegmentMemberPage,
               params=PAGE_PARAMS)
def segment_members(segment_id: int):
    """Members by customer id descending; ``cursor`` is the last id of the previous page."""
    segment = _segment(segment_id)
    limit, cursor = _limit(), _cursor()
    query = (select(Customer.id, Customer.name, Customer.is_member, SegmentMember.added_at)
             .join(SegmentMember, SegmentMember.customer_id == Customer.id)
             .where(SegmentMember.segment_id == segment.id, SegmentMember.tenant_id == segment.tenant_id,
                    Customer.merged_into_id.is_(None)))
    if cursor is not None:
        query = query.where(Customer.id < cursor)
    rows = db().execute(query.order_by(Customer.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [{"id": r.id, "name": r.name, "is_member": r.is_member, "added_at": r.added_at.isoformat()}
                      for r in rows], "next_cursor": rows[-1].id if more else None}


@api.post("/segments/<int:segment_id>/refresh")
@api_operation("members", "/segments/{segment_id}/refresh", "post",
               "Recompute a by-conditions segment's members from its rule", response=SegmentOut)
def refresh_segment(segment_id: int):
    segment = _segment(segment_id)
    if segment.mode != "conditions":
        raise ApiError(409, "manual_segment", "a segment picked by hand has no conditions to refresh")
    try:
        count = store.materialize(db(), segment, _types())
    except AudienceError as exc:
        raise ApiError(409, "rule_unavailable", str(exc)) from exc
    audit_action("members.segment.refresh", segment.name, members=count)
    return _segment_out(segment)


# -- blacklist -------------------------------------------------------------------------------------------------------


class BlacklistIn(BaseModel):
    customer_ids: list[int] = Field(min_length=1, max_length=1000)
    reason: str = ""


class BlacklistEntryOut(BaseModel):
    id: int
    customer_id: int
    reason: str
    blacklisted_at: str
    removed_at: str | None


class BlacklistPage(BaseModel):
    items: list[BlacklistEntryOut]
    next_cursor: int | None


class BlacklistRemovedOut(BaseModel):
    removed: bool


def _entry_out(entry) -> dict[str, Any]:
    return {"id": entry.id, "customer_id": entry.customer_id, "reason": entry.reason,
            "blacklisted_at": entry.created_at.isoformat(),
            "removed_at": entry.removed_at.isoformat() if entry.removed_at else None}


@api.get("/blacklist")
@api_operation("members", "/blacklist", "get", "Blacklisted customers, newest entry first (keyset pagination)",
               response=BlacklistPage, params=[*PAGE_PARAMS, {
                   "name": "history", "in": "query", "schema": {"type": "boolean", "default": False},
                   "description": "include entries already removed (1 or true)"}])
def list_blacklist():
    limit, cursor = _limit(), _cursor()
    history = request.args.get("history") in ("1", "true")
    query = select(BlacklistEntry).where(BlacklistEntry.tenant_id == current_tenant().id)
    if not history:
        query = query.where(BlacklistEntry.removed_at.is_(None))
    if cursor is not None:
        query = query.where(BlacklistEntry.id < cursor)
    rows = db().execute(query.order_by(BlacklistEntry.id.desc()).limit(limit + 1)).scalars().all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [_entry_out(e) for e in rows], "next_cursor": rows[-1].id if more else None}


@api.post("/blacklist")
@api_operation("members", "/blacklist", "post", "Blacklist customers; answers how many were newly added",
               request=BlacklistIn, response=AddedCount, status=201)
def add_to_blacklist():
    data = body(BlacklistIn)
    try:
        added = blacklist_service.add(db(), current_tenant().id, data.customer_ids, data.reason, None)
    except blacklist_service.BlacklistError as exc:
        raise ApiError(422, "validation_error", str(exc), exc.fields) from exc
    audit_action("members.blacklist.add", ",".join(map(str, data.customer_ids))[:100], added=added)
    return {"added": added}, 201


@api.delete("/blacklist/<int:customer_id>")
@api_operation("members", "/blacklist/{customer_id}", "delete", "Take a customer off the blacklist",
               response=BlacklistRemovedOut)
def remove_from_blacklist(customer_id: int):
    if not blacklist_service.remove(db(), current_tenant().id, customer_id, None):
        raise ApiError(404, "not_found", f"customer {customer_id} is not blacklisted")
    audit_action("members.blacklist.remove", str(customer_id))
    return {"removed": True}
