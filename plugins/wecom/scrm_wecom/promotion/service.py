"""Promotion activities: validation, creation (one WeCom contact way or one short link per employee), results
attributed to each employee, achievement with reminders and the reward, statistics and the ranking.

Rules (spec marketing-and-platform-rules A.8, B.8): a result counts when it happens inside ``[starts_at, ends_at)``;
an employee reaches the standard at ``count >= standard_count``; the promoter is told at the target once, or at every
multiple of it (``remind_mode``); ``remind_days_before`` days before the end, employees below the standard get one
reminder; an employee gets at most one reward (the reward row is unique per participant). Text cards go through
``messaging.textcards`` (the plugin's one outbound path), keyed so that a rerun sends nothing twice.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta

from sqlalchemy import case, func
from sqlmodel import Session, select

from scrm.sdk import (
    ChannelAccount,
    CustomerTag,
    Employee,
    EmployeeStatus,
    EventTypes,
    MessageTemplate,
    Tag,
    department_subtree,
    local,
    local_midnight,
    local_today,
    publish,
    shortlinks,
    utcnow,
)

from ..messaging.links import page_url
from ..messaging.textcards import CardSpec, send_textcard
from ..sync.models import Follow
from .models import (
    PromotionActivity,
    PromotionCover,
    PromotionDepartment,
    PromotionParticipant,
    PromotionResult,
    PromotionReward,
    RemindMode,
    RewardKind,
    RewardStatus,
    Standard,
    Target,
    WebhookAuth,
)

STATE_PREFIX = "pr:"
MAX_NAME = 50
MAX_EMPLOYEES = 500
MAX_STANDARD = 100_000
MAX_REMIND_DAYS = 30
REWARD_KINDS = (RewardKind.NONE, RewardKind.CODE, RewardKind.SMS, RewardKind.WEBHOOK)
MAX_TAGS = 20
#: ``CustomerTag.source`` (and the ``customer.tags_changed`` source) of the tags an activity gives
TAG_SOURCE = "wecom_promotion"


class PromotionError(ValueError):
    """Invalid input; ``fields`` maps form fields to messages (message ids, translated by the form)."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass
class ActivityInput:
    name: str
    account_id: int | None
    start: date | None
    end: date | None
    employee_ids: list[int] = field(default_factory=list)
    department_ids: list[int] = field(default_factory=list)
    all_employees: bool = False
    description: str = ""
    target: str = Target.LIVE_CODE
    link_url: str = ""
    standard: str = Standard.FRIENDS
    standard_count: int | None = 10
    remind_mode: str = RemindMode.ONCE
    remind_days_before: int | None = 1
    reward: str = RewardKind.NONE
    webhook_url: str = ""
    webhook_auth: str = WebhookAuth.NONE
    webhook_token_url: str = ""
    credentials: dict[str, str] = field(default_factory=dict)
    #: the SMS reward's template (``MessageTemplate.key`` of one of ``sms.choices``)
    sms_template: str = ""
    #: the brand's customer tags given to customers whose result counts (live code activities only)
    tag_ids: list[int] = field(default_factory=list)
    #: the cover image, already checked (``materials.files.check_cover``); None keeps none (or the current one)
    cover: object | None = None


@dataclass(frozen=True)
class ActivityValues:
    data: ActivityInput
    account: ChannelAccount
    employees: list[Employee]
    department_ids: list[int]
    sms_template: MessageTemplate | None = None


def _http(url: str) -> bool:
    try:
        shortlinks.validate_target(url)
    except shortlinks.ShortLinkError:
        return False
    return True


def _employees(session: Session, tenant_id: int, data: ActivityInput) -> list[Employee] | None:
    query = select(Employee).where(Employee.tenant_id == tenant_id, Employee.status == EmployeeStatus.ACTIVE)
    if data.all_employees:
        return list(session.exec(query.order_by(Employee.id)))
    chosen = set(dict.fromkeys(data.employee_ids))
    found = {e.id: e for e in session.exec(query.where(Employee.id.in_(chosen)))} if chosen else {}
    if len(found) != len(chosen):
        return None
    departments: set[int] = set()
    for dept_id in data.department_ids:
        departments |= department_subtree(session, tenant_id, dept_id)
    if departments:
        for employee in session.exec(query.where(Employee.department_id.in_(departments))):
            found.setdefault(employee.id, employee)
    return sorted(found.values(), key=lambda e: e.id)


