"""WeCom corp accounts: a core ``ChannelAccount`` (plugin ``wecom``) read and written through this module.

* ``external_id`` is the CorpId; ``config`` holds the AgentId, the API base URL and the last credential check;
* ``credentials`` (encrypted at rest by the platform's secret box) holds the agent, customer-contact, address-book and
  session-archive secrets, the callback Token and EncodingAESKey, and the session-archive RSA private keys
  (``archive_keys``: one per public-key version, as WeCom lets a corp rotate them).
"""

from __future__ import annotations

import secrets as _random
import string
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import Session, select

from scrm.sdk import (
    ChannelAccount,
    account_credentials,
    create_channel_account,
    set_account_credentials,
    utcnow,
)

PLUGIN = "wecom"
DEFAULT_API_BASE = "https://qyapi.weixin.qq.com"
ALPHANUMERIC = string.ascii_letters + string.digits


class SecretKind(StrEnum):
    """The secrets of a corp; WeCom issues one access token per secret (protocols.md §2.1)."""

    AGENT = "agent"
    CONTACT = "contact"
    ADDRESS_BOOK = "address_book"
    ARCHIVE = "archive"  # session archive (会话内容存档)


SECRET_FIELDS: dict[SecretKind, str] = {
    SecretKind.AGENT: "agent_secret",
    SecretKind.CONTACT: "contact_secret",
    SecretKind.ADDRESS_BOOK: "address_book_secret",
    SecretKind.ARCHIVE: "archive_secret",
}
CALLBACK_FIELDS = ("callback_token", "encoding_aes_key")

CONFIG_ERROR_CODES: frozenset[int] = frozenset({
    40001,  # invalid secret
    40013,  # invalid corpid
    40056,  # invalid agentid
    41002,  # corpid missing
    41004,  # secret missing
    48002,  # API forbidden for this secret / app
    60011,  # no privilege on the requested range
    60020,  # server IP not in the app's trusted list
})
"""WeCom error codes that mean the account is configured wrongly (shown on the account page)."""


class AccountNotConfigured(Exception):
    """The account lacks a secret that an API call needs (e.g. no customer-contact secret)."""

    def __init__(self, kind: SecretKind) -> None:
        self.kind = kind
        super().__init__(f"the WeCom account has no {kind.value} secret")


@dataclass(frozen=True)
class WeComCredentials:
    """The decrypted settings of one corp account. Never log or render this object."""

    corp_id: str
    agent_id: int | None
    agent_secret: str = ""
    contact_secret: str = ""
    address_book_secret: str = ""
    archive_secret: str = ""
    callback_token: str = ""
    encoding_aes_key: str = ""

    def secret(self, kind: SecretKind) -> str:
        """The secret of ``kind``; raises :class:`AccountNotConfigured` when it is not set."""
        value = getattr(self, SECRET_FIELDS[kind])
        if not value:
            raise AccountNotConfigured(kind)
        return value

    def configured_kinds(self) -> list[SecretKind]:
        return [kind for kind, name in SECRET_FIELDS.items() if getattr(self, name)]

    def __repr__(self) -> str:
        return f"WeComCredentials(corp_id={self.corp_id!r}, agent_id={self.agent_id!r})"


def generate_callback_token(length: int = 32) -> str:
    """A random callback Token: letters and digits (WeCom accepts up to 32)."""
    return "".join(_random.choice(ALPHANUMERIC) for _ in range(length))


def generate_encoding_aes_key() -> str:
    """A random EncodingAESKey: exactly 43 characters of ``[A-Za-z0-9]`` (a 32-byte AES key in base64)."""
    return "".join(_random.choice(ALPHANUMERIC) for _ in range(43))


def credentials_of(box: Any, account: ChannelAccount) -> WeComCredentials:
    """Decrypt ``account``'s credentials with the platform's secret box."""
    raw = account_credentials(box, account)
    agent_id = (account.config or {}).get("agent_id")
    return WeComCredentials(
        corp_id=account.external_id, agent_id=int(agent_id) if agent_id is not None else None,
        **{name: str(raw.get(name) or "") for name in (*SECRET_FIELDS.values(), *CALLBACK_FIELDS)},
    )


@dataclass(frozen=True)
class ArchiveKey:
    """A session-archive RSA private key and the public-key version WeCom shows for it. Never log or render it."""

    version: int
    private_key: str
    bits: int
    added_at: str

    def __repr__(self) -> str:
        return f"ArchiveKey(version={self.version!r}, bits={self.bits!r})"


class InvalidPrivateKey(ValueError):
    """The text is not a usable PEM RSA private key (the message says why)."""


MAX_ARCHIVE_KEYS = 10


def rsa_key_bits(pem: str) -> int:
    """The size of the PEM RSA private key ``pem`` (PKCS#1 or PKCS#8, without a passphrase)."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    if "PRIVATE KEY-----" not in pem:
        raise InvalidPrivateKey("not a PEM private key")
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except TypeError as exc:  # encrypted with a passphrase
        raise InvalidPrivateKey("encrypted") from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InvalidPrivateKey("unreadable") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidPrivateKey("not RSA")
    return key.key_size


def archive_keys_of(box: Any, account: ChannelAccount) -> list[ArchiveKey]:
    """The account's session-archive private keys, newest version first."""
    raw = account_credentials(box, account).get("archive_keys") or []
    keys = [ArchiveKey(int(k["version"]), str(k["private_key"]), int(k.get("bits") or 0), str(k.get("added_at") or ""))
            for k in raw]
    return sorted(keys, key=lambda k: -k.version)


