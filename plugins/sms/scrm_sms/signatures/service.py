"""Filing signatures: validate, store pending, submit to the provider account, apply review results, delete.

Functions take the caller's session and never commit, except ``submit`` callers (views, the poll) that commit the
row before the provider is called (a provider call never runs inside an open write transaction).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from scrm.sdk import N_, ChannelAccount, Message, utcnow

from .. import content
from .models import APPROVED, PENDING, REJECTED, SOURCES, SmsSignature


class SignatureError(ValueError):
    """Refused input: ``fields`` maps a form field to its message (a ``Message``: translate it to show it)."""

    def __init__(self, fields: dict[str, Message]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass
class SignatureInput:
    account_id: int | None
    text: str
    source: str = "company"
    remark: str = ""


def sms_accounts(session: Session, tenant_id: int) -> list[ChannelAccount]:
    """The tenant's SMS provider accounts (enabled or not), by name."""
    return list(session.exec(select(ChannelAccount).where(ChannelAccount.tenant_id == tenant_id,
                                                          ChannelAccount.plugin == "sms")
                             .order_by(ChannelAccount.name, ChannelAccount.id)))


def get(session: Session, tenant_id: int, signature_id: int) -> SmsSignature | None:
    row = session.get(SmsSignature, signature_id)
    return row if row is not None and row.tenant_id == tenant_id else None


def listing(session: Session, tenant_id: int, status: str | None = None) -> list[SmsSignature]:
    query = select(SmsSignature).where(SmsSignature.tenant_id == tenant_id)
    if status:
        query = query.where(SmsSignature.status == status)
    return list(session.exec(query.order_by(SmsSignature.id.desc())))


def approved(session: Session, tenant_id: int, account_id: int | None = None) -> list[SmsSignature]:
    """The signatures a send or a template may use: approved ones of the tenant (of one account when given)."""
    query = select(SmsSignature).where(SmsSignature.tenant_id == tenant_id, SmsSignature.status == APPROVED)
    if account_id is not None:
        query = query.where(SmsSignature.account_id == account_id)
    return list(session.exec(query.order_by(SmsSignature.text)))


def usable(session: Session, tenant_id: int, signature_id: int | None) -> SmsSignature | None:
    """The signature ``signature_id`` when it belongs to the tenant and is approved, else None."""
    row = get(session, tenant_id, signature_id) if signature_id else None
    return row if row is not None and row.status == APPROVED else None


def approved_text(session: Session, tenant_id: int, account_id: int | None, text: str) -> SmsSignature | None:
    """The approved signature ``text`` (written without 【】) filed on the tenant's account ``account_id``, else None:
    the check a send makes before it uses a typed or picked signature."""
    if not account_id or not text:
        return None
    return session.exec(select(SmsSignature).where(
        SmsSignature.tenant_id == tenant_id, SmsSignature.account_id == account_id,
        SmsSignature.text == text.strip().strip("【】"), SmsSignature.status == APPROVED)).first()


def validate(session: Session, tenant_id: int, data: SignatureInput, limit: int = content.SIGNATURE_MAX,
             current: SmsSignature | None = None) -> SignatureInput:
    """Normalised input or ``SignatureError``: an SMS account of the tenant, the text's rules (``content``), a
    known source, a remark of at most 200 characters, and no second filing of the text on the account."""
    errors: dict[str, Message] = {}
    text = (data.text or "").strip()
    accounts = {a.id: a for a in sms_accounts(session, tenant_id)}
    if data.account_id not in accounts:
        errors["account_id"] = Message(N_("Choose an SMS account of the brand."))
    for issue in content.check_signature_text(text, limit, "text"):
        errors.setdefault("text", issue.message)
    if data.source not in SOURCES:
        errors["source"] = Message(N_("Choose what the signature names."))
    remark = (data.remark or "").strip()
    if len(remark) > 200:
        errors["remark"] = Message(N_("The note has %(n)s characters; at most %(max)s are allowed."),
                                   {"n": len(remark), "max": 200})
    if "text" not in errors and "account_id" not in errors:
        clash = session.exec(select(SmsSignature.id).where(
            SmsSignature.tenant_id == tenant_id, SmsSignature.account_id == data.account_id,
            SmsSignature.text == text)).first()
        if clash is not None and (current is None or clash != current.id):
            errors["text"] = Message(N_("This signature is already filed on the account."))
    if errors:
        raise SignatureError(errors)
    return SignatureInput(data.account_id, text, data.source, remark)


def create(session: Session, tenant_id: int, data: SignatureInput, created_by: str = "",
           limit: int = content.SIGNATURE_MAX) -> SmsSignature:
    """A new signature, pending review (not yet submitted: ``review.submit_signature`` after the commit)."""
    values = validate(session, tenant_id, data, limit)
    row = SmsSignature(tenant_id=tenant_id, account_id=values.account_id, text=values.text, source=values.source,
                       remark=values.remark, status=PENDING, created_by=created_by[:200])
    session.add(row)
    session.flush()
    return row


class NotEditable(ValueError):
    """The row's state does not allow the change (a message id in ``message``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def resubmit(session: Session, row: SmsSignature, data: SignatureInput, limit: int = content.SIGNATURE_MAX) -> None:
    """Edit a rejected signature: it goes back to pending (submitted again after the commit)."""
    if row.status != REJECTED:
        raise NotEditable(N_("Only a rejected signature can be edited."))
    values = validate(session, row.tenant_id, SignatureInput(row.account_id, data.text, data.source, data.remark),
                      limit, current=row)
    row.text, row.source, row.remark = values.text, values.source, values.remark
    row.status, row.reason, row.provider_ref, row.submitted_at, row.reviewed_at = PENDING, "", "", None, None
    row.submit_error, row.updated_at = "", utcnow()
    session.add(row)


def templates_using(session: Session, row: SmsSignature) -> int:
    from ..smstemplates.models import SmsTemplate

    return session.exec(select(func.count()).select_from(SmsTemplate).where(
        SmsTemplate.tenant_id == row.tenant_id, SmsTemplate.signature_id == row.id,
        SmsTemplate.status.in_((PENDING, APPROVED)))).one()


def delete(session: Session, row: SmsSignature) -> None:
    """Delete a signature no pending or approved template uses (``NotEditable`` otherwise)."""
    if templates_using(session, row):
        raise NotEditable(N_("Templates use this signature: delete or change them first."))
    session.delete(row)