def validate(session: Session, tenant_id: int, data: ActivityInput, accounts: list[ChannelAccount],
             today: date, sms_choices: list[MessageTemplate] | None = None) -> ActivityValues:
    """Check ``data``; raises ``PromotionError`` listing every problem (nothing is written). An SMS reward needs
    one of ``sms_choices`` (default: the templates the tenant's SMS plugin offers now, ``sms.choices``)."""
    errors: dict[str, str] = {}
    sms_template = None
    data.name = (data.name or "").strip()
    if not data.name or len(data.name) > MAX_NAME:
        errors["name"] = "name"
    if len(data.description or "") > 500:
        errors["description"] = "description"
    account = next((a for a in accounts if a.id == data.account_id), None)
    if account is None:
        errors["account_id"] = "account"
    if data.start is None or data.end is None or data.end < data.start:
        errors["period"] = "period"
    elif data.end < today:
        errors["period"] = "period_past"
    from scrm.sdk import Department

    dept_ids = list(dict.fromkeys(data.department_ids))
    known = set(session.exec(select(Department.id).where(Department.tenant_id == tenant_id,
                                                         Department.id.in_(dept_ids)))) if dept_ids else set()
    if len(known) != len(dept_ids):
        errors["employee_ids"] = "employees"
    employees = _employees(session, tenant_id, data) if "employee_ids" not in errors else None
    if employees is None:
        errors["employee_ids"] = "employees"
    elif not employees:
        errors["employee_ids"] = "no_employees"
    elif len(employees) > MAX_EMPLOYEES:
        errors["employee_ids"] = "too_many_employees"
    if data.target not in (Target.LIVE_CODE, Target.LINK):
        errors["target"] = "target"
    elif data.target == Target.LINK and not _http(data.link_url):
        errors["link_url"] = "link_url"
    if data.standard not in (Standard.FRIENDS, Standard.CLICKS):
        errors["standard"] = "standard"
    elif (data.standard == Standard.FRIENDS) != (data.target == Target.LIVE_CODE):
        errors["standard"] = "standard_target"
    if data.standard_count is None or not 1 <= data.standard_count <= MAX_STANDARD:
        errors["standard_count"] = "standard_count"
    if data.remind_mode not in (RemindMode.ONCE, RemindMode.EVERY):
        errors["remind_mode"] = "remind_mode"
    if data.remind_days_before is None or not 0 <= data.remind_days_before <= MAX_REMIND_DAYS:
        errors["remind_days_before"] = "remind_days"
    if data.reward not in REWARD_KINDS:
        errors["reward"] = "reward"
    elif data.reward == RewardKind.WEBHOOK:
        creds = data.credentials
        if not _http(data.webhook_url):
            errors["webhook_url"] = "webhook_url"
        if data.webhook_auth not in WebhookAuth.ALL:
            errors["webhook_auth"] = "webhook_auth"
        elif data.webhook_auth == WebhookAuth.BASIC and not (creds.get("username") and creds.get("password")):
            errors["webhook_auth"] = "basic"
        elif data.webhook_auth == WebhookAuth.SECRET and len(creds.get("secret") or "") < 16:
            errors["webhook_auth"] = "secret"
        elif data.webhook_auth == WebhookAuth.OAUTH2 and not (
                _http(data.webhook_token_url) and creds.get("client_id") and creds.get("client_secret")):
            errors["webhook_auth"] = "oauth2"
    elif data.reward == RewardKind.SMS:
        from . import sms

        offered = sms.choices(session, tenant_id) if sms_choices is None else sms_choices
        sms_template = next((c for c in offered if c.key == (data.sms_template or "").strip()), None)
        if sms_template is None:
            errors["sms_template"] = "sms_template" if offered else "sms_unavailable"
    tag_error = check_tags(session, tenant_id, data)
    if tag_error:
        errors["tag_ids"] = tag_error
    if errors:
        raise PromotionError(errors)
    return ActivityValues(data, account, employees, dept_ids, sms_template)


