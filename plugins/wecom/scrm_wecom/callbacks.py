"""WeCom callbacks behind the host gateway ``/callbacks/wecom/<account_id>``.

* ``GET ?msg_signature=&timestamp=&nonce=&echostr=``: URL verification; answers the decrypted echostr as plain text.
* ``POST`` (same query, XML body with ``<Encrypt>``): verify, decrypt, check the receive id against the account's
  CorpId, store the plaintext as an ``InboundCallback`` under its dedupe key, enqueue its processing and answer
  ``success`` at once. A friend add carrying a ``WelcomeCode`` also enqueues its welcome at once (the welcome fast
  path, ``welcome.dispatch``). A replayed duplicate is answered ``success``, stores and enqueues nothing.

Bad signature or wrong corp id → 403; missing parameters, malformed XML or an undecryptable body → 400; nothing is
stored in those cases.
"""

from __future__ import annotations

import functools
import logging
import threading
from datetime import datetime
from typing import Any

from flask import Response
from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from scrm.sdk import ChannelAccount, InboundCallback, utcnow
from scrm.sdk.wechat import (
    ValidateReceiveIdError,
    ValidateSignatureError,
    WeChatCrypto,
    WeChatCryptoError,
    parse_xml,
)

from .accounts import PLUGIN, credentials_of
from .events import dedupe_key
from .welcome.dispatch import enqueue_callback_welcome

log = logging.getLogger(__name__)

UPSERT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}

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
    return _store_and_enqueue(account, session, plaintext, message)


def _store_and_enqueue(account: ChannelAccount, session: Session, plaintext: str, message: dict) -> Response:
    tenant_id, account_id = account.tenant_id, account.id
    inbound_id = store_once(session, tenant_id, account_id, dedupe_key(message, plaintext), plaintext)
    if inbound_id is None:
        session.rollback()
        return _text(SUCCESS, 200)  # a retry of a callback already stored: harmless
    session.commit()  # the job must find the row, whichever worker takes it
    enqueue_callback_welcome(tenant_id, account_id, message)  # the welcome code lives 20 s: first, on its own queue
    enqueue_processing(tenant_id, inbound_id)
    return _text(SUCCESS, 200)


def store_once(session: Session, tenant_id: int, account_id: int, key: str, plaintext: str) -> int | None:
    """Insert the callback under its dedupe key in the session's transaction; its id, or None for a duplicate.

    One ``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` (PostgreSQL, SQLite): no savepoint, no second transaction,
    which keeps a callback at one database commit. On SQLite the gateway's read transaction is ended first: the
    insert must not upgrade a snapshot older than a concurrent commit (SQLite refuses that with "database is
    locked"); nothing is read between here and the insert."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.commit()
    values = {"tenant_id": tenant_id, "account_id": account_id, "plugin": PLUGIN, "dedupe_key": key,
              "body": plaintext, "created_at": utcnow()}
    if dialect in UPSERT_INSERTS:
        return session.connection().execute(_insert_once(dialect), values).scalar_one_or_none()
    inbound = InboundCallback(**values)
    try:
        with session.begin_nested():
            session.add(inbound)
            session.flush()
    except IntegrityError:
        return None
    return inbound.id


@functools.cache
def _insert_once(dialect: str) -> Any:
    """The insert of :func:`store_once`, built once per dialect on the table (callbacks are the hottest write: no
    statement construction, no ORM unit of work per request)."""
    table = InboundCallback.__table__
    columns = ("tenant_id", "account_id", "plugin", "dedupe_key", "body", "created_at")
    return UPSERT_INSERTS[dialect](table).values({name: bindparam(name) for name in columns}).on_conflict_do_nothing(
        index_elements=["account_id", "dedupe_key"]).returning(table.c.id)


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


def pending_callbacks(session: Session, tenant_id: int, limit: int = 500,
                      received_before: datetime | None = None) -> list[int]:
    """Ids of the tenant's stored WeCom callbacks not processed yet (stored before ``received_before`` when given),
    oldest first."""
    query = select(InboundCallback.id).where(
        InboundCallback.tenant_id == tenant_id, InboundCallback.plugin == PLUGIN,
        InboundCallback.processed_at.is_(None))
    if received_before is not None:
        query = query.where(InboundCallback.created_at < received_before)
    return list(session.exec(query.order_by(InboundCallback.id).limit(limit)))

