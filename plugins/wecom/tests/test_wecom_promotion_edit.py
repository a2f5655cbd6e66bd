"""Editing a promotion activity that has not ended: name, description, period (the start only before it starts, the
end today or later), participants (added, never removed; employees who join later get their code or link and their
poster card), tags and cover; bad input changes nothing; an ended activity is read-only; CSRF; another brand cannot
edit."""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image
from scrm_wecom.promotion import service
from scrm_wecom.promotion.models import PromotionActivity, PromotionCover, PromotionParticipant
from sqlmodel import select
from wecom_livecodes_fixtures import *  # noqa: F403
from wecom_livecodes_fixtures import CORP_ID, SECRETS, USERS, fresh, make_tag
from wecom_promotion_fixtures import *  # noqa: F403
from wecom_promotion_fixtures import BASE, cards, create, participant

from scrm.sdk import Employee, local_midnight, local_today

ADD_WAY = "/cgi-bin/externalcontact/add_contact_way"
DELETE_WAY = "/cgi-bin/externalcontact/del_contact_way"


def edit_form(activity, **changes) -> dict:
    first, last = service.period_days(activity)
    data = {"name": activity.name, "description": activity.description, "start": first.isoformat(),
            "end": last.isoformat()}
    data.update({k: v for k, v in changes.items() if v is not None})
    return data


def _state(db, activity_id: int) -> tuple:
    fresh(db)
    a = db.get(PromotionActivity, activity_id)
    parts = db.exec(select(PromotionParticipant.employee_id, PromotionParticipant.token, PromotionParticipant.state)
                    .where(PromotionParticipant.activity_id == activity_id).order_by(PromotionParticipant.id)).all()
    return (a.name, a.description, a.starts_at, a.ends_at, list(a.tag_ids), a.all_employees, list(parts))


def test_name_description_end_and_tags_change(db, world, staff):
    activity = create(db, world, staff)
    tag = make_tag(db, world.tenant, "双12新客")
    page = staff.get(f"{BASE}/{activity.id}/edit").get_data(as_text=True)
    assert 'data-testid="promotion-edit-form"' in page and 'value="双12门店拉新"' in page
    today = local_today()
    response = staff.post(f"{BASE}/{activity.id}/edit", data=edit_form(
        activity, name="双12门店拉新（延长）", description="延长一周", end=(today + timedelta(days=13)).isoformat(),
        tag_ids=[str(tag.id)]))
    assert response.status_code == 302
    fresh(db)
    saved = db.get(PromotionActivity, activity.id)
    assert (saved.name, saved.description, saved.tag_ids) == ("双12门店拉新（延长）", "延长一周", [tag.id])
    assert saved.ends_at == local_midnight(today + timedelta(days=14))
    assert 'data-testid="promotion-edit"' in staff.get(f"{BASE}/{activity.id}").get_data(as_text=True)


def test_employees_added_later_get_their_code_and_poster_and_nobody_is_removed(db, world, staff):
    activity = create(db, world, staff, "zhangsan")
    zhang_before = participant(db, activity, world.employees["zhangsan"])
    before_cards = len(cards(db, world.tenant.id))
    world.sandbox.clear_calls()
    # lisi is added; zhangsan is not ticked (a participant's box is disabled), and stays
    response = staff.post(f"{BASE}/{activity.id}/edit", data=edit_form(
        activity, employee_ids=[str(world.employees["lisi"].id)]))
    assert response.status_code == 302
    ways = [c for c in world.sandbox.calls(ADD_WAY) if c["errcode"] == 0]
    assert [c["body"]["user"] for c in ways] == [["lisi"]]
    li = participant(db, activity, world.employees["lisi"])
    assert li.state.startswith("pr:") and li.qr_code and li.token
    zhang = participant(db, activity, world.employees["zhangsan"])
    assert (zhang.id, zhang.state, zhang.token) == (zhang_before.id, zhang_before.state, zhang_before.token)
    sent = cards(db, world.tenant.id)[before_cards:]
    assert [m.employee_id for m in sent] == [world.employees["lisi"].id]
    assert sent[0].content["url"].endswith(f"/p/acme/wecom/promotion/{li.token}")
    # saving again adds nobody and sends nothing
    assert staff.post(f"{BASE}/{activity.id}/edit", data=edit_form(activity)).status_code == 302
    assert len(cards(db, world.tenant.id)) == before_cards + 1


