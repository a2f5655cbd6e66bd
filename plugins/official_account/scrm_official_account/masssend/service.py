"""Mass sends (群发管理): validation and creation (spec 3.3, 4.2), edits while waiting, deletion, the list.

Everything here takes the caller's session and never commits. ``create`` schedules the dispatch job durably
(``scrm.sdk.schedule``, key ``oa_mass:<id>``): at once for 立即群发, at ``scheduled_at`` for 定时群发.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from scrm.sdk import ChannelAccount, Tenant, cancel_schedule, schedule, utcnow

from ..accounts import is_verified_service
from ..fans.models import OATag
from ..materials import set_references
from ..materials.models import Material
from . import audience as audiences
from .models import (
    ALL_FANS,
    BY_TAGS,
    IMMEDIATE,
    MSG_TYPES,
    SCHEDULED,
    TEXT,
    WAITING,
    MassSend,
)

#: spec 4.2 rule 4: 2 to 10,000 recipients (WeChat's ``message/mass/send`` takes 2 to 10,000 openids)
MIN_RECIPIENTS = 2
MAX_RECIPIENTS = 10_000
#: a text mass message (the OA backend's limit)
TEXT_MAX = 600
DISPATCH_ACTOR = "scrm_official_account.masssend.dispatch.dispatch_mass_send"
REFERRER = "mass_send"

# error codes (spec 3.3 names the first five)
NOT_VERIFIED_SERVICE_ACCOUNT = "NOT_VERIFIED_SERVICE_ACCOUNT"
AUDIENCE_TOO_SMALL = "AUDIENCE_TOO_SMALL"
AUDIENCE_TOO_LARGE = "AUDIENCE_TOO_LARGE"
CONTENT_REQUIRED = "CONTENT_REQUIRED"
IMMUTABLE_AFTER_SEND = "IMMUTABLE_AFTER_SEND"
TEXT_TOO_LONG = "TEXT_TOO_LONG"
TAGS_REQUIRED = "TAGS_REQUIRED"
TAG_NOT_OA = "TAG_NOT_OA"
BAD_GENDER = "BAD_GENDER"
REGION_NOT_CHINA = "REGION_NOT_CHINA"
BAD_FOLLOW_RANGE = "BAD_FOLLOW_RANGE"
BAD_MSG_TYPE = "BAD_MSG_TYPE"
SCHEDULE_REQUIRED = "SCHEDULE_REQUIRED"
SCHEDULE_IN_PAST = "SCHEDULE_IN_PAST"
BAD_MODE = "BAD_MODE"


@dataclass
class MassSendInput:
    """What the create form submits (already parsed: ints, dates, an aware or naive-UTC ``scheduled_at``)."""

    audience_mode: str = ALL_FANS
    tag_ids: list[int] = field(default_factory=list)
    genders: list[int] = field(default_factory=list)
    province: str = ""
    city: str = ""
    follow_from: date | None = None
    follow_to: date | None = None
    msg_type: str = TEXT
    text: str = ""
    material_id: int | None = None
    send_mode: str = IMMEDIATE
    scheduled_at: datetime | None = None


class MassSendInvalid(ValueError):
    """``errors``: {field: code} (``""`` for the whole send); ``estimated``: the recipient count, when computed."""

    def __init__(self, errors: dict[str, str], estimated: int | None = None) -> None:
        self.errors, self.estimated = errors, estimated
        super().__init__(", ".join(f"{k or '*'}:{v}" for k, v in errors.items()))


def tenant_zone(session: Session, tenant_id: int) -> ZoneInfo:
    tenant = session.get(Tenant, tenant_id)
    try:
        return ZoneInfo((tenant.timezone if tenant is not None else None) or "Asia/Shanghai")
    except (KeyError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def audience_of(account_id: int, data: MassSendInput | MassSend) -> audiences.Audience:
    return audiences.Audience(account_id=account_id,
                              tag_ids=list(data.tag_ids or []) if data.audience_mode == BY_TAGS else [],
                              genders=list(data.genders or []), province=data.province or "", city=data.city or "",
                              follow_from=data.follow_from, follow_to=data.follow_to)


def estimate(session: Session, tenant_id: int, account: ChannelAccount, data: MassSendInput) -> int:
    """预计发送人数 of ``data`` (its filters as given; invalid filters count what they can)."""
    return audiences.count(session, tenant_id, audience_of(account.id, data), tenant_zone(session, tenant_id))


def _material(session: Session, tenant_id: int, account_id: int, material_id: int | None,
              kind: str) -> Material | None:
    if material_id is None:
        return None
    return session.exec(select(Material).where(Material.id == material_id, Material.tenant_id == tenant_id,
                                               Material.account_id == account_id, Material.kind == kind)).first()


def validate(session: Session, tenant_id: int, account: ChannelAccount, data: MassSendInput,
             now: datetime | None = None) -> tuple[dict[str, str], int | None]:
    """(errors, estimated recipients). The account check comes first: nothing else is computed for an account
    that may not mass send."""
    if not is_verified_service(account):
        return {"": NOT_VERIFIED_SERVICE_ACCOUNT}, None
    errors: dict[str, str] = {}
    if data.audience_mode not in (ALL_FANS, BY_TAGS):
        errors["audience_mode"] = BAD_MODE
    elif data.audience_mode == BY_TAGS:
        if not data.tag_ids:
            errors["tag_ids"] = TAGS_REQUIRED
        else:
            known = set(session.exec(select(OATag.wechat_id).where(OATag.tenant_id == tenant_id,
                                                                   OATag.account_id == account.id)))
            if not set(data.tag_ids) <= known:
                errors["tag_ids"] = TAG_NOT_OA
    if any(g not in (0, 1, 2) for g in data.genders):
        errors["genders"] = BAD_GENDER
    if data.province and data.province not in audiences.PROVINCES or data.city and not data.province:
        errors["province"] = REGION_NOT_CHINA
    if data.follow_from and data.follow_to and data.follow_from > data.follow_to:
        errors["follow_to"] = BAD_FOLLOW_RANGE
    if data.msg_type not in MSG_TYPES:
        errors["msg_type"] = BAD_MSG_TYPE
    elif data.msg_type == TEXT:
        if not data.text.strip():
            errors["text"] = CONTENT_REQUIRED
        elif len(data.text) > TEXT_MAX:
            errors["text"] = TEXT_TOO_LONG
    else:
        material = _material(session, tenant_id, account.id, data.material_id, data.msg_type)
        if material is None or not material.media_id:
            errors["material_id"] = CONTENT_REQUIRED
    if data.send_mode not in (IMMEDIATE, SCHEDULED):
        errors["send_mode"] = BAD_MODE
    elif data.send_mode == SCHEDULED:
        if data.scheduled_at is None:
            errors["scheduled_at"] = SCHEDULE_REQUIRED
        elif _utc(data.scheduled_at) <= (now or utcnow()):
            errors["scheduled_at"] = SCHEDULE_IN_PAST
    estimated = None
    if not {"tag_ids", "audience_mode", "genders", "province"} & set(errors):
        estimated = estimate(session, tenant_id, account, data)
        if estimated < MIN_RECIPIENTS:
            errors["estimated"] = AUDIENCE_TOO_SMALL
        elif estimated > MAX_RECIPIENTS:
            errors["estimated"] = AUDIENCE_TOO_LARGE
    return errors, estimated


def _utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC time (a naive one is UTC already)."""
    from datetime import UTC

    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _apply(session: Session, tenant_id: int, account: ChannelAccount, send: MassSend, data: MassSendInput,
           estimated: int) -> None:
    send.audience_mode = data.audience_mode
    send.tag_ids = sorted(set(data.tag_ids)) if data.audience_mode == BY_TAGS else []
    send.genders = sorted(set(data.genders))
    send.province, send.city = data.province, data.city
    send.follow_from, send.follow_to = data.follow_from, data.follow_to
    send.msg_type = data.msg_type
    send.text = data.text.strip() if data.msg_type == TEXT else ""
    material = None if data.msg_type == TEXT else _material(session, tenant_id, account.id, data.material_id,
                                                            data.msg_type)
    send.material_id = material.id if material is not None else None
    send.material_name = material.name[:200] if material is not None else ""
    send.send_mode = data.send_mode
    send.scheduled_at = _utc(data.scheduled_at) if data.send_mode == SCHEDULED and data.scheduled_at else None
    send.estimated = estimated
    session.add(send)
    session.flush()
    set_references(session, tenant_id, REFERRER, send.id, [send.material_id] if send.material_id else [],
                   label=f"群发 #{send.id}")
    # ``due``: the time this schedule is for; the job sends only if the mass send is still due by it (an edit that
    # moved the time later replaced this schedule, and a job of the old one finds nothing to do)
    due = send.scheduled_at or utcnow()
    schedule(session, DISPATCH_ACTOR, due, tenant_id=tenant_id,
             kwargs={"mass_send_id": send.id, "due": _utc(due).isoformat()}, key=schedule_key(send.id),
             max_attempts=3)


