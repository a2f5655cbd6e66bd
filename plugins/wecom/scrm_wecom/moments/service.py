"""Enterprise Moments tasks: validation (content, senders, customer tags, WeCom's limits), creation and the
tenant-scoped reads.

Limits (platform rules, ``rules.limits``; spec "WeCom platform rules" C): at most ``enterprise_moments_per_month``
tasks per natural month of the tenant and at most ``moments_per_employee_day`` tasks per employee per natural day.
Every task counts from its creation here except those WeCom refused (status failed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func
from sqlmodel import Session, select

from scrm.sdk import ChannelAccount, Employee, EmployeeStatus, Tag, day_span, month_span, schedule, utcnow

from ..accounts import list_accounts
from ..rules import limits
from .models import MomentSender, MomentTask, TaskStatus

MAX_TEXT = 500  # spec §4.1 rule 3
MAX_IMAGES = 9  # spec §4.1 rule 3
MAX_IMAGE_BYTES = 2 * 1024 * 1024  # spec §4.1 rule 3: each image at most 2 MB
MATERIAL_KINDS = ("poster", "video", "link", "article")
MAX_LINK_TITLE = 64
MAX_URL = 1000
POLL_JOB = "scrm_wecom.moments.jobs.poll_moments"
POLL_EVERY = 60  # seconds between two reads of WeCom while tasks are being created or results are fresh
COUNTED = (TaskStatus.QUEUED, TaskStatus.CREATING, TaskStatus.CREATED)


class MomentError(ValueError):
    """Invalid Moments input; ``fields`` maps form field names to messages."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass
class MomentInput:
    """What the form submits for a Moments task."""

    account_id: int | None
    text: str
    employee_ids: list[int]
    tag_ids: list[int] = field(default_factory=list)
    link_title: str = ""
    link_url: str = ""
    material_ids: list[int] = field(default_factory=list)  # the material centre's posters, video or link


@dataclass(frozen=True)
class MomentValues:
    account: ChannelAccount
    text: str
    attachment: dict[str, Any]
    employees: list[Employee]
    tags: list[Tag]


def wecom_tags(session: Session, tenant_id: int) -> list[Tag]:
    """The tenant's WeCom corp tags (the only tags WeCom can narrow a Moment to)."""
    return list(session.exec(select(Tag).where(Tag.tenant_id == tenant_id, Tag.source == "wecom",
                                               Tag.external_id.is_not(None)).order_by(Tag.group_id, Tag.order,
                                                                                      Tag.id)))


def active_employees(session: Session, tenant_id: int) -> list[Employee]:
    return list(session.exec(select(Employee).where(Employee.tenant_id == tenant_id,
                                                    Employee.status == EmployeeStatus.ACTIVE).order_by(Employee.name)))


def month_used(session: Session, tenant_id: int, now: datetime | None = None) -> int:
    """Enterprise Moments tasks counted in the tenant's natural month of ``now``."""
    span = month_span(now or utcnow())
    return int(session.exec(select(func.count()).select_from(MomentTask).where(
        MomentTask.tenant_id == tenant_id, MomentTask.status.in_([s.value for s in COUNTED]),
        MomentTask.created_at >= span.start, MomentTask.created_at < span.end)).one())


def employee_day_used(session: Session, tenant_id: int, employee_ids: list[int],
                      now: datetime | None = None) -> dict[int, int]:
    """Tasks each employee is a sender of in the tenant's natural day of ``now``."""
    if not employee_ids:
        return {}
    span = day_span(now or utcnow())
    rows = session.exec(select(MomentSender.employee_id, func.count()).join(
        MomentTask, MomentTask.id == MomentSender.task_id).where(
        MomentTask.tenant_id == tenant_id, MomentSender.employee_id.in_(employee_ids),
        MomentTask.status.in_([s.value for s in COUNTED]),
        MomentTask.created_at >= span.start, MomentTask.created_at < span.end).group_by(MomentSender.employee_id))
    return {employee_id: int(count) for employee_id, count in rows}


def month_left(session: Session, tenant_id: int, now: datetime | None = None) -> int:
    return max(0, limits(session, tenant_id).enterprise_moments_per_month - month_used(session, tenant_id, now))


def _valid_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in url


