"""WeCom's audience filters (issue 16 item 2): friend of, added between (the tenant's days, both ends inclusive),
added through live code, in group chat, still a friend or lost. Each gives the exact customers, compiles into the one
SQL query (alone, combined, and intersected from the indexes at three conditions), stays within the tenant, and is
offered only while WeCom is enabled for the tenant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from scrm_wecom.groupchats.models import ChatStatus, GroupChat, GroupMember
from scrm_wecom.livecodes.models import LiveCode
from scrm_wecom.sync.models import Follow, FollowStatus
from wecom_livecodes_fixtures import make_account, make_employees

from scrm.sdk import AudienceError, Customer, Employee, EmployeeStatus, compile_audience

KEYS = {"wecom_friend_of", "wecom_added_between", "wecom_live_code", "wecom_in_group_chat", "wecom_friend_status"}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass
class Scene:
    tenant: Any
    customers: dict[str, int]
    employees: dict[str, int]
    codes: dict[str, int]
    chats: dict[str, int]


def _build(db, platform, tenant, corp_id: str, prefix: str) -> Scene:
    account = make_account(db, platform, tenant, "http://127.0.0.1:9", corp_id=corp_id, name=f"{prefix} corp")
    employees = {userid: e.id for userid, e in make_employees(db, tenant).items()}
    for userid, status in (("wangwu", EmployeeStatus.ACTIVE), ("zhaoliu", EmployeeStatus.LEFT)):
        employee = Employee(tenant_id=tenant.id, userid=userid, name=userid, status=status)
        db.add(employee)
        db.flush()
        employees[userid] = employee.id
    people = {}
    for name in ("alice", "bob", "carol", "dave", "erin"):
        customer = Customer(tenant_id=tenant.id, name=f"{prefix} {name}")
        db.add(customer)
        db.flush()
        people[name] = customer.id
    codes = {}
    for key, state in (("spring", "lc:spring"), ("store", "lc:store")):
        code = LiveCode(tenant_id=tenant.id, account_id=account.id, name=f"{prefix} {key}", state=state)
        db.add(code)
        db.flush()
        codes[key] = code.id
    # Asia/Shanghai is UTC+8: 2026-12-01 00:00 local is 2026-11-30 16:00 UTC
    follows = [("alice", "zhangsan", FollowStatus.ACTIVE, utc(2026, 11, 30, 16, 0, 0), "lc:spring"),
               ("bob", "lisi", FollowStatus.ACTIVE, utc(2026, 12, 5, 15, 59, 59), ""),
               ("carol", "zhangsan", FollowStatus.CHURNED, utc(2026, 11, 30, 15, 59, 59), "lc:store"),
               ("dave", "lisi", FollowStatus.DELETED, utc(2026, 12, 5, 16, 0, 0), ""),
               ("dave", "zhangsan", FollowStatus.TRANSFERRED, None, "lc:other")]
    for name, userid, status, added_at, state in follows:
        db.add(Follow(tenant_id=tenant.id, account_id=account.id, customer_id=people[name],
                      employee_id=employees[userid], userid=userid, external_userid=f"wm{prefix}{name}",
                      status=status, added_at=added_at, state=state))
    chats = {}
    for key, status in (("vip", ChatStatus.NORMAL), ("old", ChatStatus.DISMISSED), ("empty", ChatStatus.NORMAL)):
        chat = GroupChat(tenant_id=tenant.id, account_id=account.id, chat_id=f"wr{prefix}{key}", name=key,
                         status=status)
        db.add(chat)
        db.flush()
        chats[key] = chat.id
    for name, chat in (("bob", "vip"), ("erin", "vip"), ("bob", "old"), ("alice", "old")):
        db.add(GroupMember(tenant_id=tenant.id, group_chat_id=chats[chat], member_id=f"wm{prefix}{name}", type=2,
                           customer_id=people[name]))
    db.add(GroupMember(tenant_id=tenant.id, group_chat_id=chats["vip"], member_id="zhangsan", type=1))
    db.commit()
    return Scene(tenant, people, employees, codes, chats)


@pytest.fixture
def acme(db, platform, tenant, enable_plugins) -> Scene:
    enable_plugins(tenant, "wecom")
    return _build(db, platform, tenant, "wwacme", "acme")


@pytest.fixture
def globex(db, platform, other_tenant, enable_plugins) -> Scene:
    """The same people, codes (same states) and chats in another tenant."""
    enable_plugins(other_tenant, "wecom")
    return _build(db, platform, other_tenant, "wwglobex", "globex")


def types_of(db, platform, tenant) -> list:
    return platform.hooks(db, db.merge(tenant)).contribute("audience_filters", tenant=db.merge(tenant))


def match(db, platform, scene: Scene, *conditions: dict) -> set[str]:
    query = compile_audience(scene.tenant.id, {"conditions": list(conditions)}, types_of(db, platform, scene.tenant))
    ids = set(db.exec(query).scalars())
    names = {customer_id: name for name, customer_id in scene.customers.items()}
    assert ids <= set(names), "a customer of another tenant matched"
    return {names[i] for i in ids}


def cond(key: str, *values: Any, negate: bool = False) -> dict:
    return {"type": key, "values": list(values), "negate": negate}


def test_friend_of_one_or_several_employees_counts_only_friendships_that_hold(db, platform, acme):
    zhang, li, wang = acme.employees["zhangsan"], acme.employees["lisi"], acme.employees["wangwu"]
    assert match(db, platform, acme, cond("wecom_friend_of", zhang)) == {"alice"}  # carol churned, dave transferred
    assert match(db, platform, acme, cond("wecom_friend_of", zhang, li)) == {"alice", "bob"}
    assert match(db, platform, acme, cond("wecom_friend_of", str(li))) == {"bob"}  # dave was deleted by lisi
    assert match(db, platform, acme, cond("wecom_friend_of", wang)) == set()
    assert match(db, platform, acme, cond("wecom_friend_of", zhang, negate=True)) == {"bob", "carol", "dave", "erin"}


def test_added_between_takes_the_tenants_days_with_both_ends_included(db, platform, acme):
    week = {"from": "2026-12-01", "to": "2026-12-05"}
    # alice at 12-01 00:00:00 and bob at 12-05 23:59:59 (Shanghai) are in; carol a second before, dave a second after
    assert match(db, platform, acme, cond("wecom_added_between", week)) == {"alice", "bob"}
    assert match(db, platform, acme, cond("wecom_added_between", {"from": "2026-12-06"})) == {"dave"}
    assert match(db, platform, acme, cond("wecom_added_between", {"to": "2026-11-30"})) == {"carol"}
    assert match(db, platform, acme, cond("wecom_added_between", {"from": "2026-12-01", "to": "2026-12-01"})) == {
        "alice"}
    assert match(db, platform, acme, cond("wecom_added_between", {"to": "2026-11-30"},
                                          {"from": "2026-12-06", "to": "2026-12-06"})) == {"carol", "dave"}


def test_added_between_follows_the_tenants_time_zone(db, platform, acme):
    tenant = db.merge(acme.tenant)
    tenant.timezone = "UTC"
    db.commit()
    acme.tenant = tenant
    # in UTC the same week holds bob (12-05 15:59) and dave (12-05 16:00), not alice (11-30 16:00)
    assert match(db, platform, acme, cond("wecom_added_between", {"from": "2026-12-01", "to": "2026-12-05"})) == {
        "bob", "dave"}


@pytest.mark.parametrize("value", [{"from": "2026-12-05", "to": "2026-12-01"}, {}, {"from": "5 Dec"}, "2026-12-01"])
def test_a_bad_date_range_is_refused_with_the_condition_named(db, platform, acme, value):
    with pytest.raises(AudienceError, match="wecom_added_between"):
        match(db, platform, acme, cond("wecom_added_between", value))


def test_added_through_live_code_by_the_friendships_state(db, platform, acme):
    spring, store = acme.codes["spring"], acme.codes["store"]
    assert match(db, platform, acme, cond("wecom_live_code", spring)) == {"alice"}
    assert match(db, platform, acme, cond("wecom_live_code", spring, store)) == {"alice", "carol"}  # carol lost since
    with pytest.raises(AudienceError, match="wecom_live_code"):
        match(db, platform, acme, cond("wecom_live_code", "spring"))


def test_in_group_chat_a_chosen_one_or_any_that_still_exists(db, platform, acme):
    assert match(db, platform, acme, cond("wecom_in_group_chat", acme.chats["vip"])) == {"bob", "erin"}
    assert match(db, platform, acme, cond("wecom_in_group_chat", "any")) == {"bob", "erin"}  # alice: dismissed only
    assert match(db, platform, acme, cond("wecom_in_group_chat", acme.chats["old"])) == set()
    assert match(db, platform, acme, cond("wecom_in_group_chat", acme.chats["empty"])) == set()
    assert match(db, platform, acme, cond("wecom_in_group_chat", "any", negate=True)) == {"alice", "carol", "dave"}


def test_still_a_friend_or_lost(db, platform, acme):
    assert match(db, platform, acme, cond("wecom_friend_status", "friend")) == {"alice", "bob"}
    assert match(db, platform, acme, cond("wecom_friend_status", "lost")) == {"carol", "dave"}  # erin never was one
    assert match(db, platform, acme, cond("wecom_friend_status", "friend", "lost")) == {"alice", "bob", "carol",
                                                                                       "dave"}
    with pytest.raises(AudienceError, match="wecom_friend_status"):
        match(db, platform, acme, cond("wecom_friend_status", "maybe"))


def test_conditions_combine_in_one_query_and_three_intersect_from_the_indexes(db, platform, acme):
    zhang, li = acme.employees["zhangsan"], acme.employees["lisi"]
    week = {"from": "2026-12-01", "to": "2026-12-05"}
    two = (cond("wecom_friend_of", zhang, li), cond("wecom_in_group_chat", "any"))
    assert match(db, platform, acme, *two) == {"bob"}
    three = (*two, cond("wecom_added_between", week))
    query = compile_audience(acme.tenant.id, {"conditions": list(three)}, types_of(db, platform, acme.tenant))
    assert "INTERSECT" in str(query).upper()
    assert match(db, platform, acme, *three) == {"bob"}
    assert match(db, platform, acme, *three, cond("wecom_live_code", acme.codes["spring"])) == set()
    assert match(db, platform, acme, cond("wecom_friend_of", zhang, li), cond("wecom_live_code", acme.codes["spring"]),
                 cond("wecom_added_between", week), cond("wecom_friend_status", "friend")) == {"alice"}


def test_each_filter_stays_within_its_tenant(db, platform, acme, globex):
    """globex has the same friendships, code states and chats; acme's conditions match acme's customers only, and
    acme's ids in globex's conditions match nothing."""
    week = {"from": "2026-12-01", "to": "2026-12-05"}
    assert match(db, platform, acme, cond("wecom_added_between", week)) == {"alice", "bob"}
    assert match(db, platform, acme, cond("wecom_live_code", acme.codes["spring"])) == {"alice"}
    assert match(db, platform, acme, cond("wecom_friend_status", "lost")) == {"carol", "dave"}
    assert match(db, platform, acme, cond("wecom_in_group_chat", "any")) == {"bob", "erin"}
    for foreign in (cond("wecom_friend_of", acme.employees["zhangsan"], acme.employees["lisi"]),
                    cond("wecom_live_code", acme.codes["spring"], acme.codes["store"]),
                    cond("wecom_in_group_chat", acme.chats["vip"])):
        assert match(db, platform, globex, foreign) == set(), foreign
    assert match(db, platform, globex, cond("wecom_friend_of", globex.employees["zhangsan"])) == {"alice"}
    types = {f.key: f for f in types_of(db, platform, acme.tenant)}
    offered = {key: {value for value, _label in types[key].choices(db, acme.tenant.id)}
               for key in ("wecom_friend_of", "wecom_live_code", "wecom_in_group_chat")}
    assert offered["wecom_live_code"] == set(acme.codes.values())
    assert offered["wecom_in_group_chat"] == {"any", acme.chats["vip"], acme.chats["empty"]}
    assert offered["wecom_friend_of"] == set(acme.employees.values()) - {acme.employees["zhaoliu"]}  # left: not offered


def test_no_wecom_filter_while_wecom_is_disabled(db, platform, tenant, other_tenant, enable_plugins):
    enable_plugins(other_tenant, "wecom")
    assert not KEYS & {f.key for f in types_of(db, platform, tenant)}
    assert KEYS <= {f.key for f in types_of(db, platform, other_tenant)}
    assert {f.section for f in types_of(db, platform, other_tenant) if f.key in KEYS} == {"interaction"}


def test_the_members_condition_editor_offers_and_counts_them_in_chinese(db, platform, acme, enable_plugins, make_user,
                                                                         login, client):
    """End to end through the members plugin's editor: the types and their choices in Chinese, a live estimate."""
    enable_plugins(acme.tenant, "members")
    login(make_user("operator@acme.test", acme.tenant, role="operator"))
    zh = {"Accept-Language": "zh-CN"}
    page = client.get("/t/acme/members/segments/new", headers=zh).get_data(as_text=True)
    assert all(word in page for word in ("企微好友（所属员工）", "添加好友时间", "通过渠道活码添加", "所在群聊",
                                         "企微好友状态")), page[:300]
    row = client.get("/t/acme/members/conditions/row?i=0&c0_type=wecom_friend_status", headers=zh)
    assert "仍是好友" in row.get_data(as_text=True) and "已流失（不再是好友）" in row.get_data(as_text=True)
    row = client.get("/t/acme/members/conditions/row?i=0&c0_type=wecom_in_group_chat", headers=zh)
    assert "任意群聊" in row.get_data(as_text=True) and "vip" in row.get_data(as_text=True)
    html = client.post("/t/acme/members/conditions/estimate",
                       data={"c": ["0"], "c0_type": "wecom_friend_status", "c0_values": ["lost"]}).get_data(as_text=True)
    assert "Estimated: 2 customers" in html, html[:500]
    week = {"c": ["0", "1"], "c0_type": "wecom_added_between", "c0_from": "2026-12-01", "c0_to": "2026-12-05",
            "c1_type": "wecom_friend_of", "c1_values": [str(acme.employees["lisi"])]}
    html = client.post("/t/acme/members/conditions/estimate", data=week).get_data(as_text=True)
    assert "Estimated: 1 customers" in html, html[:500]  # bob
