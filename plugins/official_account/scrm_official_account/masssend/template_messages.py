"""Template messages (模板消息) for notifications: the account's templates synced from WeChat
(``template/get_all_private_template``) and :func:`send_template`, the call other features use.

A template message goes through the one outbound path: ``scrm.sdk.send_message`` with kind ``template`` (payload
``{"template_id", "params": {keyword: value}, "url"?, "miniprogram"?}``); the channel's ``deliver`` calls
``message/template/send`` with the ledger's idempotency key as ``client_msg_id`` and keeps WeChat's msgid as the
provider id; ``TEMPLATESENDJOBFINISH`` marks the row delivered or failed (:mod:`.events`). Templates need a verified
service account. Since 2023-05-04 each value is at most 20 characters without line breaks (protocols.md 3.4):
:func:`send_template` refuses longer values before anything is written.
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, select

from scrm.sdk import ChannelAccount, OutboundMessage, send_message, utcnow

from ..accounts import require_verified_service
from .models import TemplateMessageTemplate

VALUE_MAX = 20
PURPOSE = "notification"
FIELD = re.compile(r"\{\{\s*([A-Za-z0-9_.]+?)\.DATA\s*\}\}")


class TemplateError(ValueError):
    """``code``: ``UNKNOWN_TEMPLATE``, ``VALUE_TOO_LONG`` (``field``), ``MISSING_VALUE`` (``field``)."""

    def __init__(self, code: str, field: str = "") -> None:
        self.code, self.field = code, field
        super().__init__(f"{code} {field}".strip())


def fields_of(content: str) -> list[str]:
    """The keywords of a template's content (``{{thing1.DATA}}`` → ``thing1``), in order."""
    seen: list[str] = []
    for name in FIELD.findall(content or ""):
        if name not in seen:
            seen.append(name)
    return seen


def sync_templates(session: Session, client: Any, tenant_id: int, account: ChannelAccount) -> int:
    """Replace the account's template list with WeChat's (``template/get_all_private_template``); returns the
    count. Templates WeChat no longer has are removed."""
    require_verified_service(account)
    answer = client.get("/cgi-bin/template/get_all_private_template")
    rows = {row.template_id: row for row in session.exec(select(TemplateMessageTemplate).where(
        TemplateMessageTemplate.tenant_id == tenant_id, TemplateMessageTemplate.account_id == account.id))}
    seen = set()
    for item in answer.get("template_list") or []:
        template_id = str(item.get("template_id") or "")[:64]
        if not template_id:
            continue
        seen.add(template_id)
        row = rows.get(template_id) or TemplateMessageTemplate(tenant_id=tenant_id, account_id=account.id,
                                                               template_id=template_id)
        row.title = str(item.get("title") or "")[:100]
        row.content = str(item.get("content") or "")
        row.example = str(item.get("example") or "")
        row.primary_industry = str(item.get("primary_industry") or "")[:40]
        row.deputy_industry = str(item.get("deputy_industry") or "")[:40]
        row.fields = fields_of(row.content)
        row.synced_at = utcnow()
        session.add(row)
    for template_id, row in rows.items():
        if template_id not in seen:
            session.delete(row)
    session.flush()
    return len(seen)


def templates_of(session: Session, tenant_id: int, account_id: int) -> list[TemplateMessageTemplate]:
    return list(session.exec(select(TemplateMessageTemplate).where(
        TemplateMessageTemplate.tenant_id == tenant_id, TemplateMessageTemplate.account_id == account_id)
        .order_by(TemplateMessageTemplate.title, TemplateMessageTemplate.id)))


def send_template(session: Session, tenant_id: int, account: ChannelAccount, *, openid: str, template_id: str,
                  params: dict[str, str], url: str | None = None, miniprogram: dict[str, str] | None = None,
                  customer_id: int | None = None, idempotency_key: str | None = None,
                  task_ref: str | None = None, purpose: str = PURPOSE):
    """Send template ``template_id`` to ``openid`` through the outbound path (in the caller's transaction); returns
    the ledger row. Refuses, before writing anything, an account that is not a verified service account
    (``NotVerifiedServiceAccount``), a template the account does not have (when its list was synced), a missing
    keyword and a value over 20 characters or with a line break (``TemplateError``)."""
    require_verified_service(account)
    template = session.exec(select(TemplateMessageTemplate).where(
        TemplateMessageTemplate.tenant_id == tenant_id, TemplateMessageTemplate.account_id == account.id,
        TemplateMessageTemplate.template_id == template_id)).first()
    synced = session.exec(select(TemplateMessageTemplate.id).where(
        TemplateMessageTemplate.tenant_id == tenant_id, TemplateMessageTemplate.account_id == account.id)).first()
    if template is None and synced is not None:
        raise TemplateError("UNKNOWN_TEMPLATE")
    for name in (template.fields if template is not None else []):
        if not str(params.get(name) or "").strip():
            raise TemplateError("MISSING_VALUE", name)
    for name, value in params.items():
        text = str(value)
        if len(text) > VALUE_MAX or "\n" in text or "\r" in text:
            raise TemplateError("VALUE_TOO_LONG", name)
    payload: dict[str, Any] = {"template_id": template_id, "params": {k: str(v) for k, v in params.items()}}
    if url:
        payload["url"] = url
    if miniprogram:
        payload["miniprogram"] = dict(miniprogram)
    return send_message(session, tenant_id, account=account, recipient=openid,
                        message=OutboundMessage("template", payload), purpose=purpose, customer_id=customer_id,
                        idempotency_key=idempotency_key, task_ref=task_ref, kind="template")