def check_tags(session: Session, tenant_id: int, data: ActivityInput) -> str | None:
    """The tags' error code, or None: at most ``MAX_TAGS`` tags of this brand, and only with a live code (a link
    click has no known customer to tag)."""
    data.tag_ids = list(dict.fromkeys(data.tag_ids))
    if not data.tag_ids:
        return None
    if len(data.tag_ids) > MAX_TAGS:
        return "too_many_tags"
    found = set(session.exec(select(Tag.id).where(Tag.tenant_id == tenant_id, Tag.id.in_(data.tag_ids))))
    if found != set(data.tag_ids):
        return "tags"
    if data.target != Target.LIVE_CODE:
        return "tags_target"
    return None


def set_cover(session: Session, activity: PromotionActivity, checked) -> PromotionCover:
    """Keep ``checked`` (a ``materials.files.CheckedFile``) as the activity's cover, replacing the previous one."""
    import hashlib

    row = cover_of(session, activity) or PromotionCover(tenant_id=activity.tenant_id, activity_id=activity.id,
                                                         mime="", sha256="", data=b"")
    row.mime, row.data, row.sha256 = checked.mime, checked.data, hashlib.sha256(checked.data).hexdigest()
    session.add(row)
    return row


def cover_of(session: Session, activity: PromotionActivity) -> PromotionCover | None:
    return session.exec(select(PromotionCover).where(PromotionCover.tenant_id == activity.tenant_id,
                                                     PromotionCover.activity_id == activity.id)).first()


def tag_names(session: Session, activity: PromotionActivity) -> list[str]:
    """The names of the activity's tags that still exist, in the activity's order."""
    if not activity.tag_ids:
        return []
    names = dict(session.exec(select(Tag.id, Tag.name).where(Tag.tenant_id == activity.tenant_id,
                                                             Tag.id.in_(activity.tag_ids))).all())
    return [names[t] for t in activity.tag_ids if t in names]


def covered(session: Session, tenant_id: int, activity_ids: list[int]) -> dict[int, str]:
    """The ids of those activities that have a cover, with the cover's digest (for cache-busting URLs); the bytes
    are not read."""
    if not activity_ids:
        return {}
    return dict(session.exec(select(PromotionCover.activity_id, PromotionCover.sha256).where(
        PromotionCover.tenant_id == tenant_id, PromotionCover.activity_id.in_(activity_ids))).all())


def new_state() -> str:
    return STATE_PREFIX + secrets.token_hex(6)


def create(session: Session, client, box, tenant_id: int, values: ActivityValues, created_by: str = "",
           public_base: str | None = None) -> PromotionActivity:
    """The activity and a participant per employee: a contact way (scene 2, one employee, a ``pr:`` state) through
    WeCom for a live-code target, a short link (channel ``wecom``) for a link target. Contact ways already created
    are deleted again when a later call fails (the caller rolls back)."""
    data = values.data
    creds = {k: v for k, v in data.credentials.items() if v} if data.reward == RewardKind.WEBHOOK else {}
    activity = PromotionActivity(
        tenant_id=tenant_id, account_id=values.account.id, name=data.name, description=data.description or "",
        starts_at=local_midnight(data.start), ends_at=local_midnight(data.end + timedelta(days=1)),
        all_employees=data.all_employees, target=data.target, link_url=data.link_url.strip(),
        standard=data.standard, standard_count=data.standard_count, remind_mode=data.remind_mode,
        remind_days_before=data.remind_days_before, reward=data.reward,
        webhook_url=data.webhook_url.strip() if data.reward == RewardKind.WEBHOOK else "",
        webhook_auth=data.webhook_auth if data.reward == RewardKind.WEBHOOK else WebhookAuth.NONE,
        webhook_token_url=data.webhook_token_url.strip() if data.webhook_auth == WebhookAuth.OAUTH2 else "",
        webhook_secret=box.encrypt_json(creds) if creds else "", created_by=created_by[:200],
        sms_template=values.sms_template.key if values.sms_template else "",
        sms_template_name=values.sms_template.name[:100] if values.sms_template else "",
        tag_ids=list(data.tag_ids))
    session.add(activity)
    session.flush()
    if data.cover is not None:
        set_cover(session, activity, data.cover)
    for dept_id in values.department_ids:
        session.add(PromotionDepartment(tenant_id=tenant_id, activity_id=activity.id, department_id=dept_id))
    add_participants(session, client, activity, values.employees)
    return activity


