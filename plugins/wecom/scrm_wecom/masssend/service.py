"""Creating mass sends (spec 3.4 / 3.5 Create, 4.4, 4.5): validation, the enterprise's monthly quota, the durable
dispatch schedule, and the list with its progress text (§5.2 发送情况).

Everything takes the caller's session; ``create`` flushes and schedules, the caller commits. The dispatch itself runs
in the job ``dispatch_task`` (at once for 立即发送, at ``send_at`` for 定时发送), which applies the frequency limits
again at that moment: the confirm page's figures are those of the moment it was shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from scrm.sdk import Employee, Tag, Tenant, actor, job_session, schedule, utcnow

from ..groupchats.models import GroupTag
from ..materials.minilinks import text_error
from ..rules.quota import month_window
from ..rules.settings import limits
from . import dispatch, planning
from . import results as _results  # noqa: F401  (declares the polling job the dispatch schedules)
from .models import (
    ChatType,
    MassMember,
    MassRecipient,
    MassTask,
    MemberStatus,
    RecipientStatus,
    SendType,
    TaskStatus,
)

#: the text box of the manual counts up to 1,500 characters (spec 2.4.1, inferred); WeCom takes 4,000 bytes
TEXT_MAX_CHARS = 1500
TEXT_MAX_BYTES = 4000
#: WeCom's add_msg_template takes up to 9 attachments (protocols 4.1)
MAX_ATTACHMENTS = 9
DISPATCH_ACTOR = "scrm_wecom.masssend.service.dispatch_task"

ERRORS = {
    "CONTENT_REQUIRED": _l("Enter a text or choose an attachment."),
    "TEXT_TOO_LONG": _l("The text is too long (at most 1,500 characters and 4,000 bytes)."),
    "TOO_MANY_ATTACHMENTS": _l("Choose at most 9 attachments."),
    "UNKNOWN_ATTACHMENT": _l("An attachment is not a material of this brand."),
    "SCHEDULE_REQUIRED": _l("Choose the sending time."),
    "SCHEDULE_IN_PAST": _l("The sending time must be in the future."),
    "BAD_INPUT": _l("Check the choices of the audience."),
    "MONTHLY_QUOTA": _l("This month's quota of mass sends is used up (%(cap)s a month)."),
    "NO_RECIPIENT": _l("No customer or group chat can receive this send."),
}


class MassSendInvalid(ValueError):
    """``errors``: {field: message} ("" for the whole send)."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k or '*'}: {v}" for k, v in errors.items()))


@dataclass
class MassSendInput:
    chat_type: str = ChatType.SINGLE
    text: str = ""
    attachment_ids: list[int] = field(default_factory=list)
    audience: dict[str, Any] = field(default_factory=dict)
    send_type: str = SendType.IMMEDIATE
    send_at: datetime | None = None


def dispatch_key(task_id: int) -> str:
    return f"wecom.masssend.dispatch:{task_id}"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def tasks_this_month(session: Session, tenant_id: int, chat_type: str, moment: datetime) -> int:
    """Sends of ``chat_type`` going out in the natural month of ``moment`` (cancelled and failed ones do not count)."""
    low, high = (m.astimezone(UTC) for m in month_window(_utc(moment)))
    when = func.coalesce(MassTask.send_at, MassTask.created_at)
    return int(session.execute(select(func.count()).where(
        MassTask.tenant_id == tenant_id, MassTask.chat_type == chat_type, when >= low, when < high,
        MassTask.status.not_in([TaskStatus.CANCELLED.value, TaskStatus.FAILED.value]))).scalar_one())


def _known_ids(session: Session, tenant_id: int, model, ids: list[int]) -> bool:
    if not ids:
        return True
    query = select(func.count()).select_from(model).where(model.tenant_id == tenant_id, model.id.in_(ids))
    return int(session.execute(query).scalar_one()) == len(set(ids))


