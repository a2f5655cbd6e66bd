"""Friends through live codes: tags on add, per-code statistics, the code's welcome first (acceptance check 10),
the daily chart, and isolation between tenants."""

from __future__ import annotations

from scrm_wecom.livecodes import friends
from scrm_wecom.livecodes.models import LiveCode, LiveCodeFriendEvent
from scrm_wecom.welcome import service as welcome_service
from sqlmodel import select
from wecom_livecodes_fixtures import *  # noqa: F403
from wecom_livecodes_fixtures import CORP_ID, deliver, fresh, friend_event, make_tag

from scrm.sdk import Customer, CustomerIdentity, CustomerTag, IdentityKind

SEND = "/cgi-bin/externalcontact/send_welcome_msg"


def new_code(db, world, staff, *, tags=(), welcome_text=None, employees=("zhangsan",), name="Fair"):
    data = {"name": name, "account_id": str(world.account.id), "kind": "2" if len(employees) > 1 else "1",
            "employee_ids": [str(world.employees[u].id) for u in employees], "tag_ids": [str(t.id) for t in tags]}
    if welcome_text:
        data.update({"has_welcome": "1", "welcome-text": welcome_text})
    assert staff.post("/t/acme/wecom/livecodes/new", data=data).status_code == 302
    fresh(db)
    return db.exec(select(LiveCode).where(LiveCode.tenant_id == world.tenant.id, LiveCode.name == name)).one()


def general_welcome(db, world, text, employees=("zhangsan",)):
    values = welcome_service.validate(db, world.tenant.id, welcome_service.WelcomeInput(
        all_employees=False, employee_ids=[world.employees[u].id for u in employees], segmented=False,
        content={"text": text}))
    welcome_service.create(db, world.tenant.id, values)
    db.commit()


def add_through(world, code, userid="zhangsan", name="Lily"):
    return world.sandbox.add_friend(CORP_ID, userid, {"name": name}, state=code.state if code else None)


def sent_texts(world):
    return [c["body"]["text"]["content"] for c in world.sandbox.calls(SEND) if c["errcode"] == 0]


def test_customers_adding_through_a_code_get_its_tags_from_the_employee(db, world, staff, worker):
    local = make_tag(db, world.tenant, "Spring fair")
    synced = make_tag(db, world.tenant, "From store", external_id="ettagwecom1", group="Source")
    code = new_code(db, world, staff, tags=[local, synced])
    friend = add_through(world, code)
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"], state=code.state,
                             welcome_code=friend["welcome_code"]), worker)
    fresh(db)
    identity = db.exec(select(CustomerIdentity).where(
        CustomerIdentity.kind == IdentityKind.external_userid(CORP_ID),
        CustomerIdentity.value == friend["external_userid"])).one()
    rows = db.exec(select(CustomerTag).where(CustomerTag.customer_id == identity.customer_id)).all()
    assert {(r.tag_id, r.employee_id, r.source) for r in rows} == {
        (local.id, world.employees["zhangsan"].id, "wecom"), (synced.id, world.employees["zhangsan"].id, "wecom")}
    [mark] = world.sandbox.calls("/cgi-bin/externalcontact/mark_tag")
    assert mark["body"]["add_tag"] == ["ettagwecom1"] and mark["errcode"] == 0
    assert db.get(Customer, identity.customer_id).tenant_id == world.tenant.id


def test_per_code_statistics_count_adds_and_deletions(db, world, staff):
    code = new_code(db, world, staff)
    other = new_code(db, world, staff, name="Window")
    lily = friend_event(world, "zhangsan", "wmLily", state=code.state, type="wecom.friend_half_added")
    for event in (lily, lily,  # a redelivered event counts once
                  friend_event(world, "zhangsan", "wmLily", state=code.state),  # the add after the half add
                  friend_event(world, "zhangsan", "wmMia", state=code.state),
                  friend_event(world, "zhangsan", "wmNoa", state=other.state),
                  friend_event(world, "zhangsan", "wmWalkIn"),  # not through a code
                  friend_event(world, "zhangsan", "wmLily", type="wecom.friend_deleted_by_customer"),
                  friend_event(world, "zhangsan", "wmWalkIn", type="wecom.friend_deleted"),
                  friend_event(world, "zhangsan", "wmLily", type="wecom.friend_deleted")):  # already gone
        deliver(db, event)
    totals = friends.totals(db, world.tenant.id, [code.id, other.id])
    assert totals[code.id] == {"adds": 2, "deletions": 1, "net": 1}
    assert totals[other.id] == {"adds": 1, "deletions": 0, "net": 1}
    page = staff.get("/t/acme/wecom/livecodes/").get_data(as_text=True)
    assert '<td data-stat="adds">2</td>' in page and '<td data-stat="deletions">1</td>' in page
    chart = friends.daily(db, world.tenant.id, code.id)
    assert len(chart["labels"]) == 30 and chart["adds"][-1] == 2 and chart["deletions"][-1] == 1
    assert sum(chart["adds"]) == 2


def test_a_re_add_through_the_code_counts_again(db, world, staff):
    code = new_code(db, world, staff)
    for event in (friend_event(world, "zhangsan", "wmLily", state=code.state),
                  friend_event(world, "zhangsan", "wmLily", type="wecom.friend_deleted"),
                  friend_event(world, "zhangsan", "wmLily", state=code.state)):
        deliver(db, event)
    assert friends.totals(db, world.tenant.id, [code.id])[code.id] == {"adds": 2, "deletions": 1, "net": 1}


def test_the_codes_welcome_takes_priority_over_the_employees(db, world, staff, worker):
    general_welcome(db, world, "General welcome")
    code = new_code(db, world, staff, welcome_text="Welcome from the fair, {customer_name}")
    through_code = add_through(world, code)
    deliver(db, friend_event(world, "zhangsan", through_code["external_userid"], state=code.state,
                             welcome_code=through_code["welcome_code"]), worker)
    walk_in = add_through(world, None, name="Mia")
    deliver(db, friend_event(world, "zhangsan", walk_in["external_userid"], welcome_code=walk_in["welcome_code"]),
            worker)
    assert sent_texts(world) == ["Welcome from the fair, Lily", "General welcome"]


def test_a_code_without_its_own_welcome_falls_back_to_the_employees(db, world, staff, worker):
    general_welcome(db, world, "General welcome")
    code = new_code(db, world, staff)
    friend = add_through(world, code)
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"], state=code.state,
                             welcome_code=friend["welcome_code"]), worker)
    assert sent_texts(world) == ["General welcome"]


def test_another_tenants_events_never_touch_this_tenants_codes(db, world, staff, worker, other_tenant,
                                                                 enable_plugins):
    enable_plugins(other_tenant, "wecom")
    code = new_code(db, world, staff, welcome_text="Acme fair", tags=[make_tag(db, world.tenant, "Fair")])
    friend = add_through(world, code)
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"], state=code.state,
                             welcome_code=friend["welcome_code"], tenant_id=other_tenant.id), worker)
    fresh(db)
    assert db.exec(select(LiveCodeFriendEvent)).all() == []
    assert db.exec(select(CustomerTag)).all() == []
    assert world.sandbox.calls(SEND) == []