def schedule_key(mass_send_id: int) -> str:
    return f"official_account.mass:{mass_send_id}"


def create(session: Session, tenant_id: int, account: ChannelAccount, data: MassSendInput, by: str = "",
           now: datetime | None = None) -> MassSend:
    """Validate and store a mass send and schedule its dispatch; raises ``MassSendInvalid``."""
    errors, estimated = validate(session, tenant_id, account, data, now)
    if errors:
        raise MassSendInvalid(errors, estimated)
    send = MassSend(tenant_id=tenant_id, account_id=account.id, created_by=by[:200], status=WAITING)
    _apply(session, tenant_id, account, send, data, estimated or 0)
    return send


def update(session: Session, tenant_id: int, account: ChannelAccount, send: MassSend, data: MassSendInput,
           now: datetime | None = None) -> MassSend:
    """Edit a mass send still waiting for its time; any other (sending, sent, failed) is refused with
    ``IMMUTABLE_AFTER_SEND`` (spec 4.2 rule 7)."""
    locked = session.exec(select(MassSend).where(MassSend.id == send.id, MassSend.tenant_id == tenant_id)
                          .with_for_update()).one()
    if locked.status != WAITING:
        raise MassSendInvalid({"": IMMUTABLE_AFTER_SEND})
    errors, estimated = validate(session, tenant_id, account, data, now)
    if errors:
        raise MassSendInvalid(errors, estimated)
    _apply(session, tenant_id, account, locked, data, estimated or 0)
    return locked


