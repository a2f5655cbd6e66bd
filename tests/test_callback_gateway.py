"""The callback gateway (``CallbackGateway`` in front of Flask) and the account directory behind it."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from sqlalchemy import event

from scrm.core.inbox import InboxTimeout
from scrm.core.models import ChannelAccount, Tenant
from scrm.core.services.account_directory import AccountDirectory
from scrm.core.services.channels import create_account


@pytest.fixture
def account(db, platform, tenant, enable_plugins):
    enable_plugins(tenant, "wecom")
    row = create_account(db, platform.secrets, tenant.id, "wecom", "Acme WeCom", "ww-gateway", {})
    db.commit()
    return row


@pytest.fixture
def statements(platform):
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(platform.engine, "before_cursor_execute", count)
    yield seen
    event.remove(platform.engine, "before_cursor_execute", count)


def test_the_directory_reads_an_account_once_within_its_ttl(platform, account, statements):
    directory = AccountDirectory(platform.engine)
    first = directory.find(account.id)
    assert first.account.id == account.id and first.account.external_id == "ww-gateway" and first.usable
    reads = len(statements)
    assert directory.find(account.id) is first
    assert len(statements) == reads  # the second lookup cost no query


def test_unknown_accounts_are_remembered_too(platform, account, statements):
    directory = AccountDirectory(platform.engine)
    assert directory.find(account.id + 999) is None
    reads = len(statements)
    assert directory.find(account.id + 999) is None
    assert len(statements) == reads


def test_an_entry_expires_after_its_ttl(platform, account):
    now = [100.0]
    directory = AccountDirectory(platform.engine, ttl=2.0, clock=lambda: now[0])
    first = directory.find(account.id)
    now[0] += 2.5
    assert directory.find(account.id) is not first


def test_a_committed_change_to_an_account_or_tenant_applies_at_once(platform, db, account, tenant):
    directory = AccountDirectory(platform.engine)
    assert directory.find(account.id).usable
    row = db.get(ChannelAccount, account.id)
    row.active = False
    db.commit()
    assert not directory.find(account.id).usable
    row.active = True
    db.commit()
    assert directory.find(account.id).usable
    db.get(Tenant, tenant.id).active = False
    db.commit()
    assert not directory.find(account.id).usable


def test_a_rolled_back_change_keeps_the_entry(platform, db, account):
    directory = AccountDirectory(platform.engine)
    first = directory.find(account.id)
    db.get(ChannelAccount, account.id).name = "Renamed"
    db.flush()
    db.rollback()
    assert directory.find(account.id) is first


def test_a_deactivated_account_stops_taking_callbacks_at_once(client, db, account):
    assert client.post(f"/callbacks/wecom/{account.id}", data="<xml/>").status_code != 404
    db.get(ChannelAccount, account.id).active = False
    db.commit()
    assert client.post(f"/callbacks/wecom/{account.id}", data="<xml/>").status_code == 404


def test_a_method_other_than_get_or_post_is_refused(client, account):
    assert client.put(f"/callbacks/wecom/{account.id}", data="<xml/>").status_code == 405


def test_a_path_that_is_not_a_callback_url_goes_to_flask(client, account):
    response = client.post("/callbacks/wecom/not-a-number", data="<xml/>")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")  # Flask's page, not the gateway's text


def test_a_handler_error_is_a_logged_500(client, platform, account, monkeypatch, caplog):
    channel = platform.registry.plugin("wecom")

    def broken(**kwargs):
        raise RuntimeError("handler bug")

    monkeypatch.setattr(channel, "handle_callback", broken)
    with caplog.at_level(logging.ERROR, logger="scrm.hostapp.callbacks"):
        response = client.post(f"/callbacks/wecom/{account.id}", data="<xml/>")
    assert response.status_code == 500 and b"handler bug" not in response.data
    assert "handler bug" in caplog.text


def test_a_callback_not_confirmed_stored_in_time_is_503(client, platform, account, monkeypatch):
    channel = platform.registry.plugin("wecom")

    def slow(**kwargs):
        raise InboxTimeout("not stored in time")

    monkeypatch.setattr(channel, "handle_callback", slow)
    assert client.post(f"/callbacks/wecom/{account.id}", data="<xml/>").status_code == 503


def test_the_handler_gets_the_app_request_and_an_application_context(client, platform, account, monkeypatch):
    from flask import Request, current_app

    seen = {}

    def spy(account, request, session):
        from flask import Response

        seen.update(account=account.id, request=type(request), args=dict(request.args), body=request.get_data(),
                    app=current_app.extensions["scrm"] is platform)
        return Response("success", mimetype="text/plain")

    monkeypatch.setattr(platform.registry.plugin("wecom"), "handle_callback", spy)
    response = client.post(f"/callbacks/wecom/{account.id}?nonce=n1", data=b"<xml>hi</xml>")
    assert response.status_code == 200 and response.data == b"success"
    assert seen == {"account": account.id, "request": seen["request"], "args": {"nonce": "n1"},
                    "body": b"<xml>hi</xml>", "app": True}
    assert issubclass(seen["request"], Request)


def test_serving_app_freezes_the_start_up_objects(tmp_path):
    """In a fresh interpreter (freezing would also freeze this test session's objects)."""
    env = {**os.environ, "SCRM_INSTANCE_PATH": str(tmp_path), "SCRM_DATABASE_URL": f"sqlite:///{tmp_path}/s.db"}
    env.pop("SCRM_BROKER_URL", None)
    code = ("import gc; from scrm.hostapp import serving_app; app = serving_app(); "
            "print(gc.get_freeze_count(), 'scrm' in app.extensions)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    frozen, has_platform = out.stdout.split()
    assert int(frozen) > 10_000 and has_platform == "True"
