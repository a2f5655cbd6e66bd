"""Enterprise Moments tasks: validation (content, senders, customer tags, WeCom's limits), creation and the
tenant-scoped reads.

Limits (platform rules, ``rules.limits``; spec "WeCom platform rules" C): at most ``enterprise_moments_per_month``
tasks per natural month of the tenant and at most ``moments_per_employee_day`` tasks per employee per natural day.
Every task counts from its creation here except those WeCom refused (status failed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, delete, func, update
from sqlmodel import Session, select

from scrm.sdk import (
    ChannelAccount,
    Employee,
    EmployeeStatus,
    Tag,
    cancel_schedule,
    day_span,
    month_span,
    schedule,
    utcnow,
)

from ..accounts import list_accounts
from ..materials.minilinks import text_error
from ..rules import limits
from ..sync import permission
from .models import MomentInteraction, MomentSender, MomentTask, PublishMode, PublishType, TaskStatus

MAX_TEXT = 500  # spec §4.1 rule 3
MAX_IMAGES = 9  # spec §4.1 rule 3
MAX_IMAGE_BYTES = 2 * 1024 * 1024  # spec §4.1 rule 3: each image at most 2 MB
MATERIAL_KINDS = ("poster", "video", "link", "article")
MAX_LINK_TITLE = 64
MAX_URL = 1000
POLL_JOB = "scrm_wecom.moments.jobs.poll_moments"
POLL_EVERY = 60  # seconds between two reads of WeCom while tasks are being created or results are fresh
PUBLISH_JOB = "scrm_wecom.moments.jobs.publish_scheduled_moment"
#: WeCom tasks counted against the limits: every one but those WeCom refused, scheduled ones in their own month/day
COUNTED = (TaskStatus.SCHEDULED, TaskStatus.QUEUED, TaskStatus.CREATING, TaskStatus.CREATED)
#: on the Moments pages: WeCom tasks the employee published, and pages-only posts
ON_PAGES = (TaskStatus.CREATED, TaskStatus.PAGE)
TARGET_WECOM, TARGET_PAGES = "wecom", "pages"
#: the earliest a scheduled post may go out, from now (a time that passes while the form is read is refused)
MIN_LEAD = timedelta(minutes=1)
MAX_LEAD = timedelta(days=366)


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
    #: ``wecom``: a WeCom Moments task (employees publish it in WeCom); ``pages``: the Moments pages only
    target: str = TARGET_WECOM
    mode: str = PublishMode.NOW.value
    publish_at: datetime | None = None  # UTC; required for scheduled (future) and backdated (past)


@dataclass(frozen=True)
class MomentValues:
    account: ChannelAccount
    text: str
    attachment: dict[str, Any]
    employees: list[Employee]
    tags: list[Tag]
    to_wecom: bool = True
    mode: PublishMode = PublishMode.NOW
    publish_at: datetime | None = None


def wecom_tags(session: Session, tenant_id: int) -> list[Tag]:
    """The tenant's WeCom corp tags (the only tags WeCom can narrow a Moment to)."""
    return list(session.exec(select(Tag).where(Tag.tenant_id == tenant_id, Tag.source == "wecom",
                                               Tag.external_id.is_not(None)).order_by(Tag.group_id, Tag.order,
                                                                                      Tag.id)))


def active_employees(session: Session, tenant_id: int) -> list[Employee]:
    return list(session.exec(select(Employee).where(Employee.tenant_id == tenant_id,
                                                    Employee.status == EmployeeStatus.ACTIVE).order_by(Employee.name)))


def permitted_employees(session: Session, tenant_id: int) -> list[Employee]:
    """The active employees who may use the Moments pages: those with WeCom's customer-contact permission (spec
    §2.1.3, §4.1 rule 1; everyone while no sync has read it, see ``sync/permission.py``). The Moments form offers
    these and accepts only these."""
    return list(session.exec(select(Employee).where(
        Employee.tenant_id == tenant_id, Employee.status == EmployeeStatus.ACTIVE,
        permission.permitted_clause(tenant_id)).order_by(Employee.name)))


def month_used(session: Session, tenant_id: int, now: datetime | None = None) -> int:
    """Enterprise Moments tasks counted in the tenant's natural month of ``now``."""
    span = month_span(now or utcnow())
    at = _goes_out()
    return int(session.exec(select(func.count()).select_from(MomentTask).where(
        MomentTask.tenant_id == tenant_id, MomentTask.to_wecom.is_(True),
        MomentTask.status.in_([s.value for s in COUNTED]), at >= span.start, at < span.end)).one())


