"""The mass-messaging part of the WeCom demo (called from :func:`scrm_wecom.demo.seed_demo`), against the sandbox:
a customer mass send to every WeCom friend of the brand and a group mass send to the stores' group chats, each
dispatched as one task per employee, confirmed by every employee (the sandbox's control API stands in for their
WeCom) and with its results read back: finished sends with delivery figures on their detail pages.

A second run finds the sends by their author and adds nothing.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from scrm.sdk import Tenant

from .masssend import dispatch, results, service
from .masssend.models import MassTask, TaskStatus
from .sandbox import GroupMsgControl

AUTHOR = "scrm demo"
DEMO_CONCURRENCY = 4
CUSTOMER_TEXT = ("【示例品牌】冬季会员日来啦！12 月 12 日至 14 日全场满 299 减 50，会员积分双倍。"
                 "回复「预约」帮您留好尺码，到店出示本消息再送暖冬礼盒一份～")
GROUP_TEXT = "各位群友晚上好～本周三晚 8 点群内限时秒杀：羊绒围巾 99 元（限量 30 条），记得准时来抢！"


def _send(session: Session, tenant: Tenant, chat_type: str, text: str) -> MassTask | None:
    data = service.MassSendInput(chat_type=chat_type, text=text)
    errors, _preview = service.validate(session, tenant, data)
    if errors:
        return None  # no friend or chat to reach (or this month's quota used up): the demo goes on without it
    task = service.create(session, tenant, data, AUTHOR)
    session.commit()
    # the demo's sandbox is served by the demo server itself: a few calls at a time
    return dispatch.run(session, task.id, tenant.id, concurrency=DEMO_CONCURRENCY)


def seed_masssend(session: Session, platform: Any, sandbox: Any, account: Any, corp_id: str) -> None:
    """A finished customer mass send and group mass send of the demo brand (see the module)."""
    exists = session.exec(select(MassTask.id).where(MassTask.tenant_id == account.tenant_id,
                                                    MassTask.created_by == AUTHOR)).first()
    if exists is not None:
        return
    tenant = session.get(Tenant, account.tenant_id)
    sent = [task for task in (_send(session, tenant, "single", CUSTOMER_TEXT),
                              _send(session, tenant, "group", GROUP_TEXT)) if task is not None]
    GroupMsgControl(sandbox, corp_id).send_all()
    for task in sent:
        for _attempt in range(3):  # a result WeCom could not be asked for this time is asked again
            task = session.get(MassTask, task.id)
            if task.status != TaskStatus.SENT or results.done(session, task):
                break
            results.poll(session, platform, task, concurrency=DEMO_CONCURRENCY)
    session.commit()
