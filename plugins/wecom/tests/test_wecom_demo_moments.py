"""``scrm demo`` (twice) adds one Moments task for the demo brand, created in the sandbox's WeCom, published by two
employees with their customers' comments and likes read back, and one group welcome template registered in WeCom;
the served pages show them."""

from __future__ import annotations

import json

import pytest
from scrm_wecom import demo as wecom_demo
from scrm_wecom import demo_moments
from scrm_wecom.group_welcome.models import GroupWelcomeTemplate
from scrm_wecom.moments.models import MomentInteraction, MomentSender, MomentsPage, MomentTask
from sqlmodel import Session, select
from wecom_demo_fixtures import *  # noqa: F403

pytestmark = pytest.mark.slow


def test_the_demo_has_a_published_moments_task_and_a_group_welcome(demo_cli, demo_app, demo_url, demo_instance):
    for _ in range(2):
        result = demo_cli("demo", "--url", demo_url)
        assert result.exit_code == 0, result.output
    app = demo_app(sandboxes=True)
    with Session(app.extensions["scrm"].engine) as session:
        [task] = session.exec(select(MomentTask).where(MomentTask.to_wecom.is_(True))).all()
        assert task.status == "created" and task.text == demo_moments.MOMENT_TEXT and task.moment_id
        posts = {t.publish_mode: t for t in session.exec(select(MomentTask).where(MomentTask.to_wecom.is_(False)))}
        assert set(posts) == {"backdated", "scheduled"}  # one each, after two runs
        assert posts["backdated"].status == "page" and posts["scheduled"].status == "scheduled"
        assert posts["backdated"].text == demo_moments.BACKDATED_TEXT
        senders = session.exec(select(MomentSender).where(MomentSender.task_id == task.id)).all()
        assert len(senders) == demo_moments.SENDERS and sum(s.published for s in senders) == 2
        interactions = session.exec(select(MomentInteraction).where(MomentInteraction.task_id == task.id)).all()
        assert {i.kind for i in interactions} == {"comment", "like"}
        assert all(i.customer_id for i in interactions)
        pages = session.exec(select(MomentsPage)).all()
        assert len(pages) == demo_moments.SENDERS and all(p.views for p in pages)
        [template] = session.exec(select(GroupWelcomeTemplate)).all()
        assert template.text == demo_moments.GROUP_WELCOME and template.template_id
    state = json.loads((demo_instance / "sandboxes" / "wecom.json").read_text(encoding="utf-8"))
    [corp] = [c for c in state["corps"] if c["corp_id"] == wecom_demo.CORP_ID]
    assert list(corp["moments"]) == [task.moment_id]
    assert list(corp["group_welcome_templates"]) == [template.template_id]
