"""The callback gateway checks what a channel's ``handle_callback`` returns: anything but a response is a clear
error in the log (naming the plugin and the type) and a generic 500 to the provider."""

from __future__ import annotations

import logging

import pytest
from flask import Response

from scrm.core.models import Customer
from scrm.core.services.channels import create_account


@pytest.fixture
def account(db, platform, tenant, enable_plugins):
    enable_plugins(tenant, "wecom")
    row = create_account(db, platform.secrets, tenant.id, "wecom", "Acme WeCom", "ww-returns", {})
    db.commit()
    return row


@pytest.mark.parametrize("returned, type_name", [
    ("success", "str"),
    (None, "NoneType"),
    ({"ok": True}, "dict"),
    (("success", 200), "tuple"),
])
def test_a_wrong_return_type_is_a_logged_500_naming_plugin_and_type(client, platform, account, monkeypatch, caplog,
                                                                     returned, type_name):
    monkeypatch.setattr(platform.registry.plugin("wecom"), "handle_callback", lambda **kw: returned)
    with caplog.at_level(logging.ERROR, logger="scrm.hostapp.callbacks"):
        response = client.post(f"/callbacks/wecom/{account.id}", data=b"<xml/>")
    assert response.status_code == 500
    assert response.get_data(as_text=True) == "internal error"  # generic: nothing of the plugin's internals
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "'wecom'" in errors[0] and f"returned {type_name} " in errors[0] and "not a Response" in errors[0]


def test_nothing_the_handler_wrote_is_committed_when_it_returns_no_response(client, platform, db, tenant, account,
                                                                             monkeypatch):
    def writes_then_returns_text(account, request, session):
        session.add(Customer(tenant_id=account.tenant_id, name="half done"))
        return "success"

    monkeypatch.setattr(platform.registry.plugin("wecom"), "handle_callback", writes_then_returns_text)
    assert client.post(f"/callbacks/wecom/{account.id}", data=b"<xml/>").status_code == 500
    assert db.query(Customer).filter_by(name="half done").count() == 0


def test_a_response_passes_through_unchanged(client, platform, account, monkeypatch):
    monkeypatch.setattr(platform.registry.plugin("wecom"), "handle_callback",
                        lambda **kw: Response("success", status=200, mimetype="text/plain"))
    response = client.post(f"/callbacks/wecom/{account.id}", data=b"<xml/>")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "success")
