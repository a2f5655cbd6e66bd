"""Employee capacity against WeCom's limits, from the follow relations (``wecom_follow``):

* external contacts: the employee's active relations, against ``external_contacts_per_employee``; flagged from 95 %;
* today's adds: relations whose add time falls on today (China time), whatever became of them since, against
  ``passive_adds_per_day``. Relations WeCom made by assignment (add_way 201 shared by a colleague, 202 assigned by
  an admin: handovers and inheritance) are not customers adding the employee and do not count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, case, func, select
from sqlmodel import Session

from scrm.sdk import Employee, EmployeeStatus, utcnow

from ..sync.models import Follow, FollowStatus
from .quota import day_window
from .settings import Limits, limits

NEAR_SHARE = 0.95
ASSIGNED_ADD_WAYS = (201, 202)
CHUNK = 900


@dataclass(frozen=True)
class EmployeeCapacity:
    employee_id: int
    name: str
    userid: str
    status: str
    contacts: int
    contacts_cap: int
    adds_today: int
    adds_cap: int

    @property
    def share(self) -> float:
        return self.contacts / self.contacts_cap if self.contacts_cap else 0.0

    @property
    def near_cap(self) -> bool:
        return self.share >= NEAR_SHARE

    @property
    def at_cap(self) -> bool:
        return self.contacts >= self.contacts_cap

    @property
    def adds_reached(self) -> bool:
        return self.adds_today >= self.adds_cap

    @property
    def warned(self) -> bool:
        return self.at_cap or self.adds_reached


def _rows(session: Session, tenant_id: int, rules: Limits, now: datetime,
          employee_ids: list[int] | None) -> list[EmployeeCapacity]:
    low, high = (moment.astimezone(UTC) for moment in day_window(now))
    follow = Follow.__table__.c
    active = func.sum(case((follow.status == FollowStatus.ACTIVE.value, 1), else_=0))
    today = func.sum(case((and_(follow.added_at >= low, follow.added_at < high,
                                follow.add_way.not_in(ASSIGNED_ADD_WAYS)), 1), else_=0))
    counts: dict[int, tuple[int, int]] = {}
    chunks = ([employee_ids[i:i + CHUNK] for i in range(0, len(employee_ids), CHUNK)]
              if employee_ids is not None else [None])
    for chunk in chunks:
        query = (select(follow.employee_id, active, today)
                 .where(follow.tenant_id == tenant_id, follow.employee_id.is_not(None))
                 .group_by(follow.employee_id))
        if chunk is not None:
            query = query.where(follow.employee_id.in_(chunk))
        counts.update({eid: (int(a or 0), int(t or 0)) for eid, a, t in session.execute(query)})
    wanted = employee_ids if employee_ids is not None else list(counts)
    people = {}
    for index in range(0, len(wanted), CHUNK):
        people.update({e.id: e for e in session.execute(select(Employee).where(
            Employee.tenant_id == tenant_id, Employee.id.in_(wanted[index:index + CHUNK]))).scalars()})
    return [EmployeeCapacity(employee_id=e.id, name=e.name, userid=e.userid, status=str(e.status),
                             contacts=counts.get(e.id, (0, 0))[0], contacts_cap=rules.external_contacts_per_employee,
                             adds_today=counts.get(e.id, (0, 0))[1], adds_cap=rules.passive_adds_per_day)
            for e in people.values()]


def capacity_of(session: Session, tenant_id: int, employee_ids: Iterable[int] | None = None,
                now: datetime | None = None) -> list[EmployeeCapacity]:
    """The capacity of ``employee_ids`` (every employee with a relation when None), fullest first."""
    ids = sorted({int(e) for e in employee_ids}) if employee_ids is not None else None
    rows = _rows(session, tenant_id, limits(session, tenant_id), now or utcnow(), ids)
    return sorted(rows, key=lambda r: (-r.share, -r.adds_today, r.name))


def warnings_for(session: Session, tenant_id: int, employee_ids: Iterable[int],
                 now: datetime | None = None) -> list[EmployeeCapacity]:
    """Those of ``employee_ids`` (still employed) at the contact cap or at today's add limit: new customers of a
    live code that routes to them may fail to add them."""
    return [row for row in capacity_of(session, tenant_id, employee_ids, now)
            if row.warned and row.status != EmployeeStatus.LEFT.value]
