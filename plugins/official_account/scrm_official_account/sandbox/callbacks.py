"""Signed and encrypted official-account callbacks, as WeChat's servers send them (protocols.md §1.2).

* URL verification: ``GET ?signature=&timestamp=&nonce=&echostr=`` with the plain signature
  ``sha1(sorted(token, timestamp, nonce))`` in every mode; the platform answers the echostr unchanged.
* ``plain`` mode: ``POST ?signature=&timestamp=&nonce=&openid=`` with the plaintext XML body.
* ``compatible`` mode: the query also has ``encrypt_type=aes&msg_signature=``; the body holds the plaintext fields
  and ``<Encrypt>``.
* ``safe`` mode: same query; the body is ``<xml><ToUserName/><Encrypt/></xml>``.

:func:`callback_request` builds ``(query, body)``; :func:`push_callback` sends it with httpx and returns the response;
:func:`read_reply` decrypts a passive reply in safe / compatible mode.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from scrm.sdk.wechat import WeChatCrypto, build_xml, parse_xml


@dataclass(frozen=True)
class CallbackTarget:
    """What WeChat knows of a callback receiver: AppID, Token, EncodingAESKey and the message mode."""

    appid: str
    token: str
    encoding_aes_key: str = ""
    mode: str = "safe"

    @classmethod
    def of(cls, value: CallbackTarget | Mapping[str, Any] | Any) -> CallbackTarget:
        if isinstance(value, CallbackTarget):
            return value
        if isinstance(value, Mapping):
            return cls(str(value["appid"]), str(value["token"]), str(value.get("encoding_aes_key") or ""),
                       str(value.get("mode") or "safe"))
        return cls(value.appid, value.token, value.encoding_aes_key, value.mode)  # a sandbox Account


def plain_signature(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode("utf-8")).hexdigest()


def message_xml(appid_or_gh: str, openid: str, msg_type: str, *, create_time: int | None = None,
                **fields: Any) -> str:
    """A plaintext message or event as WeChat sends it (``ToUserName`` the account, ``FromUserName`` the fan);
    ``fields`` in WeChat's names (``Content``, ``MsgId``, ``Event``, ``EventKey``, ``Ticket``, ...)."""
    data: dict[str, Any] = {"ToUserName": appid_or_gh, "FromUserName": openid,
                            "CreateTime": int(create_time if create_time is not None else time.time()),
                            "MsgType": msg_type}
    data.update({k: v for k, v in fields.items() if v is not None})
    return build_xml(data)


def callback_request(target: CallbackTarget | Mapping[str, Any] | Any, xml: str, *, openid: str = "",
                     timestamp: int | None = None, nonce: str | None = None) -> tuple[dict[str, str], bytes]:
    """The query and body of one callback POST in the target's mode."""
    target = CallbackTarget.of(target)
    ts, nc = str(timestamp or int(time.time())), nonce or str(secrets.randbelow(10**9))
    query = {"signature": plain_signature(target.token, ts, nc), "timestamp": ts, "nonce": nc}
    if openid:
        query["openid"] = openid
    if target.mode == "plain":
        return query, xml.encode("utf-8")
    crypto = WeChatCrypto(target.token, target.encoding_aes_key, target.appid)
    encrypt, signature = crypto.encrypt_message(xml, ts, nc)
    query.update(encrypt_type="aes", msg_signature=signature)
    fields = parse_xml(xml)
    if target.mode == "compatible":
        body = build_xml({**fields, "Encrypt": encrypt})
    else:
        body = build_xml({"ToUserName": fields.get("ToUserName", ""), "Encrypt": encrypt})
    return query, body.encode("utf-8")


def verification_query(target: CallbackTarget | Mapping[str, Any] | Any, echostr: str | None = None, *,
                       timestamp: int | None = None, nonce: str | None = None) -> dict[str, str]:
    target = CallbackTarget.of(target)
    ts, nc = str(timestamp or int(time.time())), nonce or str(secrets.randbelow(10**9))
    return {"signature": plain_signature(target.token, ts, nc), "timestamp": ts, "nonce": nc,
            "echostr": echostr or str(secrets.randbelow(10**19))}


def push_callback(url: str, target: CallbackTarget | Mapping[str, Any] | Any, xml: str, *,
                  http: httpx.Client | None = None, **options: Any) -> httpx.Response:
    """POST ``xml`` to the platform's callback ``url`` as WeChat does in the target's mode."""
    fields = parse_xml(xml)
    query, body = callback_request(target, xml, openid=str(fields.get("FromUserName") or ""), **options)
    client = http or httpx.Client(timeout=10.0)
    try:
        return client.post(url, params=query, content=body, headers={"Content-Type": "text/xml"})
    finally:
        if http is None:
            client.close()


def verify_url(url: str, target: CallbackTarget | Mapping[str, Any] | Any, *, echostr: str | None = None,
               http: httpx.Client | None = None) -> httpx.Response:
    """The GET URL verification WeChat sends when the server address is saved."""
    client = http or httpx.Client(timeout=10.0)
    try:
        return client.get(url, params=verification_query(target, echostr))
    finally:
        if http is None:
            client.close()


def read_reply(target: CallbackTarget | Mapping[str, Any] | Any, body: str | bytes) -> dict[str, Any]:
    """The passive reply in a platform's answer, decrypted in compatible / safe mode (``{}`` for ``success``)."""
    target = CallbackTarget.of(target)
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    if not text.strip() or text.strip() == "success":
        return {}
    envelope = parse_xml(text)
    if target.mode == "plain" or "Encrypt" not in envelope:
        return envelope
    crypto = WeChatCrypto(target.token, target.encoding_aes_key, target.appid, max_age=None)
    plaintext = crypto.decrypt_message(str(envelope["MsgSignature"]), str(envelope["TimeStamp"]),
                                       str(envelope["Nonce"]), str(envelope["Encrypt"]))
    return parse_xml(plaintext)