def add_participants(session: Session, client, activity: PromotionActivity,
                     employees: list[Employee]) -> list[PromotionParticipant]:
    """A participant per employee of ``employees``: a contact way (scene 2, one employee, a ``pr:`` state) through
    WeCom for a live-code target, a short link (channel ``wecom``) for a link target. Contact ways already created
    are deleted again when a later call fails (the exception is raised again; the caller rolls back)."""
    created: list[str] = []
    rows: list[PromotionParticipant] = []
    try:
        for employee in employees:
            row = PromotionParticipant(tenant_id=activity.tenant_id, activity_id=activity.id,
                                       employee_id=employee.id, token=secrets.token_urlsafe(18), state=new_state())
            if activity.target == Target.LIVE_CODE:
                answer = client.add_contact_way(type=1, scene=2, users=[employee.userid], state=row.state,
                                                remark=activity.name[:30], skip_verify=True)
                row.config_id = str(answer["config_id"])
                created.append(row.config_id)
                row.qr_code = str(answer.get("qr_code") or "") or None
            else:
                link = shortlinks.create(session, activity.tenant_id, activity.link_url, channel="wecom",
                                         campaign=f"wecom_promotion:{activity.id}:{employee.id}",
                                         campaign_label=activity.name, created_by="plugin:wecom")
                session.flush()
                row.link_id = link.id
            session.add(row)
            rows.append(row)
        session.flush()
    except Exception:
        for config_id in created:
            try:
                client.delete_contact_way(config_id)
            except Exception:  # noqa: BLE001 - best effort: the call that failed is the one reported
                pass
        raise
    return rows


# -- editing -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EditValues:
    data: ActivityInput
    starts_at: object
    ends_at: object
    new_employees: list[Employee]
    new_department_ids: list[int]


def validate_edit(session: Session, activity: PromotionActivity, data: ActivityInput, today: date,
                  now=None) -> EditValues:
    """Check an edit of an activity that has not ended; raises ``PromotionError`` listing every problem (nothing is
    written). Editable: name, description, the period (the start only before the activity starts; the end today or
    later), participants (added, never removed: the selection is resolved again, so employees who joined the brand
    or a chosen department since are added), tags and the cover. The target, standard, reminders and reward stay."""
    if status(activity, now) == "ended":
        raise PromotionError({"activity": "ended"})
    errors: dict[str, str] = {}
    data.name = (data.name or "").strip()
    if not data.name or len(data.name) > MAX_NAME:
        errors["name"] = "name"
    if len(data.description or "") > 500:
        errors["description"] = "description"
    first, _last = period_days(activity)
    if data.start is None or data.end is None or data.end < data.start:
        errors["period"] = "period"
    elif status(activity, now) == "running" and data.start != first:
        errors["period"] = "start_running"
    elif data.end < today:
        errors["period"] = "period_past"
    from scrm.sdk import Department

    dept_ids = list(dict.fromkeys(data.department_ids))
    known = set(session.exec(select(Department.id).where(Department.tenant_id == activity.tenant_id,
                                                         Department.id.in_(dept_ids)))) if dept_ids else set()
    employees = _employees(session, activity.tenant_id, data) if len(known) == len(dept_ids) else None
    current = {p.employee_id for p, _e in participants(session, activity)}
    new = [e for e in employees or [] if e.id not in current]
    if employees is None:
        errors["employee_ids"] = "employees"
    elif len(current) + len(new) > MAX_EMPLOYEES:
        errors["employee_ids"] = "too_many_employees"
    data.target = activity.target
    tag_error = check_tags(session, activity.tenant_id, data)
    if tag_error:
        errors["tag_ids"] = tag_error
    if errors:
        raise PromotionError(errors)
    had = set(session.exec(select(PromotionDepartment.department_id).where(
        PromotionDepartment.tenant_id == activity.tenant_id, PromotionDepartment.activity_id == activity.id)))
    return EditValues(data, local_midnight(data.start), local_midnight(data.end + timedelta(days=1)), new,
                      [d for d in dept_ids if d not in had])


def apply_edit(session: Session, client, activity: PromotionActivity, values: EditValues) -> list[PromotionParticipant]:
    """Write a checked edit; returns the participants added (their poster cards are the caller's to send)."""
    data = values.data
    activity.name, activity.description = data.name, data.description or ""
    activity.starts_at, activity.ends_at = values.starts_at, values.ends_at
    activity.all_employees = activity.all_employees or data.all_employees
    activity.tag_ids = list(data.tag_ids)
    session.add(activity)
    for dept_id in values.new_department_ids:
        session.add(PromotionDepartment(tenant_id=activity.tenant_id, activity_id=activity.id, department_id=dept_id))
    if data.cover is not None:
        set_cover(session, activity, data.cover)
    session.flush()
    return add_participants(session, client, activity, values.new_employees)


