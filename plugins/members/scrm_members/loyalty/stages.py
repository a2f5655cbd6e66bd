"""Lifecycle stages: the tenant's ordered ladder (at most 8), the sample ladder seeded on enabling, the bulk rule
evaluation and the board figures.

Evaluation (``evaluate``) compiles the entry rule of every automated stage into one SQL query, keeps for each
matching customer the stage with the highest ordinal (precedence when several rules match), and moves only the
customers whose current stage differs: their open membership is closed and a new one opened, a timeline event is
written and ``members.stage_changed`` published. A customer who matches no rule keeps the stage they are in (stages
are sticky: a rule moves customers into a stage, never out into nothing).

Board figures use the local day (tenant time zone) of ``now``: "new" counts entries into the stage today, "flow" counts
customers who left the stage for another one today.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, insert, literal, or_, select, union_all, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from scrm.sdk import (
    AudienceError,
    Customer,
    CustomerEvent,
    FilterType,
    compile_audience,
    current_bus,
    publish,
    utcnow,
)
from scrm.sdk.web import seeding_language

from .models import Stage, StageFollowUpRule, StageMembership
from .periods import day_span

log = logging.getLogger(__name__)

MAX_STAGES = 8
NAME_MAX = 30
DESCRIPTION_MAX = 500
PLAN_MAX = 2000
CHUNK = 1000
STAGE_CHANGED = "members.stage_changed"

# The sample ladder of the manual (spec B §4.8), seeded in the tenant's language (its "language of seeded data"):
# the names, descriptions and plan scenarios are the manual's (初步接触, 意向客户, 首单客户, 忠诚客户, 超级客户).
SAMPLE_LADDER = (
    (_l("Initial contact"), _l("Customers in first contact with the brand."),
     _l("1. Registration gift: friend added, 3 days without registering → push the join-gift page.\n"
        "2. Drive to mini-program: friend added, 3 days without logging in → push the join-gift page.\n"
        "3. Complete profile: friend added, 3 days without mobile, gender and birthday → push the join-gift page."),
     None),
    (_l("Intending"), _l("Customers with purchase intent."),
     _l("1. First-order push: 7 days after registering without a purchase → push a spend-threshold coupon.\n"
        "2. Purchase nudge: item in the cart for 3 days without a purchase → push an instant discount or a gift."),
     None),
    (_l("First order"), _l("Customers with exactly one completed order."),
     _l("1. Repurchase: purchased within 85 days but not within 35 days → push the purchase zone or a coupon.\n"
        "2. Invite to group: purchased within 7 days but never joined a group → send the group invitation."),
     {"conditions": [{"type": "purchase_count", "values": [{"min": 1, "max": 1}]}]}),
    (_l("Loyal"), _l("Customers with 10 orders or more and a paid amount under 10,000 yuan."),
     _l("1. Birthday gift: birthday next month → a coupon or one lucky-wheel draw.\n"
        "2. Repurchase: purchased within 85 days but not within 35 days → push the purchase zone or a coupon."),
     {"conditions": [{"type": "purchase_count", "values": [{"min": 10}]},
                     {"type": "paid_amount", "values": [{"max": 9999.99}]}]}),
    (_l("Super customer"), _l("Customers with 10 orders or more and a paid amount of 10,000 yuan or more."),
     _l("1. Birthday gift: birthday next month → a coupon or one lucky-wheel draw.\n"
        "2. Churn wake-up: no purchase for 3 months → push the purchase zone or a spend-threshold coupon."),
     {"conditions": [{"type": "purchase_count", "values": [{"min": 10}]},
                     {"type": "paid_amount", "values": [{"min": 10000}]}]}),
)


class StageError(ValueError):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(fields.values()))
        self.fields = fields


@dataclass(frozen=True)
class StageChange:
    customer_id: int
    from_stage_id: int | None
    to_stage_id: int


def tenant_stages(session: Session, tenant_id: int) -> list[Stage]:
    return list(session.execute(select(Stage).where(Stage.tenant_id == tenant_id).order_by(Stage.ordinal)).scalars())


BOARD_PAGE_SIZE = 4  # the manual's board pages "01-04", "05-08" (spec B §2.14)


@dataclass(frozen=True)
class BoardPage:
    """One page of the stage board: its stages, its number, how many pages and stages there are, and its range label
    ("01-04", "05-05" for a last page with one stage)."""

    stages: list
    page: int
    pages: int
    total: int
    label: str


def board_page(stages: list, raw_page: object) -> BoardPage:
    """The page ``raw_page`` (1-based, anything unreadable or out of range is the nearest page) of ``stages``."""
    total = len(stages)
    pages = max(1, -(-total // BOARD_PAGE_SIZE))
    try:
        page = int(str(raw_page))
    except ValueError:
        page = 1
    page = min(max(page, 1), pages)
    shown = stages[(page - 1) * BOARD_PAGE_SIZE:page * BOARD_PAGE_SIZE]
    label = f"{(page - 1) * BOARD_PAGE_SIZE + 1:02d}-{(page - 1) * BOARD_PAGE_SIZE + len(shown):02d}" if shown else ""
    return BoardPage(shown, page, pages, total, label)


def get_stage(session: Session, tenant_id: int, stage_id: int) -> Stage | None:
    stage = session.get(Stage, stage_id)
    return stage if stage is not None and stage.tenant_id == tenant_id else None


def seed_sample_ladder(session: Session, tenant_id: int, language: str | None = None) -> int:
    """Create the sample ladder (spec B §4.8) in ``language`` (the tenant's language of seeded data, Chinese by
    default) when the tenant has no stage yet; automation stays off until an admin turns it on. Returns how many
    stages were created."""
    if session.execute(select(Stage.id).where(Stage.tenant_id == tenant_id).limit(1)).first() is not None:
        return 0
    with seeding_language(language):
        for ordinal, (name, description, plan, rule) in enumerate(SAMPLE_LADDER, 1):
            session.add(Stage(tenant_id=tenant_id, ordinal=ordinal, name=str(name), description=str(description),
                              plan_description=str(plan), entry_rule=rule or {}))
    session.flush()
    return len(SAMPLE_LADDER)


def check_stage(session: Session, tenant_id: int, stage_id: int | None, *, ordinal: int | str, name: str,
                description: str, plan_description: str, automation_enabled: bool, entry_rule: dict,
                types: list[FilterType]) -> tuple[int, str]:
    """Validate a stage's settings; returns (ordinal, name) or raises StageError naming every bad field."""
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        errors["name"] = str(_l("Give a name of 1 to %(n)d characters.", n=NAME_MAX))
    elif session.execute(select(Stage.id).where(Stage.tenant_id == tenant_id, func.lower(Stage.name) == name.lower(),
                                                Stage.id != (stage_id or 0))).first():
        errors["name"] = str(_l("Another stage has this name."))
    try:
        number = int(str(ordinal).strip())
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_STAGES:
        errors["ordinal"] = str(_l("Give a position from 1 to %(n)d.", n=MAX_STAGES))
    elif session.execute(select(Stage.id).where(Stage.tenant_id == tenant_id, Stage.ordinal == number,
                                                Stage.id != (stage_id or 0))).first():
        errors["ordinal"] = str(_l("Another stage has this position."))
    if stage_id is None:
        count = session.execute(select(func.count()).select_from(Stage).where(Stage.tenant_id == tenant_id)).scalar()
        if count >= MAX_STAGES:
            errors["name"] = str(_l("A tenant has at most %(n)d stages.", n=MAX_STAGES))
    if len(description or "") > DESCRIPTION_MAX:
        errors["description"] = str(_l("Keep the description within %(n)d characters.", n=DESCRIPTION_MAX))
    if len(plan_description or "") > PLAN_MAX:
        errors["plan_description"] = str(_l("Keep the plan within %(n)d characters.", n=PLAN_MAX))
    conditions = (entry_rule or {}).get("conditions") or []
    if automation_enabled and not conditions:
        errors["rule"] = str(_l("Automation needs an entry rule with at least one condition."))
    elif conditions:
        try:
            compile_audience(tenant_id, entry_rule, types)
        except AudienceError as exc:
            errors["rule"] = str(exc)
    if errors:
        raise StageError(errors)
    return number, name


