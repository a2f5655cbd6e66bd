"""WeCom callbacks behind the host gateway ``/callbacks/wecom/<account_id>``.

* ``GET ?msg_signature=&timestamp=&nonce=&echostr=``: URL verification; answers the decrypted echostr as plain text.
* ``POST`` (same query, XML body with ``<Encrypt>``): verify, decrypt, check the receive id against the account's
  CorpId, store the plaintext as an ``InboundCallback`` under its dedupe key, enqueue its processing and answer
  ``success`` at once. A replayed duplicate is answered ``success`` and stored nothing.

Bad signature or wrong corp id → 403; missing parameters, malformed XML or an undecryptable body → 400; nothing is
stored in those cases.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from scrm.sdk import ChannelAccount, InboundCallback
from scrm.sdk.wechat import (
    ValidateReceiveIdError,
    ValidateSignatureError,
    WeChatCrypto,
    WeChatCryptoError,
    parse_xml,
)

from .accounts import PLUGIN, credentials_of
from .events import dedupe_key

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
SUCCESS = "success"


def _text(body: str, status: int) -> Response:
    return Response(body, status=status, mimetype="text/plain")


def _crypto(platform: Any, account: ChannelAccount) -> WeChatCrypto | None:
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
    return _store_and_enqueue(account, session, plaintext, message)


def _store_and_enqueue(account: ChannelAccount, session: Session, plaintext: str, message: dict) -> Response:
    key = dedupe_key(message, plaintext)
    tenant_id, account_id = account.tenant_id, account.id
    # End the gateway's read transaction first: the insert must not upgrade a snapshot older than a concurrent
    # commit (SQLite refuses that with "database is locked"); nothing is read between here and the insert.
    session.commit()
    inbound = InboundCallback(tenant_id=tenant_id, account_id=account_id, plugin=PLUGIN, dedupe_key=key,
                              body=plaintext)
    try:
        with session.begin_nested():
            session.add(inbound)
            session.flush()
    except IntegrityError:
        return _text(SUCCESS, 200)  # a retry of a callback already stored: harmless
    inbound_id = inbound.id
    session.commit()  # the job must find the row, whichever worker takes it
    enqueue_processing(tenant_id, inbound_id)
    return _text(SUCCESS, 200)


def enqueue_processing(tenant_id: int, inbound_id: int) -> bool:
    """Hand a stored callback to the job bus; False (logged) when the broker refused it: the row stays unprocessed
    and :func:`scrm_wecom.jobs.process_pending` picks it up later."""
    from .jobs import process_callback

    try:
        process_callback.send(tenant_id, inbound_id=inbound_id)
    except Exception as exc:
        log.warning("wecom callback %s stored but not enqueued: %s", inbound_id, exc)
        return False
    return True


def pending_callbacks(session: Session, tenant_id: int, limit: int = 500) -> list[int]:
    """Ids of the tenant's stored WeCom callbacks not processed yet, oldest first."""
    return list(session.exec(select(InboundCallback.id).where(
        InboundCallback.tenant_id == tenant_id, InboundCallback.plugin == PLUGIN,
        InboundCallback.processed_at.is_(None)).order_by(InboundCallback.id).limit(limit)))