# -- reads -------------------------------------------------------------------------------------------------------------


def get(session: Session, tenant_id: int, activity_id: int) -> PromotionActivity | None:
    return session.exec(select(PromotionActivity).where(PromotionActivity.tenant_id == tenant_id,
                                                        PromotionActivity.id == activity_id)).first()


def by_token(session: Session, tenant_id: int, token: str) -> PromotionParticipant | None:
    return session.exec(select(PromotionParticipant).where(PromotionParticipant.tenant_id == tenant_id,
                                                           PromotionParticipant.token == token)).first()


def participants(session: Session, activity: PromotionActivity) -> list[tuple[PromotionParticipant, Employee]]:
    return list(session.exec(select(PromotionParticipant, Employee)
                             .join(Employee, Employee.id == PromotionParticipant.employee_id)
                             .where(PromotionParticipant.tenant_id == activity.tenant_id,
                                    PromotionParticipant.activity_id == activity.id)
                             .order_by(PromotionParticipant.id)))


def counts(session: Session, activity: PromotionActivity) -> dict[int, int]:
    """Results inside the period per participant id (zeros included): friends added through the participant's
    code, or counted clicks (robots left out) of their short link."""
    rows = participants(session, activity)
    out = {p.id: 0 for p, _e in rows}
    if activity.standard == Standard.FRIENDS:
        query = (select(PromotionResult.participant_id, func.count())
                 .where(PromotionResult.tenant_id == activity.tenant_id, PromotionResult.activity_id == activity.id,
                        PromotionResult.occurred_at >= activity.starts_at,
                        PromotionResult.occurred_at < activity.ends_at)
                 .group_by(PromotionResult.participant_id))
        for pid, count in session.exec(query):
            out[pid] = count
        return out
    by_link = {p.link_id: p.id for p, _e in rows if p.link_id}
    if by_link:
        c = shortlinks.ShortLinkClick.__table__.c
        query = (select(c.link_id, func.count())
                 .where(c.tenant_id == activity.tenant_id, c.link_id.in_(list(by_link)), c.agent != "bot",
                        c.clicked_at >= activity.starts_at, c.clicked_at < activity.ends_at)
                 .group_by(c.link_id))
        for link_id, count in session.execute(query):
            out[by_link[link_id]] = count
    return out


@dataclass(frozen=True)
class Standing:
    participant: PromotionParticipant
    employee: Employee
    count: int
    rank: int
    achieved: bool


def ranking(session: Session, activity: PromotionActivity) -> list[Standing]:
    """Every participant with their count, ranked (equal counts share a rank; ties listed by employee)."""
    figures = counts(session, activity)
    rows = sorted(participants(session, activity), key=lambda pe: (-figures[pe[0].id], pe[1].id))
    out, rank, previous = [], 0, None
    for index, (participant, employee) in enumerate(rows, start=1):
        count = figures[participant.id]
        if count != previous:
            rank, previous = index, count
        out.append(Standing(participant, employee, count, rank, count >= activity.standard_count))
    return out


@dataclass(frozen=True)
class TrendDay:
    day: date
    count: int


def period_days(activity: PromotionActivity) -> tuple[date, date]:
    """The activity's first and last local day (in the current zone, the tenant's)."""
    return local(activity.starts_at).date(), (local(activity.ends_at) - timedelta(days=1)).date()