def validate(session: Session, tenant_id: int, data: MomentInput, now: datetime | None = None) -> MomentValues:
    """Check the input against the spec and WeCom's limits; raises :class:`MomentError` with every problem."""
    errors: dict[str, str] = {}
    accounts = [a for a in list_accounts(session, tenant_id) if a.active]
    account = next((a for a in accounts if a.id == data.account_id), None)
    if account is None and data.account_id is None and len(accounts) == 1:
        account = accounts[0]
    if account is None:
        errors["account_id"] = str(_l("Choose a WeCom account.") if accounts else
                                   _l("Add a WeCom account first."))
    text = (data.text or "").strip()
    if len(text) > MAX_TEXT:
        errors["text"] = str(_l("At most %(n)s characters.", n=MAX_TEXT))
    title, url = (data.link_title or "").strip(), (data.link_url or "").strip()
    attachment: dict[str, Any] = {}
    if url or title:
        if not _valid_url(url) or len(url) > MAX_URL:
            errors["link_url"] = str(_l("Enter a web address starting with http:// or https://."))
        if len(title) > MAX_LINK_TITLE:
            errors["link_title"] = str(_l("At most %(n)s characters.", n=MAX_LINK_TITLE))
        attachment = {"type": "link", "title": title, "url": url}
    if data.material_ids:
        if attachment:
            errors["material_ids"] = str(_l("Add either a link or materials, not both."))
        else:
            attachment = _materials(session, tenant_id, data.material_ids, errors)
    if not text and not attachment:
        errors["text"] = str(_l("Enter the text or a link."))
    wanted = sorted(set(data.employee_ids))
    employees = [e for e in active_employees(session, tenant_id) if e.id in wanted]
    if not wanted:
        errors["employee_ids"] = str(_l("Choose at least one employee."))
    elif len(employees) != len(wanted):
        errors["employee_ids"] = str(_l("Choose active employees of this brand."))
    known = {t.id: t for t in wecom_tags(session, tenant_id)}
    tag_ids = sorted(set(data.tag_ids))
    if any(t not in known for t in tag_ids):
        errors["tag_ids"] = str(_l("Choose WeCom customer tags of this brand."))
    rules = limits(session, tenant_id)
    if month_used(session, tenant_id, now) >= rules.enterprise_moments_per_month:
        errors["limit"] = str(_l("This month's %(n)s enterprise Moments are used up.",
                                 n=rules.enterprise_moments_per_month))
    used = employee_day_used(session, tenant_id, [e.id for e in employees], now)
    full = [e.name for e in employees if used.get(e.id, 0) >= rules.moments_per_employee_day]
    if full:
        errors["employee_ids"] = str(_l("Already sent %(n)s Moments task(s) today: %(names)s.",
                                        n=rules.moments_per_employee_day, names=", ".join(full)))
    if errors:
        raise MomentError(errors)
    return MomentValues(account, text, attachment, employees, [known[t] for t in tag_ids])  # type: ignore[arg-type]


def _materials(session: Session, tenant_id: int, material_ids: list[int], errors: dict[str, str]) -> dict[str, Any]:
    """The attachment of the chosen materials: 1 to 9 posters (each at most 2 MB), one video, or one link or
    article (its page); problems go to ``errors["material_ids"]``."""
    from ..materials.attachments import AttachmentError, attachment
    from ..materials.files import file_of
    from ..materials.models import FILE_ROLE, Material

    wanted = list(dict.fromkeys(material_ids))
    rows = [session.get(Material, m) for m in wanted]
    if any(r is None or r.tenant_id != tenant_id or r.deleted_at is not None or r.kind not in MATERIAL_KINDS
           for r in rows):
        errors["material_ids"] = str(_l("Choose posters, a video or a link of this brand's material centre."))
        return {}
    kinds = {"image" if r.kind == "poster" else "video" if r.kind == "video" else "link" for r in rows}
    if len(kinds) > 1:
        errors["material_ids"] = str(_l("Choose posters, or one video, or one link."))
        return {}
    kind = kinds.pop()
    if kind == "image":
        if len(rows) > MAX_IMAGES:
            errors["material_ids"] = str(_l("At most %(n)s images.", n=MAX_IMAGES))
            return {}
        files = [file_of(session, r.id, FILE_ROLE) for r in rows]
        if any(f is None or f.size > MAX_IMAGE_BYTES for f in files):
            errors["material_ids"] = str(_l("Each image is at most 2 MB."))
            return {}
        return {"type": "image", "material_ids": wanted}
    if len(rows) > 1:
        errors["material_ids"] = str(_l("Choose posters, or one video, or one link."))
        return {}
    if kind == "video":
        return {"type": "video", "material_ids": wanted}
    try:
        link = attachment(session, tenant_id, wanted[0], None)["link"]
    except AttachmentError:
        errors["material_ids"] = str(_l("Choose posters, a video or a link of this brand's material centre."))
        return {}
    return {"type": "link", "title": link.get("title", "")[:MAX_LINK_TITLE], "url": link["url"],
            "material_id": wanted[0]}


