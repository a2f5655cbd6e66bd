"""Fans: the visitor and fan lists (one query each, filtered and paged in SQL), the fan detail, the events that keep
fans current (follow with or without a scene QR code, unfollow, scan, messages and menu clicks), and OA tags
two-way (WeChat is called first; the local rows follow its answer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlmodel import Session

from scrm.sdk import ChannelAccount, Customer, date_span, utcnow

from . import api
from .models import Fan, FanEvent, OATag
from .sync import FanApplier

PAGE_SIZE = 20
VISITORS, FOLLOWERS = "visitors", "fans"
SCENE_PREFIX = "qrscene_"


@dataclass
class FanFilter:
    tab: str = FOLLOWERS
    account_id: int | None = None
    q: str = ""
    visit_from: date | None = None
    visit_to: date | None = None


def fan_query(tenant_id: int, filters: FanFilter):
    """``SELECT fan`` of the tenant matching ``filters``: the followers tab lists current followers; the visitors tab
    every user the accounts saw (followers, former followers and visitors who never followed)."""
    query = select(Fan).where(Fan.tenant_id == tenant_id)
    if filters.account_id is not None:
        query = query.where(Fan.account_id == filters.account_id)
    if filters.tab == FOLLOWERS:
        query = query.where(Fan.subscribed.is_(True))
    text = filters.q.strip()
    if text:
        like = f"%{text.replace('%', '').replace('_', '')}%"
        query = query.where(or_(Fan.nickname.like(like), Fan.mobile.like(like), Fan.remark.like(like),
                                Fan.openid == text))
    if filters.visit_from or filters.visit_to:
        span = date_span(filters.visit_from or filters.visit_to, filters.visit_to or filters.visit_from)
        query = query.where(Fan.first_visit_at >= span.start, Fan.first_visit_at < span.end)
    return query


def list_fans(session: Session, tenant_id: int, filters: FanFilter, page: int = 1) -> tuple[list[Fan], int]:
    query = fan_query(tenant_id, filters)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(Fan.first_visit_at.desc(), Fan.id.desc())
                           .offset((max(1, page) - 1) * PAGE_SIZE).limit(PAGE_SIZE)).scalars().all()
    return list(rows), total


def find_fan(session: Session, tenant_id: int, fan_id: int) -> Fan | None:
    return session.execute(select(Fan).where(Fan.id == fan_id, Fan.tenant_id == tenant_id)).scalars().first()


def fan_detail(session: Session, fan: Fan) -> dict[str, Any]:
    """What the detail page shows besides the fan: tags by name, recent interactions, linked customer, the QR code."""
    tags = session.execute(select(OATag).where(OATag.account_id == fan.account_id,
                                               OATag.wechat_id.in_(fan.tagid_list or [-1]))).scalars().all()
    events = session.execute(select(FanEvent).where(FanEvent.tenant_id == fan.tenant_id, FanEvent.fan_id == fan.id)
                             .order_by(FanEvent.occurred_at.desc(), FanEvent.id.desc()).limit(50)).scalars().all()
    customer = session.get(Customer, fan.customer_id) if fan.customer_id else None
    qrcode = None
    if fan.qrcode_id:
        from ..qrcodes.models import QrCode

        qrcode = session.get(QrCode, fan.qrcode_id)
    return {"fan_tags": list(tags), "events": list(events), "customer": customer, "qrcode": qrcode}


# -- events -------------------------------------------------------------------------------------------------------------


def _fan_for(session: Session, account: ChannelAccount, openid: str) -> Fan | None:
    return session.execute(select(Fan).where(Fan.account_id == account.id, Fan.openid == openid)).scalars().first()


def record_event(session: Session, fan: Fan, kind: str, at: datetime, detail: str = "") -> None:
    """One interaction line; a redelivered event (same fan, kind and time) adds nothing."""
    if session.execute(select(FanEvent.id).where(FanEvent.tenant_id == fan.tenant_id, FanEvent.fan_id == fan.id,
                                                 FanEvent.kind == kind, FanEvent.occurred_at == at)).first():
        return
    session.add(FanEvent(tenant_id=fan.tenant_id, account_id=fan.account_id, fan_id=fan.id, kind=kind,
                         detail=detail[:200], occurred_at=at))


def scene_of(event_key: str, subscribing: bool) -> str:
    """The scene value of a QR event: ``qrscene_<value>`` on a follow, the bare value on a scan by a follower."""
    key = event_key or ""
    if subscribing:
        return key[len(SCENE_PREFIX):] if key.startswith(SCENE_PREFIX) else ""
    return key


def on_subscribe(session: Session, account: ChannelAccount, openid: str, at: datetime, event_key: str = "",
                 info: dict[str, Any] | None = None) -> Fan:
    """A follow: the fan (created or re-followed) with its customer (One-ID from ``info``, the ``user/info``
    answer when the API gave one), its follow time and source; the unfollow time of an earlier unfollow is kept."""
    scene = scene_of(event_key, True)
    values = dict(info or {"openid": openid})
    values.update({"openid": openid, "subscribe": 1, "subscribe_time": int(at.timestamp())})
    if scene:
        values["subscribe_scene"] = "ADD_SCENE_QR_CODE"
        if scene.isdigit():
            values["qr_scene"], values["qr_scene_str"] = int(scene), ""
        else:
            values["qr_scene"], values["qr_scene_str"] = 0, scene
    fan = _fan_for(session, account, openid)
    if fan is None or info:
        FanApplier(session, account).apply([values])
        session.flush()
        fan = _fan_for(session, account, openid)
        assert fan is not None
    else:  # no user/info answer: keep what the fan row knows (unionid, remark, tags)
        fan.subscribed, fan.subscribe_time, fan.updated_at = True, at, utcnow()
        if scene:
            fan.subscribe_scene = "ADD_SCENE_QR_CODE"
            fan.qr_scene, fan.qr_scene_str = values["qr_scene"], values["qr_scene_str"]
    if fan.first_visit_at > at:
        fan.first_visit_at = at
    fan.last_interaction_at = at
    if scene:
        from ..qrcodes.service import record_scan

        code = record_scan(session, account, openid, scene, at, new_follow=True)
        fan.qrcode_id = code.id if code is not None else fan.qrcode_id
    session.add(fan)
    session.flush()
    record_event(session, fan, "subscribe", at, scene)
    return fan


def on_unsubscribe(session: Session, account: ChannelAccount, openid: str, at: datetime) -> Fan | None:
    """An unfollow: the fan stays (a former follower in the visitors list) with the time kept."""
    fan = _fan_for(session, account, openid)
    if fan is None:
        return None
    fan.subscribed, fan.unsubscribe_time, fan.updated_at = False, at, utcnow()
    session.add(fan)
    session.flush()
    record_event(session, fan, "unsubscribe", at)
    return fan


def on_scan(session: Session, account: ChannelAccount, openid: str, at: datetime, event_key: str) -> None:
    """A follower scanned a parameter QR code (event SCAN, EventKey = the bare scene value)."""
    fan = _fan_for(session, account, openid)
    from ..qrcodes.service import record_scan

    record_scan(session, account, openid, scene_of(event_key, False), at, new_follow=False)
    if fan is not None:
        fan.last_interaction_at = at
        session.add(fan)
        session.flush()
        record_event(session, fan, "scan", at, event_key)


def on_interaction(session: Session, account: ChannelAccount, openid: str, at: datetime, kind: str,
                   detail: str = "") -> None:
    """A message, menu click or view: the fan's last interaction moves (the "interacted within" filter)."""
    fan = _fan_for(session, account, openid)
    if fan is None:
        return
    session.execute(update(Fan).where(Fan.id == fan.id, or_(Fan.last_interaction_at.is_(None),
                                                             Fan.last_interaction_at < at))
                    .values(last_interaction_at=at))
    record_event(session, fan, kind, at, detail)