def employee_day_used(session: Session, tenant_id: int, employee_ids: list[int],
                      now: datetime | None = None) -> dict[int, int]:
    """Tasks each employee is a sender of in the tenant's natural day of ``now``."""
    if not employee_ids:
        return {}
    span = day_span(now or utcnow())
    at = _goes_out()
    rows = session.exec(select(MomentSender.employee_id, func.count()).join(
        MomentTask, MomentTask.id == MomentSender.task_id).where(
        MomentTask.tenant_id == tenant_id, MomentSender.employee_id.in_(employee_ids), MomentTask.to_wecom.is_(True),
        MomentTask.status.in_([s.value for s in COUNTED]),
        at >= span.start, at < span.end).group_by(MomentSender.employee_id))
    return {employee_id: int(count) for employee_id, count in rows}


def _goes_out():
    """When a WeCom task counts: its scheduled time, else its creation."""
    return func.coalesce(MomentTask.publish_at, MomentTask.created_at)


def month_left(session: Session, tenant_id: int, now: datetime | None = None) -> int:
    return max(0, limits(session, tenant_id).enterprise_moments_per_month - month_used(session, tenant_id, now))


def _valid_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in url


def validate_content(session: Session, tenant_id: int, data: MomentInput, errors: dict[str, str]
                     ) -> tuple[str, dict[str, Any]]:
    """The text and the attachment (a typed link, or the material centre's posters, video or link) of a post;
    problems go to ``errors`` under the form's field names."""
    text = (data.text or "").strip()
    if len(text) > MAX_TEXT:
        errors["text"] = str(_l("At most %(n)s characters.", n=MAX_TEXT))
    elif (malformed := text_error(text)) is not None:  # spec §4.1 rule 3: mini program links inserted into the text
        errors["text"] = malformed
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
    if not text and not attachment and "text" not in errors:
        errors["text"] = str(_l("Enter the text or a link."))
    return text, attachment


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)


def _timing(data: MomentInput, now: datetime, errors: dict[str, str]) -> tuple[PublishMode, bool, datetime | None]:
    """The publish mode, whether the post goes to WeCom, and its time (UTC) for scheduled and backdated posts."""
    try:
        mode = PublishMode(data.mode or PublishMode.NOW.value)
    except ValueError:
        errors["mode"] = str(_l("Choose how to publish."))
        return PublishMode.NOW, True, None
    if data.target not in (TARGET_WECOM, TARGET_PAGES):
        errors["target"] = str(_l("Choose where to publish."))
    to_wecom = data.target != TARGET_PAGES
    if mode == PublishMode.NOW:
        return mode, to_wecom, None
    at = _utc(data.publish_at) if data.publish_at else None
    if at is None:
        errors["publish_at"] = str(_l("Enter a date and time."))
    elif mode == PublishMode.SCHEDULED and not now + MIN_LEAD <= at <= now + MAX_LEAD:
        errors["publish_at"] = str(_l("Choose a time from one minute to a year from now."))
    elif mode == PublishMode.BACKDATED:
        if at >= now:
            errors["publish_at"] = str(_l("A backdated post needs a time in the past."))
        if to_wecom:
            errors["target"] = str(_l("WeCom publishes a Moment when the employee confirms it: a backdated post goes "
                                      "on the Moments pages only."))
    return mode, to_wecom, at


