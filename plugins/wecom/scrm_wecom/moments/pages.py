"""Employees' Moments pages (员工朋友圈 / 历史朋友圈, spec §2.1.3, §5.1): one link per employee, the Moments the
employee published, and the counters of the list (customer views, content count, last publish time).

A post on the page is an enterprise Moments task the employee published in WeCom (as read from WeCom), shown at the
time its publication was first seen, or a pages-only post (published now, at its scheduled time, backdated, or by
the employee from the phone), shown at the time it is dated.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, select

from scrm.sdk import Employee, EmployeeStatus

from ..sync import permission
from .models import MomentSender, MomentsPage, MomentTask
from .service import ON_PAGES

SORTS = {"views": "views", "posts": "posts", "last": "last"}


@dataclass(frozen=True)
class PageRow:
    employee: Employee
    page: MomentsPage
    posts: int
    last_published: datetime | None


def page_for(session: Session, employee: Employee) -> MomentsPage:
    """The employee's page, made with a fresh random token on first use (flushes)."""
    page = session.exec(select(MomentsPage).where(MomentsPage.tenant_id == employee.tenant_id,
                                                  MomentsPage.employee_id == employee.id)).first()
    if page is None:
        page = MomentsPage(tenant_id=employee.tenant_id, employee_id=employee.id, token=secrets.token_urlsafe(18))
        session.add(page)
        session.flush()
    return page


def _on_pages() -> tuple:
    """Posts on the pages: WeCom tasks the employee published and pages-only posts, not taken off the pages."""
    return (MomentTask.status.in_([s.value for s in ON_PAGES]), MomentTask.removed_at.is_(None))


def _published():
    return (select(MomentSender.employee_id, func.count().label("posts"),
                   func.max(MomentSender.published_seen_at).label("last"))
            .join(MomentTask, MomentTask.id == MomentSender.task_id)
            .where(MomentSender.published.is_(True), *_on_pages())
            .group_by(MomentSender.employee_id))


def _named(query, name: str):
    return query.where(Employee.name.contains(name.strip())) if name.strip() else query


def without_permission(session: Session, tenant_id: int, name: str = "") -> int:
    """Active employees (matching ``name``) left out of :func:`rows` for lack of the customer-contact permission."""
    return int(session.exec(_named(select(func.count()).select_from(Employee).where(
        Employee.tenant_id == tenant_id, Employee.status == EmployeeStatus.ACTIVE,
        ~permission.permitted_clause(tenant_id)), name)).one())


def rows(session: Session, tenant_id: int, name: str = "", sort: str = "views") -> list[PageRow]:
    """Active employees with WeCom's customer-contact permission (spec §2.1.3, §4.1 rule 1: only they may use the
    Moments pages; everyone while no sync has read it), and employees who left with posts, with their page and
    counters (most first by ``sort``: views, posts or last; ties by name)."""
    allowed = permission.permitted_ids(session, tenant_id)
    published = {e: (p, last) for e, p, last in session.exec(_published().where(MomentSender.tenant_id == tenant_id))}
    from .records import synced_counts

    for employee_id, (n, at) in synced_counts(session, tenant_id).items():
        posts, last = published.get(employee_id, (0, None))
        published[employee_id] = (posts + n, max(x for x in (last, at) if x is not None))
    query = _named(select(Employee).where(Employee.tenant_id == tenant_id), name)
    out = []
    for employee in session.exec(query.order_by(Employee.name, Employee.id)):
        posts, last = published.get(employee.id, (0, None))
        if employee.status != EmployeeStatus.ACTIVE and not posts:
            continue
        if employee.status == EmployeeStatus.ACTIVE and allowed is not None and employee.id not in allowed:
            continue
        out.append(PageRow(employee, page_for(session, employee), int(posts), last))
    key = {"views": lambda r: r.page.views, "posts": lambda r: r.posts,
           "last": lambda r: r.last_published.timestamp() if r.last_published else 0}[SORTS.get(sort, "views")]
    return sorted(out, key=key, reverse=True)


def by_token(session: Session, tenant_id: int, token: str) -> tuple[MomentsPage, Employee] | None:
    row = session.exec(select(MomentsPage, Employee).join(Employee, Employee.id == MomentsPage.employee_id)
                       .where(MomentsPage.tenant_id == tenant_id, MomentsPage.token == token)).first()
    return (row[0], row[1]) if row else None


def count_view(session: Session, page: MomentsPage) -> None:
    """One customer visit (an atomic increment)."""
    session.exec(update(MomentsPage).where(MomentsPage.id == page.id).values(views=MomentsPage.views + 1))


def posts_of(session: Session, employee: Employee, limit: int = 50) -> list[tuple[MomentTask, datetime | None]]:
    """The Moments the employee published, newest first."""
    return list(session.exec(
        select(MomentTask, MomentSender.published_seen_at).join(MomentSender, MomentSender.task_id == MomentTask.id)
        .where(MomentSender.tenant_id == employee.tenant_id, MomentSender.employee_id == employee.id,
               MomentSender.published.is_(True), *_on_pages())
        .order_by(MomentSender.published_seen_at.desc(), MomentTask.id.desc()).limit(limit)))


def media_of(session: Session, tasks: list[MomentTask]) -> dict[int, list[tuple[str, str, str]]]:
    """Per task with posters or a video: ``(kind, material token, file hash)`` of each live material, in order."""
    from ..materials.files import file_of
    from ..materials.models import FILE_ROLE, Material

    out: dict[int, list[tuple[str, str, str]]] = {}
    for task in tasks:
        kind = (task.attachment or {}).get("type")
        if kind not in ("image", "video"):
            continue
        for material_id in task.attachment.get("material_ids") or []:
            material = session.get(Material, material_id)
            file = file_of(session, material_id, FILE_ROLE) if material is not None else None
            if material is not None and material.tenant_id == task.tenant_id and material.deleted_at is None and file:
                out.setdefault(task.id, []).append((kind, material.token, file.sha256[:12]))
    return out
