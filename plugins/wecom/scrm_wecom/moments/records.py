"""企微朋友圈 records (spec §2.1.5): the Moments read from WeCom's Moments list, enterprise and personal, and their
sync to the creator's Moments page (同步至历史朋友圈).

``fetch`` reads ``get_moment_list`` for the last :data:`FETCH_DAYS` days (WeCom allows at most a month per call) and
stores each Moment once per account; the Moment of one of our enterprise tasks is synced at once (it is on its
senders' pages already). ``sync_to_history`` puts unsynced records on their creator's page; a synced
record is a no-op. WeCom's list carries no location, comments or likes, so none reach the page (§4.1 rule 9).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import Session, select

from scrm.sdk import Employee, utcnow

from . import api
from .models import MomentRecord, MomentTask

FETCH_DAYS = 30  # get_moment_list: at most one month between start_time and end_time
ENTERPRISE, PERSONAL = 0, 1
CONTENT_TYPES = ("text", "image", "video", "link")
CONTENT_LABELS = {"text": _l("Text"), "image": _l("Image"), "video": _l("Video"), "link": _l("Link")}
TYPE_LABELS = {ENTERPRISE: _l("Enterprise post"), PERSONAL: _l("Personal post")}


@dataclass(frozen=True)
class FetchResult:
    read: int
    new: int


def _content(item: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    for kind in ("image", "video", "link"):
        if item.get(kind):
            link = item["link"] if kind == "link" else {}
            return kind, ({"title": str(link.get("title") or ""), "url": str(link.get("url") or "")} if link else {})
    return "text", {}


def fetch(session: Session, client: Any, account: Any, now: datetime | None = None) -> FetchResult:
    """Read the account's Moments of the last :data:`FETCH_DAYS` days from WeCom and store the new ones (flushes)."""
    now = now or utcnow()
    end = int(now.timestamp())
    items = api.get_moment_list(client, end - FETCH_DAYS * 86400, end)
    known = set(session.exec(select(MomentRecord.moment_id).where(MomentRecord.account_id == account.id)))
    ours = set(session.exec(select(MomentTask.moment_id).where(MomentTask.tenant_id == account.tenant_id,
                                                               MomentTask.moment_id.is_not(None))))
    employees = {e.userid: e.id for e in session.exec(select(Employee).where(Employee.tenant_id == account.tenant_id))}
    new = 0
    for item in items:
        moment_id = str(item.get("moment_id") or "")
        if not moment_id or moment_id in known:
            continue
        kind, link = _content(item)
        creator = str(item.get("creator") or "")
        session.add(MomentRecord(
            tenant_id=account.tenant_id, account_id=account.id, moment_id=moment_id, creator_userid=creator,
            employee_id=employees.get(creator), create_type=PERSONAL if int(item.get("create_type", 0)) else ENTERPRISE,
            content_type=kind, text=str((item.get("text") or {}).get("content") or ""), link=link,
            created_in_wecom_at=datetime.fromtimestamp(int(item.get("create_time") or end), UTC), fetched_at=now,
            synced_at=now if moment_id in ours else None))
        known.add(moment_id)
        new += 1
    session.flush()
    return FetchResult(read=len(items), new=new)


def sync_to_history(session: Session, tenant_id: int, record_ids: Sequence[int],
                    now: datetime | None = None) -> int:
    """Put the tenant's unsynced records among ``record_ids`` on their creator's Moments page; returns how many.
    Records of another tenant, already synced, or whose creator is not an employee here are left alone."""
    now = now or utcnow()
    rows = session.exec(select(MomentRecord).where(MomentRecord.tenant_id == tenant_id,
                                                   MomentRecord.id.in_(list(record_ids) or [0]),
                                                   MomentRecord.synced_at.is_(None),
                                                   MomentRecord.employee_id.is_not(None))).all()
    for row in rows:
        row.synced_at = now
        session.add(row)
    session.flush()
    return len(rows)


def listing(session: Session, tenant_id: int, *, status: str = "", create_type: str = "", page: int = 1,
            per_page: int = 10) -> tuple[list[MomentRecord], int]:
    """One page of the tenant's records, newest first, and the total (``status``: synced / unsynced;
    ``create_type``: 0 enterprise / 1 personal)."""
    query = select(MomentRecord).where(MomentRecord.tenant_id == tenant_id)
    if status == "synced":
        query = query.where(MomentRecord.synced_at.is_not(None))
    elif status == "unsynced":
        query = query.where(MomentRecord.synced_at.is_(None))
    if create_type in ("0", "1"):
        query = query.where(MomentRecord.create_type == int(create_type))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(MomentRecord.created_in_wecom_at.desc(), MomentRecord.id.desc())
                        .offset((max(page, 1) - 1) * per_page).limit(per_page)).all()
    return list(rows), int(total)


def _on_page(tenant_id: int):
    """Synced records that add a post: not the Moment of one of our tasks (already on its senders' pages)."""
    ours = select(MomentTask.moment_id).where(MomentTask.tenant_id == tenant_id, MomentTask.moment_id.is_not(None))
    return (MomentRecord.tenant_id == tenant_id, MomentRecord.synced_at.is_not(None),
            MomentRecord.employee_id.is_not(None), MomentRecord.moment_id.not_in(ours))


def synced_posts(session: Session, employee: Employee, limit: int = 50) -> list[MomentRecord]:
    """The employee's records synced to their Moments page, newest first."""
    return list(session.exec(select(MomentRecord).where(*_on_page(employee.tenant_id),
                                                        MomentRecord.employee_id == employee.id)
                             .order_by(MomentRecord.created_in_wecom_at.desc()).limit(limit)))


def synced_counts(session: Session, tenant_id: int) -> dict[int, tuple[int, datetime | None]]:
    """Per employee: synced records and the latest one's WeCom time (for the page counters)."""
    rows = session.exec(select(MomentRecord.employee_id, func.count(), func.max(MomentRecord.created_in_wecom_at))
                        .where(*_on_page(tenant_id))
                        .group_by(MomentRecord.employee_id)).all()
    return {e: (int(n), last) for e, n, last in rows}


def employees_by_id(session: Session, tenant_id: int, ids: Sequence[int | None]) -> list[Employee]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return []
    return list(session.exec(select(Employee).where(Employee.tenant_id == tenant_id, Employee.id.in_(wanted))))