def validate(session: Session, tenant_id: int, data: MomentInput, now: datetime | None = None) -> MomentValues:
    """Check the input against the spec and WeCom's limits; raises :class:`MomentError` with every problem.
    WeCom's limits bind WeCom tasks only, in the month and day the task goes out."""
    now = now or utcnow()
    errors: dict[str, str] = {}
    accounts = [a for a in list_accounts(session, tenant_id) if a.active]
    account = next((a for a in accounts if a.id == data.account_id), None)
    if account is None and data.account_id is None and len(accounts) == 1:
        account = accounts[0]
    if account is None:
        errors["account_id"] = str(_l("Choose a WeCom account.") if accounts else
                                   _l("Add a WeCom account first."))
    text, attachment = validate_content(session, tenant_id, data, errors)
    mode, to_wecom, publish_at = _timing(data, now, errors)
    wanted = sorted(set(data.employee_ids))
    employees = [e for e in active_employees(session, tenant_id) if e.id in wanted]
    permitted = {e.id for e in permitted_employees(session, tenant_id)}
    if not wanted:
        errors["employee_ids"] = str(_l("Choose at least one employee."))
    elif len(employees) != len(wanted):
        errors["employee_ids"] = str(_l("Choose active employees of this brand."))
    elif any(e.id not in permitted for e in employees):
        errors["employee_ids"] = str(_l(
            "%(names)s: no WeCom customer-contact permission (only employees with it may use Moments).",
            names="、".join(e.name for e in employees if e.id not in permitted)))
    known = {t.id: t for t in wecom_tags(session, tenant_id)}
    tag_ids = sorted(set(data.tag_ids)) if to_wecom else []
    if any(t not in known for t in tag_ids):
        errors["tag_ids"] = str(_l("Choose WeCom customer tags of this brand."))
    if to_wecom and "publish_at" not in errors:
        _check_limits(session, tenant_id, employees, publish_at or now, errors)
    if errors:
        raise MomentError(errors)
    return MomentValues(account, text, attachment, employees, [known[t] for t in tag_ids],  # type: ignore[arg-type]
                        to_wecom=to_wecom, mode=mode, publish_at=publish_at)


def _check_limits(session: Session, tenant_id: int, employees: list[Employee], at: datetime,
                  errors: dict[str, str]) -> None:
    rules = limits(session, tenant_id)
    if month_used(session, tenant_id, at) >= rules.enterprise_moments_per_month:
        errors["limit"] = str(_l("This month's %(n)s enterprise Moments are used up.",
                                 n=rules.enterprise_moments_per_month))
    used = employee_day_used(session, tenant_id, [e.id for e in employees], at)
    full = [e.name for e in employees if used.get(e.id, 0) >= rules.moments_per_employee_day]
    if full:
        errors["employee_ids"] = str(_l("Already sent %(n)s Moments task(s) today: %(names)s.",
                                        n=rules.moments_per_employee_day, names=", ".join(full)))


def _materials(session: Session, tenant_id: int, material_ids: list[int], errors: dict[str, str]) -> dict[str, Any]:
    """The attachment of the chosen materials: 1 to 9 posters (each at most 2 MB), one video, or one link or
    article (its page); problems go to ``errors["material_ids"]``."""
    from ..materials.attachments import AttachmentError, attachment
    from ..materials.files import file_of
    from ..materials.models import FILE_ROLE, Material

    wanted = list(dict.fromkeys(material_ids))
    rows = [session.get(Material, m) for m in wanted]
    if any(r is None or r.tenant_id != tenant_id or r.deleted_at is not None or r.kind not in MATERIAL_KINDS
           or r.owner_employee_id is not None for r in rows):  # an employee's personal material is theirs alone
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
    """Record the post. A WeCom task now: status queued and the poll that hands it to WeCom is scheduled. Scheduled:
    status scheduled and a durable job at its time. Pages only, now or backdated: on the employees' pages at once.
    Flushes."""
    if not values.to_wecom and values.mode != PublishMode.SCHEDULED:
        return page_post(session, tenant_id, account=values.account, text=values.text,
                         attachment=values.attachment, employees=values.employees, publish_type=PublishType.ENTERPRISE,
                         publish_mode=values.mode, at=values.publish_at or utcnow(), created_by=created_by)
    scheduled = values.mode == PublishMode.SCHEDULED
    task = MomentTask(tenant_id=tenant_id, account_id=values.account.id, text=values.text,
                      attachment=values.attachment, tag_ids=[t.id for t in values.tags], created_by=created_by[:200],
                      to_wecom=values.to_wecom, publish_mode=values.mode, publish_at=values.publish_at,
                      status=TaskStatus.SCHEDULED if scheduled else TaskStatus.QUEUED)
    session.add(task)
    session.flush()
    _add_senders(session, task, values.employees)
    if scheduled:
        from . import jobs  # noqa: F401  (declares the actor the schedule names)

        schedule(session, PUBLISH_JOB, values.publish_at, tenant_id=tenant_id,  # type: ignore[arg-type]
                 kwargs={"task_id": task.id}, key=publish_key(task.id))
    else:
        schedule_poll(session, tenant_id)
    return task