def material_choices(session: Session, tenant_id: int) -> list[tuple[int, str]]:
    """The materials the form offers (posters, videos, links and articles), newest first."""
    from ..materials.attachments import choices

    return choices(session, tenant_id, kinds=MATERIAL_KINDS)


def create(session: Session, tenant_id: int, values: MomentValues, created_by: str = "") -> MomentTask:
    """Record the task and its senders (status queued) and schedule the poll that hands it to WeCom; flushes."""
    task = MomentTask(tenant_id=tenant_id, account_id=values.account.id, text=values.text,
                      attachment=values.attachment, tag_ids=[t.id for t in values.tags], created_by=created_by[:200])
    session.add(task)
    session.flush()
    for employee in values.employees:
        session.add(MomentSender(tenant_id=tenant_id, task_id=task.id, employee_id=employee.id,
                                 userid=employee.userid))
    session.flush()
    schedule_poll(session, tenant_id)
    return task


def poll_key(tenant_id: int) -> str:
    return f"wecom.moments.poll:{tenant_id}"


def schedule_poll(session: Session, tenant_id: int, after: int = 0) -> None:
    """Run the poll ``after`` seconds from now and then every :data:`POLL_EVERY` seconds (durable)."""
    from . import jobs  # noqa: F401  (declares the actor the schedule names)

    schedule(session, POLL_JOB, utcnow() + timedelta(seconds=after), tenant_id=tenant_id, key=poll_key(tenant_id),
             interval_seconds=POLL_EVERY)


# -- reads -------------------------------------------------------------------------------------------------------------


def get(session: Session, tenant_id: int, task_id: int) -> MomentTask | None:
    """The task ``task_id`` of ``tenant_id`` (None for another tenant's)."""
    return session.exec(select(MomentTask).where(MomentTask.id == task_id, MomentTask.tenant_id == tenant_id)).first()


def newest_first(session: Session, tenant_id: int, status: str | None = None, limit: int = 200) -> list[MomentTask]:
    query = select(MomentTask).where(MomentTask.tenant_id == tenant_id)
    if status:
        query = query.where(MomentTask.status == status)
    return list(session.exec(query.order_by(MomentTask.created_at.desc(), MomentTask.id.desc()).limit(limit)))


def senders_of(session: Session, task: MomentTask) -> list[tuple[MomentSender, Employee]]:
    return list(session.exec(select(MomentSender, Employee).join(Employee, Employee.id == MomentSender.employee_id)
                             .where(MomentSender.task_id == task.id).order_by(MomentSender.id)))


def summaries(session: Session, tenant_id: int, task_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per task: senders, published, customers reached, comments, likes (one query)."""
    out = {i: {"senders": 0, "published": 0, "reached": 0, "comments": 0, "likes": 0} for i in task_ids}
    if not task_ids:
        return out
    rows = session.exec(select(MomentSender.task_id, func.count(), func.sum(case((MomentSender.published.is_(True), 1), else_=0)),
                               func.sum(MomentSender.reached), func.sum(MomentSender.comments),
                               func.sum(MomentSender.likes))
                        .where(MomentSender.tenant_id == tenant_id, MomentSender.task_id.in_(task_ids))
                        .group_by(MomentSender.task_id))
    for task_id, senders, published, reached, comments, likes in rows:
        out[task_id] = {"senders": int(senders), "published": int(published or 0), "reached": int(reached or 0),
                        "comments": int(comments or 0), "likes": int(likes or 0)}
    return out


def tags_by_id(session: Session, tenant_id: int, tag_ids: list[int]) -> list[Tag]:
    if not tag_ids:
        return []
    return list(session.exec(select(Tag).where(Tag.tenant_id == tenant_id, Tag.id.in_(tag_ids)).order_by(Tag.id)))
