"""Official accounts: core ``ChannelAccount`` rows (plugin ``official_account``), several per tenant.

* ``external_id`` is the AppID; ``config`` holds the account type (``subscription`` / ``service``), whether it is
  verified (认证), the message mode (``plain`` / ``compatible`` / ``safe``), the original id (``gh_...``, the
  ``ToUserName`` of callbacks) and the API base URL;
* ``credentials`` (encrypted at rest) holds the AppSecret, the callback Token and the EncodingAESKey.

``require_verified_service(account)`` is what features that need a verified service account (mass sends, template
messages, parameter QR codes ...) call first: it raises :class:`NotVerifiedServiceAccount` with a clear message.
"""

from __future__ import annotations

import secrets as _random
import string
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import Session, select

from scrm.sdk import N_, ChannelAccount, CheckResult, account_credentials

PLUGIN = "official_account"
DEFAULT_API_BASE = "https://api.weixin.qq.com"
ALPHANUMERIC = string.ascii_letters + string.digits
TOKEN_KIND = "app"
"""An official account has one AppSecret, hence one access token (protocols.md §2.1)."""


class AccountType(StrEnum):
    SUBSCRIPTION = "subscription"  # 订阅号
    SERVICE = "service"  # 服务号


class MessageMode(StrEnum):
    """The account's 消息加解密方式 (developer settings): how callbacks arrive."""

    PLAIN = "plain"  # 明文模式
    COMPATIBLE = "compatible"  # 兼容模式: plaintext fields and <Encrypt> together
    SAFE = "safe"  # 安全模式: only <Encrypt>


class NotVerifiedServiceAccount(Exception):
    """A feature that needs a verified service account (认证服务号) was used with another account."""

    def __init__(self, account: ChannelAccount) -> None:
        self.account_id = account.id
        self.message = N_("This feature needs a verified service account; %(name)s is not one.")
        self.params = {"name": account.name}
        super().__init__(f"account {account.id} is not a verified service account")


@dataclass(frozen=True)
class OACredentials:
    """The decrypted settings of one official account. Never log or render this object."""

    appid: str
    app_secret: str = ""
    token: str = ""
    encoding_aes_key: str = ""
    mode: MessageMode = MessageMode.SAFE

    def __repr__(self) -> str:
        return f"OACredentials(appid={self.appid!r}, mode={self.mode.value!r})"


def generate_callback_token(length: int = 32) -> str:
    """A random callback Token: letters and digits (the OA admin accepts 3 to 32)."""
    return "".join(_random.choice(ALPHANUMERIC) for _ in range(length))


def generate_encoding_aes_key() -> str:
    """A random EncodingAESKey: exactly 43 characters of ``[A-Za-z0-9]``."""
    return "".join(_random.choice(ALPHANUMERIC) for _ in range(43))


def account_type(account: ChannelAccount) -> AccountType:
    try:
        return AccountType((account.config or {}).get("account_type") or AccountType.SUBSCRIPTION)
    except ValueError:
        return AccountType.SUBSCRIPTION


def is_verified(account: ChannelAccount) -> bool:
    return bool((account.config or {}).get("verified"))


def message_mode(account: ChannelAccount) -> MessageMode:
    try:
        return MessageMode((account.config or {}).get("message_mode") or MessageMode.SAFE)
    except ValueError:
        return MessageMode.SAFE


def is_verified_service(account: ChannelAccount) -> bool:
    return account_type(account) is AccountType.SERVICE and is_verified(account)


def require_verified_service(account: ChannelAccount) -> None:
    """Raise :class:`NotVerifiedServiceAccount` unless ``account`` is a verified service account."""
    if not is_verified_service(account):
        raise NotVerifiedServiceAccount(account)


def original_id(account: ChannelAccount) -> str:
    """The account's original id (``gh_...``): FromUserName of passive replies; the AppID when not configured."""
    return str((account.config or {}).get("original_id") or account.external_id)


