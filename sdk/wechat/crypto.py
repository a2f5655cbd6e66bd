"""Callback message crypto shared by the Official Account (MP) and WeCom (``WXBizMsgCrypt``).

Algorithm (identical for MP and WeCom; only the trailing receive id differs):

* ``AESKey = base64_decode(EncodingAESKey + "=")`` (32 bytes); AES-256-CBC with ``IV = AESKey[:16]``.
* Plaintext buffer: ``random(16 bytes) || msg_len (4 bytes, big-endian) || msg (UTF-8) || receive_id``, padded with
  PKCS#7 to a multiple of **32** bytes (pad 1..32, a whole extra block when already aligned).
* ``Encrypt = base64(ciphertext)``; ``msg_signature = sha1("".join(sorted([token, timestamp, nonce, Encrypt])))``.
* ``receive_id`` is the MP appid, the WeCom corpid (the suite id for third-party suites) or ``""`` for WeCom
  intelligent-robot callbacks. It is always checked after decryption.

Every failure raises the :mod:`scrm.sdk.wechat.errors` subclass carrying the official error code.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import struct
from typing import NamedTuple

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from scrm.sdk.wechat.errors import (
    ComputeSignatureError,
    DecodeBase64Error,
    DecryptAESError,
    EncodeBase64Error,
    EncryptAESError,
    ExpiredTimestampError,
    GenReturnXmlError,
    IllegalAesKeyError,
    IllegalBufferError,
    ParseXmlError,
    ValidateReceiveIdError,
    ValidateSignatureError,
)
from scrm.sdk.wechat.freshness import CONFIGURED, _Configured, check_timestamp
from scrm.sdk.wechat.xmlmsg import _parse_tree

__all__ = ["BLOCK_SIZE", "DecryptedPayload", "WeChatCrypto", "check_signature", "msg_signature"]

BLOCK_SIZE = 32
"""PKCS#7 block size used by WeChat (not the AES block size of 16)."""

_AES_KEY_RE = re.compile(r"[A-Za-z0-9]{43}\Z")
_HEADER = struct.Struct(">16sI")

REPLY_TEMPLATE = (
    "<xml>\n"
    "<Encrypt><![CDATA[{encrypt}]]></Encrypt>\n"
    "<MsgSignature><![CDATA[{signature}]]></MsgSignature>\n"
    "<TimeStamp>{timestamp}</TimeStamp>\n"
    "<Nonce><![CDATA[{nonce}]]></Nonce>\n"
    "</xml>"
)
"""The encrypted reply envelope, byte for byte as the official samples produce it."""


class DecryptedPayload(NamedTuple):
    """The fields of a decrypted buffer (see :meth:`WeChatCrypto.decrypt_payload`)."""

    random16: bytes
    message: str
    receive_id: str
    pad_len: int


def _text(value: object, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ComputeSignatureError(f"{name} must be text, not {type(value).__name__}")
    return str(value)


def _sha1_sorted(*parts: str) -> str:
    try:
        return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()
    except (UnicodeEncodeError, TypeError) as exc:
        raise ComputeSignatureError("signature input is not encodable text") from exc


def _same(expected: str, given: object) -> bool:
    """Constant-time comparison of a computed hex digest with an untrusted value."""
    if not isinstance(given, str):
        return False
    return hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("utf-8", "replace"))


def msg_signature(token: str, timestamp: str | int, nonce: str | int, encrypt: str) -> str:
    """Return the safe-mode ``msg_signature``: lowercase hex ``sha1`` of the 4 strings sorted and concatenated.

    ``timestamp`` and ``nonce`` may be ints (they are signed as their decimal text). Raises
    :class:`ComputeSignatureError` (-40003) when an argument is not text.
    """
    return _sha1_sorted(
        _text(token, "token"), _text(timestamp, "timestamp"), _text(nonce, "nonce"), _text(encrypt, "encrypt")
    )


