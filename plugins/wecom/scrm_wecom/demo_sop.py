"""A running SOP for the demo brand (``scrm demo``): three customer rules and one group rule of the tea-house chain,
started eight days ago, with their to-dos planned from the friends added since, the due ones delivered to the
employees as text cards through the sandbox, and about half of the older ones already sent and done, so the SOP
pages, the completion statistics and the employees' task lists have content on the first run. Past times are
written directly; a second run adds nothing (the rules are found by name)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from scrm.sdk import Tenant, use_zone, utcnow

from .groupchats.models import GroupChat
from .messaging.links import remember_public_url
from .sop import rules as service
from .sop.delivery import deliver_due
from .sop.models import SopBinding, SopRule, SopTask, TaskStatus
from .sop.planning import plan, plan_periodic
from .sync.models import Follow, FollowStatus

AUTHOR = "demo"
STARTED = timedelta(days=8)
NEW_FRIEND = ("新客7天培育", "friend_added", [
    ("0", "0", "30", "欢迎{customer}", "{customer}您好，我是茶舍的专属茶艺顾问。新客到店可免费品鉴一杯当季新茶，欢迎随时来坐坐～"),
    ("2", "10", "0", "给{customer}分享冲泡小知识", "{customer}，分享一个小窍门：绿茶用80℃左右的水冲泡，香气更清爽，不易苦涩。"),
    ("6", "19", "0", "邀约{customer}到店品鉴", "{customer}，本周六下午门店有白茶品鉴会，给您留了位置，方便的话带朋友一起来吧！")])
BIRTHDAY = ("生日关怀", "date_field", [
    ("0", "9", "0", "{customer}生日关怀", "{customer}，生日快乐！茶舍为您准备了一份生日茶礼，本月到店出示即可领取。")])
GROUPS = ("门店社群早安", [
    ("0", "0", "1", "{group}入群欢迎", "欢迎新朋友加入{group}！群里每周三发布新品预告，每周五有会员专享价。"),
    ("1", "9", "0", "{group}新品预告", "各位早上好！本周新到明前龙井，{group}群友到店品鉴立享九折。")])


def _nodes(specs) -> list[service.NodeInput]:
    return [service.NodeInput(*spec) for spec in specs]


def _rule(session: Session, tenant_id: int, data: service.RuleInput) -> SopRule:
    rule = service.create(session, tenant_id, data, AUTHOR)
    rule.created_at = rule.updated_at = utcnow() - STARTED
    session.add(rule)
    session.flush()
    return rule


def seed_sop(session: Session, account: Any, demo: Any) -> None:
    """The demo's SOP rules, to-dos and completion (see the module)."""
    tenant_id = account.tenant_id
    if session.exec(select(SopRule.id).where(SopRule.tenant_id == tenant_id, SopRule.created_by == AUTHOR)).first():
        return
    tenant = session.get(Tenant, tenant_id)
    remember_public_url(session, account, demo.serve())  # the cards link to the served demo
    with use_zone(getattr(tenant, "timezone", None)):
        _seed(session, account, tenant_id)
    demo.wait_for_jobs()


def _seed(session: Session, account: Any, tenant_id: int) -> None:
    since = utcnow() - STARTED
    friends = session.exec(select(Follow.customer_id, Follow.employee_id, Follow.added_at, Follow.id).where(
        Follow.tenant_id == tenant_id, Follow.account_id == account.id, Follow.status == FollowStatus.ACTIVE,
        Follow.employee_id.is_not(None), Follow.added_at >= since).order_by(Follow.added_at)).all()
    executing = sorted({employee for _c, employee, _a, _f in friends})
    if not executing:
        return
    name, trigger, nodes = NEW_FRIEND
    welcome = _rule(session, tenant_id, service.RuleInput(name=name, trigger=trigger, employee_ids=[
        str(e) for e in executing], nodes=_nodes(nodes)))
    for customer_id, employee_id, added_at, follow_id in friends:
        plan(session, welcome, [(customer_id, None, employee_id)], added_at, f"demo{follow_id}")
    name, trigger, nodes = BIRTHDAY
    _rule(session, tenant_id, service.RuleInput(name=name, trigger=trigger, employee_ids=[str(e) for e in executing],
                                                nodes=_nodes(nodes)))
    plan_periodic(session, tenant_id)
    name, nodes = GROUPS
    groups = _rule(session, tenant_id, service.RuleInput(kind="group", name=name, trigger="group_bound",
                                                         description="七家门店会员群的入群欢迎与每周新品预告",
                                                         nodes=_nodes(nodes)))
    chats = session.exec(select(GroupChat.id).where(GroupChat.tenant_id == tenant_id,
                                                    GroupChat.account_id == account.id)).all()
    if chats:
        service.bind_groups(session, groups, list(chats))
        for offset, binding in enumerate(session.exec(select(SopBinding).where(SopBinding.rule_id == groups.id))):
            binding.joined_at = utcnow() - timedelta(days=1 + offset % 3)
            session.add(binding)
        session.execute(SopTask.__table__.delete().where(SopTask.rule_id == groups.id))
        for binding in session.exec(select(SopBinding).where(SopBinding.rule_id == groups.id)).all():
            service.plan_binding(session, groups, binding)
    session.commit()
    deliver_due(session, tenant_id)
    _finish_some(session, tenant_id)
    session.commit()


def _finish_some(session: Session, tenant_id: int) -> None:
    """About half of the to-dos delivered more than a day ago were sent (copied or in WeCom) and marked done."""
    draw = random.Random(f"sop:{tenant_id}")
    day_ago = utcnow() - timedelta(days=1)
    for task in session.exec(select(SopTask).where(SopTask.tenant_id == tenant_id,
                                                   SopTask.status == TaskStatus.REMINDED)).all():
        task.reminded_at = task.due_at + timedelta(minutes=1)
        if task.due_at < day_ago and draw.random() < 0.55:
            task.sent_at = task.due_at + timedelta(minutes=draw.randint(5, 300))
            task.sent_by = draw.choice(("wecom", "wecom", "copy"))
            task.status = TaskStatus.DONE if draw.random() < 0.9 else TaskStatus.SENT
            task.done_at = task.sent_at + timedelta(minutes=1) if task.status == TaskStatus.DONE else None
        session.add(task)
