"""The rewards due now of one kind (webhook posts, SMS codes), each claimed for a short lease before it is handed
over, so that two runs at once never hand the same reward over twice."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from scrm.sdk import Employee

from .models import PromotionActivity, PromotionParticipant, PromotionReward, RewardKind, RewardStatus

LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class DueReward:
    reward: PromotionReward
    activity: PromotionActivity
    participant: PromotionParticipant
    employee: Employee | None


def claimed(session: Session, tenant_id: int, kind: RewardKind, now: datetime, limit: int, *conditions: Any
            ) -> Iterator[DueReward]:
    """Each pending reward of ``kind`` due at ``now`` (and meeting ``conditions``), oldest first, once this run
    holds its lease (committed); a reward another run claimed first is skipped."""
    wanted = (PromotionReward.tenant_id == tenant_id, PromotionReward.kind == kind,
              PromotionReward.status == RewardStatus.PENDING, PromotionReward.next_attempt_at <= now, *conditions)
    due = list(session.exec(select(PromotionReward).where(*wanted).order_by(PromotionReward.id).limit(limit)))
    for reward in due:
        result = session.execute(update(PromotionReward).where(PromotionReward.id == reward.id, *wanted[2:])
                                 .values(next_attempt_at=now + LEASE))
        session.commit()
        if result.rowcount != 1:
            continue
        session.refresh(reward)
        participant = session.get(PromotionParticipant, reward.participant_id)
        yield DueReward(reward, session.get(PromotionActivity, reward.activity_id), participant,
                        session.get(Employee, participant.employee_id))