def check_signature(token: str, timestamp: str | int, nonce: str | int, signature: str,
                    max_age: int | None | _Configured = CONFIGURED) -> bool:
    """Check the plain-mode ``signature`` of an MP request: ``sha1`` of token, timestamp, nonce sorted and joined.

    Used for the Official Account ``GET ?signature=&timestamp=&nonce=&echostr=`` check (the plaintext echostr is then
    returned unchanged) and for the plain ``signature`` on MP POSTs. Returns ``False`` (never raises) for a mismatch,
    for arguments that cannot be signed, and for a ``timestamp`` outside the freshness window (``max_age`` seconds,
    by default the configured one: see :mod:`scrm.sdk.wechat.freshness`); the comparison is constant-time.
    """
    try:
        expected = _sha1_sorted(_text(token, "token"), _text(timestamp, "timestamp"), _text(nonce, "nonce"))
    except ComputeSignatureError:
        return False
    if not _same(expected, signature):
        return False
    try:
        check_timestamp(timestamp, max_age)
    except ExpiredTimestampError:
        return False
    return True


def _random16(random16: bytes | str | None) -> bytes:
    if random16 is None:
        return os.urandom(8).hex().encode("ascii")  # 16 ASCII chars, like the official samples
    if isinstance(random16, str):
        raw = random16.encode("utf-8")
    elif isinstance(random16, bytes | bytearray | memoryview):
        raw = bytes(random16)
    else:
        raise TypeError(f"random16 must be bytes or str, not {type(random16).__name__}")
    if len(raw) != 16:
        raise ValueError(f"random16 must be exactly 16 bytes, got {len(raw)}")
    return raw


