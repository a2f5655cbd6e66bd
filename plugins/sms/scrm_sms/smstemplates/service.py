"""Templates: validate, create pending, resubmit rejected ones, delete, list (tabs, filters, 10 per page, sort by
usage), the templates a send may pick, and rendering for one recipient.

The rules (spec §3.8, §4.6, acceptance 21–22): a custom template starts 待审核 (pending) and is filed with the
carrier through its signature's provider account; the review moves it to 审核成功 (approved) or 驳回 (rejected, with
the reason); only a rejected template is editable and saving it returns it to pending; pending and approved
templates can be deleted; system templates are approved from the start, never edited or deleted; only approved
templates (and system ones) can be picked for a send.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import func, update
from sqlmodel import Session, select

from scrm.sdk import N_, Message, utcnow

from .. import content
from ..signatures import service as signatures
from .models import APPROVED, CUSTOM, KINDS, PENDING, REJECTED, REVIEW_STATES, SCENARIOS, SYSTEM, SmsTemplate

PAGE_SIZE = 10
LINK_URL_MAX = 1000
REMARK_MAX = 200


class TemplateError(ValueError):
    """Refused input: ``fields`` maps a form field to its message (a ``Message``); ``warnings`` the compliance
    warnings found on the way."""

    def __init__(self, fields: dict[str, Message], warnings: list[content.Issue] | None = None) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields
        self.warnings = warnings or []


class NotAllowed(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class TemplateInput:
    name: str
    signature_id: int | None
    category: str
    scenario: str
    content: str
    link_url: str = ""
    remark: str = ""


def get(session: Session, tenant_id: int, template_id: int) -> SmsTemplate | None:
    row = session.get(SmsTemplate, template_id)
    return row if row is not None and row.tenant_id == tenant_id else None


def _is_http_url(value: str) -> bool:
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def validate(session: Session, tenant_id: int, data: TemplateInput) -> tuple[TemplateInput, list[content.Issue]]:
    """Normalised input and the compliance warnings, or ``TemplateError``: the name and content limits, the
    compliance rules (``scrm_sms.content``), an approved signature of the tenant, the category and scenario, and
    the link target when the content holds ``${link}``."""
    errors: dict[str, Message] = {}
    signature = signatures.usable(session, tenant_id, data.signature_id)
    check = content.check_message(signature.text if signature else "签名", data.content or "", data.category,
                                  name=data.name)
    for issue in check.errors:
        errors.setdefault(issue.field, issue.message)
    if signature is None:
        errors["signature_id"] = Message(N_("Choose an approved signature."))
    if data.scenario not in SCENARIOS:
        errors["scenario"] = Message(N_("Choose a scenario."))
    body = (data.content or "").strip()
    link_url = (data.link_url or "").strip()
    if "link" in content.variables_in(body):
        if not link_url:
            errors["link_url"] = Message(N_("The content has a link: enter where it leads."))
        elif len(link_url) > LINK_URL_MAX or not _is_http_url(link_url):
            errors["link_url"] = Message(N_("Enter an http(s) address of at most %(max)s characters."),
                                         {"max": LINK_URL_MAX})
    else:
        link_url = ""
    remark = (data.remark or "").strip()
    if len(remark) > REMARK_MAX:
        errors["remark"] = Message(N_("The note has %(n)s characters; at most %(max)s are allowed."),
                                   {"n": len(remark), "max": REMARK_MAX})
    if errors:
        raise TemplateError(errors, check.warnings)
    return TemplateInput((data.name or "").strip(), signature.id, data.category, data.scenario, body, link_url,
                         remark), check.warnings


def create(session: Session, tenant_id: int, data: TemplateInput, created_by: str = "") -> SmsTemplate:
    """A new custom template, pending review on its signature's account (submitted after the commit by
    ``review.submit_template``)."""
    values, _warnings = validate(session, tenant_id, data)
    signature = signatures.get(session, tenant_id, values.signature_id)
    row = SmsTemplate(tenant_id=tenant_id, kind=CUSTOM, name=values.name, account_id=signature.account_id,
                      signature_id=signature.id, category=values.category, scenario=values.scenario,
                      content=values.content, link_url=values.link_url, remark=values.remark, status=PENDING,
                      created_by=created_by[:200])
    session.add(row)
    session.flush()
    return row


def editable(row: SmsTemplate) -> bool:
    """Only a rejected custom template is edited (saving resubmits it)."""
    return row.kind == CUSTOM and row.status == REJECTED


def deletable(row: SmsTemplate) -> bool:
    """Pending and approved custom templates can be deleted (a rejected one is edited and resubmitted)."""
    return row.kind == CUSTOM and row.status in (PENDING, APPROVED)


def resubmit(session: Session, row: SmsTemplate, data: TemplateInput) -> SmsTemplate:
    """Save a rejected template's new values: back to pending, filed again after the commit."""
    if not editable(row):
        raise NotAllowed(N_("Only a rejected custom template can be edited."))
    values, _warnings = validate(session, row.tenant_id, data)
    signature = signatures.get(session, row.tenant_id, values.signature_id)
    row.name, row.signature_id, row.account_id = values.name, signature.id, signature.account_id
    row.category, row.scenario, row.content = values.category, values.scenario, values.content
    row.link_url, row.remark = values.link_url, values.remark
    row.status, row.reason, row.submitted_at, row.reviewed_at, row.submit_error = PENDING, "", None, None, ""
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


