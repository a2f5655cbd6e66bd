"""Live codes: validation, create / update / delete through WeCom's contact-way API, and the tenant-scoped reads.

Every write goes to WeCom first and is committed locally only when WeCom accepted it, so the local row and the
contact way never disagree: a failed call raises and the caller rolls back.
"""

from __future__ import annotations

import secrets
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, delete, select

from scrm.sdk import ChannelAccount, Employee, EmployeeStatus, Tag, qr, utcnow
from scrm.sdk.wechat import WeChatAPIError

from ..welcome.content import ContentError, validate_content
from ..welcome.service import offered_materials
from .models import MULTI, SINGLE, LiveCode, LiveCodeEmployee, LiveCodeLogo, LiveCodeTag

STATE_PREFIX = "lc:"
INVALID_CONFIG_ID = 41044
MAX_EMPLOYEES = 100  # contact_way: at most 100 members per config
MAX_NAME = 50


class LiveCodeError(ValueError):
    """Invalid live-code input; ``fields`` maps form field names to messages."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass
class LiveCodeInput:
    """What the form (or an API) submits for a live code."""

    name: str
    account_id: int | None
    kind: int
    employee_ids: list[int]
    skip_verify: bool = True
    tag_ids: list[int] = field(default_factory=list)
    welcome: dict[str, Any] | None = None  # None: no welcome of its own


@dataclass(frozen=True)
class LiveCodeValues:
    """Validated input with the rows it names."""

    name: str
    account: ChannelAccount
    kind: int
    employees: list[Employee]
    skip_verify: bool
    tags: list[Tag]
    welcome: dict[str, Any]


def validate(session: Session, tenant_id: int, data: LiveCodeInput, accounts: list[ChannelAccount], *,
             kept: list[dict[str, Any]] | None = None) -> LiveCodeValues:
    """Check ``data`` against the tenant's rows; raises ``LiveCodeError`` listing every problem. The welcome attaches
    the tenant's materials; typed attachments only those in ``kept`` (stored before)."""
    errors: dict[str, str] = {}
    name = (data.name or "").strip()
    if not name or len(name) > MAX_NAME:
        errors["name"] = str(_l("Enter a name of 1 to %(n)s characters.", n=MAX_NAME))
    account = next((a for a in accounts if a.id == data.account_id), None)
    if account is None:
        errors["account_id"] = str(_l("Choose a WeCom account."))
    if data.kind not in (SINGLE, MULTI):
        errors["kind"] = str(_l("Choose single or several employees."))
    ids = list(dict.fromkeys(data.employee_ids))
    employees = list(session.exec(select(Employee).where(
        Employee.tenant_id == tenant_id, Employee.id.in_(ids), Employee.status == EmployeeStatus.ACTIVE))) if ids else []
    if len(employees) != len(ids) or not ids:
        errors["employee_ids"] = str(_l("Choose active employees of this brand."))
    elif data.kind == SINGLE and len(ids) != 1:
        errors["employee_ids"] = str(_l("A single-employee code has exactly one employee."))
    elif len(ids) > MAX_EMPLOYEES:
        errors["employee_ids"] = str(_l("At most %(n)s employees per code.", n=MAX_EMPLOYEES))
    tag_ids = list(dict.fromkeys(data.tag_ids))
    tags = list(session.exec(select(Tag).where(Tag.tenant_id == tenant_id, Tag.id.in_(tag_ids)))) if tag_ids else []
    if len(tags) != len(tag_ids):
        errors["tag_ids"] = str(_l("Choose tags of this brand."))
    welcome: dict[str, Any] = {}
    if data.welcome is not None:
        try:
            welcome = validate_content(data.welcome, offered=offered_materials(session, tenant_id), kept=kept)
        except ContentError as exc:
            errors.update({f"welcome-{k}": v for k, v in exc.fields.items()})
    if errors:
        raise LiveCodeError(errors)
    order = {i: n for n, i in enumerate(ids)}
    employees.sort(key=lambda e: order[e.id])
    return LiveCodeValues(name, account, data.kind, employees, bool(data.skip_verify), tags, welcome)


def _remark(name: str) -> str:
    return name[:30]  # contact_way remark: at most 30 characters


def _replace_links(session: Session, code: LiveCode, values: LiveCodeValues) -> None:
    session.exec(delete(LiveCodeEmployee).where(LiveCodeEmployee.live_code_id == code.id))
    session.exec(delete(LiveCodeTag).where(LiveCodeTag.live_code_id == code.id))
    for employee in values.employees:
        session.add(LiveCodeEmployee(tenant_id=code.tenant_id, live_code_id=code.id, employee_id=employee.id))
    for tag in values.tags:
        session.add(LiveCodeTag(tenant_id=code.tenant_id, live_code_id=code.id, tag_id=tag.id))


def new_state() -> str:
    """A fresh state for a code: the ``lc:`` prefix and 12 random hex characters (WeCom allows 30)."""
    return STATE_PREFIX + secrets.token_hex(6)