def credentials_of(box: Any, account: ChannelAccount) -> OACredentials:
    """Decrypt ``account``'s credentials with the platform's secret box."""
    raw = account_credentials(box, account)
    return OACredentials(appid=account.external_id, app_secret=str(raw.get("app_secret") or ""),
                         token=str(raw.get("token") or ""), encoding_aes_key=str(raw.get("encoding_aes_key") or ""),
                         mode=message_mode(account))


def api_base(account: ChannelAccount) -> str:
    """The account's API base URL (the official host unless configured)."""
    return ((account.config or {}).get("api_base") or DEFAULT_API_BASE).rstrip("/")


def list_accounts(session: Session, tenant_id: int, *, enabled_only: bool = True) -> list[ChannelAccount]:
    """The tenant's official accounts, by name."""
    query = select(ChannelAccount).where(ChannelAccount.tenant_id == tenant_id, ChannelAccount.plugin == PLUGIN)
    rows = list(session.exec(query.order_by(ChannelAccount.name, ChannelAccount.id)))
    if enabled_only:
        rows = [row for row in rows if row.active]
    return rows


def find_account(session: Session, tenant_id: int, account_id: int) -> ChannelAccount | None:
    """Official account ``account_id`` of ``tenant_id``; None when it belongs to another tenant or plugin."""
    return session.exec(select(ChannelAccount).where(
        ChannelAccount.id == account_id, ChannelAccount.tenant_id == tenant_id,
        ChannelAccount.plugin == PLUGIN)).first()


def check_result(platform: Any, account: ChannelAccount, credentials: dict[str, Any]) -> CheckResult:
    """The accounts page's credential check: a fresh access token with the AppID and AppSecret; not ok shows the
    official error code and text (40013 wrong AppID, 40125 wrong AppSecret, 40164 IP not whitelisted ...)."""
    from scrm.sdk.wechat import WeChatAPIError

    from .client import OAClient, OAUnavailable
    from .tokens import token_store

    creds = OACredentials(appid=account.external_id, app_secret=str(credentials.get("app_secret") or ""),
                          token=str(credentials.get("token") or ""),
                          encoding_aes_key=str(credentials.get("encoding_aes_key") or ""), mode=message_mode(account))
    if not creds.app_secret:
        return CheckResult(False, "AppSecret missing", {"app_secret": {"ok": False}})
    client = OAClient(account_id=account.id, credentials=creds, store=token_store(platform, account.tenant_id),
                      base_url=api_base(account), timeout=5.0, backoff=(0.5,))
    try:
        client.renew_token(force=True)
    except WeChatAPIError as exc:
        return CheckResult(False, f"{exc.errcode} {exc.errmsg}".strip(), {"app_secret": {"ok": False}})
    except OAUnavailable as exc:
        return CheckResult(False, f"unreachable: {exc}", {"app_secret": {"ok": False}})
    return CheckResult(True, "ok", {"app_secret": {"ok": True}})


def save_account(session: Session, box: Any, tenant_id: int, *, name: str, appid: str, app_secret: str,
                 token: str, encoding_aes_key: str, mode: str = MessageMode.SAFE,
                 account_type: str = AccountType.SERVICE, verified: bool = True, original_id: str | None = None,
                 api_base: str | None = None) -> ChannelAccount:
    """Create or update (by AppID) an official account of the tenant, as the accounts page would (demo, tests)."""
    from scrm.sdk import create_channel_account, set_account_credentials

    config = {"account_type": str(AccountType(account_type)), "verified": bool(verified),
              "message_mode": str(MessageMode(mode)), "original_id": original_id, "api_base": api_base}
    secrets = {"app_secret": app_secret, "token": token, "encoding_aes_key": encoding_aes_key}
    account = session.exec(select(ChannelAccount).where(
        ChannelAccount.tenant_id == tenant_id, ChannelAccount.plugin == PLUGIN,
        ChannelAccount.external_id == appid)).first()
    if account is None:
        return create_channel_account(session, box, tenant_id, PLUGIN, name, appid, secrets, config)
    account.name = name
    account.config = {**(account.config or {}), **config}
    set_account_credentials(box, account, secrets)
    session.add(account)
    session.flush()
    return account
