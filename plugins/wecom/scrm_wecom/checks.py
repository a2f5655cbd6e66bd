"""The "Check credentials" action: fetch a fresh token for every configured secret and record what works."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from scrm.sdk import N_, ChannelAccount, CheckResult
from scrm.sdk.wechat import WeChatAPIError

from .accounts import (
    CALLBACK_FIELDS,
    SECRET_FIELDS,
    SecretKind,
    WeComCredentials,
    api_base,
    credentials_of,
    record_check,
)
from .client import WeComClient, WeComUnavailable
from .tokens import token_store

#: what the accounts page calls each secret (message ids of the plugin's catalogue)
KIND_LABELS = {SecretKind.AGENT.value: N_("Agent (app) secret"), SecretKind.CONTACT.value: N_("Customer contact secret"),
               SecretKind.ADDRESS_BOOK.value: N_("Address book secret"),
               SecretKind.ARCHIVE.value: N_("Session archive secret")}
#: secrets of add-on WeCom features: checked when configured, not listed as missing otherwise
OPTIONAL_KINDS = frozenset({SecretKind.ARCHIVE})


def token_results(platform: Any, account: ChannelAccount, credentials: WeComCredentials | None = None,
                  **client_options: Any) -> dict[str, dict[str, Any]]:
    """Fetch a token (bypassing the cache) for each secret kind: ``{kind: {"ok", "missing", "errcode", "errmsg"}}``.
    Optional kinds not configured are left out; the other kinds not configured are ``missing``."""
    creds = credentials or credentials_of(platform.secrets, account)
    configured = set(creds.configured_kinds())
    results: dict[str, dict[str, Any]] = {}
    options = {"backoff": (0.5,), "timeout": 5.0, **client_options}
    store = options.pop("store", None) or token_store(platform, account.tenant_id)
    with WeComClient(account_id=account.id, credentials=creds, store=store, base_url=api_base(account),
                     **options) as client:
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
    return results


def check_credentials(session: Session, platform: Any, account: ChannelAccount,
                      **client_options: Any) -> dict[str, dict[str, Any]]:
    """Fetch a token for each secret kind (``token_results``) and store the results on the account.

    Configuration errors (wrong secret 40001, invalid corpid 40013, ...) end up in ``account.last_error``. Commits
    the caller's transaction first (the token store writes in its own transactions, and an older SQLite snapshot
    could not write after them); the results are flushed, not committed.
    """
    session.commit()
    results = token_results(platform, account, **client_options)
    record_check(session, account, results)
    return results


def check_result(platform: Any, account: ChannelAccount, credentials: dict[str, Any]) -> CheckResult:
    """The accounts page's credential check (``WeComPlugin.check_account``): a token for every configured secret;
    ok when none fails, the message names each failing secret with WeCom's error code and text."""
    agent_id = (account.config or {}).get("agent_id")
    creds = WeComCredentials(corp_id=account.external_id, agent_id=int(agent_id) if agent_id is not None else None,
                             **{name: str(credentials.get(name) or "")
                                for name in (*SECRET_FIELDS.values(), *CALLBACK_FIELDS)})
    results = {kind: {**result, "label": KIND_LABELS[kind]}
               for kind, result in token_results(platform, account, creds).items()}
    failures = [f"{kind}: {r['errcode'] if r['errcode'] is not None else ''} {r['errmsg']}".replace("  ", " ").strip()
                for kind, r in results.items() if not r["ok"] and not r["missing"]]
    return CheckResult(not failures, "; ".join(failures), results)
