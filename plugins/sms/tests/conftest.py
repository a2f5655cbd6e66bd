"""Fixtures of the SMS plugin's tests: the sandbox of both vendors served on a local port, its control API, and SMS
channel accounts configured against it (a sign name and templates approved there).

* ``sms_sandbox`` — the sandbox's base URL;
* ``sandbox_control`` — ``.post(path, body)`` / ``.get(path)`` on its control API (``/_sandbox/...``), ``.sent()``
  the messages it took, ``.outbox()`` the callbacks it produced (drained);
* ``sms_account(tenant, provider="aliyun"|"tencent", **config)`` — an SMS channel account of ``tenant`` (the plugin
  enabled) with the sandbox's default key pair, sign name ``SIGN``, template ``TEMPLATE[provider]`` (one variable,
  ``name``) and the text template ``TEXT_TEMPLATE[provider]``, all approved in the sandbox, and 10,000 SMS of prepaid quota per category;
* ``post_callback(account, body, token=CALLBACK_TOKEN)`` — POST a vendor callback body to the account's callback URL.
"""

from __future__ import annotations

import pytest
from sms_testkit import CALLBACK_TOKEN, KEYS, SIGN, TEXT_TEMPLATE, SandboxControl


@pytest.fixture
def sms_sandbox(channel_sandbox) -> str:
    return channel_sandbox("sms")


@pytest.fixture
def sandbox_control(sms_sandbox) -> SandboxControl:
    control = SandboxControl(sms_sandbox)
    control.post("config", {"auto_report": False})
    for provider in KEYS:
        control.seed(provider)
    return control


@pytest.fixture
def sms_account(db, enable_plugins, make_channel_account, sms_sandbox, sandbox_control):
    topped: set[int] = set()

    def make(tenant, provider: str = "aliyun", name: str | None = None, **config):
        enable_plugins(tenant, "sms")
        if tenant.id not in topped:  # every send holds the tenant's prepaid quota (scrm_sms.quota)
            from scrm_sms.quota import service as quota

            for category in ("marketing", "notification"):
                quota.top_up(db, tenant.id, category, 10_000)
            db.commit()
            topped.add(tenant.id)
        keys = KEYS[provider]
        settings = {"provider": provider, "api_base": f"{sms_sandbox}/{provider}", "sign_name": SIGN,
                    "text_template": TEXT_TEMPLATE[provider], **config}
        if provider == "tencent":
            settings.setdefault("app_id", keys["app_id"])
        return make_channel_account(tenant, "sms", name=name or f"{provider} SMS", external_id=keys["key_id"],
                                    credentials={"key_secret": keys["key_secret"], "callback_token": CALLBACK_TOKEN},
                                    config=settings)

    return make


@pytest.fixture
def post_callback(client):
    def post(account, body, token: str = CALLBACK_TOKEN):
        data = body.encode("utf-8") if isinstance(body, str) else body
        return client.post(f"/callbacks/sms/{account.id}", data=data, query_string={"token": token},
                           content_type="application/json")

    return post
