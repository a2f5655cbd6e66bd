"""No secret or access token in any log line (issue 11, finding 6): with every logger captured at DEBUG, a WeCom
flow against the sandbox (full sync, token expiry and refresh, a friend added by callback and read back, the demo)
logs httpx's request lines, the sandbox's access lines and our own, and none of them holds the account's secrets,
its callback token, its EncodingAESKey or any access token the sandbox issued."""

from __future__ import annotations

import logging

import pytest
from scrm_wecom import demo as wecom_demo
from scrm_wecom.sandbox import fire_callback
from scrm_wecom.sandbox.state import SandboxState
from wecom_demo_fixtures import *  # noqa: F403
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_foundation_fixtures import AES_KEY, CALLBACK_TOKEN, SECRETS
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import CORP_ID, TARGET, run_full_sync

from scrm.sdk import log_redaction


@pytest.fixture
def issued(monkeypatch) -> list[str]:
    """Every access token the sandbox issues during the test."""
    tokens: list[str] = []
    issue = SandboxState.issue_token

    def record(self, corp, kind):
        token = issue(self, corp, kind)
        tokens.append(token.value)
        return token

    monkeypatch.setattr(SandboxState, "issue_token", record)
    return tokens


@pytest.fixture
def every_log(caplog):
    """Every record of every logger, at DEBUG, as the lines a handler would write (exceptions included)."""
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "werkzeug", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")

    def lines() -> list[str]:
        return [formatter.format(record) for record in caplog.records]

    return lines


def assert_clean(lines: list[str], secrets: list[str]) -> None:
    assert secrets and all(len(s) >= 8 for s in secrets)
    leaks = [(secret, line) for line in lines for secret in secrets if secret in line]
    assert leaks == [], f"{len(leaks)} log lines hold a secret, e.g. {leaks[:3]}"


def test_a_sync_and_a_callback_log_no_secret_and_no_token(db, platform, sync_account, sandbox, wsgi_http, worker,
                                                          issued, every_log):
    run_full_sync(db, platform, sync_account)
    sandbox[1].expire_tokens(CORP_ID)
    run_full_sync(db, platform, sync_account)
    added = sandbox[1].add_friend(CORP_ID, "lisi", {"external_userid": "wmDave", "name": "Dave"}, state="lc:9")
    response = fire_callback(f"http://localhost/callbacks/wecom/{sync_account.id}", TARGET, added["xml"],
                             http=wsgi_http)
    assert response.status_code == 200
    worker.join()

    lines = every_log()
    requests = [line for line in lines if line.startswith("INFO httpx HTTP Request:")]
    assert any("corpsecret=" in line for line in requests) and any("access_token=" in line for line in requests)
    assert len(set(issued)) >= 2  # tokens were issued again after the expiry
    assert_clean(lines, [*SECRETS.values(), CALLBACK_TOKEN, AES_KEY, *issued])


@pytest.mark.slow
def test_the_demo_logs_no_secret_and_no_token(demo_cli, demo_url, issued, every_log):
    result = demo_cli("demo", "--url", demo_url)
    assert result.exit_code == 0, result.output
    lines = every_log()
    assert any("corpsecret=" in line for line in lines) and issued
    assert_clean(lines, [*wecom_demo.SECRETS.values(), *wecom_demo.CALLBACK.values(), *issued])


@pytest.mark.parametrize("line", [
    "HTTP Request: GET http://127.0.0.1:1/cgi-bin/gettoken?corpid=ww1&corpsecret={s} \"HTTP/1.1 200 OK\"",
    "127.0.0.1 - - \"GET /cgi-bin/user/list?access_token={s}&department_id=1 HTTP/1.1\" 200 -",
    "answer {{\"errcode\": 0, \"access_token\": \"{s}\", \"expires_in\": 7200}}",
    "settings {{'agent_secret': '{s}', 'encoding_aes_key': '{s}'}}",
    "Authorization: Bearer {s}",
    "callback ?msg_signature={s}&timestamp=1&nonce=2",
    "EncodingAESKey={s}; Token={s}",
    "login password={s}",
])
def test_known_secret_fields_are_masked(line):
    secret = "s3cr3t-VALUE_42.x"
    clean = log_redaction.redact(line.format(s=secret))
    assert secret not in clean and log_redaction.MASK in clean


def test_other_text_is_left_alone():
    for text in ("synced 12 employees of corp ww1 in 0.4 s", "GET /cgi-bin/user/list?department_id=1&fetch_child=1",
                 "next_cursor=abc", "token_hash=abc"):
        assert log_redaction.redact(text) == text


def test_an_exception_text_is_masked_too(caplog):
    log_redaction.install()
    caplog.set_level(logging.DEBUG)
    try:
        raise RuntimeError("GET https://qyapi.weixin.qq.com/cgi-bin/user/get?access_token=leaked-token-123")
    except RuntimeError:
        logging.getLogger("scrm.test").exception("call failed with %s", {"corpsecret": "leaked-secret-456"})
    text = caplog.text
    assert "RuntimeError" in text and "leaked-token-123" not in text and "leaked-secret-456" not in text
