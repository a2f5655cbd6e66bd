"""``scrm demo`` (twice) adds one employee promotion activity for the demo brand: four promoters with their own
contact ways in the sandbox's WeCom and poster cards, customers' adds attributed through the real callbacks, one
promoter at the standard with a reward code; the served details page ranks them."""

from __future__ import annotations

import json

import pytest
from scrm_wecom import demo as wecom_demo
from scrm_wecom import demo_promotion
from scrm_wecom.promotion import service
from scrm_wecom.promotion.models import PromotionActivity, PromotionReward
from sqlmodel import Session, select
from wecom_demo_fixtures import *  # noqa: F403

pytestmark = pytest.mark.slow


def test_the_demo_has_a_promotion_activity_with_results(demo_cli, demo_app, demo_url, demo_instance):
    for _ in range(2):
        result = demo_cli("demo", "--url", demo_url)
        assert result.exit_code == 0, result.output
    app = demo_app(sandboxes=True)
    with Session(app.extensions["scrm"].engine) as session:
        [activity] = session.exec(select(PromotionActivity)).all()
        assert activity.name == demo_promotion.NAME
        standings = service.ranking(session, activity)
        assert len(standings) == demo_promotion.PROMOTERS
        assert [s.count for s in standings] == [3, 2, 1, 0]
        assert [s.achieved for s in standings] == [True, False, False, False]
        [reward] = session.exec(select(PromotionReward)).all()
        assert reward.participant_id == standings[0].participant.id and reward.status == "sent"
        states = {s.participant.state for s in standings}
    state = json.loads((demo_instance / "sandboxes" / "wecom.json").read_text(encoding="utf-8"))
    [corp] = [c for c in state["corps"] if c["corp_id"] == wecom_demo.CORP_ID]
    assert states <= {way.get("state") for way in corp["contact_ways"].values()}
