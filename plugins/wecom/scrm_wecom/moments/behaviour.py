"""Customer behaviour rules on the Moments pages (朋友圈客户行为追踪, spec §2.1.2, §4.1 rule 11, §6): an identified
customer's open of any employee's Moments page is recorded; every rule whose threshold the customer's opens reached
fires once for that customer: its score (客户评分) is added, its tags applied (those the customer lacks) and a line
written to the customer's timeline. Several rules fire together.

The score is the sum of the scores of the rules a customer fired (the platform has no other customer score).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from scrm.sdk import CustomerTag, Employee, Tag, utcnow

from .. import timeline
from .models import MomentsOpen, MomentsPage, MomentsRule, MomentsRuleHit

TAG_SOURCE = "wecom_moments"
MIN_THRESHOLD = 1
MAX_THRESHOLD = 9999
MAX_SCORE = 10_000  # a rule adds at most this much (and at least -MAX_SCORE)


class RuleError(ValueError):
    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(fields.values()))
        self.fields = fields


@dataclass(frozen=True)
class RuleInput:
    threshold: str
    score: str
    tag_ids: Sequence[int]


def _int(raw: str) -> int | None:
    raw = (raw or "").strip()
    try:
        return int(raw)
    except ValueError:
        return None


def validate(session: Session, tenant_id: int, data: RuleInput) -> tuple[int, int, list[int]]:
    """``(threshold, score, tag ids)`` or :class:`RuleError` with a message per field."""
    errors: dict[str, str] = {}
    threshold = _int(data.threshold)
    if threshold is None or not MIN_THRESHOLD <= threshold <= MAX_THRESHOLD:
        errors["threshold"] = str(_l("Enter a number of opens from %(low)s to %(high)s.", low=MIN_THRESHOLD,
                                     high=MAX_THRESHOLD))
    score = _int(data.score) if (data.score or "").strip() else 0
    if score is None or abs(score) > MAX_SCORE:
        errors["score"] = str(_l("Enter a whole score from %(low)s to %(high)s.", low=-MAX_SCORE, high=MAX_SCORE))
    wanted = sorted(set(data.tag_ids))
    tags = list(session.exec(select(Tag.id).where(Tag.tenant_id == tenant_id, Tag.id.in_(wanted or [0]))))
    if len(tags) != len(wanted):
        errors["tag_ids"] = str(_l("Choose tags of this brand."))
    elif score == 0 and not wanted and "score" not in errors:
        errors["score"] = str(_l("Give a score, tags or both."))
    if errors:
        raise RuleError(errors)
    return int(threshold), int(score), wanted


def create(session: Session, tenant_id: int, data: RuleInput, created_by: str = "") -> MomentsRule:
    threshold, score, tag_ids = validate(session, tenant_id, data)
    rule = MomentsRule(tenant_id=tenant_id, threshold=threshold, score=score, tag_ids=tag_ids, created_by=created_by)
    session.add(rule)
    session.flush()
    return rule


def rules_of(session: Session, tenant_id: int) -> list[MomentsRule]:
    return list(session.exec(select(MomentsRule).where(MomentsRule.tenant_id == tenant_id)
                             .order_by(MomentsRule.threshold, MomentsRule.id)))


def hit_counts(session: Session, tenant_id: int) -> dict[int, int]:
    return dict(session.exec(select(MomentsRuleHit.rule_id, func.count()).where(MomentsRuleHit.tenant_id == tenant_id)
                             .group_by(MomentsRuleHit.rule_id)).all())


def score_of(session: Session, tenant_id: int, customer_id: int) -> int:
    """The customer's Moments score: the sum of the rules they fired."""
    return int(session.exec(select(func.coalesce(func.sum(MomentsRuleHit.score), 0)).where(
        MomentsRuleHit.tenant_id == tenant_id, MomentsRuleHit.customer_id == customer_id)).one())


def opens_of(session: Session, tenant_id: int, customer_id: int) -> int:
    return int(session.exec(select(func.count()).select_from(MomentsOpen).where(
        MomentsOpen.tenant_id == tenant_id, MomentsOpen.customer_id == customer_id)).one())


def _apply_tags(session: Session, tenant_id: int, customer_id: int, tag_ids: Sequence[int]) -> list[int]:
    have = set(session.exec(select(CustomerTag.tag_id).where(CustomerTag.customer_id == customer_id,
                                                             CustomerTag.tag_id.in_(list(tag_ids) or [0]))).all())
    live = set(session.exec(select(Tag.id).where(Tag.tenant_id == tenant_id, Tag.id.in_(list(tag_ids) or [0]))))
    added = [t for t in tag_ids if t in live and t not in have]
    for tag_id in added:
        session.add(CustomerTag(tenant_id=tenant_id, customer_id=customer_id, tag_id=tag_id, employee_id=None,
                                employee_key=0, source=TAG_SOURCE))
    return added


def record_open(session: Session, page: MomentsPage, customer_id: int, now: datetime | None = None) -> list[int]:
    """The customer opened ``page``: record it and fire the rules now reached; returns the ids of the rules fired
    (in the caller's transaction)."""
    now = now or utcnow()
    session.add(MomentsOpen(tenant_id=page.tenant_id, page_id=page.id, customer_id=customer_id, opened_at=now))
    session.flush()
    opens = opens_of(session, page.tenant_id, customer_id)
    done = set(session.exec(select(MomentsRuleHit.rule_id).where(MomentsRuleHit.tenant_id == page.tenant_id,
                                                                 MomentsRuleHit.customer_id == customer_id)))
    fired = []
    for rule in rules_of(session, page.tenant_id):
        if rule.threshold > opens or rule.id in done:
            continue
        try:
            with session.begin_nested():
                session.add(MomentsRuleHit(tenant_id=page.tenant_id, rule_id=rule.id, customer_id=customer_id,
                                           score=rule.score, opens=opens, hit_at=now))
        except IntegrityError:  # a simultaneous open fired it first
            continue
        tags = _apply_tags(session, page.tenant_id, customer_id, rule.tag_ids)
        names = list(session.exec(select(Tag.name).where(Tag.id.in_(rule.tag_ids or [0])).order_by(Tag.name)))
        timeline.write(session, page.tenant_id, customer_id, timeline.MOMENTS_RULE, now, rule_id=rule.id,
                       opens=opens, threshold=rule.threshold, score=rule.score, tags=names, tags_added=tags,
                       userid=_userid(session, page.employee_id))
        fired.append(rule.id)
    return fired


def _userid(session: Session, employee_id: int) -> str:
    employee = session.get(Employee, employee_id)
    return employee.userid if employee is not None else ""
