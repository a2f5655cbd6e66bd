"""The freshness window of WeChat-family callbacks in the SDK (``scrm.sdk.wechat.freshness``): every verification
through ``WeChatCrypto`` or ``check_signature`` refuses a signed timestamp outside the window, past or future."""

from __future__ import annotations

import time

import pytest

from scrm.sdk.wechat import (
    ExpiredTimestampError,
    ValidateSignatureError,
    WeChatCrypto,
    check_signature,
    check_timestamp,
)
from scrm.sdk.wechat.crypto import _sha1_sorted
from scrm.sdk.wechat.freshness import DEFAULT_MAX_AGE

KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
MINUTE = 60


@pytest.fixture(autouse=True)
def default_window(monkeypatch):
    monkeypatch.delenv("SCRM_CALLBACK_MAX_AGE", raising=False)


def signed(crypto: WeChatCrypto, seconds_ago: int) -> tuple[str, str, str, str]:
    """(msg_signature, timestamp, nonce, encrypt) of a message signed ``seconds_ago``."""
    ts = str(int(time.time()) - seconds_ago)
    encrypt, signature = crypto.encrypt_message("<xml><A>1</A></xml>", ts, "nonce")
    return signature, ts, "nonce", encrypt


def test_the_default_window_is_five_minutes():
    assert DEFAULT_MAX_AGE == 5 * MINUTE
    now = 1_800_000_000
    check_timestamp(now - 5 * MINUTE, now=now)
    check_timestamp(now + 5 * MINUTE, now=now)
    with pytest.raises(ExpiredTimestampError):
        check_timestamp(now - 5 * MINUTE - 1, now=now)
    with pytest.raises(ExpiredTimestampError):
        check_timestamp(now + 5 * MINUTE + 1, now=now)


@pytest.mark.parametrize("value", ["", "abc", "-5", "1e9", "١٧٠٠٠٠٠٠٠٠", "9" * 40, None, True, 1.5])
def test_a_timestamp_that_is_not_whole_seconds_is_refused(value):
    with pytest.raises(ExpiredTimestampError):
        check_timestamp(value)  # type: ignore[arg-type]


def test_an_expired_timestamp_is_a_signature_refusal():
    assert issubclass(ExpiredTimestampError, ValidateSignatureError)
    assert ExpiredTimestampError().code == -40001


def test_safe_mode_verification_refuses_six_minutes_and_accepts_four():
    crypto = WeChatCrypto("token", KEY, "wx5823bf96d3bd56c7")
    assert crypto.decrypt_message(*signed(crypto, 4 * MINUTE)) == "<xml><A>1</A></xml>"
    with pytest.raises(ExpiredTimestampError):
        crypto.decrypt_message(*signed(crypto, 6 * MINUTE))
    with pytest.raises(ExpiredTimestampError):
        crypto.verify_url(*signed(crypto, 6 * MINUTE))


def test_a_bad_signature_is_still_a_signature_error_not_an_expiry():
    crypto = WeChatCrypto("token", KEY, "wx5823bf96d3bd56c7")
    _sig, ts, _nonce, encrypt = signed(crypto, 0)
    with pytest.raises(ValidateSignatureError) as caught:
        crypto.decrypt_message("0" * 40, ts, "nonce", encrypt)
    assert type(caught.value) is ValidateSignatureError


def test_plain_mode_signature_refuses_an_old_timestamp():
    def plain(seconds_ago: int) -> tuple[str, str]:
        ts = str(int(time.time()) - seconds_ago)
        return ts, _sha1_sorted("token", ts, "nonce")

    ts, sig = plain(4 * MINUTE)
    assert check_signature("token", ts, "nonce", sig)
    ts, sig = plain(6 * MINUTE)
    assert not check_signature("token", ts, "nonce", sig)
    assert check_signature("token", ts, "nonce", sig, max_age=None)


def test_the_window_comes_from_the_environment_and_the_constructor(monkeypatch):
    crypto = WeChatCrypto("token", KEY, "wx5823bf96d3bd56c7")
    monkeypatch.setenv("SCRM_CALLBACK_MAX_AGE", "900")
    assert crypto.decrypt_message(*signed(crypto, 14 * MINUTE))
    monkeypatch.setenv("SCRM_CALLBACK_MAX_AGE", "60")
    with pytest.raises(ExpiredTimestampError):
        crypto.decrypt_message(*signed(crypto, 2 * MINUTE))
    assert WeChatCrypto("token", KEY, "wx5823bf96d3bd56c7", max_age=180).decrypt_message(
        *signed(crypto, 2 * MINUTE))
    monkeypatch.setenv("SCRM_CALLBACK_MAX_AGE", "-1")
    with pytest.raises(ValueError):
        crypto.decrypt_message(*signed(crypto, 0))
