"""Demo auto replies of the brand's flagship account: a subscribe reply, a default reply and keyword rules (a text
reply, the news material, a poster image, and one that also forwards to customer service). Idempotent."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from .autoreply import service

SUBSCRIBE = "欢迎关注！回复“会员日”看本月福利，回复“新品”看冬季新品，回复“人工”联系客服。"
DEFAULT = "您好，消息已收到，客服将在工作时间（10:00-22:00）尽快回复您。"


def seed(tenant: Any, session: Session, demo: Any, ctx: Any) -> None:
    account = ctx.accounts.get("brand")
    if account is None:
        return
    materials = ctx.shared.get("materials") or {}
    settings = service.settings_for(session, tenant.id, account.id)
    if not settings.subscribe_reply:
        service.save_single_reply(session, tenant.id, account.id, service.SUBSCRIBE,
                                  service.ReplyInput(service.TEXT, SUBSCRIBE), label="关注回复")
        service.set_switch(session, tenant.id, account.id, "subscribe", True)
    if not settings.default_reply:
        service.save_single_reply(session, tenant.id, account.id, service.DEFAULT,
                                  service.ReplyInput(service.TEXT, DEFAULT), label="消息回复")
        service.set_switch(session, tenant.id, account.id, "message", True)
    if service.count_rules(session, tenant.id, account.id):
        return
    rules = [service.RuleInput("营业时间", [service.KeywordInput("营业时间"), service.KeywordInput("几点关门")],
                               service.ReplyInput(service.TEXT, "门店营业时间：每天 10:00-22:00，节假日照常营业。")),
             service.RuleInput("会员日", [service.KeywordInput("会员日")],
                               service.ReplyInput(service.TEXT, "每月 8 日会员日：全场九折，积分双倍。"))]
    if materials.get("news"):
        rules.append(service.RuleInput("冬季新品", [service.KeywordInput("新品")],
                                       service.ReplyInput("news", "", materials["news"])))
    if materials.get("winter-poster.png"):
        rules.append(service.RuleInput("活动海报", [service.KeywordInput("海报", "full")],
                                       service.ReplyInput("image", "", materials["winter-poster.png"])))
    rules.append(service.RuleInput("人工客服", [service.KeywordInput("人工"), service.KeywordInput("客服")],
                                   service.ReplyInput(service.TEXT, "正在为您转接人工客服，请稍候。"),
                                   forward_to_service=True))
    for data in rules:
        service.create_rule(session, tenant.id, account.id, data)
