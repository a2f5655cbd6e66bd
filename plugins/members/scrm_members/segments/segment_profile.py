"""The group profile (分组画像) of a segment: member share, gender split, source split and its tag cloud, each one
aggregate query over the segment's live members.

Purchase metrics (preferred products, purchase rate) need the loyalty area's orders: an area that can compute them
contributes ``Area.extra["segment_panels"]``, a callable ``(tenant, segment, session) -> list[ProfilePanel]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlmodel import Session

from scrm.sdk import Customer, CustomerEvent, CustomerTag, Tag, utcnow

from .models import Segment, SegmentMember

GENDERS = {0: _l("Unknown"), 1: _l("Male"), 2: _l("Female")}
TAG_CLOUD_SIZE = 30
# Activity buckets of the active-user share (活跃用户占比), by days since the customer's latest interaction: active up
# to 30 days, silent up to 90, dormant up to 180, lost beyond. An interaction is a timeline event a channel plugin
# recorded (a message, a follow, a click, a group join ...); the platform's own bookkeeping (plugins "members",
# "core": created, tagged, transferred, merged) is not activity. Customers without any interaction have no activity
# status and are left out of the base (the spec's sample: 34 of 93 members in the pie).
ACTIVITY_BUCKETS = ((30, _l("Active customers")), (90, _l("Silent customers")), (180, _l("Dormant customers")))
LOST = _l("Lost customers")
NOT_ACTIVITY = ("members", "core")


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
    activity: list[Share] = field(default_factory=list)
    activity_base: int = 0


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
    activity, base = activity_share(session, segment.tenant_id, members, utcnow())
    return Profile(total, member_share, genders, sources, [(name, count) for name, count in tags], activity, base)


def activity_share(session: Session, tenant_id: int, members: Any, now: datetime) -> tuple[list[Share], int]:
    """The active-user share of the ``members`` subquery (customers with ``id``): each member with an interaction in
    a bucket by the days since the latest one, as shares of the members with an interaction."""
    latest = (select(CustomerEvent.customer_id, func.max(CustomerEvent.occurred_at).label("at"))
              .where(CustomerEvent.tenant_id == tenant_id, CustomerEvent.customer_id.in_(select(members.c.id)),
                     CustomerEvent.plugin.not_in(NOT_ACTIVITY))
              .group_by(CustomerEvent.customer_id).subquery())
    bounds = [now - timedelta(days=days) for days, _label in ACTIVITY_BUCKETS]
    counts = session.execute(select(
        *[func.count().filter(latest.c.at >= bound) for bound in bounds], func.count())).one()
    cumulative = [int(n) for n in counts]
    base = cumulative[-1]
    pairs, below = [], 0
    for (_days, label), upto in zip(ACTIVITY_BUCKETS, cumulative[:-1], strict=True):
        pairs.append((str(label), upto - below))
        below = upto
    pairs.append((str(LOST), base - below))
    return _shares(pairs, base), base
