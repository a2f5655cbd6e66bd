"""The sandbox's state: the official accounts it knows (AppID, AppSecret, callback Token / EncodingAESKey, message
mode, original id), their access tokens, fans and the time of each fan's last interaction (the 48-hour window of
customer-service messages), injected failures, and the log of every API call.

Areas keep their own data in ``state.area("<name>")`` (a dict created on first use), e.g. menus or materials.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

TOKEN_LIFETIME = 7200
WINDOW_SECONDS = 48 * 3600
"""Customer-service messages are accepted within 48 hours of the fan's last interaction (45015 after)."""
WINDOW_QUOTA = 5
"""Customer-service messages per fan after one interaction within the window (45047 beyond), protocols.md §3.5."""


class SandboxError(Exception):
    def __init__(self, errcode: int, errmsg: str, data: dict[str, Any] | None = None) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        #: further fields of the error answer (45065 of mass/send carries the first send's msg_id)
        self.data = data or {}
        super().__init__(f"{errcode} {errmsg}")


@dataclass
class Fan:
    openid: str
    subscribed: bool = True
    last_interaction: float | None = None
    replies_since: int = 0
    blocked_template: bool = False  # the fan refused template messages (status failed:user block)
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Account:
    appid: str
    secret: str
    token: str = ""
    encoding_aes_key: str = ""
    mode: str = "safe"
    original_id: str = ""
    callback_url: str = ""
    account_type: str = "service"
    verified: bool = True
    oauth_domain: str = ""  # 网页授权域名: the host a web authorisation may return to (any when empty)
    fans: dict[str, Fan] = field(default_factory=dict)
    templates: set[str] = field(default_factory=set)

    def fan(self, openid: str) -> Fan:
        if openid not in self.fans:
            self.fans[openid] = Fan(openid)
        return self.fans[openid]


@dataclass
class Token:
    appid: str
    expires_at: float


class SandboxState:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.accounts: dict[str, Account] = {}
        self.tokens: dict[str, Token] = {}
        self.failures: dict[str, list[int]] = {}
        self.calls: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.areas: dict[str, dict[str, Any]] = {}
        self.clock_offset = 0.0
        self.msg_seq = 1000

    # -- time (the control API can move it, for the 48-hour window) ---------------------------------------------

    def now(self) -> float:
        return time.time() + self.clock_offset

    # -- accounts and tokens ----------------------------------------------------------------------------------------

    def add_account(self, **values: Any) -> Account:
        account = Account(**values)
        self.accounts[account.appid] = account
        return account

    def account(self, appid: str) -> Account:
        try:
            return self.accounts[appid]
        except KeyError:
            raise SandboxError(40013, "invalid appid") from None

    def issue_token(self, appid: str, secret: str) -> tuple[str, int]:
        account = self.accounts.get(appid)
        if account is None:
            raise SandboxError(40013, "invalid appid")
        if not secrets.compare_digest(account.secret, secret or ""):
            raise SandboxError(40125, "invalid appsecret")
        token = "SBX_" + secrets.token_urlsafe(24)
        self.tokens[token] = Token(appid, self.now() + TOKEN_LIFETIME)
        return token, TOKEN_LIFETIME

    def check_token(self, value: str | None) -> Account:
        if not value:
            raise SandboxError(41001, "access_token missing")
        token = self.tokens.get(value)
        if token is None:
            raise SandboxError(40001, "invalid credential, access_token is invalid or not latest")
        if token.expires_at <= self.now():
            raise SandboxError(42001, "access_token expired")
        return self.account(token.appid)

    def expire_tokens(self, appid: str | None = None) -> int:
        count = 0
        for token in self.tokens.values():
            if appid is None or token.appid == appid:
                token.expires_at = 0
                count += 1
        return count

    # -- injected failures, the call log, areas -------------------------------------------------------------------

    def next_failure(self, path: str) -> int | None:
        queue = self.failures.get(path)
        if queue:
            return queue.pop(0)
        return None

    def record(self, entry: dict[str, Any]) -> None:
        self.calls.append(entry)
        if len(self.calls) > 10_000:
            del self.calls[:5_000]

    def area(self, name: str) -> dict[str, Any]:
        return self.areas.setdefault(name, {})

    def next_msg_id(self) -> int:
        self.msg_seq += 1
        return self.msg_seq

    # -- the 48-hour window --------------------------------------------------------------------------------------

    def interact(self, appid: str, openid: str, at: float | None = None) -> None:
        fan = self.account(appid).fan(openid)
        fan.last_interaction = self.now() if at is None else at
        fan.replies_since = 0

    def check_window(self, account: Account, openid: str) -> Fan:
        fan = account.fans.get(openid)
        if fan is None or not fan.subscribed or fan.last_interaction is None \
                or self.now() - fan.last_interaction > WINDOW_SECONDS:
            raise SandboxError(45015, "response out of time limit or subscription is canceled")
        if fan.replies_since >= WINDOW_QUOTA:
            raise SandboxError(45047, "out of response count limit")
        return fan
