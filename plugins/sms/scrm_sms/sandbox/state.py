"""What the sandbox remembers: the vendor accounts (key pairs, balance, callback URL), their sign names and
templates with review states, the messages sent, the per-number daily counts, used nonces and the callbacks it
produced. One lock guards it all; ``dump`` / ``load`` keep the lasting part in a JSON file for the demo."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ALIYUN, TENCENT = "aliyun", "tencent"
#: the key pairs every sandbox knows from the start (tests and the demo configure accounts with them)
DEFAULT_KEYS = (
    {"provider": ALIYUN, "key_id": "LTAI5tSandboxKey", "key_secret": "sandbox-aliyun-secret"},
    {"provider": TENCENT, "key_id": "AKIDsandboxSecretId", "key_secret": "sandbox-tencent-key",
     "app_id": "1400000001"},
)
#: a template whose whole content is this variable carries typed text (the account's "text template")
TEXT_VARIABLE = "content"
#: notification / marketing messages per number and template per day before isv.BUSINESS_LIMIT_CONTROL
DAILY_LIMIT_PER_NUMBER_TEMPLATE = 50
#: how far a request's timestamp may be from the sandbox's clock (Aliyun 15 min, Tencent 5 min)
ALIYUN_SKEW = 15 * 60
TENCENT_SKEW = 5 * 60
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


def segments(text: str) -> int:
    """Billed messages of a delivered text: ≤ 70 characters 1, else ceil(n / 67) (carrier convention)."""
    length = len(text)
    return 1 if length <= 70 else math.ceil(length / 67)


@dataclass
class Review:
    """A sign name or template under review: ``ref`` is the name / template code."""

    ref: str
    name: str
    status: str = PENDING
    reason: str = ""
    content: str = ""
    category: str = "notification"


@dataclass
class VendorAccount:
    """One key pair at one vendor, with its balance in billed messages and the URL its callbacks go to."""

    provider: str
    key_id: str
    key_secret: str
    app_id: str = ""
    balance: int = 1_000_000
    callback_url: str = ""
    signs: dict[str, Review] = field(default_factory=dict)
    templates: dict[str, Review] = field(default_factory=dict)


@dataclass
class Sent:
    """One message the sandbox took."""

    message_id: str
    provider: str
    key_id: str
    mobile: str
    sign_name: str
    template_code: str
    params: dict[str, str]
    text: str
    segments: int
    out_id: str
    sent_at: float
    status: str = "sent"  # sent, delivered, failed
    code: str = ""

    @property
    def key(self) -> str:
        """Unique per number: an Aliyun BizId covers every number of one call."""
        return f"{self.message_id}|{self.mobile}"


@dataclass
class Settings:
    """Behaviour the control API changes: requests per second per key (None: unlimited), numbers whose messages
    fail at the carrier, and whether delivery reports are pushed at once after a send."""

    rate: float | None = None
    fail_numbers: list[str] = field(default_factory=list)
    auto_report: bool = True
    report_delay: float = 0.05
    #: the most messages kept for status queries and the control API (the oldest go first: a long bench stays flat)
    keep_messages: int = 200_000


class SandboxState:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.accounts: dict[str, VendorAccount] = {}
        self.sent: dict[str, Sent] = {}
        self.daily: dict[tuple[str, str, str, str], int] = {}  # (key_id, mobile, template, day) -> count
        self.nonces: dict[str, float] = {}
        self.calls: deque[tuple[str, str, float]] = deque(maxlen=100_000)  # (key_id, action, at)
        self.outbox: list[dict[str, Any]] = []
        self.settings = Settings()
        self.counter = 0
        self.clock = time.time
        for keys in DEFAULT_KEYS:
            self.add_account(**keys)

    # -- accounts ----------------------------------------------------------------------------------------------------

    def add_account(self, provider: str, key_id: str, key_secret: str, app_id: str = "", balance: int | None = None,
                    callback_url: str | None = None) -> VendorAccount:
        with self.lock:
            account = self.accounts.get(key_id) or VendorAccount(provider, key_id, key_secret, app_id)
            account.provider, account.key_secret, account.app_id = provider, key_secret, app_id or account.app_id
            if balance is not None:
                account.balance = int(balance)
            if callback_url is not None:
                account.callback_url = callback_url
            self.accounts[key_id] = account
            return account

    def account(self, key_id: str, provider: str) -> VendorAccount | None:
        account = self.accounts.get(key_id)
        return account if account is not None and account.provider == provider else None

    def next_id(self, prefix: str) -> str:
        with self.lock:
            self.counter += 1
            return f"{prefix}{int(self.clock() * 1000) % 10**10:010d}{self.counter:06d}"

    # -- request guards -----------------------------------------------------------------------------------------------

    def use_nonce(self, nonce: str) -> bool:
        """False when ``nonce`` was used in the last 15 minutes (Aliyun's SignatureNonceUsed)."""
        now = self.clock()
        with self.lock:
            if len(self.nonces) > 200_000:
                self.nonces = {n: at for n, at in self.nonces.items() if now - at < ALIYUN_SKEW}
            seen = self.nonces.get(nonce)
            if seen is not None and now - seen < ALIYUN_SKEW:
                return False
            self.nonces[nonce] = now
            return True

    def throttled(self, key_id: str, action: str) -> bool:
        """Record a call; True when the key made ``settings.rate`` calls in the last second already."""
        now = self.clock()
        with self.lock:
            rate = self.settings.rate
            if rate:
                recent = 0
                for k, _a, at in reversed(self.calls):  # chronological: stop at the first call a second old
                    if now - at >= 1.0:
                        break
                    recent += k == key_id
                if recent >= rate:
                    return True
            self.calls.append((key_id, action, now))
            return False

    # -- business rules -------------------------------------------------------------------------------------------------

    def count_today(self, key_id: str, mobile: str, template: str) -> int:
        day = time.strftime("%Y-%m-%d", time.gmtime(self.clock() + 8 * 3600))
        return self.daily.get((key_id, mobile, template, day), 0)

    def record_sent(self, account: VendorAccount, message: Sent) -> None:
        day = time.strftime("%Y-%m-%d", time.gmtime(message.sent_at + 8 * 3600))
        with self.lock:
            self.sent[message.key] = message
            while len(self.sent) > max(1, int(self.settings.keep_messages)):
                del self.sent[next(iter(self.sent))]
            key = (account.key_id, message.mobile, message.template_code, day)
            self.daily[key] = self.daily.get(key, 0) + 1
            account.balance -= message.segments

    # -- persistence (the demo) ---------------------------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        with self.lock:
            return {"accounts": [dataclasses.asdict(a) for a in self.accounts.values()],
                    "settings": dataclasses.asdict(self.settings), "counter": self.counter}

    def load(self, data: dict[str, Any]) -> None:
        with self.lock:
            for raw in data.get("accounts") or []:
                raw = dict(raw)
                signs = {k: Review(**v) for k, v in (raw.pop("signs", None) or {}).items()}
                templates = {k: Review(**v) for k, v in (raw.pop("templates", None) or {}).items()}
                known = {f.name for f in dataclasses.fields(VendorAccount)}
                account = VendorAccount(**{k: v for k, v in raw.items() if k in known})
                account.signs, account.templates = signs, templates
                self.accounts[account.key_id] = account
            settings = data.get("settings") or {}
            known = {f.name for f in dataclasses.fields(Settings)}
            self.settings = Settings(**{k: v for k, v in settings.items() if k in known})
            self.counter = int(data.get("counter") or 0)

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.dump(), ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