def _store_archive_keys(box: Any, account: ChannelAccount, keys: list[ArchiveKey]) -> None:
    stored = account_credentials(box, account)
    stored["archive_keys"] = [{"version": k.version, "private_key": k.private_key, "bits": k.bits,
                               "added_at": k.added_at} for k in sorted(keys, key=lambda k: k.version)]
    set_account_credentials(box, account, stored)


def add_archive_key(session: Session, box: Any, account: ChannelAccount, version: int, pem: str) -> ArchiveKey:
    """Store a private key for public-key ``version`` (validated by the caller: new version, readable key)."""
    key = ArchiveKey(version, pem.strip() + "\n", rsa_key_bits(pem), utcnow().isoformat(timespec="seconds"))
    _store_archive_keys(box, account, [*archive_keys_of(box, account), key])
    session.add(account)
    session.flush()
    return key


def remove_archive_key(session: Session, box: Any, account: ChannelAccount, version: int) -> bool:
    keys = archive_keys_of(box, account)
    kept = [k for k in keys if k.version != version]
    if len(kept) == len(keys):
        return False
    _store_archive_keys(box, account, kept)
    session.add(account)
    session.flush()
    return True


def api_base(account: ChannelAccount) -> str:
    """The account's API base URL (the official host unless configured)."""
    return ((account.config or {}).get("api_base") or DEFAULT_API_BASE).rstrip("/")


def find_account(session: Session, tenant_id: int, account_id: int) -> ChannelAccount | None:
    """The WeCom account ``account_id`` of ``tenant_id``; None when it belongs to another tenant or plugin."""
    return session.exec(select(ChannelAccount).where(
        ChannelAccount.id == account_id, ChannelAccount.tenant_id == tenant_id,
        ChannelAccount.plugin == PLUGIN)).first()


def list_accounts(session: Session, tenant_id: int) -> list[ChannelAccount]:
    """The tenant's WeCom corp accounts (``ChannelAccount`` rows of this plugin, active or not), oldest first."""
    return list(session.exec(select(ChannelAccount).where(
        ChannelAccount.tenant_id == tenant_id, ChannelAccount.plugin == PLUGIN).order_by(ChannelAccount.id)))


@dataclass(frozen=True)
class AccountValues:
    """Validated form values. Empty secrets mean "keep the stored one" when updating."""

    name: str
    corp_id: str
    agent_id: int
    api_base: str
    secrets: Mapping[str, str]


def save_account(session: Session, box: Any, tenant_id: int, values: AccountValues,
                 account: ChannelAccount | None = None) -> ChannelAccount:
    """Create (``account`` None) or update a WeCom account of ``tenant_id``; flushes, does not commit.

    On update an empty secret keeps the stored value; changing the CorpId or a secret clears the last check.
    """
    config_extra = {"agent_id": values.agent_id,
                    "api_base": values.api_base if values.api_base != DEFAULT_API_BASE else None}
    if account is None:
        stored = {k: v for k, v in values.secrets.items() if v}
        account = create_channel_account(session, box, tenant_id, PLUGIN, values.name, values.corp_id, stored,
                                         {k: v for k, v in config_extra.items() if v is not None})
        return account
    stored = account_credentials(box, account)
    changed = values.corp_id != account.external_id or any(v and v != stored.get(k) for k, v in values.secrets.items())
    stored.update({k: v for k, v in values.secrets.items() if v})
    set_account_credentials(box, account, stored)
    config = {k: v for k, v in dict(account.config or {}).items() if k not in config_extra}
    config.update({k: v for k, v in config_extra.items() if v is not None})
    if changed:
        config.pop("check", None)
        account.last_error = None
    account.config = config
    account.name = values.name
    account.external_id = values.corp_id
    session.add(account)
    session.flush()
    return account


def record_check(session: Session, account: ChannelAccount, results: Mapping[str, Mapping[str, Any]]) -> None:
    """Store a credential check (``{kind: {"ok", "missing", "errcode", "errmsg"}}``, e.g. the demo's) on the account
    as the host's accounts page shows it, and set ``last_error`` to the configuration errors it found (None when
    there are none)."""
    problems = [f"{kind}: {r['errcode']} {r['errmsg']}" for kind, r in results.items()
                if not r.get("ok") and r.get("errcode") in CONFIG_ERROR_CODES]
    failed = any(not r.get("ok") and not r.get("missing") for r in results.values())
    config = dict(account.config or {})
    # the shape the host's accounts page shows (``CheckResult.to_json``)
    config["check"] = {"ok": not failed, "message": "; ".join(problems)[:500], "details": dict(results),
                       "checked_at": utcnow().isoformat(timespec="seconds")}
    account.config = config
    account.last_error = "; ".join(problems)[:500] if problems else None
    session.add(account)
    session.flush()


def record_config_error(session: Session, account: ChannelAccount, errcode: int, errmsg: str) -> bool:
    """Put a configuration error met while calling the API on ``account.last_error``; False if ``errcode`` is not
    a configuration error (nothing is written then)."""
    if errcode not in CONFIG_ERROR_CODES:
        return False
    account.last_error = f"{errcode} {errmsg}"[:500]
    session.add(account)
    session.flush()
    return True