def create(session: Session, client: Any, tenant_id: int, values: LiveCodeValues, created_by: str = "") -> LiveCode:
    """Create the contact way (scene 2, a fresh ``lc:`` state) in WeCom, then the local code with its config_id and
    QR URL. WeCom is called before anything is written here (the caller holds no open transaction, so a token
    refresh never waits on this one); if the local insert then fails, the contact way is deleted again."""
    state = new_state()
    answer = client.add_contact_way(type=values.kind, scene=2, users=[e.userid for e in values.employees],
                                    state=state, remark=_remark(values.name), skip_verify=values.skip_verify)
    config_id = str(answer["config_id"])
    try:
        code = LiveCode(tenant_id=tenant_id, account_id=values.account.id, name=values.name, kind=values.kind,
                        state=state, skip_verify=values.skip_verify, welcome=values.welcome, config_id=config_id,
                        qr_code=str(answer.get("qr_code") or "") or None, created_by=created_by[:200])
        session.add(code)
        session.flush()
        _replace_links(session, code, values)
        session.flush()
    except Exception:
        with suppress(Exception):
            client.delete_contact_way(config_id)
        raise
    return code


def update(session: Session, client: Any, code: LiveCode, values: LiveCodeValues) -> LiveCode:
    """Change the contact way in WeCom (update_contact_way keeps its QR code and config_id), then the code.
    Neither the account nor the kind (single / several) of a code can change: WeCom fixes both at creation."""
    client.update_contact_way(code.config_id, user=[e.userid for e in values.employees], state=code.state,
                              remark=_remark(values.name), skip_verify=values.skip_verify)
    code.name, code.skip_verify, code.welcome = values.name, values.skip_verify, values.welcome
    code.updated_at = utcnow()
    _replace_links(session, code, values)
    session.add(code)
    session.flush()
    return code


def remove(session: Session, client: Any, code: LiveCode) -> None:
    """Delete the contact way in WeCom (one WeCom no longer knows counts as deleted), then the code with its links
    and statistics."""
    if code.config_id:
        try:
            client.delete_contact_way(code.config_id)
        except WeChatAPIError as exc:
            if exc.errcode != INVALID_CONFIG_ID:
                raise
    session.delete(code)
    session.flush()


# -- reads -------------------------------------------------------------------------------------------------------------


def get(session: Session, tenant_id: int, code_id: int) -> LiveCode | None:
    """The code ``code_id`` of ``tenant_id`` (None for another tenant's)."""
    return session.exec(select(LiveCode).where(LiveCode.id == code_id, LiveCode.tenant_id == tenant_id)).first()


def by_state(session: Session, tenant_id: int, state: str) -> LiveCode | None:
    if not state.startswith(STATE_PREFIX):
        return None
    return session.exec(select(LiveCode).where(LiveCode.tenant_id == tenant_id, LiveCode.state == state)).first()


def employees_of(session: Session, code: LiveCode) -> list[Employee]:
    return list(session.exec(select(Employee).join(LiveCodeEmployee, LiveCodeEmployee.employee_id == Employee.id)
                             .where(LiveCodeEmployee.live_code_id == code.id).order_by(LiveCodeEmployee.id)))


def employees_by_code(session: Session, tenant_id: int, code_ids: list[int]) -> dict[int, list[Employee]]:
    """The employees of each code in ``code_ids`` (one query, for the list page)."""
    out: dict[int, list[Employee]] = {i: [] for i in code_ids}
    if not code_ids:
        return out
    rows = session.exec(select(LiveCodeEmployee.live_code_id, Employee)
                        .join(Employee, Employee.id == LiveCodeEmployee.employee_id)
                        .where(LiveCodeEmployee.tenant_id == tenant_id, LiveCodeEmployee.live_code_id.in_(code_ids))
                        .order_by(LiveCodeEmployee.id))
    for code_id, employee in rows:
        out[code_id].append(employee)
    return out


def tags_of(session: Session, code: LiveCode) -> list[Tag]:
    return list(session.exec(select(Tag).join(LiveCodeTag, LiveCodeTag.tag_id == Tag.id)
                             .where(LiveCodeTag.live_code_id == code.id).order_by(Tag.id)))


def logo_for(session: Session, code: LiveCode) -> bytes | None:
    """The code's own logo, else its account's, else the tenant's brand logo when its "logo on QR codes" switch is
    on (``qr.tenant_qr_logo``, spec marketing-and-platform-rules A.2), else None."""
    if code.logo:
        return code.logo
    row = session.exec(select(LiveCodeLogo).where(LiveCodeLogo.tenant_id == code.tenant_id,
                                                  LiveCodeLogo.account_id == code.account_id)).first()
    if row is not None and row.image:
        return row.image
    return qr.tenant_qr_logo(session, code.tenant_id)


def set_account_logo(session: Session, account: ChannelAccount, image: bytes | None) -> None:
    """Store (or with None remove) the validated logo of ``account``'s codes."""
    row = session.exec(select(LiveCodeLogo).where(LiveCodeLogo.tenant_id == account.tenant_id,
                                                  LiveCodeLogo.account_id == account.id)).first()
    if image is None:
        if row is not None:
            session.delete(row)
        return
    row = row or LiveCodeLogo(tenant_id=account.tenant_id, account_id=account.id, image=image)
    row.image, row.updated_at = image, utcnow()
    session.add(row)
