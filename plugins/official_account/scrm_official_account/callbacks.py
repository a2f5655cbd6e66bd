"""Official-account callbacks behind the host gateway ``/callbacks/official_account/<account_id>`` (protocols.md §1).

* ``GET ?signature=&timestamp=&nonce=&echostr=``: URL verification the official-account way, in **every** mode: the
  plain signature ``sha1(sorted(token, timestamp, nonce))`` is checked and the echostr is answered **unchanged**
  (WeCom instead signs and encrypts the echostr and wants it decrypted: ``msg_signature`` over four values).
* ``POST`` in safe or compatible mode (``encrypt_type=aes&msg_signature=``): the plain ``signature`` and the
  ``msg_signature`` over ``<Encrypt>`` are both checked, the message decrypted and its trailing AppID compared with
  the account's (``-40005``); the plaintext fields of compatible mode are ignored (only what was signed counts).
* ``POST`` in plain mode (only for an account configured ``plain``): the plain signature, then the body. A plaintext
  POST to a compatible / safe account is refused, and ``ToUserName`` must be the account's original id when set.

Then: the typed event (:func:`.events.parse_inbound`) is handed to the passive-reply dispatcher (:mod:`.replies`):
first the handlers' in-memory forms on the request's thread, then, when one needs the database, the remaining
handlers on a reply thread for at most ``REPLY_BUDGET`` seconds, and the callback is stored in the platform's inbox under its dedupe key
(``MsgId``, or ``FromUserName`` + ``CreateTime`` for events) with its processing job. A new callback with a reply
gets the reply (encrypted in safe / compatible mode); a duplicate (WeChat's retry or a replay) or one without a reply
gets ``success``; nothing is stored twice.

Stored body: the plaintext XML, followed — when a passive reply was answered — by ``\\x1e`` and the reply as JSON
(``\\x1e`` cannot occur in XML 1.0); :func:`split_body` reads it back.

Bad signature, stale timestamp or wrong AppID → 403; missing parameters, malformed XML or an undecryptable body →
400; nothing is stored in those cases.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from flask import Response
from sqlmodel import Session

from scrm.sdk import ChannelAccount, Inbound
from scrm.sdk.wechat import (
    ParseXmlError,
    ValidateReceiveIdError,
    ValidateSignatureError,
    WeChatCrypto,
    WeChatCryptoError,
    check_signature,
    parse_xml,
)

from .accounts import PLUGIN, MessageMode, credentials_of
from .events import InboundEvent, dedupe_key, parse_inbound
from .replies import (
    REPLY_BUDGET,
    Reply,
    ReplyContext,
    compute_reply,
    executor,
    handlers_for,
    reply_from_memory,
)

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
SUCCESS = "success"
REPLY_SEPARATOR = "\x1e"


def _text(body: str, status: int) -> Response:
    return Response(body, status=status, mimetype="text/plain")


@dataclass(frozen=True)
class CallbackKeys:
    """What verifying one account's callbacks needs (never logged)."""

    token: str
    mode: MessageMode
    appid: str
    original_id: str
    crypto: WeChatCrypto | None

    def __repr__(self) -> str:
        return f"CallbackKeys(appid={self.appid!r}, mode={self.mode.value!r})"


CACHE_SIZE = 256
_keys: dict[tuple, CallbackKeys | None] = {}
_keys_lock = threading.Lock()


def callback_keys(platform: Any, account: ChannelAccount) -> CallbackKeys | None:
    """The account's callback keys, built once per version of its settings (the key holds the stored ciphertext of
    the secrets, re-encrypted on every save, and the config), so an edit applies to the next callback."""
    config = account.config or {}
    key = (platform.secrets, account.id, account.external_id, account.credentials, config.get("message_mode"),
           config.get("original_id"))
    try:
        return _keys[key]
    except KeyError:
        pass
    creds = credentials_of(platform.secrets, account)
    keys: CallbackKeys | None = None
    if creds.token:
        crypto = None
        if creds.encoding_aes_key:
            try:
                crypto = WeChatCrypto(creds.token, creds.encoding_aes_key, creds.appid)
            except WeChatCryptoError:
                crypto = None
        keys = CallbackKeys(creds.token, creds.mode, creds.appid, str(config.get("original_id") or ""), crypto)
    with _keys_lock:
        while len(_keys) >= CACHE_SIZE:
            _keys.pop(next(iter(_keys)))
        _keys[key] = keys
    return keys


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(reason)


def verify_and_decrypt(keys: CallbackKeys, args: Any, body: bytes) -> str:
    """The plaintext XML of a callback POST, or :class:`Refused` (see the module docstring)."""
    signature, timestamp, nonce = args.get("signature"), args.get("timestamp"), args.get("nonce")
    if not signature or not timestamp or not nonce:
        raise Refused(400, "missing signature, timestamp or nonce")
    if not check_signature(keys.token, timestamp, nonce, signature):
        raise Refused(403, "forbidden")
    if (args.get("encrypt_type") or "").lower() == "aes":
        if keys.crypto is None:
            raise Refused(403, "no EncodingAESKey configured for this account")
        msg_signature = args.get("msg_signature")
        if not msg_signature:
            raise Refused(400, "missing msg_signature")
        try:
            return keys.crypto.decrypt_xml(msg_signature, timestamp, nonce, body)
        except (ValidateSignatureError, ValidateReceiveIdError) as exc:
            raise Refused(403, "forbidden") from exc
        except WeChatCryptoError as exc:
            raise Refused(400, "bad request") from exc
    if keys.mode is not MessageMode.PLAIN:
        raise Refused(403, "this account receives encrypted messages only")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(400, "bad request") from exc


