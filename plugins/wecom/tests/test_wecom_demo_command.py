"""``scrm demo`` with the WeCom sandbox on a fresh SQLite instance: employees synced from the sandbox corp, a live code,
customers adding through it whose callbacks reach the platform, their welcome messages sent to the sandbox; run twice
without duplicates; then the pages of the served platform (sandboxes mounted) show all of it."""

from __future__ import annotations

import json
import threading

import pytest
from scrm_wecom import demo as wecom_demo
from scrm_wecom import demo_promotion
from scrm_wecom.livecodes.models import LiveCode
from scrm_wecom.welcome.models import WelcomeMessage
from sqlalchemy import func
from sqlmodel import Session, select
from wecom_demo_fixtures import *  # noqa: F403
from werkzeug.serving import make_server

from scrm.sdk import ChannelAccount, CustomerIdentity, DeliveryStatus, Employee, IdentityKind, MessageDelivery

pytestmark = pytest.mark.slow


def count(session: Session, model, *where) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_the_demo_shows_customers_adding_through_a_live_code_and_their_welcome(demo_cli, demo_app, demo_url,
                                                                             demo_instance):
    first = demo_cli("demo", "--url", demo_url)
    assert first.exit_code == 0, first.output
    second = demo_cli("demo", "--url", demo_url)
    assert second.exit_code == 0, second.output
    password = second.output.strip().splitlines()[-1].rsplit(" / ", 1)[1]

    app = demo_app(sandboxes=True)
    plat = app.extensions["scrm"]
    adds = [ext for ext, _name, _gender in wecom_demo.LIVE_CODE_ADDS]
    # customers who add a promoter through the promotion's codes get the employee's welcome too
    welcomed_adds = adds + [ext for _n, ext, _name in demo_promotion.SCANS]
    with Session(plat.engine) as session:
        [account] = session.exec(select(ChannelAccount).where(ChannelAccount.plugin == "wecom")).all()
        assert account.config["api_base"] == f"{demo_url}/sandbox/wecom"
        assert account.last_error is None and account.config["check"]["ok"]
        assert all(r["ok"] for r in account.config["check"]["details"].values())
        tenant_id = account.tenant_id
        assert count(session, LiveCode, LiveCode.tenant_id == tenant_id) == len(wecom_demo.LIVE_CODES)
        assert count(session, WelcomeMessage, WelcomeMessage.tenant_id == tenant_id) == 1
        assert count(session, CustomerIdentity, CustomerIdentity.kind == IdentityKind.external_userid(
            wecom_demo.CORP_ID), CustomerIdentity.value.in_(adds)) == len(adds)
        sends = session.exec(select(MessageDelivery).where(MessageDelivery.tenant_id == tenant_id,
                                                           MessageDelivery.kind == "welcome")).all()
        assert sorted(s.recipient for s in sends) == sorted(welcomed_adds)
        assert {s.status for s in sends} == {DeliveryStatus.SENT}
        employees = session.exec(select(Employee.name).where(Employee.tenant_id == tenant_id)).all()

    # the sandbox kept its state for `scrm serve --sandboxes`: one welcome per customer, with the demo's text
    state = json.loads((demo_instance / "sandboxes" / "wecom.json").read_text(encoding="utf-8"))
    [corp] = [c for c in state["corps"] if c["corp_id"] == wecom_demo.CORP_ID]
    welcomed = sorted(m["external_userid"] for m in corp["welcome_messages"])
    assert welcomed == sorted(welcomed_adds)
    assert all("欢迎来到示例品牌" in m["text"]["content"] for m in corp["welcome_messages"])
    # the poster and the link picked from the material library, the poster uploaded once as media
    assert all([a["msgtype"] for a in m["attachments"]] == ["image", "link"] for m in corp["welcome_messages"])
    assert len({m["attachments"][0]["image"]["media_id"] for m in corp["welcome_messages"]}) == 1

    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/login", data={"email": "admin@demo.local", "password": password}).status_code == 302
    codes = client.get("/t/demo/wecom/livecodes/").get_data(as_text=True)
    assert wecom_demo.LIVE_CODE_NAME in codes
    assert sum(name in codes for name in employees) >= 1
    customers = client.get("/t/demo/members/customers/").get_data(as_text=True)
    for _ext, name, _gender in wecom_demo.LIVE_CODE_ADDS:
        assert name in customers
    welcome_page = client.get("/t/demo/wecom/welcome/").get_data(as_text=True)
    assert welcome_page.count('data-status="sent"') == len(welcomed_adds)
    # served as `scrm serve --sandboxes` serves it, the mounted sandbox answers the account's "Check credentials"
    server = make_server("127.0.0.1", int(demo_url.rsplit(":", 1)[1]), app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        check = client.post(f"/t/demo/channels/wecom/accounts/{account.id}/check", follow_redirects=True)
    finally:
        server.shutdown()
        server.server_close()
    assert check.status_code == 200
    with Session(plat.engine) as session:
        account = session.get(ChannelAccount, account.id)
        assert account.last_error is None and account.config["check"]["ok"]
        assert all(r["ok"] for r in account.config["check"]["details"].values())


def test_without_the_switch_no_sandbox_is_mounted(demo_app):
    app = demo_app()
    assert "scrm_sandboxes" not in app.extensions
    assert app.test_client().get("/sandbox/wecom/sandbox/calls").status_code == 404
    mounted = demo_app(sandboxes=True)
    assert mounted.extensions["scrm_sandboxes"] == ["wecom"]
    answer = mounted.test_client().get("/sandbox/wecom/sandbox/calls")
    assert answer.status_code == 200 and answer.get_json()["ok"] is True
