"""The employee promotion part of the WeCom demo (called from :func:`scrm_wecom.demo.seed_demo`), against the
sandbox: a 双12 friend-drive for four store employees, each with their own contact way and poster card; customers
scan the codes (the sandbox fires the real add-friend callbacks, so the results are attributed by the platform as
in production) and one employee reaches the standard and gets a reward code.

A second run finds the activity by its author and adds nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from scrm.sdk import Employee, EmployeeStatus, local_today

from .client import WeComClient
from .messaging.links import public_url, remember_public_url
from .promotion import service
from .promotion.models import PromotionActivity

AUTHOR = "scrm demo"
NAME = "双12门店好友拉新赛"
DESCRIPTION = ("12月6日至12日，邀请到店顾客扫描你的专属海报添加企业微信，7天内新增3位好友即达标，"
               "达标员工领取门店奖励码，可兑换50元员工内购券。")
STANDARD = 3
PROMOTERS = 4
#: customers who scan a promoter's code: (promoter index, external_userid, name)
SCANS = [(0, "wmPromoXiaLi", "夏莉"), (0, "wmPromoGuFan", "顾帆"), (0, "wmPromoTangYu", "唐雨"),
         (1, "wmPromoLuoJia", "罗佳"), (1, "wmPromoShenMo", "沈默"), (2, "wmPromoQinLan", "秦岚")]


def seed_promotion(session: Session, platform: Any, sandbox: Any, account: Any, corp_id: str, demo: Any,
                   callback: dict[str, str]) -> None:
    """The demo's promotion activity with its results."""
    if session.exec(select(PromotionActivity.id).where(PromotionActivity.tenant_id == account.tenant_id,
                                                       PromotionActivity.created_by == AUTHOR)).first() is not None:
        return
    employees = list(session.exec(select(Employee).where(
        Employee.tenant_id == account.tenant_id, Employee.status == EmployeeStatus.ACTIVE)
        .order_by(Employee.id)))[:PROMOTERS]
    if not employees:
        return
    if public_url(account) is None:
        remember_public_url(session, account, demo.serve())
    today = local_today()
    data = service.ActivityInput(name=NAME, account_id=account.id, start=today - timedelta(days=3),
                                 end=today + timedelta(days=3), employee_ids=[e.id for e in employees],
                                 description=DESCRIPTION, standard_count=STANDARD, remind_days_before=1,
                                 reward="code")
    values = service.validate(session, account.tenant_id, data, [account], today)
    with WeComClient.for_account(account, platform) as client:
        activity = service.create(session, client, platform.secrets, account.tenant_id, values, created_by=AUTHOR)
    promoters = [(participant.state, employee.userid)
                 for participant, employee in service.participants(session, activity)]
    for participant, _employee in service.participants(session, activity):
        service.send_poster(session, activity, participant)
    session.commit()  # nothing held open while the platform handles the callbacks
    for index, external_userid, name in SCANS:
        state, userid = promoters[index % len(promoters)]
        sandbox.add_friend(corp_id, userid, {"external_userid": external_userid, "name": name}, state=state,
                           callback=callback)
    demo.wait_for_jobs()