def trend(session: Session, activity: PromotionActivity, now=None) -> list[TrendDay]:
    """Results per local day of the tenant's zone (B.8 "trend"), from the first day of the period to its last day or
    to today, whichever is earlier (days to come are not shown); days without results count 0. One grouped query:
    each result falls in the day whose local-midnight bounds (computed here, so a daylight-saving day is 23 or 25
    hours long) hold it, inside ``[starts_at, ends_at)`` like ``counts``."""
    first, last = period_days(activity)
    last = min(last, local_today(now))
    if last < first:
        return []
    bounds = [local_midnight(first + timedelta(days=i)) for i in range((last - first).days + 2)]
    lower, upper = max(bounds[0], activity.starts_at), min(bounds[-1], activity.ends_at)
    if activity.standard == Standard.FRIENDS:
        moment = PromotionResult.occurred_at
        conditions = [PromotionResult.tenant_id == activity.tenant_id, PromotionResult.activity_id == activity.id]
    else:
        links = [p.link_id for p, _e in participants(session, activity) if p.link_id]
        c = shortlinks.ShortLinkClick.__table__.c
        moment = c.clicked_at
        conditions = [c.tenant_id == activity.tenant_id, c.link_id.in_(links or [-1]), c.agent != "bot"]
    day = case(*[(moment < bound, index) for index, bound in enumerate(bounds[1:])], else_=-1).label("day")
    inner = select(day).where(*conditions, moment >= lower, moment < upper).subquery()
    found = dict(session.execute(select(inner.c.day, func.count()).group_by(inner.c.day)).all())
    return [TrendDay(first + timedelta(days=i), int(found.get(i, 0))) for i in range(len(bounds) - 1)]


def status(activity: PromotionActivity, now=None) -> str:
    now = now or utcnow()
    if now < activity.starts_at:
        return "not_started"
    return "running" if now < activity.ends_at else "ended"


# -- attribution ---------------------------------------------------------------------------------------------------


def friend_added(session: Session, event, box) -> PromotionResult | None:
    """Attribute a ``wecom.friend_added`` whose state is a participant's (``pr:``) to that employee, once per event
    and once per customer and employee in the activity; then check the standard. Returns the new result or None."""
    payload = event.payload
    state = str(payload.get("state") or "")
    if not state.startswith(STATE_PREFIX):
        return None
    participant = session.exec(select(PromotionParticipant).where(
        PromotionParticipant.tenant_id == event.tenant_id, PromotionParticipant.state == state)).first()
    external_userid = str(payload.get("external_userid") or "")
    if participant is None or not external_userid:
        return None
    seen = session.exec(select(PromotionResult.id).where(
        (PromotionResult.event_id == event.event_id) | (
            (PromotionResult.participant_id == participant.id)
            & (PromotionResult.external_userid == external_userid)))).first()
    if seen is not None:
        return None
    customer_id = payload.get("customer_id") or session.exec(select(Follow.customer_id).where(
        Follow.tenant_id == event.tenant_id, Follow.external_userid == external_userid)).first()
    result = PromotionResult(tenant_id=event.tenant_id, activity_id=participant.activity_id,
                             participant_id=participant.id, external_userid=external_userid[:128],
                             customer_id=customer_id or None, event_id=event.event_id,
                             occurred_at=event.occurred_at or utcnow())
    session.add(result)
    session.flush()
    activity = session.get(PromotionActivity, participant.activity_id)
    tag_customer(session, activity, result)
    evaluate(session, activity, {participant.id: counts(session, activity)[participant.id]}, box)
    return result


def tag_customer(session: Session, activity: PromotionActivity, result: PromotionResult) -> list[int]:
    """Give the activity's tags to the customer of ``result`` when the result counts (inside ``[starts_at,
    ends_at)``, the customer known): core ``CustomerTag`` rows with the source ``wecom_promotion`` (tags the customer
    has already are kept as they are, whoever gave them), announced as ``customer.tags_changed`` so that SOP rules
    and the WeCom corp tag push follow. Returns the ids of the tags newly given."""
    if not activity.tag_ids or result.customer_id is None:
        return []
    moment = result.occurred_at if result.occurred_at.tzinfo else result.occurred_at.replace(tzinfo=UTC)
    if not activity.starts_at <= moment < activity.ends_at:
        return []
    live = set(session.exec(select(Tag.id).where(Tag.tenant_id == activity.tenant_id,
                                                 Tag.id.in_(activity.tag_ids))))
    have = set(session.exec(select(CustomerTag.tag_id).where(
        CustomerTag.tenant_id == activity.tenant_id, CustomerTag.customer_id == result.customer_id,
        CustomerTag.tag_id.in_(activity.tag_ids))))
    added = [t for t in activity.tag_ids if t in live and t not in have]
    for tag_id in added:
        session.add(CustomerTag(tenant_id=activity.tenant_id, customer_id=result.customer_id, tag_id=tag_id,
                                employee_id=None, employee_key=0, source=TAG_SOURCE))
    if added:
        session.flush()
        publish(session, activity.tenant_id, EventTypes.TAGS_CHANGED,
                {"customer_ids": [result.customer_id], "added_tag_ids": added, "removed_tag_ids": [],
                 "source": TAG_SOURCE})
    return added