def delete(session: Session, row: SmsTemplate) -> None:
    if not deletable(row):
        raise NotAllowed(N_("Only pending or approved custom templates can be deleted."))
    session.delete(row)


# -- what a send may pick ----------------------------------------------------------------------------------------------


def is_usable(row: SmsTemplate | None) -> bool:
    """Approved (system templates are approved from the start)."""
    return row is not None and row.status == APPROVED


def usable(session: Session, tenant_id: int, category: str | None = None) -> list[SmsTemplate]:
    """The templates a bulk send may pick: approved custom ones and the system ones, of ``category`` when given."""
    query = select(SmsTemplate).where(SmsTemplate.tenant_id == tenant_id, SmsTemplate.status == APPROVED)
    if category:
        query = query.where(SmsTemplate.category == category)
    return list(session.exec(query.order_by(SmsTemplate.kind, SmsTemplate.name, SmsTemplate.id)))


def usable_template(session: Session, tenant_id: int, template_id: int | None) -> SmsTemplate | None:
    """The template ``template_id`` when it belongs to the tenant and is approved, else None (a send refuses
    pending and rejected templates: TEMPLATE_NOT_APPROVED)."""
    row = get(session, tenant_id, template_id) if template_id else None
    return row if is_usable(row) else None


def count_use(session: Session, tenant_id: int, template_id: int) -> None:
    """One more bulk send used the template (使用次数): one UPDATE, safe under concurrent sends."""
    session.execute(update(SmsTemplate).where(SmsTemplate.id == template_id, SmsTemplate.tenant_id == tenant_id)
                    .values(usage_count=SmsTemplate.usage_count + 1))


def message_text(row: SmsTemplate, signature_text: str, values: dict[str, Any]) -> tuple[str, int]:
    """The delivered text of the template for one recipient and its billed segments (``content.message_for``)."""
    return content.message_for(signature_text, row.content, row.category, values)


# -- the list --------------------------------------------------------------------------------------------------------


@dataclass
class ListFilter:
    kind: str = CUSTOM
    name: str = ""
    status: str = ""
    created_from: datetime | None = None  #: UTC bounds (the view converts the tenant's dates)
    created_to: datetime | None = None
    sort: str = ""  #: "usage" or "-usage"; default newest first
    page: int = 1


@dataclass
class ListPage:
    rows: list[SmsTemplate]
    total: int
    page: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)


def listing(session: Session, tenant_id: int, flt: ListFilter) -> ListPage:
    """One page (``PAGE_SIZE``) of a tab: custom or system templates, filtered by name (contains), review status
    and created range, newest first or by usage count."""
    kind = flt.kind if flt.kind in KINDS else CUSTOM
    where = [SmsTemplate.tenant_id == tenant_id, SmsTemplate.kind == kind]
    if flt.name:
        escaped = flt.name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(SmsTemplate.name.like(f"%{escaped}%", escape="\\"))
    if flt.status in REVIEW_STATES:
        where.append(SmsTemplate.status == flt.status)
    if flt.created_from is not None:
        where.append(SmsTemplate.created_at >= flt.created_from)
    if flt.created_to is not None:
        where.append(SmsTemplate.created_at < flt.created_to)
    total = session.exec(select(func.count()).select_from(SmsTemplate).where(*where)).one()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(1, flt.page), pages)
    if flt.sort == "usage":
        order = (SmsTemplate.usage_count.asc(), SmsTemplate.id.desc())
    elif flt.sort == "-usage":
        order = (SmsTemplate.usage_count.desc(), SmsTemplate.id.desc())
    else:
        order = (SmsTemplate.created_at.desc(), SmsTemplate.id.desc())
    rows = list(session.exec(select(SmsTemplate).where(*where).order_by(*order)
                             .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    counts = dict(session.exec(select(SmsTemplate.kind, func.count()).where(SmsTemplate.tenant_id == tenant_id)
                               .group_by(SmsTemplate.kind)).all())
    return ListPage(rows, total, page, pages, {k: counts.get(k, 0) for k in KINDS})


__all__ = ["PAGE_SIZE", "SYSTEM", "CUSTOM", "ListFilter", "ListPage", "NotAllowed", "TemplateError", "TemplateInput",
           "count_use", "create", "delete", "deletable", "editable", "get", "is_usable", "listing", "message_text",
           "resubmit", "usable", "usable_template", "validate"]
