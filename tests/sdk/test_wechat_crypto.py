"""Tests of ``scrm.sdk.wechat.crypto`` against published vectors plus one-behaviour negative tests.

The vectors live in ``wechat_vectors.jsonl`` next to this file (one JSON object per line, ``source`` names where each
value was published). Each crypto vector is checked four ways: signature, decryption, the recovered random prefix /
padding, and byte-for-byte re-encryption.
"""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from scrm.sdk.wechat import (
    CRYPTO_ERRORS_BY_CODE,
    ComputeSignatureError,
    DecodeBase64Error,
    DecryptAESError,
    EncodeBase64Error,
    EncryptAESError,
    GenReturnXmlError,
    IllegalAesKeyError,
    IllegalBufferError,
    ParseXmlError,
    ValidateReceiveIdError,
    ValidateSignatureError,
    WeChatAPIError,
    WeChatCrypto,
    WeChatCryptoError,
    check_signature,
    msg_signature,
)

VECTORS: list[dict[str, Any]] = [
    json.loads(line)
    for line in (Path(__file__).with_name("wechat_vectors.jsonl")).read_text(encoding="utf-8").splitlines()
    if line.strip()
]
CRYPTO_VECTORS = [v for v in VECTORS if v["kind"] != "plain_signature"]
PLAIN_VECTORS = [v for v in VECTORS if v["kind"] == "plain_signature"]


@pytest.fixture(autouse=True)
def published_timestamps(monkeypatch):
    """The published vectors carry fixed timestamps from years ago: the crypto is tested here with the freshness
    window off (``SCRM_CALLBACK_MAX_AGE=0``); the window itself is tested in ``tests/test_security_callbacks.py``."""
    monkeypatch.setenv("SCRM_CALLBACK_MAX_AGE", "0")


def _ids(vectors: list[dict[str, Any]]) -> list[str]:
    return [v["name"] for v in vectors]


def _name(v: dict[str, Any]) -> str:
    return v["name"]


def _vector(name: str) -> dict[str, Any]:
    return next(v for v in VECTORS if v["name"] == name)


def _crypto(v: dict[str, Any], receive_id: str | None = None) -> WeChatCrypto:
    return WeChatCrypto(
        v["token"], v["encoding_aes_key"], v["receive_id"] if receive_id is None else receive_id
    )


def _raw_encrypt(v: dict[str, Any], buffer: bytes) -> str:
    """AES-256-CBC-encrypt an arbitrary (already block-aligned) buffer under the vector's key, base64 it."""
    key = base64.b64decode(v["encoding_aes_key"] + "=")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(buffer) + encryptor.finalize()).decode()


def _signed_decrypt(v: dict[str, Any], encrypt: str) -> str:
    """Decrypt ``encrypt`` with a valid signature, so the failure under test is the one after signature checking."""
    sig = msg_signature(v["token"], v["timestamp"], v["nonce"], encrypt)
    return _crypto(v).decrypt_message(sig, v["timestamp"], v["nonce"], encrypt)


def _pad32(buffer: bytes) -> bytes:
    pad = 32 - len(buffer) % 32
    return buffer + bytes([pad]) * pad


# --------------------------------------------------------------------------------------------- the vector file


def test_vector_file_has_the_required_coverage() -> None:
    names = {v["name"] for v in VECTORS}
    assert {"V1_wecom_official_verifyurl", "V6_mp_official_decrypt", "P1_mp_plain_signature"} <= names
    assert len(CRYPTO_VECTORS) >= 8
    assert all(v["source"] for v in VECTORS)
    # real traffic carries PKCS#7 pads longer than 16 bytes; a 16-byte unpadder would reject these
    assert any(v["expect_pad_len"] > 16 for v in CRYPTO_VECTORS)
    assert {v["expect_pad_len"] for v in CRYPTO_VECTORS} >= {1, 22, 30}


# ------------------------------------------------------------------------------------------ published vectors


@pytest.mark.parametrize("v", CRYPTO_VECTORS, ids=_ids(CRYPTO_VECTORS))
def test_vector_signature(v: dict[str, Any]) -> None:
    assert msg_signature(v["token"], v["timestamp"], v["nonce"], v["encrypt"]) == v["msg_signature"]