def test_an_all_employees_activity_takes_in_who_joined_since(db, world, staff):
    newcomer = {"userid": "wangwu", "name": "Wang Wu", "position": "Cashier", "department": [1]}
    world.sandbox.seed({"corp_id": CORP_ID, "agent_id": 1000002,
                        "secrets": {"agent": SECRETS["agent_secret"], "contact": SECRETS["contact_secret"],
                                    "address_book": SECRETS["address_book_secret"]},
                        "departments": [{"id": 1, "name": "HQ"}], "users": [*USERS, newcomer]})
    activity = create(db, world, staff, all_employees="1")
    assert len(service.participants(db, activity)) == 2
    wang = Employee(tenant_id=world.tenant.id, userid="wangwu", name="Wang Wu")
    db.add(wang)
    db.commit()
    assert staff.post(f"{BASE}/{activity.id}/edit", data=edit_form(activity, all_employees="1")).status_code == 302
    fresh(db)
    assert len(service.participants(db, db.get(PromotionActivity, activity.id))) == 3
    assert participant(db, activity, wang).qr_code
    assert [m.employee_id for m in cards(db, world.tenant.id)][-1] == wang.id


def test_bad_input_is_refused_with_a_message_and_nothing_changes(db, world, staff, other_tenant):
    today = local_today()
    activity = create(db, world, staff, "zhangsan", start=(today - timedelta(days=2)).isoformat())  # running
    before = _state(db, activity.id)
    cards_before = len(cards(db, world.tenant.id))
    foreign = make_tag(db, other_tenant, "别家标签")
    cases = {"name": {"name": " "}, "description": {"description": "长" * 501},
             "period": {"end": (today - timedelta(days=3)).isoformat()},
             "employee_ids": {"employee_ids": ["999999"], "name": "新名字"},
             "tag_ids": {"tag_ids": [str(foreign.id)]}}
    for field, change in cases.items():
        response = staff.post(f"{BASE}/{activity.id}/edit", data=edit_form(activity, **change))
        assert response.status_code == 422 and f'data-error="{field}"' in response.get_data(as_text=True), field
    # a running activity keeps its start; the end cannot move into the past
    for change, message in (({"start": (today - timedelta(days=1)).isoformat()}, "start date can no longer change"),
                            ({"end": (today - timedelta(days=1)).isoformat()}, "must end today or later")):
        response = staff.post(f"{BASE}/{activity.id}/edit", data=edit_form(activity, **change))
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and 'data-error="period"' in page and message in page, change
    # a bad cover with a good edit changes nothing either
    response = staff.post(f"{BASE}/{activity.id}/edit",
                          data=edit_form(activity, name="新名字", cover=(io.BytesIO(b"not an image"), "c.png")))
    assert response.status_code == 422 and 'data-error="cover"' in response.get_data(as_text=True)
    assert _state(db, activity.id) == before and db.exec(select(PromotionCover)).all() == []
    assert len(cards(db, world.tenant.id)) == cards_before
    # the end may be today (the last day still open)
    assert staff.post(f"{BASE}/{activity.id}/edit", data=edit_form(activity, end=today.isoformat())).status_code == 302


def test_a_start_may_move_before_the_activity_starts(db, world, staff):
    today = local_today()
    activity = create(db, world, staff, start=(today + timedelta(days=2)).isoformat(),
                      end=(today + timedelta(days=5)).isoformat())
    response = staff.post(f"{BASE}/{activity.id}/edit", data=edit_form(activity, start=today.isoformat()))
    assert response.status_code == 302
    fresh(db)
    assert db.get(PromotionActivity, activity.id).starts_at == local_midnight(today)