def delete(session: Session, tenant_id: int, send: MassSend) -> None:
    """Delete the record (its schedule cancelled, its material freed); a send being handed to WeChat is refused.
    The ledger rows of its recipients stay (they count towards the monthly limit)."""
    from .models import SENDING

    if send.status == SENDING:
        raise MassSendInvalid({"": IMMUTABLE_AFTER_SEND})
    cancel_schedule(session, schedule_key(send.id))
    set_references(session, tenant_id, REFERRER, send.id, [])
    session.delete(send)
    session.flush()


def find(session: Session, tenant_id: int, mass_send_id: int, account_id: int | None = None) -> MassSend | None:
    query = select(MassSend).where(MassSend.id == mass_send_id, MassSend.tenant_id == tenant_id)
    if account_id is not None:
        query = query.where(MassSend.account_id == account_id)
    return session.exec(query).first()


def list_sends(session: Session, tenant_id: int, account_id: int, send_mode: str, *, status: str = "",
               keyword: str = "", sent_from: datetime | None = None, sent_to: datetime | None = None,
               offset: int = 0, limit: int = 10) -> tuple[list[MassSend], int]:
    """One tab of the list (立即群发 / 定时群发), newest first, 10 a page (spec 3.3)."""
    query = select(MassSend).where(MassSend.tenant_id == tenant_id, MassSend.account_id == account_id,
                                   MassSend.send_mode == send_mode)
    if status:
        query = query.where(MassSend.status == status)
    if keyword:
        query = query.where(col(MassSend.text).contains(keyword) | col(MassSend.material_name).contains(keyword))
    moment = func.coalesce(MassSend.submitted_at, MassSend.scheduled_at, MassSend.created_at)
    if sent_from is not None:
        query = query.where(moment >= sent_from)
    if sent_to is not None:
        query = query.where(moment < sent_to)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = list(session.exec(query.order_by(col(MassSend.id).desc()).offset(offset).limit(limit)))
    return rows, int(total)


def reached(send: MassSend) -> int | None:
    """X of the list's "X/Y人": fans WeChat reports the message sent to (SentCount of MASSSENDJOBFINISH); None
    until the event came."""
    return send.sent_count


def summary(send: MassSend) -> dict[str, Any]:
    return {"targeted": send.targeted, "refused": send.refused, "submitted": send.submitted,
            "reached": send.sent_count, "errors": send.error_count}