@pytest.mark.parametrize("v", CRYPTO_VECTORS, ids=_ids(CRYPTO_VECTORS))
def test_vector_decrypts_to_the_published_plaintext(v: dict[str, Any]) -> None:
    plaintext = _crypto(v).decrypt_message(v["msg_signature"], v["timestamp"], v["nonce"], v["encrypt"])
    assert plaintext == v["expect_plaintext"]


@pytest.mark.parametrize("v", CRYPTO_VECTORS, ids=_ids(CRYPTO_VECTORS))
def test_vector_payload_fields(v: dict[str, Any]) -> None:
    payload = _crypto(v).decrypt_payload(v["encrypt"])
    assert payload.random16 == v["expect_random16"].encode()
    assert payload.pad_len == v["expect_pad_len"]
    assert payload.receive_id == v["receive_id"]
    assert payload.message == v["expect_plaintext"]


@pytest.mark.parametrize("v", CRYPTO_VECTORS, ids=_ids(CRYPTO_VECTORS))
def test_vector_reencrypts_byte_for_byte(v: dict[str, Any]) -> None:
    crypto = _crypto(v)
    encrypt, sig = crypto.encrypt_message(
        v["expect_plaintext"], v["timestamp"], v["nonce"], v["expect_random16"]
    )
    if v["reencrypt_identical"]:
        assert (encrypt, sig) == (v["encrypt"], v["msg_signature"])
    else:
        # a third-party encoder that pads to 16: we still decrypt its output, but we always pad to 32
        assert encrypt != v["encrypt"]
        assert len(base64.b64decode(encrypt)) % 32 == 0
        assert crypto.decrypt_message(sig, v["timestamp"], v["nonce"], encrypt) == v["expect_plaintext"]


@pytest.mark.parametrize("v", [v for v in CRYPTO_VECTORS if v["kind"] == "echostr"], ids=_name)
def test_vector_verify_url(v: dict[str, Any]) -> None:
    assert (
        _crypto(v).verify_url(v["msg_signature"], v["timestamp"], v["nonce"], v["encrypt"])
        == v["expect_plaintext"]
    )


@pytest.mark.parametrize("v", [v for v in CRYPTO_VECTORS if "post_body" in v], ids=_name)
@pytest.mark.parametrize("as_bytes", [False, True])
def test_vector_decrypt_xml_post_body(v: dict[str, Any], as_bytes: bool) -> None:
    body: str | bytes = v["post_body"].encode() if as_bytes else v["post_body"]
    plaintext = _crypto(v).decrypt_xml(v["msg_signature"], v["timestamp"], v["nonce"], body)
    assert plaintext == v["expect_plaintext"]


@pytest.mark.parametrize("v", [v for v in CRYPTO_VECTORS if "expect_reply_xml" in v], ids=_name)
def test_vector_build_reply_matches_the_published_envelope(v: dict[str, Any]) -> None:
    reply = _crypto(v).build_reply(v["expect_plaintext"], v["timestamp"], v["nonce"], v["expect_random16"])
    assert reply == v["expect_reply_xml"]


@pytest.mark.parametrize("v", PLAIN_VECTORS, ids=_ids(PLAIN_VECTORS))
def test_plain_signature_vector(v: dict[str, Any]) -> None:
    assert check_signature(v["token"], v["timestamp"], v["nonce"], v["signature"])
    assert check_signature(v["token"], int(v["timestamp"]), v["nonce"], v["signature"])
    tampered = v["signature"][:-1] + ("e" if v["signature"][-1] != "e" else "f")
    assert not check_signature(v["token"], v["timestamp"], v["nonce"], tampered)


def test_plain_signature_rejects_unsignable_input_without_raising() -> None:
    v = PLAIN_VECTORS[0]
    assert not check_signature(v["token"], v["timestamp"], v["nonce"], None)  # type: ignore[arg-type]
    assert not check_signature(None, v["timestamp"], v["nonce"], v["signature"])  # type: ignore[arg-type]
    assert not check_signature(v["token"], v["timestamp"], v["nonce"], "")