def tenant_filter_types(session: Session, tenant) -> list[FilterType]:
    """The filter types of every plugin the tenant enabled (usable in requests and jobs)."""
    from flask import g, has_request_context

    hooks = g.get("hooks") if has_request_context() and getattr(g.get("tenant"), "id", None) == tenant.id else None
    if hooks is None:
        hooks = current_bus().platform.hooks(session, tenant)
    return hooks.contribute("audience_filters", tenant=tenant)


def _targets(session: Session, tenant_id: int, types: list[FilterType]):
    """``SELECT customer_id, stage_id``: the stage each matching customer belongs in, or None without rules."""
    parts = []
    for stage in tenant_stages(session, tenant_id):
        if not stage.automation_enabled or not (stage.entry_rule or {}).get("conditions"):
            continue
        try:
            query = compile_audience(tenant_id, stage.entry_rule, types).subquery()
        except AudienceError as exc:
            log.warning("stage %s of tenant %s skipped: %s", stage.id, tenant_id, exc)
            continue
        parts.append(select(query.c.id.label("customer_id"), literal(stage.ordinal).label("ordinal")))
    if not parts:
        return None
    matches = union_all(*parts).subquery()
    best = (select(matches.c.customer_id, func.max(matches.c.ordinal).label("ordinal"))
            .group_by(matches.c.customer_id).subquery())
    return (select(best.c.customer_id, Stage.id.label("stage_id"))
            .join(Stage, and_(Stage.tenant_id == tenant_id, Stage.ordinal == best.c.ordinal)).subquery())