# -- achievement, reminders and rewards ------------------------------------------------------------------------------


def _card(session: Session, activity: PromotionActivity, participant: PromotionParticipant, key: str, title: str,
          description: str) -> None:
    from scrm.sdk import Tenant

    tenant = session.get(Tenant, activity.tenant_id)
    account = session.get(ChannelAccount, activity.account_id)
    url = page_url(account, f"/p/{tenant.slug}/wecom/promotion/{participant.token}")
    if url is None:
        return
    send_textcard(session, activity.tenant_id, employee_id=participant.employee_id,
                  card=CardSpec(title[:40], description[:160], url, None), key=key,
                  task_ref=f"wecom_promotion:{activity.id}")


def send_poster(session: Session, activity: PromotionActivity, participant: PromotionParticipant) -> None:
    """The participant's poster card (their H5 page with the poster, link and progress), once."""
    from .labels import poster_card

    title, description = poster_card(activity)
    _card(session, activity, participant, f"wecom_promotion:{activity.id}:{participant.id}:poster", title,
          description)
    participant.poster_sent = True
    session.add(participant)


def evaluate(session: Session, activity: PromotionActivity, figures: dict[int, int], box, now=None) -> None:
    """For each participant id in ``figures`` with its count: remind at the target (once or at every multiple) and
    create the reward at the first achievement."""
    from .labels import target_card

    now = now or utcnow()
    rows = {p.id: p for p in session.exec(select(PromotionParticipant).where(
        PromotionParticipant.tenant_id == activity.tenant_id, PromotionParticipant.id.in_(list(figures))))}
    for pid, count in figures.items():
        participant = rows.get(pid)
        if participant is None:
            continue
        multiple = count // activity.standard_count
        if multiple < 1:
            continue
        if participant.achieved_at is None:
            participant.achieved_at = now
            _reward(session, activity, participant, now)
        due = multiple if activity.remind_mode == RemindMode.EVERY else 1
        if due > participant.reminded_multiple:
            title, description = target_card(activity, count)
            _card(session, activity, participant, f"wecom_promotion:{activity.id}:{pid}:target:{due}", title,
                  description)
            participant.reminded_multiple = due
        session.add(participant)
    session.flush()


def _reward(session: Session, activity: PromotionActivity, participant: PromotionParticipant, now) -> None:
    if activity.reward == RewardKind.NONE:
        return
    key = f"wecom_promotion:{activity.id}:{participant.id}"
    if session.exec(select(PromotionReward.id).where(PromotionReward.key == key)).first() is not None:
        return
    # a webhook or SMS reward is delivered by the job (``webhook.deliver_due``, ``sms.send_due``), never here
    webhook = activity.reward in (RewardKind.WEBHOOK, RewardKind.SMS)
    session.add(PromotionReward(tenant_id=activity.tenant_id, activity_id=activity.id, participant_id=participant.id,
                                key=key, code=secrets.token_hex(4).upper(), kind=activity.reward,
                                status=RewardStatus.PENDING if webhook else RewardStatus.SENT,
                                next_attempt_at=now if webhook else None, sent_at=None if webhook else now))


def remind_below(session: Session, activity: PromotionActivity, now=None) -> int:
    """``remind_days_before`` days before the end, one card to each participant below the standard (once per
    activity). Returns the number of cards queued."""
    from .labels import below_card

    now = now or utcnow()
    if activity.below_reminded_at is not None or not (
            activity.ends_at - timedelta(days=activity.remind_days_before) <= now < activity.ends_at):
        return 0
    sent = 0
    for standing in ranking(session, activity):
        if not standing.achieved:
            title, description = below_card(activity, standing.count)
            _card(session, activity, standing.participant,
                  f"wecom_promotion:{activity.id}:{standing.participant.id}:below", title, description)
            sent += 1
    activity.below_reminded_at = now
    session.add(activity)
    session.flush()
    return sent


def reward_of(session: Session, participant: PromotionParticipant) -> PromotionReward | None:
    return session.exec(select(PromotionReward).where(PromotionReward.participant_id == participant.id)).first()