# --------------------------------------------------------------------------------- negative tests, one each


def test_wrong_signature_raises_validate_signature() -> None:
    v = _vector("V2_wecom_official_decrypt")
    bad = v["msg_signature"][:-1] + ("0" if v["msg_signature"][-1] != "0" else "1")
    with pytest.raises(ValidateSignatureError) as info:
        _crypto(v).decrypt_message(bad, v["timestamp"], v["nonce"], v["encrypt"])
    assert info.value.code == -40001


def test_signature_of_other_timestamp_raises_validate_signature() -> None:
    v = _vector("V4_qy_legacy_decrypt")
    with pytest.raises(ValidateSignatureError):
        _crypto(v).decrypt_message(v["msg_signature"], str(int(v["timestamp"]) + 1), v["nonce"], v["encrypt"])


def test_wrong_receive_id_raises_validate_receive_id() -> None:
    v = _vector("V6_mp_official_decrypt")
    with pytest.raises(ValidateReceiveIdError) as info:
        _crypto(v, receive_id="wx0000000000000000").decrypt_message(
            v["msg_signature"], v["timestamp"], v["nonce"], v["encrypt"]
        )
    assert info.value.code == -40005


def test_robot_crypto_with_empty_receive_id_rejects_a_corp_message() -> None:
    v = _vector("V1_wecom_official_verifyurl")
    with pytest.raises(ValidateReceiveIdError):
        _crypto(v, receive_id="").verify_url(v["msg_signature"], v["timestamp"], v["nonce"], v["encrypt"])


@pytest.mark.parametrize(
    "key",
    [
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2",  # 42 characters
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2CD",  # 44 characters
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2=",  # padding character
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B-C",  # not [A-Za-z0-9]
        "",
    ],
)
def test_bad_key_raises_illegal_aes_key(key: str) -> None:
    with pytest.raises(IllegalAesKeyError) as info:
        WeChatCrypto("token", key, "wx5823bf96d3bd56c7")
    assert info.value.code == -40004


def test_corrupt_base64_raises_decode_base64() -> None:
    v = _vector("V4_qy_legacy_decrypt")
    with pytest.raises(DecodeBase64Error) as info:
        _signed_decrypt(v, v["encrypt"][:40] + "!" + v["encrypt"][41:])
    assert info.value.code == -40010


def test_truncated_base64_raises_decode_base64() -> None:
    v = _vector("V4_qy_legacy_decrypt")
    with pytest.raises(DecodeBase64Error):
        _signed_decrypt(v, v["encrypt"][:-3])


def test_ciphertext_not_a_whole_number_of_blocks_raises_decrypt_aes() -> None:
    v = _vector("V4_qy_legacy_decrypt")
    with pytest.raises(DecryptAESError) as info:
        _signed_decrypt(v, base64.b64encode(base64.b64decode(v["encrypt"])[:-8]).decode())
    assert info.value.code == -40007


def test_empty_ciphertext_raises_decrypt_aes() -> None:
    with pytest.raises(DecryptAESError):
        _signed_decrypt(_vector("V4_qy_legacy_decrypt"), "")


@pytest.mark.parametrize(
    "tail",
    [b"\x00", bytes([33]) * 33, bytes([5, 5, 9, 5, 5])],
    ids=["pad-zero", "pad-over-32", "pad-bytes-differ"],
)
def test_bad_padding_raises_illegal_buffer(tail: bytes) -> None:
    v = _vector("V4_qy_legacy_decrypt")
    body = b"0123456789abcdef" + struct.pack(">I", 5) + b"hello" + v["receive_id"].encode()
    buffer = body.ljust(96 - len(tail), b"z") + tail  # block-aligned, ends with the bad padding
    with pytest.raises(IllegalBufferError) as info:
        _signed_decrypt(v, _raw_encrypt(v, buffer))
    assert info.value.code == -40008


def test_length_field_past_the_end_raises_illegal_buffer() -> None:
    v = _vector("V4_qy_legacy_decrypt")
    buffer = _pad32(b"0123456789abcdef" + struct.pack(">I", 10_000) + b"hello" + v["receive_id"].encode())
    with pytest.raises(IllegalBufferError):
        _signed_decrypt(v, _raw_encrypt(v, buffer))


