"""The "Check credentials" action: fetch a fresh token for every configured secret and record what works."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from scrm.sdk import ChannelAccount
from scrm.sdk.wechat import WeChatAPIError

from .accounts import SecretKind, credentials_of, record_check
from .client import WeComClient, WeComUnavailable

#: secrets of add-on WeCom features: checked when configured, not listed as missing otherwise
OPTIONAL_KINDS = frozenset({SecretKind.ARCHIVE})


def check_credentials(session: Session, platform: Any, account: ChannelAccount,
                      **client_options: Any) -> dict[str, dict[str, Any]]:
    """Fetch a token (bypassing the cache) for each secret kind and store the results on the account.

    Returns ``{kind: {"ok", "missing", "errcode", "errmsg"}}``; configuration errors (wrong secret 40001, invalid
    corpid 40013, ...) end up in ``account.last_error``. Commits the caller's transaction first (the token store
    writes in its own transactions, and an older SQLite snapshot could not write after them); the results are
    flushed, not committed.
    """
    session.commit()
    configured = set(credentials_of(platform.secrets, account).configured_kinds())
    results: dict[str, dict[str, Any]] = {}
    options = {"backoff": (0.5,), "timeout": 5.0, **client_options}
    with WeComClient.for_account(account, platform, **options) as client:
        for kind in SecretKind:
            if kind not in configured:
                if kind not in OPTIONAL_KINDS:
                    results[kind.value] = {"ok": False, "missing": True, "errcode": None, "errmsg": ""}
                continue
            try:
                client.renew_token(kind, force=True)
            except WeChatAPIError as exc:
                results[kind.value] = {"ok": False, "missing": False, "errcode": exc.errcode, "errmsg": exc.errmsg}
            except WeComUnavailable as exc:
                results[kind.value] = {"ok": False, "missing": False, "errcode": None, "errmsg": str(exc)}
            else:
                results[kind.value] = {"ok": True, "missing": False, "errcode": None, "errmsg": ""}
    record_check(session, account, results)
    return results
