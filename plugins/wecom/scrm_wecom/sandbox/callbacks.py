"""Firing correctly encrypted WeCom callbacks at a platform, as WeCom's servers do.

``fire_callback`` POSTs ``<xml><ToUserName/><Encrypt/><AgentID/></xml>`` with ``msg_signature``, ``timestamp`` and
``nonce`` in the query, the plaintext encrypted with the account's Token and EncodingAESKey and the corp id as the
receive id; ``verify_url`` sends the GET URL verification with an encrypted ``echostr``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from scrm.sdk.wechat import WeChatCrypto, build_xml


@dataclass(frozen=True)
class CallbackTarget:
    """What WeCom knows of a callback receiver: the corp id and the Token / EncodingAESKey pasted in its console."""

    corp_id: str
    token: str
    encoding_aes_key: str

    @classmethod
    def of(cls, account: CallbackTarget | Mapping[str, Any]) -> CallbackTarget:
        if isinstance(account, CallbackTarget):
            return account
        return cls(str(account["corp_id"]), str(account["token"]), str(account["encoding_aes_key"]))


def event_xml(corp_id: str, event: str, change_type: str | None = None, *, create_time: int | None = None,
              **fields: Any) -> str:
    """A plaintext event as WeCom sends it (``ToUserName`` the corp, ``FromUserName`` ``sys``); ``fields`` in
    WeCom's names (``UserID``, ``ExternalUserID``, ``State``, ``WelcomeCode``, ``ChatId``, ``Id``, ...)."""
    data: dict[str, Any] = {"ToUserName": corp_id, "FromUserName": "sys",
                            "CreateTime": int(create_time if create_time is not None else time.time()),
                            "MsgType": "event", "Event": event}
    if change_type is not None:
        data["ChangeType"] = change_type
    data.update({k: v for k, v in fields.items() if v is not None})
    return build_xml(data)


def _client(http: httpx.Client | None) -> httpx.Client:
    return http or httpx.Client(timeout=10.0)


def fire_callback(platform_url: str, account: CallbackTarget | Mapping[str, Any], xml: str, *,
                  http: httpx.Client | None = None, timestamp: int | None = None, nonce: str | None = None,
                  agent_id: int | None = None) -> httpx.Response:
    """Encrypt ``xml`` for ``account`` and POST it to ``platform_url`` (the account's callback URL); returns the
    platform's response. ``http`` may be any httpx client (e.g. one on a WSGI transport)."""
    target = CallbackTarget.of(account)
    crypto = WeChatCrypto(target.token, target.encoding_aes_key, target.corp_id)
    ts, nc = str(timestamp or int(time.time())), nonce or secrets.token_hex(5)
    encrypt, signature = crypto.encrypt_message(xml, ts, nc)
    envelope: dict[str, Any] = {"ToUserName": target.corp_id, "Encrypt": encrypt}
    if agent_id is not None:
        envelope["AgentID"] = agent_id
    client = _client(http)
    try:
        return client.post(platform_url, params={"msg_signature": signature, "timestamp": ts, "nonce": nc},
                           content=build_xml(envelope).encode("utf-8"), headers={"Content-Type": "text/xml"})
    finally:
        if http is None:
            client.close()


def verify_url(platform_url: str, account: CallbackTarget | Mapping[str, Any], echo: str | None = None, *,
               http: httpx.Client | None = None) -> tuple[str, httpx.Response]:
    """Send WeCom's URL verification GET; returns ``(the expected plaintext, the response)``."""
    target = CallbackTarget.of(account)
    crypto = WeChatCrypto(target.token, target.encoding_aes_key, target.corp_id)
    echo = echo or str(secrets.randbelow(10**19))
    ts, nc = str(int(time.time())), secrets.token_hex(5)
    echostr, signature = crypto.encrypt_message(echo, ts, nc)
    client = _client(http)
    try:
        response = client.get(platform_url, params={"msg_signature": signature, "timestamp": ts, "nonce": nc,
                                                    "echostr": echostr})
    finally:
        if http is None:
            client.close()
    return echo, response
