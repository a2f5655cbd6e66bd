"""Demo mass sends of the brand's flagship account: a finished immediate send (text to all fans, its
MASSSENDJOBFINISH figures recorded) and a scheduled one for tomorrow evening, plus the account's template list
(订单发货通知, 预约成功通知) synced from the sandbox. Needs at least 2 fans of the account (the fans area seeds them);
idempotent."""

from __future__ import annotations

import logging
from datetime import time, timedelta
from typing import Any

import httpx
from sqlmodel import Session, select

from .masssend import dispatch, service
from .masssend.models import MassSend, TemplateMessageTemplate
from .masssend.template_messages import sync_templates

log = logging.getLogger(__name__)

TEMPLATES = [
    {"template_id": "TPL_ORDER_SHIPPED", "title": "订单发货通知",
     "content": "订单号：{{character_string1.DATA}}\n商品名称：{{thing2.DATA}}\n快递公司：{{thing3.DATA}}",
     "example": "订单号：SO20261206001\n商品名称：丝绒唇釉礼盒\n快递公司：顺丰速运", "primary_industry": "IT科技",
     "deputy_industry": "互联网|电子商务"},
    {"template_id": "TPL_BOOKING_OK", "title": "预约成功通知",
     "content": "门店：{{thing1.DATA}}\n预约时间：{{time2.DATA}}\n服务项目：{{thing3.DATA}}",
     "example": "门店：上海旗舰店\n预约时间：2026年12月8日 14:00\n服务项目：专柜试妆", "primary_industry": "IT科技",
     "deputy_industry": "互联网|电子商务"},
]


def seed(tenant: Any, session: Session, demo: Any, ctx: Any) -> None:
    from scrm.sdk import local_datetime, local_today

    from .accounts import is_verified_service
    from .client import OAClient

    account = ctx.accounts.get("brand")
    if account is None or not is_verified_service(account):
        return
    with OAClient.for_account(account, ctx.platform) as client:
        if session.exec(select(TemplateMessageTemplate.id).where(
                TemplateMessageTemplate.account_id == account.id)).first() is None:
            with httpx.Client(base_url=ctx.sandbox_url, timeout=10.0) as sandbox:
                sandbox.post("/sandbox/templates", json={"appid": account.external_id, "templates": TEMPLATES})
            sync_templates(session, client, tenant.id, account)
    if session.exec(select(MassSend.id).where(MassSend.account_id == account.id)).first() is not None:
        return
    text = "冬季新品上市！丝绒唇釉三色限定，会员日（每月 8 日）全场九折，积分双倍。"
    try:
        sent = service.create(session, tenant.id, account, service.MassSendInput(text=text), by="demo")
    except service.MassSendInvalid as exc:
        log.info("demo mass send skipped (%s): the account has too few fans", exc)
        return
    session.commit()
    if dispatch.run(session, ctx.platform, tenant.id, sent.id) == "submitted":
        sent = session.get(MassSend, sent.id)
        dispatch.apply_finished(session, tenant.id, account.id, {
            "MsgID": sent.msg_id, "Status": "send success", "TotalCount": sent.submitted,
            "FilterCount": sent.submitted, "SentCount": sent.submitted, "ErrorCount": 0})
    tomorrow = local_datetime(local_today() + timedelta(days=1), time(20, 0))
    materials = ctx.shared.get("materials") or {}
    later = service.MassSendInput(msg_type="news", material_id=materials["news"], send_mode="scheduled",
                                  scheduled_at=tomorrow) if materials.get("news") else service.MassSendInput(
        text="明晚 8 点直播间专属福利，记得来看哦！", send_mode="scheduled", scheduled_at=tomorrow)
    try:
        service.create(session, tenant.id, account, later, by="demo")
    except service.MassSendInvalid as exc:
        log.info("demo scheduled mass send skipped (%s)", exc)
    session.flush()