def pending_changes(session: Session, tenant_id: int, types: list[FilterType]) -> list[StageChange]:
    """The customers whose current stage differs from the stage their matching rules put them in."""
    target = _targets(session, tenant_id, types)
    if target is None:
        return []
    current = aliased(StageMembership)
    rows = session.execute(
        select(target.c.customer_id, current.stage_id, target.c.stage_id)
        .outerjoin(current, and_(current.customer_id == target.c.customer_id, current.tenant_id == tenant_id,
                                 current.left_at.is_(None)))
        .where(or_(current.stage_id.is_(None), current.stage_id != target.c.stage_id))
        .order_by(target.c.customer_id)).all()
    return [StageChange(r[0], r[1], r[2]) for r in rows]


def apply_changes(session: Session, tenant_id: int, changes: list[StageChange], now: datetime | None = None) -> None:
    """Move the customers: close the open membership, open the new one, write the timeline and publish the event."""
    now = now or utcnow()
    names = {s.id: s.name for s in tenant_stages(session, tenant_id)}
    for start in range(0, len(changes), CHUNK):
        chunk = changes[start:start + CHUNK]
        ids = [c.customer_id for c in chunk]
        session.execute(update(StageMembership).where(
            StageMembership.tenant_id == tenant_id, StageMembership.customer_id.in_(ids),
            StageMembership.left_at.is_(None)).values(left_at=now))
        session.execute(insert(StageMembership), [
            {"tenant_id": tenant_id, "customer_id": c.customer_id, "stage_id": c.to_stage_id, "entered_at": now}
            for c in chunk])
        events = []
        for change in chunk:
            before = names.get(change.from_stage_id, "") if change.from_stage_id else ""
            after = names.get(change.to_stage_id, "")
            summary = f"Stage: {before} → {after}" if before else f"Stage: {after}"
            events.append({"tenant_id": tenant_id, "customer_id": change.customer_id, "plugin": "members",
                           "kind": "stage_changed", "summary": summary[:500], "occurred_at": now,
                           "data": {"from_stage_id": change.from_stage_id, "to_stage_id": change.to_stage_id}})
            publish(session, tenant_id, STAGE_CHANGED, {
                "customer_id": change.customer_id, "from_stage_id": change.from_stage_id,
                "to_stage_id": change.to_stage_id, "from_stage": before or None, "to_stage": after})
        session.execute(insert(CustomerEvent), events)
    session.flush()


def set_stage(session: Session, tenant_id: int, customer_id: int, stage_id: int) -> StageChange | None:
    """Move one customer to ``stage_id`` by hand (None when already there)."""
    current = session.execute(select(StageMembership.stage_id).where(
        StageMembership.tenant_id == tenant_id, StageMembership.customer_id == customer_id,
        StageMembership.left_at.is_(None))).scalar()
    if current == stage_id:
        return None
    change = StageChange(customer_id, current, stage_id)
    apply_changes(session, tenant_id, [change])
    return change


def current_stage(session: Session, tenant_id: int, customer_id: int) -> tuple[Stage, datetime] | None:
    row = session.execute(select(Stage, StageMembership.entered_at).join(
        StageMembership, StageMembership.stage_id == Stage.id).where(
        StageMembership.tenant_id == tenant_id, StageMembership.customer_id == customer_id,
        StageMembership.left_at.is_(None))).first()
    return (row[0], row[1]) if row else None


@dataclass(frozen=True)
class BoardFigures:
    members: int
    new: int
    flow: int


def board(session: Session, tenant_id: int, now: datetime | None = None,
          scope: Any = None) -> dict[int, BoardFigures]:
    """Per stage id: customers in it now, entered today, left today (three grouped queries); with ``scope`` (the
    user's customer visibility) only the customers the user may see."""
    today = day_span(now or utcnow())
    live = and_(Customer.id == StageMembership.customer_id, Customer.merged_into_id.is_(None))
    base = select(StageMembership.stage_id, func.count()).join(Customer, live).where(
        StageMembership.tenant_id == tenant_id).group_by(StageMembership.stage_id)
    if scope is not None:
        base = base.where(scope)
    members = dict(session.execute(base.where(StageMembership.left_at.is_(None))).all())
    new = dict(session.execute(base.where(StageMembership.entered_at >= today.start,
                                          StageMembership.entered_at < today.end)).all())
    flow = dict(session.execute(base.where(StageMembership.left_at >= today.start,
                                           StageMembership.left_at < today.end)).all())
    return {s.id: BoardFigures(members.get(s.id, 0), new.get(s.id, 0), flow.get(s.id, 0))
            for s in tenant_stages(session, tenant_id)}


def follow_up_rules(session: Session, tenant_id: int, stage_id: int) -> list[StageFollowUpRule]:
    return list(session.execute(select(StageFollowUpRule).where(
        StageFollowUpRule.tenant_id == tenant_id, StageFollowUpRule.stage_id == stage_id)
        .order_by(StageFollowUpRule.id)).scalars())


def move_merged(session: Session, tenant_id: int, survivor_id: int, merged_id: int) -> None:
    """The merged customer's stage history stays with it, closed; the survivor keeps its own current stage."""
    session.execute(update(StageMembership).where(
        StageMembership.tenant_id == tenant_id, StageMembership.customer_id == merged_id,
        StageMembership.left_at.is_(None)).values(left_at=utcnow()))
