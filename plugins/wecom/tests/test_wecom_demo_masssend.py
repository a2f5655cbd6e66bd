"""``scrm demo`` (twice) adds one finished customer mass send and one finished group mass send for the demo brand:
one WeCom task per employee, every employee confirmed in the sandbox, results read back; the detail page shows
them."""

from __future__ import annotations

import pytest
from scrm_wecom import demo_masssend
from scrm_wecom.masssend.models import MassMember, MassRecipient, MassTask
from sqlmodel import Session, select
from wecom_demo_fixtures import *  # noqa: F403

pytestmark = pytest.mark.slow


def test_the_demo_has_finished_mass_sends(demo_cli, demo_app, demo_url):
    for _ in range(2):
        result = demo_cli("demo", "--url", demo_url)
        assert result.exit_code == 0, result.output
    password = result.output.strip().splitlines()[-1].rsplit(" / ", 1)[1]
    app = demo_app(sandboxes=True)
    with Session(app.extensions["scrm"].engine) as session:
        tasks = {t.chat_type: t for t in session.exec(select(MassTask)).all()}
        assert set(tasks) == {"single", "group"}
        single = tasks["single"]
        assert single.status == "sent" and single.text == demo_masssend.CUSTOMER_TEXT
        members = session.exec(select(MassMember).where(MassMember.task_id == single.id)).all()
        assert members and all(m.status == "sent" for m in members), [(m.userid, m.status, m.error, m.msgids) for m in members if m.status != "sent"]
        statuses = {r.status for r in session.exec(select(MassRecipient).where(MassRecipient.task_id == single.id))}
        assert "delivered" in statuses and "unsent" not in statuses
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/login", data={"email": "admin@demo.local", "password": password}).status_code == 302
    page = client.get(f"/t/demo/wecom/masssend/{single.id}").get_data(as_text=True)
    assert 'data-testid="card-members-unsent">0<' in page
