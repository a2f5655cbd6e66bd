"""Demo: 消息管理 — quick-reply scripts, and fans writing to the brand's service account through the sandbox
(signed and encrypted callbacks to the served platform: stored, processed, answered by the auto replies when
configured), one fan answered by an employee, and one conversation older than 48 hours (not listed, reply closed).
Idempotent: scripts by name, messages by MsgId (the callback inbox stores a MsgId once)."""

from __future__ import annotations

import time
from typing import Any

import httpx
from sqlmodel import Session, select

from .replies import Reply
from .sandbox import message_xml

SCRIPTS = [
    ("营业时间", "您好，门店营业时间为每天 10:00-22:00，节假日照常营业。", True),
    ("会员积分", "消费 1 元积 1 分，积分可在会员中心兑换礼品或抵扣现金。", True),
    ("退换货政策", "商品未拆封且在签收 7 天内可无理由退换，请保留好购物小票。", True),
    ("门店地址", "离您最近的门店可在菜单「门店查询」中查看，欢迎到店体验。", True),
    ("双十一预告", "双十一活动即将开始，敬请期待！", False),
]
MESSAGES = [
    ("oDemoFan0001", "你好，请问周末门店几点关门？", 0.5),
    ("oDemoFan0002", "我的会员积分怎么查？", 2),
    ("oDemoFan0003", "口红色号 #520 还有货吗", 5),
    ("oDemoFan0004", "买的面霜过敏了可以退吗", 20),
    ("oDemoFan0005", "有没有优惠券", 30),
    ("oDemoFan0006", "上次说的赠品什么时候寄", 47),
    ("oDemoFan0007", "谢谢，已经收到了", 50),  # older than 48 hours: not listed, reply closed
]


def seed(tenant: Any, session: Session, demo: Any, ctx: Any) -> None:
    from .messages import service
    from .messages.models import ChatMessage, QuickReply

    for name, content, enabled in SCRIPTS:
        if session.exec(select(QuickReply).where(QuickReply.tenant_id == tenant.id,
                                                 QuickReply.name == name)).first() is None:
            service.save_script(session, tenant.id, name=name, content=content, enabled=enabled)
    session.commit()
    account = ctx.accounts.get("brand")
    if account is None:
        return
    original_id = str((account.config or {}).get("original_id") or account.external_id)
    now = int(time.time())
    with httpx.Client(base_url=ctx.sandbox_url, timeout=15.0) as sandbox:
        for n, (openid, text, hours_ago) in enumerate(MESSAGES):
            xml = message_xml(original_id, openid, "text", create_time=now - int(hours_ago * 3600), Content=text,
                              MsgId=str(24_120_600_000_000 + n))
            sandbox.post("/sandbox/push", json={"appid": account.external_id, "xml": xml}).raise_for_status()
    demo.wait_for_jobs()
    session.expire_all()
    answered = session.exec(select(ChatMessage).where(ChatMessage.tenant_id == tenant.id,
                                                      ChatMessage.account_id == account.id,
                                                      ChatMessage.openid == "oDemoFan0002",
                                                      ChatMessage.source == "staff")).first()
    if answered is None and service.window_open(service.conversation_of(session, tenant.id, account.id,
                                                                        "oDemoFan0002")):
        service.send_reply(session, tenant.id, account.id, "oDemoFan0002",
                           Reply.text("您好，在公众号菜单「会员中心」-「我的积分」即可查看，有疑问随时联系我们。"),
                           source="staff", idempotency_key=f"demo:oa_message:{account.id}:oDemoFan0002")
        session.commit()