def test_buffer_shorter_than_header_raises_illegal_buffer() -> None:
    v = _vector("V4_qy_legacy_decrypt")
    with pytest.raises(IllegalBufferError):
        _signed_decrypt(v, _raw_encrypt(v, _pad32(b"0123456789")))


def test_non_utf8_message_raises_illegal_buffer() -> None:
    v = _vector("V4_qy_legacy_decrypt")
    buffer = _pad32(b"0123456789abcdef" + struct.pack(">I", 2) + b"\xff\xfe" + v["receive_id"].encode())
    with pytest.raises(IllegalBufferError):
        _signed_decrypt(v, _raw_encrypt(v, buffer))


def test_malformed_xml_body_raises_parse_xml() -> None:
    v = _vector("V4_qy_legacy_decrypt")
    with pytest.raises(ParseXmlError) as info:
        _crypto(v).decrypt_xml(v["msg_signature"], v["timestamp"], v["nonce"], v["post_body"][:-3])
    assert info.value.code == -40002


def test_xml_body_with_doctype_raises_parse_xml_even_if_encrypt_is_valid() -> None:
    v = _vector("V4_qy_legacy_decrypt")
    body = '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x "y">]>' + v["post_body"]
    with pytest.raises(ParseXmlError):
        _crypto(v).decrypt_xml(v["msg_signature"], v["timestamp"], v["nonce"], body)


def test_xml_body_without_encrypt_raises_parse_xml() -> None:
    v = _vector("V4_qy_legacy_decrypt")
    with pytest.raises(ParseXmlError):
        _crypto(v).decrypt_xml(
            v["msg_signature"], v["timestamp"], v["nonce"], "<xml><Encrypt></Encrypt></xml>"
        )


def test_echostr_whose_plus_became_a_space_still_verifies() -> None:
    v = _vector("V3_qy_legacy_verifyurl")
    mangled = v["encrypt"].replace("+", " ")
    assert mangled != v["encrypt"]
    assert (
        _crypto(v).verify_url(v["msg_signature"], v["timestamp"], v["nonce"], mangled)
        == v["expect_plaintext"]
    )


def test_decrypt_message_does_not_repair_spaces() -> None:
    v = _vector("V3_qy_legacy_verifyurl")
    with pytest.raises(ValidateSignatureError):
        _crypto(v).decrypt_message(
            v["msg_signature"], v["timestamp"], v["nonce"], v["encrypt"].replace("+", " ")
        )


def test_non_text_signature_input_raises_compute_signature() -> None:
    with pytest.raises(ComputeSignatureError) as info:
        msg_signature(None, "1", "2", "abc")  # type: ignore[arg-type]
    assert info.value.code == -40003


def test_reply_with_unsafe_nonce_raises_gen_return_xml() -> None:
    v = _vector("V11_wechatpy_work_encrypt_reply")
    with pytest.raises(GenReturnXmlError) as info:
        _crypto(v).build_reply("<xml/>", v["timestamp"], "1]]><x>")
    assert info.value.code == -40011


# ------------------------------------------------------------------------------------------------ round trips


def test_round_trip_chinese_text_with_random_prefix() -> None:
    crypto = WeChatCrypto("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7")
    text = "<xml><Content><![CDATA[你好，世界！测试一下中文的情况，消息长度是按字节来算的]]></Content></xml>"
    first = crypto.encrypt_message(text, "1409659813", "1372623149")
    second = crypto.encrypt_message(text, "1409659813", "1372623149")
    assert first != second  # fresh random prefix each time
    for encrypt, sig in (first, second):
        assert crypto.decrypt_message(sig, "1409659813", "1372623149", encrypt) == text
        prefix = crypto.decrypt_payload(encrypt).random16
        assert len(prefix) == 16 and prefix.isascii()