class WeChatCrypto:
    """Encrypt, decrypt and verify WeChat/WeCom callback messages for one (token, EncodingAESKey, receive id).

    Contract: instances are immutable and thread-safe. ``receive_id`` is the MP appid / WeCom corpid / suite id, or
    ``""`` for WeCom intelligent-robot callbacks; it is compared (constant-time) with the id found inside every
    decrypted buffer. The constructor raises :class:`IllegalAesKeyError` (-40004) unless ``encoding_aes_key`` is 43
    characters of ``[A-Za-z0-9]`` decoding to 32 bytes. ``max_age`` is the freshness window in seconds of the
    signed ``timestamp`` checked on every verification (default: ``SCRM_CALLBACK_MAX_AGE``, read at each check;
    ``None`` skips it, for replaying stored samples).
    """

    __slots__ = ("_key", "_max_age", "_receive_id", "_token")

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str,
                 max_age: int | None | _Configured = CONFIGURED) -> None:
        if not isinstance(token, str) or not isinstance(receive_id, str):
            raise TypeError("token and receive_id must be str")
        if not isinstance(encoding_aes_key, str) or not _AES_KEY_RE.match(encoding_aes_key):
            raise IllegalAesKeyError("EncodingAESKey must be 43 characters of [A-Za-z0-9]")
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except binascii.Error as exc:  # pragma: no cover - the regex above already guarantees valid base64
            raise IllegalAesKeyError("EncodingAESKey is not base64") from exc
        if len(key) != 32:  # pragma: no cover - 43 base64 chars always give 32 bytes
            raise IllegalAesKeyError("EncodingAESKey must decode to 32 bytes")
        self._token = token
        self._key = key
        self._receive_id = receive_id
        self._max_age = max_age

    def __repr__(self) -> str:  # never leak the token or key
        return f"WeChatCrypto(receive_id={self._receive_id!r})"

    @property
    def receive_id(self) -> str:
        """The configured appid / corpid / suite id (``""`` for WeCom robots)."""
        return self._receive_id

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def _verify(self, signature: str, timestamp: str | int, nonce: str | int, encrypt: str) -> None:
        expected = msg_signature(self._token, timestamp, nonce, encrypt)
        if not _same(expected, signature):
            raise ValidateSignatureError()

    def decrypt_payload(self, encrypt: str) -> DecryptedPayload:
        """Decrypt ``encrypt`` and split the buffer, **without** checking the signature or the receive id.

        Meant for diagnostics and tests (e.g. recovering the 16 random bytes); request handling must use
        :meth:`decrypt_message`, :meth:`decrypt_xml` or :meth:`verify_url`. Raises :class:`DecodeBase64Error`
        (-40010) for invalid base64, :class:`DecryptAESError` (-40007) for an empty ciphertext or one that is not a
        whole number of AES blocks, and :class:`IllegalBufferError` (-40008) for bad PKCS#7 padding (pad must be
        1..32 with all pad bytes equal), a buffer shorter than its 20-byte header, a length field pointing past the
        end, or a message / receive id that is not UTF-8.
        """
        if not isinstance(encrypt, str):
            raise DecodeBase64Error("encrypted value must be text")
        try:
            ciphertext = base64.b64decode(encrypt.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DecodeBase64Error() from exc
        if not ciphertext or len(ciphertext) % 16:
            raise DecryptAESError(f"ciphertext length {len(ciphertext)} is not a positive multiple of 16")
        try:
            decryptor = self._cipher().decryptor()
            buffer = decryptor.update(ciphertext) + decryptor.finalize()
        except Exception as exc:  # pragma: no cover - CBC without padding only fails on bad lengths (checked)
            raise DecryptAESError() from exc
        pad = buffer[-1]
        if not 1 <= pad <= BLOCK_SIZE or pad > len(buffer) or buffer[-pad:] != bytes([pad]) * pad:
            raise IllegalBufferError("invalid PKCS#7 padding")
        body = buffer[:-pad]
        if len(body) < _HEADER.size:
            raise IllegalBufferError("decrypted buffer shorter than its header")
        random16, msg_len = _HEADER.unpack_from(body)
        end = _HEADER.size + msg_len
        if end > len(body):
            raise IllegalBufferError("message length exceeds the decrypted buffer")
        try:
            message = body[_HEADER.size : end].decode("utf-8")
            receive_id = body[end:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise IllegalBufferError("decrypted message is not UTF-8") from exc
        return DecryptedPayload(random16, message, receive_id, pad)

    def decrypt_message(
        self, msg_signature: str, timestamp: str | int, nonce: str | int, encrypt: str
    ) -> str:
        """Verify ``msg_signature`` over ``encrypt`` first, then decrypt it and check the receive id.

        Returns the plaintext message (XML, JSON or the echostr text). Raises :class:`ValidateSignatureError`
        (-40001) on a signature mismatch, :class:`ExpiredTimestampError` (-40001 too) when ``timestamp`` is outside
        the freshness window (``max_age`` of the constructor, by default the configured one: see
        :mod:`scrm.sdk.wechat.freshness`), :class:`ComputeSignatureError` (-40003) when an argument is not text, the
        errors of :meth:`decrypt_payload`, and :class:`ValidateReceiveIdError` (-40005) when the embedded receive id is
        not the configured one.
        """
        self._verify(msg_signature, timestamp, nonce, encrypt)
        check_timestamp(timestamp, self._max_age)
        payload = self.decrypt_payload(encrypt)
        if not hmac.compare_digest(payload.receive_id.encode("utf-8"), self._receive_id.encode("utf-8")):
            raise ValidateReceiveIdError()
        return payload.message

    def verify_url(self, msg_signature: str, timestamp: str | int, nonce: str | int, echostr: str) -> str:
        """WeCom URL verification (``GET ?msg_signature=&timestamp=&nonce=&echostr=``): return the echostr plaintext.

        ``echostr`` must already be URL-decoded. A ``+`` that a form decoder turned into a space is restored before
        the signature check (base64 never contains spaces). The returned text is the exact response body. Raises
        like :meth:`decrypt_message`. (The Official Account plain-mode check is :func:`check_signature` instead.)
        """
        if isinstance(echostr, str):
            echostr = echostr.replace(" ", "+")
        return self.decrypt_message(msg_signature, timestamp, nonce, echostr)

    def decrypt_xml(
        self, msg_signature: str, timestamp: str | int, nonce: str | int, body: bytes | bytearray | str
    ) -> str:
        """Extract ``<Encrypt>`` from a POSTed XML body and :meth:`decrypt_message` it.

        The body is parsed without DTD support: any DOCTYPE/ENTITY declaration, malformed XML or a missing/empty
        ``<Encrypt>`` child of the root raises :class:`ParseXmlError` (-40002). Other elements of the envelope
        (``ToUserName``, ``AgentID``, the plaintext fields of MP "compatible mode") are ignored.
        """
        encrypt = _parse_tree(body).find_text("Encrypt")
        if not encrypt or not encrypt.strip():
            raise ParseXmlError("no <Encrypt> element in the XML body")
        return self.decrypt_message(msg_signature, timestamp, nonce, encrypt)

    def encrypt_message(
        self, plaintext: str, timestamp: str | int, nonce: str | int, random16: bytes | str | None = None
    ) -> tuple[str, str]:
        """Encrypt ``plaintext`` for a reply and sign it; return ``(encrypt, msg_signature)``.

        ``random16`` (16 bytes, or a str whose UTF-8 form is 16 bytes) fixes the random prefix for reproducible
        output; by default 16 ASCII characters are drawn from ``os.urandom``. Raises ``ValueError`` for a
        ``random16`` of the wrong size, ``TypeError`` for a non-text plaintext or ``random16``, :class:`EncryptAESError` (-40006) /
        :class:`EncodeBase64Error` (-40009) if the primitives fail, :class:`ComputeSignatureError` (-40003) for
        non-text timestamp/nonce.
        """
        if not isinstance(plaintext, str):
            raise TypeError(f"plaintext must be str, not {type(plaintext).__name__}")
        prefix = _random16(random16)
        message = plaintext.encode("utf-8")
        buffer = prefix + struct.pack(">I", len(message)) + message + self._receive_id.encode("utf-8")
        pad = BLOCK_SIZE - len(buffer) % BLOCK_SIZE
        buffer += bytes([pad]) * pad
        try:
            encryptor = self._cipher().encryptor()
            ciphertext = encryptor.update(buffer) + encryptor.finalize()
        except Exception as exc:  # pragma: no cover - defensive; CBC on whole blocks does not fail
            raise EncryptAESError() from exc
        try:
            encrypt = base64.b64encode(ciphertext).decode("ascii")
        except Exception as exc:  # pragma: no cover - defensive
            raise EncodeBase64Error() from exc
        return encrypt, msg_signature(self._token, timestamp, nonce, encrypt)

    def build_reply(
        self, plaintext: str, timestamp: str | int, nonce: str | int, random16: bytes | str | None = None
    ) -> str:
        """Encrypt ``plaintext`` and wrap it in the official reply envelope::

            <xml>
            <Encrypt><![CDATA[...]]></Encrypt>
            <MsgSignature><![CDATA[...]]></MsgSignature>
            <TimeStamp>...</TimeStamp>
            <Nonce><![CDATA[...]]></Nonce>
            </xml>

        (newline-separated, no trailing newline). Raises :class:`GenReturnXmlError` (-40011) when ``timestamp`` or
        ``nonce`` would break the envelope (``]]>``, ``<``, ``&``, ``>``), plus the errors of :meth:`encrypt_message`.
        """
        ts, nc = str(timestamp), str(nonce)
        if any(ch in ts for ch in "<>&") or "]]>" in nc:
            raise GenReturnXmlError("timestamp/nonce contain characters that break the reply XML")
        encrypt, signature = self.encrypt_message(plaintext, timestamp, nonce, random16)
        return REPLY_TEMPLATE.format(encrypt=encrypt, signature=signature, timestamp=ts, nonce=nc)
