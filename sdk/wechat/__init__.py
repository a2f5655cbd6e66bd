"""WeChat-family protocol helpers (Official Account, WeCom, WeCom kf) for channel plugins.

* :class:`WeChatCrypto` — callback message crypto (``WXBizMsgCrypt``): verify + decrypt callbacks, WeCom URL
  verification, encrypt + sign replies.
* :func:`check_signature` (plain-mode MP signature) and :func:`msg_signature` (safe-mode signature).
* :func:`parse_xml` / :func:`build_xml` — plaintext XML messages, parsed without DTD support.
* :func:`check_timestamp` — the freshness window of a callback's signed ``timestamp`` (``SCRM_CALLBACK_MAX_AGE``,
  default 300 s), applied by both of the above.
* ``scrm.sdk.wechat.tokens`` — access-token stores (cache or database, single-flight refresh) a plugin binds to its
  own token table and cache-key prefix.
* ``scrm.sdk.wechat.transport`` — the API clients' shared transport (:class:`WeChatTransport`: pooled HTTP, JSON
  answers, bounded backoff on rate limits, one token refresh, multipart uploads); a plugin's client subclasses it
  with its own error sets and endpoints.
* :class:`WeChatCryptoError` and one subclass per official error code; :class:`WeChatAPIError` for API answers with
  a non-zero ``errcode``.
"""

from scrm.sdk.wechat.crypto import DecryptedPayload, WeChatCrypto, check_signature, msg_signature
from scrm.sdk.wechat.errors import (
    CRYPTO_ERRORS_BY_CODE,
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
    WeChatAPIError,
    WeChatCryptoError,
)
from scrm.sdk.wechat.freshness import check_timestamp
from scrm.sdk.wechat.xmlmsg import XmlValue, build_xml, parse_xml

__all__ = [
    "CRYPTO_ERRORS_BY_CODE",
    "ComputeSignatureError",
    "DecodeBase64Error",
    "DecryptAESError",
    "DecryptedPayload",
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
    "WeChatCrypto",
    "WeChatCryptoError",
    "XmlValue",
    "build_xml",
    "check_timestamp",
    "check_signature",
    "msg_signature",
    "parse_xml",
]