def record_visitor(session: Session, account: ChannelAccount, openid: str, at: datetime | None = None) -> Fan:
    """A user who opened one of the account's pages (web authorisation) without following: a visitor row."""
    fan = _fan_for(session, account, openid)
    if fan is not None:
        return fan
    FanApplier(session, account).apply([{"openid": openid, "subscribe": 0}])
    session.flush()
    fan = _fan_for(session, account, openid)
    assert fan is not None
    if at is not None:
        fan.first_visit_at = at
        session.add(fan)
    return fan


# -- OA tags two-way ----------------------------------------------------------------------------------------------------


class TagError(ValueError):
    pass


def account_tags(session: Session, tenant_id: int, account_id: int) -> list[OATag]:
    return list(session.execute(select(OATag).where(OATag.tenant_id == tenant_id, OATag.account_id == account_id)
                                .order_by(OATag.wechat_id)).scalars())


def pull_tags(session: Session, account: ChannelAccount, client: Any) -> int:
    """Replace the account's local tags with ``tags/get`` (WeChat is the source of truth)."""
    remote = {int(t["id"]): t for t in api.list_tags(client)}
    local = {t.wechat_id: t for t in account_tags(session, account.tenant_id, account.id)}
    for wechat_id, tag in local.items():
        if wechat_id not in remote:
            session.delete(tag)
    for wechat_id, data in remote.items():
        row = local.get(wechat_id) or OATag(tenant_id=account.tenant_id, account_id=account.id, wechat_id=wechat_id,
                                            name="")
        row.name, row.count, row.updated_at = str(data.get("name") or "")[:30], int(data.get("count") or 0), utcnow()
        session.add(row)
    session.flush()
    return len(remote)


