"""The system templates (系统模板): pre-approved standard templates every brand gets when it enables SMS, usable at
once (status approved, no review), never edited or deleted. Seeding is idempotent (``system_key`` is unique per
tenant) and in the tenant's language's wording: Chinese, as a retail brand's operators write them."""

from __future__ import annotations

from sqlmodel import Session, select

from .models import APPROVED, SYSTEM, SmsTemplate

#: key -> (name, category, scenario, content)
SYSTEM_TEMPLATES: dict[str, tuple[str, str, str, str]] = {
    "member_birthday": ("会员生日祝福", "marketing", "member_birthday",
                        "亲爱的${customer_nickname}，${company_name}祝您生日快乐！生日当月到店消费享双倍积分，"
                        "还有一份专属好礼等您领取：${link}"),
    "member_welcome": ("新会员入会欢迎", "notification", "member_welcome",
                       "${customer_nickname}您好，欢迎加入${company_name}会员！您的专属顾问${employee_name}"
                       "将为您提供服务，会员权益请查看：${link}"),
    "order_shipped": ("订单发货通知", "notification", "order_shipped",
                      "${customer_nickname}您好，您在${company_name}购买的商品已发货，物流详情请点击：${link}"),
    "order_received": ("订单签收提醒", "notification", "order_received",
                       "${customer_nickname}您好，您的${company_name}订单已签收，如有问题请联系${employee_name}。"
                       "期待您的评价：${link}"),
    "event_invitation": ("活动邀请", "marketing", "event_invitation",
                         "${customer_nickname}您好，${company_name}会员品鉴会本周末举行，"
                         "${employee_name}诚邀您到店参加，报名请点击：${link}"),
    "conference_invitation": ("会议邀请", "marketing", "conference_invitation",
                              "${customer_nickname}您好，${company_name}诚邀您出席新品发布会，"
                              "会议详情及报名：${link}"),
    "registration_success": ("报名成功通知", "notification", "registration_success",
                             "${customer_nickname}您好，您已成功报名${company_name}活动，活动详情请查看：${link}"),
    "live_broadcast": ("直播开播提醒", "marketing", "live_broadcast",
                       "${customer_nickname}您好，${company_name}直播间今晚8点开播，新品限时优惠，点击预约：${link}"),
    "points_expiry": ("积分到期提醒", "notification", "points_expiry",
                      "${customer_nickname}您好，您在${company_name}的部分会员积分将于月底到期，"
                      "可兑换好礼：${link}"),
    "coupon_expiry": ("优惠券到期提醒", "marketing", "coupon_expiry",
                      "${customer_nickname}您好，您的${company_name}优惠券即将到期，别忘了使用哦：${link}"),
}


def seed(session: Session, tenant_id: int, link_url: str = "") -> int:
    """Add the system templates the tenant does not have yet (by key); returns how many were added. ``link_url``
    is where their link leads until an operator sends them with another (default: none, the sender chooses)."""
    have = set(session.exec(select(SmsTemplate.system_key).where(SmsTemplate.tenant_id == tenant_id,
                                                                 SmsTemplate.kind == SYSTEM)))
    added = 0
    for key, (name, category, scenario, body) in SYSTEM_TEMPLATES.items():
        if key in have:
            continue
        session.add(SmsTemplate(tenant_id=tenant_id, kind=SYSTEM, system_key=key, name=name, category=category,
                                scenario=scenario, content=body, link_url=link_url, status=APPROVED))
        added += 1
    if added:
        session.flush()
    return added