def clean_audience(chat_type: str, raw: dict[str, Any]) -> dict[str, Any]:
    """The stored form of the audience (ids as ints, empty choices dropped)."""
    def ints(key):
        return sorted({int(v) for v in raw.get(key) or [] if str(v).strip().isdigit()})

    if chat_type == ChatType.GROUP:
        out = {"owner_ids": ints("owner_ids"), "department_ids": ints("department_ids"),
               "group_tag_ids": ints("group_tag_ids"), "name": str(raw.get("name") or "").strip()[:100]}
    else:
        out = {"tag_ids": ints("tag_ids"), "owner_ids": ints("owner_ids"),
               "segment_id": int(raw["segment_id"]) if str(raw.get("segment_id") or "").isdigit() else None,
               "added_from": str(raw.get("added_from") or "")[:10], "added_to": str(raw.get("added_to") or "")[:10],
               "genders": sorted({int(g) for g in raw.get("genders") or [] if str(g) in ("0", "1", "2")})}
    return {k: v for k, v in out.items() if v not in (None, "", [])}


def validate(session: Session, tenant: Tenant, data: MassSendInput, now: datetime | None = None,
             with_preview: bool = True) -> tuple[dict[str, str], planning.Preview | None]:
    """(errors by field, the preview when the audience is valid)."""
    now = now or utcnow()
    errors: dict[str, str] = {}
    if data.chat_type not in (ChatType.SINGLE, ChatType.GROUP):
        return {"": str(ERRORS["BAD_INPUT"])}, None
    text = data.text.strip()
    if not text and not data.attachment_ids:
        errors["text"] = str(ERRORS["CONTENT_REQUIRED"])
    elif len(text) > TEXT_MAX_CHARS or len(text.encode()) > TEXT_MAX_BYTES:
        errors["text"] = str(ERRORS["TEXT_TOO_LONG"])
    elif (malformed := text_error(text)) is not None:  # rule 7: mini program links inserted into the text
        errors["text"] = malformed
    if len(data.attachment_ids) > MAX_ATTACHMENTS:
        errors["attachment_ids"] = str(ERRORS["TOO_MANY_ATTACHMENTS"])
    elif data.attachment_ids and not _attachments_known(session, tenant.id, data.attachment_ids):
        errors["attachment_ids"] = str(ERRORS["UNKNOWN_ATTACHMENT"])
    if data.send_type not in (SendType.IMMEDIATE, SendType.SCHEDULED):
        errors["send_type"] = str(ERRORS["BAD_INPUT"])
    elif data.send_type == SendType.SCHEDULED:
        if data.send_at is None:
            errors["send_at"] = str(ERRORS["SCHEDULE_REQUIRED"])
        elif _utc(data.send_at) <= now:
            errors["send_at"] = str(ERRORS["SCHEDULE_IN_PAST"])
    audience = data.audience
    if data.chat_type == ChatType.SINGLE:
        if not _known_ids(session, tenant.id, Tag, audience.get("tag_ids") or []) or \
                not _known_ids(session, tenant.id, Employee, audience.get("owner_ids") or []) or \
                (audience.get("added_from") and not planning.parse_day(audience["added_from"])) or \
                (audience.get("added_to") and not planning.parse_day(audience["added_to"])):
            errors["audience"] = str(ERRORS["BAD_INPUT"])
    elif not _known_ids(session, tenant.id, Employee, audience.get("owner_ids") or []) or \
            not _known_ids(session, tenant.id, GroupTag, audience.get("group_tag_ids") or []):
        errors["audience"] = str(ERRORS["BAD_INPUT"])
    if "audience" not in errors and (reason := planning.validate_audience(session, tenant, data.chat_type,
                                                                          audience)):
        errors["audience"] = reason
    moment = data.send_at if data.send_type == SendType.SCHEDULED and data.send_at else now
    rules = limits(session, tenant.id)
    cap = rules.group_mass_tasks_per_month if data.chat_type == ChatType.GROUP else rules.mass_tasks_per_month
    if tasks_this_month(session, tenant.id, data.chat_type, moment) >= cap:
        errors[""] = str(_l("This month's quota of mass sends is used up (%(cap)s a month).", cap=cap))
    found = None
    if with_preview and "audience" not in errors:
        found = planning.preview(session, tenant, data.chat_type, audience, now)
        if not found.sendable and "" not in errors:
            errors["audience"] = str(ERRORS["NO_RECIPIENT"])
    return errors, found


