"""The Moments and group welcome part of the WeCom demo (called from :func:`scrm_wecom.demo.seed_demo`), against the
sandbox: an enterprise Moments task for the flagship store's employees, handed to WeCom and created there; two of
them publish it from their WeCom (the sandbox's control API stands in for their phones), their customers comment
and like, and the results are read back. Plus a group welcome template registered with WeCom.

A second run finds both by their author and adds nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from scrm.sdk import Employee, EmployeeStatus, local_datetime, utcnow

from .client import WeComClient
from .group_welcome import service as group_welcomes
from .group_welcome.models import GroupWelcomeTemplate
from .moments import pages, results
from .moments import service as moments
from .moments.models import MomentSender, MomentTask, TaskStatus
from .sandbox import MomentsControl
from .sandbox.remote import SandboxControlError

AUTHOR = "scrm demo"
MOMENT_TEXT = ("冬日暖意上新｜羊绒大衣、围巾礼盒今日到店，会员专享 9 折，周末到店试穿再送暖手宝一只。"
               "欢迎私信我预约试衣时间～")
MOMENT_LINK = {"title": "示例品牌冬季新品", "url": "https://shop.example.com/winter-collection"}
SENDERS = 3
#: a backdated post (历史时间) that fills in the store's opening on the pages, and a post scheduled for tomorrow
BACKDATED_TEXT = "示例品牌南京西路旗舰店今日开业！开业首周全场 8 折，到店即送定制帆布袋，期待与您相见。"
BACKDATED_ON = datetime(2023, 1, 29, 10, 0)
SCHEDULED_TEXT = "明晚 8 点直播间上新：冬季羊绒系列首发，预约直播即可领取 50 元无门槛券。"
GROUP_WELCOME = ("欢迎加入示例品牌会员福利群！每周三晚 8 点群内秒杀，生日月到店再享双倍积分。"
                 "有任何问题 @ 群主 随时为您服务。")
GROUP_WELCOME_LINK = {"type": "link", "title": "新人入群礼", "url": "https://shop.example.com/member/group-gift",
                      "desc": "领取 20 元无门槛券", "picurl": ""}


def seed_moments(session: Session, platform: Any, sandbox: Any, account: Any, corp_id: str) -> None:
    """The demo's Moments task (published by two employees, with comments and likes) and group welcome template."""
    _group_welcome(session, platform, account)
    if session.exec(select(MomentTask.id).where(MomentTask.tenant_id == account.tenant_id,
                                                MomentTask.created_by == AUTHOR)).first() is not None:
        return
    employees = list(session.exec(select(Employee).where(
        Employee.tenant_id == account.tenant_id, Employee.status == EmployeeStatus.ACTIVE).order_by(Employee.id)))
    staff = employees[:SENDERS]
    if not staff:
        return
    values = moments.validate(session, account.tenant_id, moments.MomentInput(
        account_id=account.id, text=MOMENT_TEXT, employee_ids=[e.id for e in staff],
        link_title=MOMENT_LINK["title"], link_url=MOMENT_LINK["url"]))
    task = moments.create(session, account.tenant_id, values, created_by=AUTHOR)
    session.commit()
    results.poll(session, platform, account.tenant_id)
    session.refresh(task)
    if task.status != TaskStatus.CREATED:
        return
    control = MomentsControl(sandbox, corp_id)
    senders = list(session.exec(select(MomentSender).where(MomentSender.task_id == task.id).order_by(MomentSender.id)))
    for sender in senders[:2]:
        try:
            reached = control.publish(task.moment_id, sender.userid)
            for index, external_userid in enumerate(reached[:3]):
                control.like(task.moment_id, sender.userid, external_userid)
                if index == 0:
                    control.comment(task.moment_id, sender.userid, external_userid)
        except SandboxControlError:
            continue
    results.poll(session, platform, account.tenant_id, force_task_id=task.id)
    _pages_posts(session, account, staff)
    for employee in staff:  # their Moments pages (links to paste into WeCom), with a few customer visits
        page = pages.page_for(session, employee)
        page.views = page.views or 3 * len(staff) - staff.index(employee)
        session.add(page)
    session.commit()


def _pages_posts(session: Session, account: Any, staff: list[Employee]) -> None:
    """A backdated post on the staff's pages (the store's opening day) and one scheduled for tomorrow evening."""
    backdated = local_datetime(BACKDATED_ON.date(), BACKDATED_ON.time())
    tomorrow = (utcnow() + timedelta(days=1)).astimezone(backdated.tzinfo).date()
    scheduled = local_datetime(tomorrow, datetime(2000, 1, 1, 10, 0).time()).astimezone(UTC)
    for text, mode, at in ((BACKDATED_TEXT, "backdated", backdated), (SCHEDULED_TEXT, "scheduled", scheduled)):
        values = moments.validate(session, account.tenant_id, moments.MomentInput(
            account_id=account.id, text=text, employee_ids=[e.id for e in staff], target=moments.TARGET_PAGES,
            mode=mode, publish_at=at))
        moments.create(session, account.tenant_id, values, created_by=AUTHOR)
    session.flush()


def _group_welcome_link(session: Session, tenant_id: int) -> int:
    """The link material of the group welcome (the material centre's, created once)."""
    from .materials import service as materials
    from .materials.models import ENTERPRISE, LINK, Material

    found = session.exec(select(Material.id).where(Material.tenant_id == tenant_id, Material.kind == LINK,
                                                   Material.url == GROUP_WELCOME_LINK["url"],
                                                   Material.deleted_at.is_(None))).first()
    if found is not None:
        return found
    material = materials.save_material(session, tenant_id, ENTERPRISE, materials.MaterialValues(
        kind=LINK, title=GROUP_WELCOME_LINK["title"], url=GROUP_WELCOME_LINK["url"],
        summary=GROUP_WELCOME_LINK["desc"]), AUTHOR)
    session.flush()
    return int(material.id)


def _group_welcome(session: Session, platform: Any, account: Any) -> None:
    exists = session.exec(select(GroupWelcomeTemplate.id).where(
        GroupWelcomeTemplate.tenant_id == account.tenant_id, GroupWelcomeTemplate.created_by == AUTHOR)).first()
    if exists is not None:
        return
    values = group_welcomes.validate(session, account.tenant_id, group_welcomes.GroupWelcomeInput(
        account_id=account.id, text=GROUP_WELCOME, material_ids=[_group_welcome_link(session, account.tenant_id)],
        notify_employees=True))
    session.commit()  # no transaction stays open across the WeCom call
    with WeComClient.for_account(account, platform) as client:
        group_welcomes.create(session, client, account.tenant_id, values, created_by=AUTHOR)
    session.commit()
