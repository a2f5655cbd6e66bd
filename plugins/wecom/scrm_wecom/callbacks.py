"""WeCom callbacks behind the host gateway ``/callbacks/wecom/<account_id>``.

* ``GET ?msg_signature=&timestamp=&nonce=&echostr=``: URL verification; answers the decrypted echostr as plain text.
* ``POST`` (same query, XML body with ``<Encrypt>``): verify, decrypt, check the receive id against the account's
  CorpId, store the plaintext as an ``InboundCallback`` under its dedupe key and enqueue its processing through
  the platform's callback inbox (group commits with the callbacks arriving together, ``scrm.core.inbox``), then
  answer ``success``. A friend add carrying a ``WelcomeCode`` also enqueues its welcome at once (the welcome fast
  path, ``welcome.dispatch``). A replayed duplicate is answered ``success``, stores and enqueues nothing.

Bad signature or wrong corp id → 403; missing parameters, malformed XML or an undecryptable body → 400; nothing is
stored in those cases.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from flask import Response
from sqlmodel import Session

from scrm.sdk import ChannelAccount, Inbound
from scrm.sdk.wechat import (
    ValidateReceiveIdError,
    ValidateSignatureError,
    WeChatCrypto,
    WeChatCryptoError,
    parse_xml,
)

from .accounts import PLUGIN, credentials_of
from .events import dedupe_key
from .welcome.dispatch import callback_welcome_kwargs

MAX_BODY = 256 * 1024
SUCCESS = "success"


def _text(body: str, status: int) -> Response:
    return Response(body, status=status, mimetype="text/plain")


CRYPTO_CACHE_SIZE = 256
_cryptos: dict[tuple, WeChatCrypto | None] = {}
_cryptos_lock = threading.Lock()


def _crypto(platform: Any, account: ChannelAccount) -> WeChatCrypto | None:
    """The account's callback crypto, built once per version of its credentials.

    The key holds the stored ciphertext of the secrets (re-encrypted with a fresh IV on every save, so any edit of
    the token or EncodingAESKey is a new key) and the corp id: callbacks skip decrypting the secrets per request,
    and a changed or removed secret applies to the next callback. ``WeChatCrypto`` is immutable and thread-safe."""
    key = (platform.secrets, account.id, account.external_id, account.credentials)
    try:
        return _cryptos[key]
    except KeyError:
        pass
    crypto = _build_crypto(platform, account)
    with _cryptos_lock:
        while len(_cryptos) >= CRYPTO_CACHE_SIZE:
            _cryptos.pop(next(iter(_cryptos)))
        _cryptos[key] = crypto
    return crypto


def _build_crypto(platform: Any, account: ChannelAccount) -> WeChatCrypto | None:
    creds = credentials_of(platform.secrets, account)
    if not creds.callback_token or not creds.encoding_aes_key:
        return None
    try:
        return WeChatCrypto(creds.callback_token, creds.encoding_aes_key, creds.corp_id)
    except WeChatCryptoError:
        return None


def _refusal(exc: WeChatCryptoError) -> Response:
    if isinstance(exc, ValidateSignatureError | ValidateReceiveIdError):
        return _text("forbidden", 403)
    return _text("bad request", 400)


def handle_callback(platform: Any, account: ChannelAccount, request: Any, session: Session) -> Response:
    """The gateway's entry point for one WeCom callback request (see the module docstring)."""
    crypto = _crypto(platform, account)
    if crypto is None:
        return _text("callbacks are not configured for this account", 403)
    args = request.args
    signature, timestamp, nonce = args.get("msg_signature"), args.get("timestamp"), args.get("nonce")
    if not signature or not timestamp or not nonce:
        return _text("missing msg_signature, timestamp or nonce", 400)
    if request.method == "GET":
        echostr = args.get("echostr")
        if not echostr:
            return _text("missing echostr", 400)
        try:
            return _text(crypto.verify_url(signature, timestamp, nonce, echostr), 200)
        except WeChatCryptoError as exc:
            return _refusal(exc)
    body = request.get_data(cache=False)
    if not body or len(body) > MAX_BODY:
        return _text("bad request", 400)
    try:
        plaintext = crypto.decrypt_xml(signature, timestamp, nonce, body)
        message = parse_xml(plaintext)
    except WeChatCryptoError as exc:
        return _refusal(exc)
    return _store_and_enqueue(platform, account, plaintext, message)


def _store_and_enqueue(platform: Any, account: ChannelAccount, plaintext: str, message: dict) -> Response:
    from .jobs import process_callbacks

    platform.inbox.store(Inbound(account.tenant_id, account.id, PLUGIN, dedupe_key(message, plaintext), plaintext,
                                 process=process_callbacks,
                                 batched=functools.partial(callback_batched, account.id, message)))
    return _text(SUCCESS, 200)  # stored now, or a retry of a callback stored before: harmless either way


def callback_batched(account_id: int, message: dict, inbound_id: int) -> list[tuple[Any, dict]]:
    """The work of a newly stored callback besides its processing: for a friend add with a welcome code, its
    welcome (the code lives 20 s: it cannot wait for the processing; ``send_welcomes`` has the higher priority, so
    the batch enqueues it first)."""
    from .welcome.dispatch import send_welcomes

    kwargs = callback_welcome_kwargs(account_id, message)
    return [(send_welcomes, kwargs)] if kwargs is not None else []