def test_a_wecom_failure_for_a_new_employee_changes_nothing(db, world, staff):
    activity = create(db, world, staff, "zhangsan")
    ghost = Employee(tenant_id=world.tenant.id, userid="ghost", name="Ghost")  # not in WeCom's address book
    db.add(ghost)
    db.commit()
    before = _state(db, activity.id)
    cards_before = len(cards(db, world.tenant.id))
    world.sandbox.clear_calls()
    response = staff.post(f"{BASE}/{activity.id}/edit", data=edit_form(
        activity, name="新名字", employee_ids=[str(world.employees["lisi"].id), str(ghost.id)]))
    assert response.status_code == 502 and 'data-error="employee_ids"' in response.get_data(as_text=True)
    assert _state(db, activity.id) == before and len(cards(db, world.tenant.id)) == cards_before
    made = [c["body"]["user"] for c in world.sandbox.calls(ADD_WAY) if c["errcode"] == 0]
    assert made == [["lisi"]]  # lisi's contact way was made, then deleted again
    assert len([c for c in world.sandbox.calls(DELETE_WAY) if c["errcode"] == 0]) == 1


def test_an_ended_activity_is_read_only(db, world, staff):
    activity = create(db, world, staff)
    row = db.get(PromotionActivity, activity.id)
    row.starts_at, row.ends_at = row.starts_at - timedelta(days=10), local_midnight(local_today())
    db.add(row)
    db.commit()
    before = _state(db, activity.id)
    assert 'data-testid="promotion-edit"' not in staff.get(f"{BASE}/{activity.id}").get_data(as_text=True)
    response = staff.get(f"{BASE}/{activity.id}/edit")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"{BASE}/{activity.id}")
    response = staff.post(f"{BASE}/{activity.id}/edit", data=edit_form(db.get(PromotionActivity, activity.id),
                                                                        name="改名"), follow_redirects=True)
    assert "can no longer be edited" in response.get_data(as_text=True)
    assert _state(db, activity.id) == before


def test_a_new_cover_replaces_the_old_one(db, world, staff):
    def png(color):
        out = io.BytesIO()
        Image.new("RGB", (200, 100), color).save(out, "PNG")
        return out.getvalue()

    activity = create(db, world, staff, cover=(io.BytesIO(png((255, 0, 0))), "red.png"))
    new = png((0, 0, 255))
    assert staff.post(f"{BASE}/{activity.id}/edit",
                      data=edit_form(activity, cover=(io.BytesIO(new), "blue.png"))).status_code == 302
    fresh(db)
    [cover] = db.exec(select(PromotionCover).where(PromotionCover.activity_id == activity.id)).all()
    assert cover.data == new
    # saving without a file keeps the cover
    assert staff.post(f"{BASE}/{activity.id}/edit", data=edit_form(activity)).status_code == 302
    assert staff.get(f"{BASE}/{activity.id}/cover").data == new


def test_editing_needs_the_csrf_token(db, app, world, staff):
    activity = create(db, world, staff)
    before = _state(db, activity.id)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert staff.post(f"{BASE}/{activity.id}/edit", data=edit_form(activity, name="改名")).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert _state(db, activity.id) == before


def test_another_brand_cannot_edit(db, world, staff, other_tenant, enable_plugins, make_user, login):
    activity = create(db, world, staff)
    before = _state(db, activity.id)
    enable_plugins(other_tenant, "wecom")
    other = login(make_user("operator@globex.test", other_tenant, role="operator"))
    assert other.get(f"/t/globex/wecom/promotion/{activity.id}/edit").status_code == 404
    assert other.post(f"/t/globex/wecom/promotion/{activity.id}/edit",
                      data=edit_form(activity, name="改名")).status_code == 404
    assert other.post(f"{BASE}/{activity.id}/edit", data=edit_form(activity, name="改名")).status_code in (403, 404)
    assert _state(db, activity.id) == before


def test_the_service_refuses_an_edit_of_an_ended_activity(db, world, staff):
    activity = create(db, world, staff)
    row = db.get(PromotionActivity, activity.id)
    data = service.ActivityInput(name="改名", account_id=row.account_id, start=local_today(), end=local_today())
    try:
        service.validate_edit(db, row, data, local_today(), now=row.ends_at)
    except service.PromotionError as exc:
        assert exc.fields == {"activity": "ended"}
    else:
        raise AssertionError("an ended activity was accepted")
    assert service.validate_edit(db, row, data, local_today(), now=row.ends_at - timedelta(seconds=1))