def validate_tag_name(session: Session, account: ChannelAccount, name: str, own: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise TagError("name_required")
    if len(name.encode()) > api.MAX_TAG_NAME_BYTES:
        raise TagError("name_too_long")
    clash = session.execute(select(OATag.id).where(OATag.account_id == account.id, OATag.name == name,
                                                   OATag.id != (own or -1))).first()
    if clash is not None:
        raise TagError("name_taken")
    return name


def create_tag(session: Session, account: ChannelAccount, client: Any, name: str) -> OATag:
    name = validate_tag_name(session, account, name)
    count = session.execute(select(func.count()).select_from(OATag).where(
        OATag.account_id == account.id, OATag.wechat_id.not_in(api.RESERVED_TAG_IDS))).scalar_one()
    if count >= api.MAX_TAGS:
        raise TagError("too_many_tags")
    created = api.create_tag(client, name)
    tag = OATag(tenant_id=account.tenant_id, account_id=account.id, wechat_id=int(created["id"]), name=name)
    session.add(tag)
    session.flush()
    return tag


def rename_tag(session: Session, account: ChannelAccount, client: Any, tag: OATag, name: str) -> None:
    if tag.wechat_id in api.RESERVED_TAG_IDS:
        raise TagError("reserved_tag")
    name = validate_tag_name(session, account, name, tag.id)
    api.update_tag(client, tag.wechat_id, name)
    tag.name, tag.updated_at = name, utcnow()
    session.add(tag)


def delete_tag(session: Session, account: ChannelAccount, client: Any, tag: OATag) -> None:
    if tag.wechat_id in api.RESERVED_TAG_IDS:
        raise TagError("reserved_tag")
    api.delete_tag(client, tag.wechat_id)
    session.delete(tag)


def tag_fan(session: Session, account: ChannelAccount, client: Any, fan: Fan, tag: OATag, *, untag: bool = False
            ) -> None:
    """Put ``tag`` on (or take it off) ``fan``, on WeChat first; a fan holds at most 20 tags."""
    current = list(fan.tagid_list or [])
    if not untag and tag.wechat_id not in current and len(current) >= api.MAX_TAGS_PER_FAN:
        raise TagError("fan_has_too_many_tags")
    api.tag_fans(client, tag.wechat_id, [fan.openid], untag=untag)
    if untag:
        fan.tagid_list = [t for t in current if t != tag.wechat_id]
    elif tag.wechat_id not in current:
        fan.tagid_list = [*current, tag.wechat_id]
    session.add(fan)


def counts(session: Session, tenant_id: int, account_id: int | None = None) -> dict[str, int]:
    base = [Fan.tenant_id == tenant_id] + ([Fan.account_id == account_id] if account_id else [])
    row = session.execute(select(func.count(), func.count().filter(Fan.subscribed.is_(True)))
                          .where(and_(*base))).one()
    return {VISITORS: row[0], FOLLOWERS: row[1]}
