"""WeCom's code sets go through the shared label registry, one label function per code: every friendship status,
customer assignment kind and status, group chat assignment status and ``add_way`` code has a label in English and in
Chinese; a live code's ``state`` reads as the code's name."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from scrm_wecom import labels
from scrm_wecom.assignment.models import Kind, Status
from scrm_wecom.groupchats.models import AssignmentStatus
from scrm_wecom.livecodes.models import LiveCode
from scrm_wecom.sync.models import FollowStatus

CODE_SETS = [(labels.follow_status_label, list(FollowStatus)), (labels.assignment_kind_label, list(Kind)),
             (labels.assignment_status_label, list(Status)),
             (labels.chat_assignment_status_label, list(AssignmentStatus)),
             (labels.add_way_label, [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 201, 202])]


@pytest.mark.parametrize(("label", "codes"), CODE_SETS)
def test_every_code_has_a_label_in_both_languages(app, label, codes):
    with app.test_request_context():
        for code in codes:
            raw = str(getattr(code, "value", code))
            with force_locale("en"):
                english = label(code)
            with force_locale("zh_Hans_CN"):
                chinese = label(code)
            assert english and english != raw, (label.__name__, raw)
            assert chinese != english and any("\u4e00" <= ch <= "\u9fff" for ch in chinese), (label.__name__, raw)


def test_an_unknown_add_way_reads_unknown(app):
    with app.test_request_context(), force_locale("en"):
        assert labels.add_way_label(999) == "Unknown"


def test_a_state_reads_as_its_live_codes_name_within_the_tenant(db, tenant, other_tenant, make_channel_account):
    ours, theirs = make_channel_account(tenant, "wecom"), make_channel_account(other_tenant, "wecom")
    db.add(LiveCode(tenant_id=tenant.id, account_id=ours.id, name="静安店活码", state="lc:1"))
    db.add(LiveCode(tenant_id=other_tenant.id, account_id=theirs.id, name="别家活码", state="lc:2"))
    db.commit()
    names = labels.live_code_names(db, tenant.id, ["lc:1", "lc:2", "", None])
    assert names == {"lc:1": "静安店活码"}
    assert labels.state_label("lc:1", names) == "静安店活码"
    assert labels.state_label("lc:2", names) == "lc:2" and labels.state_label(None, names) == ""


def test_a_friend_added_and_a_welcome_are_contacts_tags_groups_and_losses_are_not():
    from scrm_wecom import timeline

    from scrm.sdk.timeline import contact_kinds

    ours = {kind for plugin, kind in contact_kinds() if plugin == "wecom"}
    assert ours == {timeline.FRIEND_ADDED, timeline.WELCOME_SENT}
