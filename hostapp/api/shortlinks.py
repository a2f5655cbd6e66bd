"""Short links of the token's tenant: create, list, read with statistics, issue personalised links."""

from __future__ import annotations

from datetime import date, datetime

from flask import g, request
from pydantic import BaseModel, Field
from sqlalchemy import select

from scrm.core import shortlinks
from scrm.core.models import Customer, ShortLink
from scrm.core.services import audit

from ..platform_ext import db
from . import ApiError, api_actor, body, bp, tenant_required
from .inputs import INT_MAX, InvalidParameter, query_int
from .openapi import registry

MAX_LIMIT = 200
MAX_PERSONALISED = 10_000


class ShortLinkIn(BaseModel):
    target_url: str = Field(max_length=4096, description="http(s) URL, at most 2048 characters")
    kind: str = Field(default="short", description="short (valid 5 years) or long (permanent)")
    channel: str = Field(default="other", max_length=40, description="sms, official_account, wecom, poster, other")
    campaign: str = Field(default="", max_length=200)
    campaign_label: str = Field(default="", max_length=200)


class ShortLinkOut(BaseModel):
    id: int
    code: str
    url: str
    target_url: str
    kind: str
    channel: str
    campaign: str
    campaign_label: str
    expires_at: datetime | None
    created_at: datetime
    created_by: str
    recipients: int


class ShortLinkDayCount(BaseModel):
    day: date
    clicks: int


class ShortLinkStats(BaseModel):
    clicks: int
    bot_clicks: int
    recipients: int
    unique_recipients: int
    first_clicked_at: datetime | None
    last_clicked_at: datetime | None
    per_day: list[ShortLinkDayCount]


class ShortLinkDetail(BaseModel):
    link: ShortLinkOut
    stats: ShortLinkStats


class ShortLinkPage(BaseModel):
    items: list[ShortLinkOut]
    next_cursor: int | None


class ShortLinkRecipientIn(BaseModel):
    recipient: str = Field(min_length=1, max_length=128)
    customer_id: int | None = None


class ShortLinkPersonaliseIn(BaseModel):
    recipients: list[ShortLinkRecipientIn] = Field(min_length=1, max_length=MAX_PERSONALISED)


class ShortLinkPersonalCode(BaseModel):
    recipient: str
    code: str
    url: str


class ShortLinkPersonaliseOut(BaseModel):
    items: list[ShortLinkPersonalCode]


def _url(code: str) -> str:
    return shortlinks.short_url(code, request.url_root)


def link_out(link: ShortLink) -> dict:
    data = ShortLinkOut(id=link.id, code=link.code, url=_url(link.code), target_url=link.target_url, kind=link.kind,
                        channel=link.channel, campaign=link.campaign, campaign_label=link.campaign_label,
                        expires_at=link.expires_at, created_at=link.created_at, created_by=link.created_by,
                        recipients=link.recipients)
    return data.model_dump(mode="json")


def _get(link_id: int) -> ShortLink:
    link = shortlinks.get(db(), g.tenant.id, link_id)
    if link is None:
        raise ApiError(404, "not_found", f"no short link {link_id}")
    return link


def _refusal(exc: shortlinks.ShortLinkError) -> ApiError:
    message = exc.message % exc.params if exc.params else exc.message
    return ApiError(422, "validation_error", f"{exc.field}: {message}", {exc.field: message})


@bp.post("/short-links")
@registry.operation("/short-links", "post", "Create a short link (short: valid 5 years; long: permanent)",
                    "short links", request=ShortLinkIn, response=ShortLinkOut, status=201)
@tenant_required
def create_short_link():
    data = body(ShortLinkIn)
    try:
        link = shortlinks.create(db(), g.tenant.id, data.target_url, kind=data.kind, channel=data.channel,
                                 campaign=data.campaign, campaign_label=data.campaign_label, created_by=api_actor())
    except shortlinks.ShortLinkError as exc:
        raise _refusal(exc) from exc
    audit.record(db(), "short_link.create", tenant_id=g.tenant.id, actor=api_actor(), target=link.code,
                 detail={"channel": link.channel, "campaign": link.campaign})
    db().flush()
    return link_out(link), 201


@bp.get("/short-links")
@registry.operation("/short-links", "get", "List short links, newest first (keyset pagination)", "short links",
                    response=ShortLinkPage, params=[
                        {"name": "cursor", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                     "maximum": INT_MAX}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                    "maximum": MAX_LIMIT}},
                        {"name": "channel", "in": "query", "schema": {"type": "string"}},
                        {"name": "campaign", "in": "query", "schema": {"type": "string"},
                         "description": "campaign key or name contains"}])
@tenant_required
def list_short_links():
    try:
        limit = query_int("limit", 50, low=1, high=MAX_LIMIT)
        cursor = query_int("cursor", None, low=1)
    except InvalidParameter as exc:
        raise ApiError(400, "invalid_parameter", str(exc)) from exc
    stmt = shortlinks.query(g.tenant.id, channel=request.args.get("channel") or None,
                            campaign=(request.args.get("campaign") or "").strip() or None)
    if cursor:
        stmt = stmt.where(ShortLink.id < cursor)
    rows = list(db().exec(stmt.order_by(ShortLink.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [link_out(link) for link in rows], "next_cursor": rows[-1].id if more and rows else None}


@bp.get("/short-links/<int:link_id>")
@registry.operation("/short-links/{link_id}", "get", "One short link with its click statistics (last 30 days)",
                    "short links", response=ShortLinkDetail)
@tenant_required
def get_short_link(link_id: int):
    link = _get(link_id)
    numbers = shortlinks.stats(db(), g.tenant.id, link.id)
    stats = ShortLinkStats(clicks=numbers.clicks, bot_clicks=numbers.bot_clicks, recipients=numbers.recipients,
                           unique_recipients=numbers.unique_recipients, first_clicked_at=numbers.first_clicked_at,
                           last_clicked_at=numbers.last_clicked_at,
                           per_day=[ShortLinkDayCount(day=d, clicks=n) for d, n in numbers.per_day])
    return {"link": link_out(link), "stats": stats.model_dump(mode="json")}


@bp.post("/short-links/<int:link_id>/personalised")
@registry.operation("/short-links/{link_id}/personalised", "post",
                    f"Issue personalised links (one per recipient, at most {MAX_PERSONALISED:,} per call)",
                    "short links", request=ShortLinkPersonaliseIn, response=ShortLinkPersonaliseOut, status=201)
@tenant_required
def personalise(link_id: int):
    link = _get(link_id)
    data = body(ShortLinkPersonaliseIn)
    wanted = {r.customer_id for r in data.recipients if r.customer_id is not None}
    if wanted:
        known = set(db().execute(select(Customer.id).where(Customer.tenant_id == g.tenant.id,
                                                           Customer.id.in_(wanted))).scalars())
        missing = sorted(wanted - known)
        if missing:
            raise ApiError(422, "validation_error", f"recipients: no customer {missing[0]}",
                           {"recipients": f"no customer {missing[0]}"})
    try:
        codes = shortlinks.create_many_personalised(
            db(), link, [shortlinks.Recipient(r.recipient, r.customer_id) for r in data.recipients])
    except shortlinks.ShortLinkError as exc:
        raise _refusal(exc) from exc
    audit.record(db(), "short_link.personalise", tenant_id=g.tenant.id, actor=api_actor(), target=link.code,
                 detail={"count": len(codes)})
    db().flush()
    items = [{"recipient": r.recipient, "code": code, "url": _url(code)} for r, code in zip(data.recipients, codes,
                                                                                               strict=True)]
    return {"items": items}, 201
