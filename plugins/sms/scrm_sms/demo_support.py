"""What ``scrm demo`` needs from the channel (called by the plugin's ``demo_data``): SMS accounts of the demo brand
on the sandbox of both vendors, wired both ways (the account's API base is the sandbox, the sandbox pushes its
reports, replies and review results to the account's callback URL), a sign name and templates approved there, and a
few numbers that replied TD. Everything is idempotent (found by name / number before it is created)."""

from __future__ import annotations

import secrets

import httpx
from sqlmodel import Session, select

from scrm.sdk import ChannelAccount, create_channel_account, current_bus

from .optout.models import SOURCE_MANUAL, SOURCE_UPLINK
from .optout.service import unsubscribe
from .sandbox.state import DEFAULT_KEYS

DEMO_SIGN = "珍客零售"
#: template codes the demo accounts use: a shipping notice and the template for typed text
DEMO_TEMPLATES = {
    "aliyun": [("SMS_200001", "发货通知", "亲爱的${name}，您在珍客零售的订单已发货，请留意查收。", "notification"),
               ("SMS_200002", "通用文本", "${content}", "marketing")],
    "tencent": [("200001", "发货通知", "亲爱的{1}，您在珍客零售的订单已发货，请留意查收。", "notification"),
                ("200002", "通用文本", "{1}", "marketing")],
}
ACCOUNT_NAMES = {"aliyun": "阿里云短信（主通道）", "tencent": "腾讯云短信（备用通道）"}
#: numbers of the demo brand that replied TD or were added by hand
DEMO_UNSUBSCRIBES = (("13900001111", SOURCE_UPLINK, "TD"), ("13900002222", SOURCE_UPLINK, "退订"),
                     ("13900003333", SOURCE_MANUAL, ""))


def demo_account(session: Session, tenant_id: int, sandbox_url: str, platform_url: str,
                 provider: str = "aliyun") -> ChannelAccount:
    """The demo brand's SMS account at ``provider`` on the sandbox (created once), its callback URL registered in
    the sandbox, its sign name and templates approved there. Commits ``session``."""
    keys = next(k for k in DEFAULT_KEYS if k["provider"] == provider)
    account = session.exec(select(ChannelAccount).where(
        ChannelAccount.tenant_id == tenant_id, ChannelAccount.plugin == "sms",
        ChannelAccount.external_id == keys["key_id"])).first()
    box = current_bus().platform.secrets
    if account is None:
        config = {"provider": provider, "api_base": f"{sandbox_url.rstrip('/')}/{provider}", "sign_name": DEMO_SIGN,
                  "text_template": DEMO_TEMPLATES[provider][1][0], "rate_limit": 50}
        if keys.get("app_id"):
            config["app_id"] = keys["app_id"]
        account = create_channel_account(session, box, tenant_id, "sms", ACCOUNT_NAMES[provider], keys["key_id"],
                                         {"key_secret": keys["key_secret"],
                                          "callback_token": secrets.token_urlsafe(24)}, config)
    session.commit()
    from .account_settings import credentials_of

    token = credentials_of(account, box).get("callback_token", "")
    base = sandbox_url.rstrip("/")
    httpx.post(f"{base}/_sandbox/keys", json={**keys, "callback_url":
                                              f"{platform_url.rstrip('/')}/callbacks/sms/{account.id}?token={token}"},
               timeout=10).raise_for_status()
    httpx.post(f"{base}/_sandbox/seed", json={"key_id": keys["key_id"], "signs": [DEMO_SIGN], "templates": [
        {"code": code, "name": name, "content": content, "category": category}
        for code, name, content, category in DEMO_TEMPLATES[provider]]}, timeout=10).raise_for_status()
    return account


def seed_unsubscribes(session: Session, tenant_id: int, account_id: int | None = None) -> None:
    """A few numbers on the demo brand's unsubscribe list (the page has rows to show and to remove)."""
    for mobile, source, reply in DEMO_UNSUBSCRIBES:
        unsubscribe(session, tenant_id, mobile, source=source, reply=reply,
                    account_id=account_id if source == SOURCE_UPLINK else None)