def _add_senders(session: Session, task: MomentTask, employees: list[Employee], published_at: datetime | None = None
                 ) -> None:
    for employee in employees:
        session.add(MomentSender(tenant_id=task.tenant_id, task_id=task.id, employee_id=employee.id,
                                 userid=employee.userid, published=published_at is not None,
                                 published_seen_at=published_at))
    session.flush()


def page_post(session: Session, tenant_id: int, *, account: ChannelAccount, text: str, attachment: dict[str, Any],
              employees: list[Employee], publish_type: PublishType, publish_mode: PublishMode, at: datetime,
              created_by: str = "") -> MomentTask:
    """A post on the employees' Moments pages only (no WeCom task), dated ``at``: status page, every employee's
    copy published at ``at``. Flushes."""
    task = MomentTask(tenant_id=tenant_id, account_id=account.id, text=text, attachment=attachment,
                      created_by=created_by[:200], publish_type=publish_type, publish_mode=publish_mode,
                      to_wecom=False, publish_at=at, status=TaskStatus.PAGE)
    session.add(task)
    session.flush()
    _add_senders(session, task, employees, published_at=at)
    return task


def publish_key(task_id: int) -> str:
    return f"wecom.moments.publish:{task_id}"


def publish_scheduled(session: Session, tenant_id: int, task_id: int) -> MomentTask | None:
    """A scheduled post's time has come: a WeCom task is queued for WeCom (and the poll runs), a pages-only post goes
    on the pages dated its time. A post no longer scheduled (deleted, or already out) is left alone: the job may run
    twice. Flushes."""
    claimed = session.exec(update(MomentTask).where(  # type: ignore[call-overload]
        MomentTask.id == task_id, MomentTask.tenant_id == tenant_id,
        MomentTask.status == TaskStatus.SCHEDULED.value).values(status=TaskStatus.QUEUED.value))
    if claimed.rowcount != 1:
        return None
    task = session.exec(select(MomentTask).where(MomentTask.id == task_id)).one()
    session.refresh(task)
    if task.to_wecom:
        schedule_poll(session, tenant_id)
    else:
        task.status = TaskStatus.PAGE
        session.exec(update(MomentSender).where(MomentSender.task_id == task.id).values(  # type: ignore[call-overload]
            published=True, published_seen_at=task.publish_at or utcnow()))
        session.add(task)
    session.flush()
    return task


def delete_post(session: Session, task: MomentTask) -> None:
    """Take a post off every employee's Moments page. A post that never went to WeCom (pages only, or still
    scheduled) is deleted with its schedule; a WeCom task stays listed and counted (WeCom keeps the Moment) and is
    marked removed from the pages. Flushes."""
    cancel_schedule(session, publish_key(task.id))
    if task.to_wecom and task.status != TaskStatus.SCHEDULED:
        task.removed_at = task.removed_at or utcnow()
        session.add(task)
        session.flush()
        return
    session.exec(delete(MomentInteraction).where(MomentInteraction.task_id == task.id))  # type: ignore[call-overload]
    session.exec(delete(MomentSender).where(MomentSender.task_id == task.id))  # type: ignore[call-overload]
    session.delete(task)
    session.flush()


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


#: the list's tabs (全部 / 待发布 / 已发布, spec §3.1 and §5.1), then WeCom's own steps
TABS: dict[str, tuple[TaskStatus, ...]] = {
    "pending": (TaskStatus.SCHEDULED,),
    "published": ON_PAGES,
    "in_wecom": (TaskStatus.QUEUED, TaskStatus.CREATING),
    "failed": (TaskStatus.FAILED,),
}


def newest_first(session: Session, tenant_id: int, tab: str | None = None, limit: int = 200) -> list[MomentTask]:
    """The posts of a tab (all without one), newest first by the time they are dated."""
    query = select(MomentTask).where(MomentTask.tenant_id == tenant_id)
    if tab in TABS:
        query = query.where(MomentTask.status.in_([s.value for s in TABS[tab]]))
    return list(session.exec(query.order_by(_goes_out().desc(), MomentTask.id.desc()).limit(limit)))


def tab_counts(session: Session, tenant_id: int) -> dict[str, int]:
    """Posts per tab, and ``all``."""
    per_status = dict(session.exec(select(MomentTask.status, func.count()).where(MomentTask.tenant_id == tenant_id)
                                   .group_by(MomentTask.status)).all())
    counts = {tab: sum(int(per_status.get(s.value, 0)) for s in statuses) for tab, statuses in TABS.items()}
    counts["all"] = sum(int(n) for n in per_status.values())
    return counts


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