def split_body(body: str) -> tuple[str, Reply | None]:
    """A stored callback body: the plaintext XML and the passive reply answered with it, if any."""
    xml, _sep, reply = body.partition(REPLY_SEPARATOR)
    return xml, (Reply.from_json(json.loads(reply)) if reply else None)


def handle_callback(platform: Any, account: ChannelAccount, request: Any, session: Session) -> Response:
    """The gateway's entry point for one official-account callback request (see the module docstring)."""
    keys = callback_keys(platform, account)
    if keys is None:
        return _text("callbacks are not configured for this account", 403)
    args = request.args
    if request.method == "GET":
        signature, timestamp, nonce = args.get("signature"), args.get("timestamp"), args.get("nonce")
        echostr = args.get("echostr")
        if not signature or not timestamp or not nonce or echostr is None:
            return _text("missing signature, timestamp, nonce or echostr", 400)
        if not check_signature(keys.token, timestamp, nonce, signature):
            return _text("forbidden", 403)
        return _text(echostr, 200)
    body = request.get_data(cache=False)
    if not body or len(body) > MAX_BODY:
        return _text("bad request", 400)
    try:
        plaintext = verify_and_decrypt(keys, args, body)
        message = parse_xml(plaintext)
    except Refused as exc:
        return _text(exc.reason, exc.status)
    except (ParseXmlError, WeChatCryptoError):
        return _text("bad request", 400)
    to_user = message.get("ToUserName")
    if keys.original_id and isinstance(to_user, str) and to_user.strip() not in (keys.original_id, keys.appid):
        return _text("forbidden", 403)  # a message of another account (its original id) signed with this token
    event = parse_inbound(message)
    return _answer(platform, account, keys, args, plaintext, message, event)


def _answer(platform: Any, account: ChannelAccount, keys: CallbackKeys, args: Any, plaintext: str,
            message: dict, event: InboundEvent) -> Response:
    from .jobs import process_callbacks

    started = time.monotonic()
    reply, late, rest = None, None, None
    if event.openid and handlers_for(event.type):  # first what the handlers know without I/O, on this thread
        reply, rest = reply_from_memory(ReplyContext(account.tenant_id, account, event, None))
    if rest is not None:  # a handler needs the database: the rest on a reply thread, within the budget
        future = executor().submit(_compute, platform, account, event, rest)
        try:
            reply = future.result(timeout=max(0.0, REPLY_BUDGET - (time.monotonic() - started)))
        except FutureTimeout:
            late = future
        except Exception:
            log.exception("official account reply failed")
    body = plaintext if reply is None else plaintext + REPLY_SEPARATOR + json.dumps(reply.to_json(),
                                                                                      ensure_ascii=False)
    stored = platform.inbox.store(Inbound(account.tenant_id, account.id, PLUGIN, dedupe_key(message, plaintext), body,
                                          process=process_callbacks))
    if stored.duplicate:
        return _text(SUCCESS, 200)  # a retry or a replay: answered (or being answered) by the first delivery
    if late is not None:
        late.add_done_callback(lambda done: _send_late(platform, account, event, stored.inbound_id, done))
    if reply is None:
        return _text(SUCCESS, 200)
    xml = reply.to_xml(event.openid, keys.original_id or str(message.get("ToUserName") or keys.appid))
    if (args.get("encrypt_type") or "").lower() == "aes" and keys.crypto is not None:
        timestamp = str(int(time.time()))
        nonce = str(secrets.randbelow(10**9))
        xml = keys.crypto.build_reply(xml, timestamp, nonce)
    return Response(xml, status=200, mimetype="application/xml")


def _compute(platform: Any, account: ChannelAccount, event: InboundEvent, start: int = 0) -> Reply | None:
    with Session(platform.engine) as session:
        return compute_reply(ReplyContext(account.tenant_id, account, event, session), start)


def _send_late(platform: Any, account: ChannelAccount, event: InboundEvent, inbound_id: int | None,
               future: Any) -> None:
    """A reply computed after the budget: a customer-service message through the channel kit (one per callback)."""
    try:
        reply = future.result()
    except Exception:
        return
    if reply is None:
        return
    from .messages.service import send_reply

    try:
        with Session(platform.engine) as session:
            send_reply(session, account.tenant_id, account.id, event.openid, reply,
                       idempotency_key=f"oa_late_reply:{account.id}:{inbound_id}", purpose="auto_reply",
                       source=f"late:{reply.source}", check_window=False)
            session.commit()
    except Exception:
        log.exception("official account late reply was not sent")

