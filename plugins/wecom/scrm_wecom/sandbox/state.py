"""The sandbox's in-memory WeCom: corps (departments, users, external contacts, corp tags, contact ways), access
tokens, welcome codes, transfers, injected failures, rate limits and the log of calls received.

Everything is guarded by one lock; handlers run under it, so the simulator is consistent under threaded servers.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any


class SandboxError(Exception):
    """An answer with a non-zero ``errcode`` (WeCom answers errors with HTTP 200 and a JSON body)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        super().__init__(errcode, errmsg)


def new_id(prefix: str, size: int = 12) -> str:
    return prefix + secrets.token_hex(size)


@dataclass
class Token:
    value: str
    corp_id: str
    kind: str
    expires_at: float
    expired: bool = False  # forced expiry by the control API


@dataclass
class Corp:
    """One simulated corp. ``secrets`` maps each secret value to its kind (agent, contact, address_book)."""

    corp_id: str
    secrets: dict[str, str]
    agent_id: int | None = None
    departments: dict[int, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)  # external_userid -> external_contact
    follows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # external_userid -> follow_user list
    tag_groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # group_id -> group (with "tag" list)
    contact_ways: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfers: list[dict[str, Any]] = field(default_factory=list)
    app_messages: list[dict[str, Any]] = field(default_factory=list)
    msg_templates: list[dict[str, Any]] = field(default_factory=list)
    welcome_messages: list[dict[str, Any]] = field(default_factory=list)
    group_chats: dict[str, dict[str, Any]] = field(default_factory=dict)  # chat_id -> groupchat/get shape
    group_transfers: list[dict[str, Any]] = field(default_factory=list)  # groupchat/transfer requests
    media: dict[str, dict[str, Any]] = field(default_factory=dict)  # media_id -> temporary media (materials_api)
    moments: dict[str, dict[str, Any]] = field(default_factory=dict)  # moment_id -> Moment (sandbox/moments.py)
    moment_jobs: dict[str, dict[str, Any]] = field(default_factory=dict)  # add_moment_task jobid -> job
    moment_jobs_held: bool = False  # new add_moment_task jobs stay "creating" until completed by the control API
    group_welcome_templates: dict[str, dict[str, Any]] = field(default_factory=dict)  # template_id -> template
    join_ways: dict[str, dict[str, Any]] = field(default_factory=dict)  # config_id -> groupchat join way
    #: members with the customer-contact permission (get_follow_user_list); None: every member who has customers
    follow_users: list[str] | None = None

    def follow_user_list(self) -> list[str]:
        """``get_follow_user_list``: the members set by the control API, else every member of the address book
        (not left) with at least one customer, in address-book order."""
        if self.follow_users is not None:
            return list(self.follow_users)
        with_customers = {f["userid"] for follows in self.follows.values() for f in follows}
        return [u for u, user in self.users.items() if u in with_customers and int(user.get("status") or 1) != 5]

    def friends_of(self, userid: str) -> list[str]:
        return [ext for ext, follows in self.follows.items() if any(f["userid"] == userid for f in follows)]

    def follow(self, external_userid: str, userid: str) -> dict[str, Any] | None:
        return next((f for f in self.follows.get(external_userid, []) if f["userid"] == userid), None)

    def find_tag(self, tag_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        for group in self.tag_groups.values():
            for tag in group["tag"]:
                if tag["id"] == tag_id:
                    return group, tag
        return None


@dataclass
class Settings:
    token_ttl: int = 7200
    welcome_code_ttl: float = 20.0
    transfer_takeover_after: float = 86400.0  # WeCom takes a waiting transfer over by itself after 24 hours
    max_calls_logged: int = 5000
    api_latency: float = 0.0  # seconds each API answer is held back (WeCom's round trip as seen from a server)


class SandboxState:
    """The whole simulator state. ``lock`` must be held to read or change anything."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._clear()

    def _clear(self) -> None:
        self.settings = Settings()
        self.corps: dict[str, Corp] = {}
        self.tokens: dict[str, Token] = {}
        self.welcome_codes: dict[str, dict[str, Any]] = {}
        self.calls: deque[dict[str, Any]] = deque(maxlen=self.settings.max_calls_logged)
        self.fail_next: dict[str, list[int]] = {}  # path -> errcodes to answer, in order
        self.rate_limits: dict[str, int] = {}  # path -> calls allowed per minute
        self.recent: dict[str, deque[float]] = {}
        self.cursors: dict[str, list[dict[str, Any]]] = {}  # batch/get_by_user cursor snapshots
        self.jsapi_tickets: dict[tuple[str, str], dict[str, Any]] = {}  # (corp_id, jsapi|agent_config) -> ticket
        self.oauth_codes: dict[str, dict[str, Any]] = {}  # OAuth code -> {corp_id, userid, issued_at, used}

    def reset(self) -> None:
        """Forget every corp, token, code, call, limit and setting."""
        with self.lock:
            self._clear()

    # -- tokens ------------------------------------------------------------------------------------------------------

    def issue_token(self, corp: Corp, kind: str) -> Token:
        now = time.time()
        for token in self.tokens.values():  # a valid token is returned again, as WeCom does
            if token.corp_id == corp.corp_id and token.kind == kind and not token.expired and token.expires_at > now:
                return token
        token = Token(new_id("sbx_", 24), corp.corp_id, kind, now + self.settings.token_ttl)
        self.tokens[token.value] = token
        return token

    def check_token(self, value: str | None) -> Token:
        if not value:
            raise SandboxError(41001, "access_token missing")
        token = self.tokens.get(value)
        if token is None:
            raise SandboxError(40014, "invalid access_token")
        if token.expired or token.expires_at <= time.time():
            raise SandboxError(42001, "access_token expired")
        return token

    def expire_tokens(self, corp_id: str | None = None, kind: str | None = None) -> int:
        count = 0
        for token in self.tokens.values():
            if (corp_id is None or token.corp_id == corp_id) and (kind is None or token.kind == kind):
                token.expired = True
                count += 1
        return count

    def invalidate_tokens(self) -> int:
        count = len(self.tokens)
        self.tokens.clear()
        return count

    # -- limits and failures -----------------------------------------------------------------------------------------

    def check_limits(self, path: str) -> None:
        queued = self.fail_next.get(path)
        if queued:
            errcode = queued.pop(0)
            raise SandboxError(errcode, "injected failure")
        limit = self.rate_limits.get(path)
        if limit is not None:
            now = time.monotonic()
            window = self.recent.setdefault(path, deque())
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= limit:
                raise SandboxError(45009, "api freq out of limit")
            window.append(now)

    def record(self, entry: dict[str, Any]) -> None:
        self.calls.append(entry)

    # -- welcome codes -----------------------------------------------------------------------------------------------

    def new_welcome_code(self, corp_id: str, userid: str, external_userid: str) -> str:
        code = new_id("WELCOME_", 16)
        self.welcome_codes[code] = {"corp_id": corp_id, "userid": userid, "external_userid": external_userid,
                                    "issued_at": time.time(), "used": False}
        return code

    def use_welcome_code(self, corp_id: str, code: str | None) -> dict[str, Any]:
        entry = self.welcome_codes.get(code or "")
        if entry is None or entry["corp_id"] != corp_id:
            raise SandboxError(40058, "invalid welcome_code")
        if entry["used"] or time.time() - entry["issued_at"] > self.settings.welcome_code_ttl:
            raise SandboxError(41051, "externaluser has started chatting or welcome_code expired")
        entry["used"] = True
        return entry

    def corp(self, corp_id: str) -> Corp:
        corp = self.corps.get(corp_id)
        if corp is None:
            raise SandboxError(40013, "invalid corpid")
        return corp
