"""The JS-SDK of the WeCom client for the chat sidebar: tickets and signatures (``wx.config`` / ``wx.agentConfig``).

``wx.config`` is signed with the corp's jsapi_ticket (``get_jsapi_ticket``), ``wx.agentConfig`` (needed for
``sendChatMessage`` and ``getCurExternalContact``) with the app's (``ticket/get?type=agent_config``); both with the
agent secret's token. Tickets live 7200 s; they are cached in the platform's cache per account until 5 minutes before
expiry (WeCom limits how often they may be fetched). The signature is the SHA-1 of
``jsapi_ticket=…&noncestr=…&timestamp=…&url=…`` with the page's URL without its ``#`` fragment.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from ..accounts import SecretKind

CORP, AGENT = "jsapi", "agent_config"
MARGIN = 300


def signature(ticket: str, noncestr: str, timestamp: int | str, url: str) -> str:
    """The JS-SDK signature of ``url`` (its fragment dropped)."""
    plain = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url.split('#', 1)[0]}"
    return hashlib.sha1(plain.encode("utf-8")).hexdigest()


def fetch_ticket(client: Any, kind: str) -> tuple[str, int]:
    """A fresh ticket of ``kind`` from WeCom: ``(ticket, expires_in)``."""
    if kind == CORP:
        data = client.call(SecretKind.AGENT, "GET", "/cgi-bin/get_jsapi_ticket")
    else:
        data = client.call(SecretKind.AGENT, "GET", "/cgi-bin/ticket/get", params={"type": "agent_config"})
    return str(data["ticket"]), int(data.get("expires_in") or 7200)


def ticket(cache: Any, client: Any, kind: str) -> str:
    """The cached ticket of ``kind`` for the client's account, fetched when missing."""
    key = f"wecom:jsapi_ticket:{client.account_id}:{kind}"
    held = cache.get(key)
    if held:
        return held
    value, expires_in = fetch_ticket(client, kind)
    cache.set(key, value, ttl=max(60, expires_in - MARGIN))
    return value


def config(cache: Any, client: Any, corp_id: str, agent_id: int | None, url: str) -> dict[str, Any]:
    """What the page passes to ``wx.config`` and ``wx.agentConfig`` for ``url``."""
    timestamp, nonce = int(time.time()), secrets.token_hex(8)
    return {"corpid": corp_id, "agentid": agent_id, "timestamp": timestamp, "nonceStr": nonce,
            "signature": signature(ticket(cache, client, CORP), nonce, timestamp, url),
            "agentSignature": signature(ticket(cache, client, AGENT), nonce, timestamp, url)}
