"""``scrm demo`` (twice) leaves a running SOP for the demo brand: the three customer rules and the group rule once,
to-dos planned from the friends added since the rules started, the due ones delivered as text cards to the sandbox
(each task once), part of them done; the served SOP pages and statistics show them."""

from __future__ import annotations

import json

import pytest
from scrm_wecom import demo as wecom_demo
from scrm_wecom import demo_sop
from scrm_wecom.sop.models import SopBinding, SopRule, SopTask
from sqlmodel import Session, select
from wecom_demo_fixtures import *  # noqa: F403

from scrm.sdk import MessageDelivery

pytestmark = pytest.mark.slow


def test_the_demo_has_a_running_sop(demo_cli, demo_app, demo_url, demo_instance):
    for _ in range(2):
        result = demo_cli("demo", "--url", demo_url)
        assert result.exit_code == 0, result.output
    password = result.output.strip().splitlines()[-1].rsplit(" / ", 1)[1]
    app = demo_app(sandboxes=True)
    with Session(app.extensions["scrm"].engine) as session:
        rules = session.exec(select(SopRule).order_by(SopRule.id)).all()
        assert [r.name for r in rules] == [demo_sop.NEW_FRIEND[0], demo_sop.BIRTHDAY[0], demo_sop.GROUPS[0]]
        assert all(r.status == "on" for r in rules)
        tasks = session.exec(select(SopTask)).all()
        statuses = {t.status for t in tasks}
        assert {"pending", "reminded", "done"} <= statuses
        assert session.exec(select(SopBinding)).all()
        cards = session.exec(select(MessageDelivery).where(MessageDelivery.task_ref.like("wecom_sop:%"))).all()
        assert cards and {c.status for c in cards} == {"sent"}
        assert {t.delivery_id for t in tasks if t.status != "pending"} == {c.id for c in cards}
    state = json.loads((demo_instance / "sandboxes" / "wecom.json").read_text(encoding="utf-8"))
    [corp] = [c for c in state["corps"] if c["corp_id"] == wecom_demo.CORP_ID]
    sop_cards = [m for m in corp["app_messages"] if "/wecom/sop/tasks" in str(m.get("textcard", {}).get("url", ""))]
    assert len(sop_cards) == len(cards)  # each card once, also after the second run
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/login", data={"email": "admin@demo.local", "password": password}).status_code == 302
    page = client.get("/t/demo/wecom/sop/?kind=customer").get_data(as_text=True)
    assert demo_sop.NEW_FRIEND[0] in page
    stats = client.get("/t/demo/wecom/sop/stats").get_data(as_text=True)
    assert demo_sop.GROUPS[0] in stats
    task = next(t for t in tasks if t.status == "done")
    for language in ("zh_CN", "en"):
        client.get(f"/lang/{language}")
        for path in [*(f"/t/demo/wecom/sop/{r.id}" for r in rules), "/t/demo/wecom/sop/?kind=group",
                     f"/t/demo/wecom/sop/tasks/{task.id}", "/t/demo/wecom/sop/tasks", "/t/demo/wecom/sop/new",
                     "/t/demo/wecom/sop/new?kind=group", "/t/demo/wecom/sop/stats.xlsx", "/t/demo/"]:
            assert client.get(path).status_code == 200, (language, path)
