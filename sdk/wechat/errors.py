"""Exceptions of the WeChat-family helpers.

Two families:

* :class:`WeChatCryptoError` and one subclass per official ``WXBizMsgCrypt`` error code (-40001 .. -40011). The
  code is available as ``exc.code`` (an ``int``, identical to the code the official samples return), so a caller can
  log or map it without a lookup table. Every failure of callback verification, decryption, encryption and envelope
  parsing raises exactly one of these subclasses; catching :class:`WeChatCryptoError` catches all of them.
* :class:`WeChatAPIError` for an ``{"errcode": <non-zero>, "errmsg": ...}`` answer of a WeChat / WeCom HTTP API.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "CRYPTO_ERRORS_BY_CODE",
    "ComputeSignatureError",
    "DecodeBase64Error",
    "DecryptAESError",
    "EncodeBase64Error",
    "EncryptAESError",
    "ExpiredTimestampError",
    "GenReturnXmlError",
    "IllegalAesKeyError",
    "IllegalBufferError",
    "ParseXmlError",
    "ValidateReceiveIdError",
    "ValidateSignatureError",
    "WeChatAPIError",
    "WeChatCryptoError",
]


class WeChatCryptoError(Exception):
    """Base class of the callback-crypto errors.

    Contract: ``code`` is the official negative error code (``int``) and ``message`` a human-readable reason
    (never containing key material). Subclasses fix ``code`` through the class attribute ``default_code``; the base
    class may be raised directly only with an explicit ``code``.
    """

    default_code: ClassVar[int | None] = None
    default_message: ClassVar[str] = "WeChat message crypto error"

    def __init__(self, message: str | None = None, code: int | None = None) -> None:
        resolved = code if code is not None else type(self).default_code
        if resolved is None:
            raise TypeError("WeChatCryptoError needs an explicit code; raise a subclass instead")
        self.code: int = int(resolved)
        self.message: str = message or type(self).default_message
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.message} (code {self.code})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(message={self.message!r}, code={self.code})"


class ValidateSignatureError(WeChatCryptoError):
    """The ``msg_signature`` (or plain ``signature``) does not match the request (-40001)."""

    default_code = -40001
    default_message = "signature validation failed"


class ExpiredTimestampError(ValidateSignatureError):
    """The request's signed ``timestamp`` is outside the accepted window (a replayed or badly delayed callback, see
    :mod:`scrm.sdk.wechat.freshness`). A signature refusal: code -40001, caught with :class:`ValidateSignatureError`.
    """

    default_message = "timestamp outside the accepted window"


class ParseXmlError(WeChatCryptoError):
    """The XML body is malformed, forbidden (DOCTYPE/ENTITY) or lacks the expected element (-40002)."""

    default_code = -40002
    default_message = "XML parsing failed"


class ComputeSignatureError(WeChatCryptoError):
    """The signature could not be computed, e.g. an argument was not text (-40003)."""

    default_code = -40003
    default_message = "signature computation failed"


class IllegalAesKeyError(WeChatCryptoError):
    """The EncodingAESKey is not 43 alphanumeric characters decoding to a 32-byte AES key (-40004)."""

    default_code = -40004
    default_message = "illegal EncodingAESKey"


class ValidateReceiveIdError(WeChatCryptoError):
    """The receive id inside the decrypted buffer is not the configured appid/corpid/suite id (-40005).

    The official samples call it ``ValidateAppid_Error`` (Official Account) / ``ValidateCorpid_Error`` (WeCom).
    """

    default_code = -40005
    default_message = "receive id (appid/corpid) validation failed"


class EncryptAESError(WeChatCryptoError):
    """AES encryption failed (-40006)."""

    default_code = -40006
    default_message = "AES encryption failed"


class DecryptAESError(WeChatCryptoError):
    """AES decryption failed, e.g. the ciphertext is empty or not a whole number of AES blocks (-40007)."""

    default_code = -40007
    default_message = "AES decryption failed"


class IllegalBufferError(WeChatCryptoError):
    """The decrypted buffer is invalid: bad PKCS#7 padding, truncated header, bad length or non-UTF-8 (-40008)."""

    default_code = -40008
    default_message = "illegal decrypted buffer"


class EncodeBase64Error(WeChatCryptoError):
    """Base64 encoding of the ciphertext failed (-40009)."""

    default_code = -40009
    default_message = "base64 encoding failed"


class DecodeBase64Error(WeChatCryptoError):
    """The ``Encrypt`` / ``echostr`` value is not valid standard base64 (-40010)."""

    default_code = -40010
    default_message = "base64 decoding failed"


class GenReturnXmlError(WeChatCryptoError):
    """The encrypted reply envelope could not be generated, e.g. an unsafe nonce/timestamp (-40011)."""

    default_code = -40011
    default_message = "reply XML generation failed"


def _index_by_code(*classes: type[WeChatCryptoError]) -> dict[int, type[WeChatCryptoError]]:
    table: dict[int, type[WeChatCryptoError]] = {}
    for cls in classes:
        if cls.default_code is None:  # pragma: no cover - guards the table below
            raise TypeError(f"{cls.__name__} has no default_code")
        table[cls.default_code] = cls
    return table


CRYPTO_ERRORS_BY_CODE: dict[int, type[WeChatCryptoError]] = _index_by_code(
    ValidateSignatureError,
    ParseXmlError,
    ComputeSignatureError,
    IllegalAesKeyError,
    ValidateReceiveIdError,
    EncryptAESError,
    DecryptAESError,
    IllegalBufferError,
    EncodeBase64Error,
    DecodeBase64Error,
    GenReturnXmlError,
)
"""Official code -> exception class, e.g. ``CRYPTO_ERRORS_BY_CODE[-40001] is ValidateSignatureError``."""


class WeChatAPIError(Exception):
    """A WeChat / WeCom HTTP API answered with a non-zero ``errcode``.

    Contract: ``errcode`` (``int``) and ``errmsg`` (``str``) are copied from the response body; ``response`` keeps the
    whole decoded body when the caller passes it (``None`` otherwise). Channel clients decide on retries (e.g. token
    refresh on 40014/42001) from ``errcode``; this class carries no policy.
    """

    def __init__(self, errcode: int, errmsg: str = "", *, response: dict[str, Any] | None = None) -> None:
        self.errcode: int = int(errcode)
        self.errmsg: str = errmsg or ""
        self.response: dict[str, Any] | None = response
        super().__init__(self.errcode, self.errmsg)

    def __str__(self) -> str:
        return f"WeChat API error {self.errcode}: {self.errmsg}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(errcode={self.errcode}, errmsg={self.errmsg!r})"