def _attachments_known(session: Session, tenant_id: int, ids: list[int]) -> bool:
    try:
        from ..materials import attachments
    except ImportError:
        return False
    known = {int(choice[0]) for choice in attachments.choices(session, tenant_id)}
    return set(ids) <= known


def create(session: Session, tenant: Tenant, data: MassSendInput, by: str = "",
           now: datetime | None = None) -> MassTask:
    """Validate, store and schedule a send; ``MassSendInvalid`` with nothing written otherwise."""
    now = now or utcnow()
    errors, found = validate(session, tenant, data, now)
    if errors:
        raise MassSendInvalid(errors)
    task = MassTask(tenant_id=tenant.id, chat_type=data.chat_type, text=data.text.strip(),
                    attachment_ids=list(data.attachment_ids), audience=data.audience, send_type=data.send_type,
                    send_at=_utc(data.send_at) if data.send_type == SendType.SCHEDULED and data.send_at else None,
                    status=TaskStatus.PENDING, created_by=by[:200], created_at=now)
    if found is not None:
        task.matched, task.targeted = found.matched, found.sendable
        task.excluded_limit, task.excluded_rule, task.no_friend = found.over_limit, found.excluded, found.no_friend
    session.add(task)
    session.flush()
    due = task.send_at or now
    schedule(session, DISPATCH_ACTOR, due, tenant_id=tenant.id,
             kwargs={"task_id": task.id, "due": due.isoformat()}, key=dispatch_key(task.id), max_attempts=3)
    return task


@actor(max_retries=0, time_limit=3_600_000)
def dispatch_task(tenant_id: int, *, task_id: int, due: str | None = None) -> None:
    """Dispatch a due send (see :mod:`.dispatch`)."""
    with job_session() as session:
        dispatch.run(session, task_id, tenant_id, due)


def find(session: Session, tenant_id: int, task_id: int, chat_type: str | None = None) -> MassTask | None:
    query = select(MassTask).where(MassTask.id == task_id, MassTask.tenant_id == tenant_id)
    if chat_type:
        query = query.where(MassTask.chat_type == chat_type)
    return session.execute(query).scalar_one_or_none()


def list_tasks(session: Session, tenant_id: int, chat_type: str, *, status: str = "", keyword: str = "",
               offset: int = 0, limit: int = 20) -> tuple[list[MassTask], int]:
    query = select(MassTask).where(MassTask.tenant_id == tenant_id, MassTask.chat_type == chat_type)
    if status:
        query = query.where(MassTask.status == status)
    if keyword:
        query = query.where(MassTask.text.contains(keyword, autoescape=True))
    total = int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())
    rows = list(session.execute(query.order_by(MassTask.id.desc()).offset(offset).limit(limit)).scalars())
    return rows, total


@dataclass
class Progress:
    """§5.2 发送情况: X members still to send to Y targets (0, 0 when all sent); None when cancelled."""

    members_unsent: int = 0
    targets_unsent: int = 0
    cancelled: bool = False


def progress(session: Session, task_ids: list[int]) -> dict[int, Progress]:
    """The progress of several sends in two grouped queries."""
    out = {task_id: Progress() for task_id in task_ids}
    if not task_ids:
        return out
    members = session.execute(select(MassMember.task_id, func.count(), func.coalesce(func.sum(
        MassMember.target_count), 0)).where(MassMember.task_id.in_(task_ids), MassMember.status ==
                                            MemberStatus.UNSENT.value).group_by(MassMember.task_id)).all()
    for task_id, count, _targets in members:
        out[task_id].members_unsent = int(count)
    targets = session.execute(select(MassRecipient.task_id, func.count()).join(
        MassMember, and_(MassMember.task_id == MassRecipient.task_id, MassMember.account_id == MassRecipient.account_id,
                         MassMember.userid == MassRecipient.userid)).where(
        MassRecipient.task_id.in_(task_ids), MassMember.status == MemberStatus.UNSENT.value,
        or_(MassRecipient.status == RecipientStatus.UNSENT.value,
            MassRecipient.status == RecipientStatus.DELIVERED.value)).group_by(MassRecipient.task_id)).all()
    for task_id, count in targets:
        out[task_id].targets_unsent = int(count)
    return out


