"""The group profile (分组画像) of a segment: member share, gender split, source split and its tag cloud, each one
aggregate query over the segment's live members.

Purchase metrics (preferred products, purchase rate) need the loyalty area's orders: an area that can compute them
contributes ``Area.extra["segment_panels"]``, a callable ``(tenant, segment, session) -> list[ProfilePanel]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlmodel import Session

from scrm.sdk import Customer, CustomerTag, Tag

from .models import Segment, SegmentMember

GENDERS = {0: _l("Unknown"), 1: _l("Male"), 2: _l("Female")}
TAG_CLOUD_SIZE = 30


@dataclass
class Share:
    label: str
    count: int
    percent: str


def _shares(pairs: list[tuple[str, int]], total: int) -> list[Share]:
    return [Share(label, count, f"{count * 100 / total:.2f}%" if total else "0.00%") for label, count in pairs]


@dataclass
class Profile:
    total: int
    member_share: list[Share]
    genders: list[Share]
    sources: list[Share]
    tags: list[tuple[str, int]]


def profile(session: Session, segment: Segment, scope: Any = None) -> Profile:
    """The group profile of the segment's live members; with ``scope`` (the user's customer visibility) of the members
    the user may see only."""
    live = (select(Customer).join(SegmentMember, SegmentMember.customer_id == Customer.id)
            .where(SegmentMember.segment_id == segment.id, SegmentMember.tenant_id == segment.tenant_id,
                   Customer.merged_into_id.is_(None)))
    if scope is not None:
        live = live.where(scope)
    members = live.subquery()
    total = session.execute(select(func.count()).select_from(members)).scalar_one()
    by_flag = dict(session.execute(select(members.c.is_member, func.count()).group_by(members.c.is_member)).all())
    member_share = _shares([(str(_l("Members")), by_flag.get(True, 0)),
                            (str(_l("Non-members")), by_flag.get(False, 0))], total)
    by_gender = dict(session.execute(select(members.c.gender, func.count()).group_by(members.c.gender)).all())
    genders = _shares([(str(label), by_gender.get(code, 0)) for code, label in GENDERS.items()], total)
    by_source = session.execute(select(members.c.source, func.count()).group_by(members.c.source)
                                .order_by(func.count().desc(), members.c.source)).all()
    sources = _shares([(source, count) for source, count in by_source], total)
    tags = session.execute(
        select(Tag.name, func.count(func.distinct(CustomerTag.customer_id)))
        .join(CustomerTag, CustomerTag.tag_id == Tag.id)
        .where(CustomerTag.customer_id.in_(select(members.c.id)), Tag.tenant_id == segment.tenant_id)
        .group_by(Tag.id, Tag.name).order_by(func.count(func.distinct(CustomerTag.customer_id)).desc(), Tag.name)
        .limit(TAG_CLOUD_SIZE)).all()
    return Profile(total, member_share, genders, sources, [(name, count) for name, count in tags])
