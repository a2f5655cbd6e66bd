"""Callbacks from the provider behind the host gateway ``/callbacks/sample_sms/<account_id>``.

Verify the signature and decrypt (``scrm.sdk.wechat.WeChatCrypto``: the account's callback token and EncodingAESKey,
receive id = its sender id), store the plaintext through the platform's inbox under the report's or reply's id, and
answer ``success`` at once; ``jobs.process_callbacks`` does the rest. A bad signature answers 403, a body that does
not decrypt or parse 400; nothing is stored then. A repeated callback is answered ``success`` and stores nothing.
"""

from __future__ import annotations

import hashlib
import json

from flask import Response

from scrm.sdk import Inbound, account_credentials
from scrm.sdk.web import platform
from scrm.sdk.wechat import ValidateSignatureError, WeChatCrypto, WeChatCryptoError

PLUGIN = "sample_sms"
MAX_BODY = 64 * 1024


def _text(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


def dedupe_key(message: dict, plaintext: str) -> str:
    """The provider's id of the report or reply (a retried callback carries the same), else the body's hash."""
    ident = message.get("report_id") or message.get("reply_id")
    return f"{message.get('type')}:{ident}" if ident else "sha1:" + hashlib.sha1(plaintext.encode()).hexdigest()


def handle_callback(account, request) -> Response:
    """Verify, decrypt and store one callback of ``account``; the response for the provider."""
    from .jobs import process_callbacks

    plat = platform()
    secrets = account_credentials(plat.secrets, account)
    try:
        crypto = WeChatCrypto(secrets.get("callback_token") or "", secrets.get("encoding_aes_key") or "",
                              account.external_id)
    except WeChatCryptoError:
        return _text("account not configured", 404)
    args = request.args
    try:
        if request.method == "GET":  # URL verification when the provider is configured
            return _text(crypto.verify_url(args.get("msg_signature", ""), args.get("timestamp", ""),
                                           args.get("nonce", ""), args.get("echostr", "")))
        if (request.content_length or 0) > MAX_BODY:
            return _text("too large", 413)
        plaintext = crypto.decrypt_xml(args.get("msg_signature", ""), args.get("timestamp", ""),
                                       args.get("nonce", ""), request.get_data())
    except ValidateSignatureError:
        return _text("forbidden", 403)
    except WeChatCryptoError:
        return _text("bad request", 400)
    try:
        message = json.loads(plaintext)
    except ValueError:
        return _text("bad request", 400)
    if not isinstance(message, dict) or message.get("type") not in ("report", "reply"):
        return _text("bad request", 400)
    plat.inbox.store(Inbound(tenant_id=account.tenant_id, account_id=account.id, plugin=PLUGIN,
                             dedupe_key=dedupe_key(message, plaintext), body=plaintext, process=process_callbacks))
    return _text("success")
