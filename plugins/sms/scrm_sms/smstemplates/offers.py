"""The SMS templates other plugins may send (the ``message_templates`` hook): the tenant's custom templates approved
at the carrier (a vendor template code) whose signature is approved on the same active SMS account.

Each choice builds a ``template`` message (``scrm_sms.payload.template_message``): the vendor code, the values of the
template's variables in their order (Aliyun gets them by name, Tencent Cloud in that order), the signature, the text
the phone receives (``【签名】`` + the filled body, " 回TD退订" for marketing) and its billed segments; the purpose is
the category's (``sms`` for marketing, ``sms_notification`` for notifications). System templates are not offered:
they have no vendor code of their own (a bulk send sends them as typed text).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from scrm.sdk import ChannelAccount, MessageTemplate

from .. import content
from ..payload import purpose_for, template_message
from ..signatures.models import SmsSignature
from .models import APPROVED, CUSTOM, SmsTemplate

PLUGIN = "sms"


def _builder(code: str, body: str, category: str, signature: str):
    names = content.variables_in(body)

    def build(values: Mapping[str, Any]):
        filled = {name: "" if values.get(name) is None else str(values.get(name)) for name in names}
        text, segments = content.message_for(signature, body, category, filled)
        return template_message(code, filled, content=text, category=category, sign_name=signature,
                                segments=segments)

    return build


def offered(session: Session, tenant_id: int) -> list[MessageTemplate]:
    """The tenant's sendable templates, by name."""
    rows = session.exec(
        select(SmsTemplate, SmsSignature)
        .join(SmsSignature, SmsSignature.id == SmsTemplate.signature_id)
        .join(ChannelAccount, ChannelAccount.id == SmsTemplate.account_id)
        .where(SmsTemplate.tenant_id == tenant_id, SmsTemplate.kind == CUSTOM, SmsTemplate.status == APPROVED,
               SmsTemplate.provider_code != "", SmsSignature.tenant_id == tenant_id,
               SmsSignature.status == APPROVED, SmsSignature.account_id == SmsTemplate.account_id,
               ChannelAccount.tenant_id == tenant_id, ChannelAccount.plugin == PLUGIN, ChannelAccount.active)
        .order_by(SmsTemplate.name, SmsTemplate.id)).all()
    return [MessageTemplate(PLUGIN, row.account_id, str(row.id), row.name, row.content,
                            tuple(content.variables_in(row.content)),
                            _builder(row.provider_code, row.content, row.category, signature.text),
                            purpose=purpose_for(row.category), address="mobile",
                            labels={k: str(v) for k, v in content.VARIABLE_LABELS.items()})
            for row, signature in rows]