def test_round_trip_with_empty_receive_id_for_wecom_robot() -> None:
    robot = WeChatCrypto("robot-token", "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt", "")
    payload = '{"msgtype":"text","text":{"content":"机器人你好"}}'
    encrypt, sig = robot.encrypt_message(payload, 1700000000, "nonce")
    assert robot.decrypt_message(sig, "1700000000", "nonce", encrypt) == payload
    assert robot.decrypt_payload(encrypt).receive_id == ""
    corp = WeChatCrypto("robot-token", "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt", "ww1436e0e65a779aee")
    with pytest.raises(ValidateReceiveIdError):
        corp.decrypt_message(sig, "1700000000", "nonce", encrypt)


def test_every_pad_length_from_1_to_32_round_trips() -> None:
    crypto = WeChatCrypto("t", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2")
    seen = set()
    for size in range(40):
        encrypt, sig = crypto.encrypt_message("x" * size, "1", "2", b"R" * 16)
        payload = crypto.decrypt_payload(encrypt)
        seen.add(payload.pad_len)
        assert len(base64.b64decode(encrypt)) % 32 == 0
        assert crypto.decrypt_message(sig, "1", "2", encrypt) == "x" * size
    assert seen == set(range(1, 33))


def test_build_reply_round_trips_through_decrypt_xml() -> None:
    crypto = WeChatCrypto("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7")
    text = "<xml><Content><![CDATA[回复]]></Content></xml>"
    reply = crypto.build_reply(text, 1409659813, "1372623149")
    assert reply.startswith("<xml>\n<Encrypt><![CDATA[") and reply.endswith("]]></Nonce>\n</xml>")
    assert "<TimeStamp>1409659813</TimeStamp>" in reply
    sig = reply.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
    assert crypto.decrypt_xml(sig, "1409659813", "1372623149", reply) == text


def test_random16_accepts_str_or_bytes_and_checks_size() -> None:
    v = _vector("V7_mp_java_demo_encrypt_text")
    crypto = _crypto(v)
    as_str = crypto.encrypt_message(v["expect_plaintext"], v["timestamp"], v["nonce"], "aaaabbbbccccdddd")
    as_bytes = crypto.encrypt_message(v["expect_plaintext"], v["timestamp"], v["nonce"], b"aaaabbbbccccdddd")
    assert as_str == as_bytes == (v["encrypt"], v["msg_signature"])
    with pytest.raises(ValueError):
        crypto.encrypt_message("x", "1", "2", "too short")
    with pytest.raises(TypeError):
        crypto.encrypt_message("x", "1", "2", 16)  # type: ignore[arg-type]


def test_repr_does_not_leak_secrets() -> None:
    crypto = WeChatCrypto("s3cr3t-token", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7")
    assert "s3cr3t" not in repr(crypto) and "jWmYm7" not in repr(crypto)
    assert crypto.receive_id == "wx5823bf96d3bd56c7"


# ----------------------------------------------------------------------------------------------------- errors


def test_error_classes_carry_the_official_codes() -> None:
    expected = {
        ValidateSignatureError: -40001,
        ParseXmlError: -40002,
        ComputeSignatureError: -40003,
        IllegalAesKeyError: -40004,
        ValidateReceiveIdError: -40005,
        EncryptAESError: -40006,
        DecryptAESError: -40007,
        IllegalBufferError: -40008,
        EncodeBase64Error: -40009,
        DecodeBase64Error: -40010,
        GenReturnXmlError: -40011,
    }
    assert {code: cls for cls, code in expected.items()} == CRYPTO_ERRORS_BY_CODE
    for cls, code in expected.items():
        err = cls("boom")
        assert isinstance(err, WeChatCryptoError)
        assert err.code == code and err.message == "boom"
        assert str(code) in str(err)
        assert cls().message  # a default message exists


def test_base_crypto_error_needs_an_explicit_code() -> None:
    assert WeChatCryptoError("x", code=-40099).code == -40099
    with pytest.raises(TypeError):
        WeChatCryptoError("x")


def test_api_error_fields() -> None:
    err = WeChatAPIError(40014, "invalid access_token", response={"errcode": 40014})
    assert (err.errcode, err.errmsg, err.response) == (40014, "invalid access_token", {"errcode": 40014})
    assert "40014" in str(err) and "invalid access_token" in str(err)
    assert not isinstance(err, WeChatCryptoError)
