"""Full sync against the sandbox: departments, employees with mapped status, customers by One-ID, follow relations
with per-employee corp tags; a second run changes nothing; vanished members and relations end."""

from __future__ import annotations

from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import (
    CORP_ID,
    count,
    customer_of,
    employee,
    follows,
    run_full_sync,
    seed,
    wecom_tags_of,
)

from scrm.sdk import (
    Customer,
    CustomerIdentity,
    CustomerTag,
    Department,
    Employee,
    Tag,
    TagGroup,
    match_or_create,
)


def test_full_sync_creates_the_org_tree_with_mapped_status(db, platform, sync_account):
    run = run_full_sync(db, platform, sync_account)
    assert run.status == "done" and run.progress == 100 and run.error is None
    deps = {d.external_id: d for d in db.execute(select(Department).where(
        Department.tenant_id == sync_account.tenant_id)).scalars()}
    assert set(deps) == {"1", "2", "3"}
    assert deps["1"].parent_id is None and deps["2"].parent_id == deps["1"].id and deps["3"].parent_id == deps["2"].id
    assert deps["2"].name == "Shanghai stores"
    statuses = {e.userid: e.status for e in db.execute(select(Employee)).scalars()}
    # disabled (2) counts as left: the member serves no customers and their customers wait for inheritance (J1)
    assert statuses == {"zhangsan": "active", "lisi": "active", "zhaoliu": "left", "sunqi": "inactive",
                        "wangwu": "left"}
    lisi, zhangsan = employee(db, sync_account.tenant_id, "lisi"), employee(db, sync_account.tenant_id, "zhangsan")
    assert lisi.department_id == deps["3"].id and lisi.superior_id == zhangsan.id
    assert zhangsan.position == "Manager" and zhangsan.mobile == "13800000001"
    assert run.stats["org"]["employees_created"] == 5


def test_full_sync_creates_customers_follow_relations_and_per_employee_tags(db, platform, sync_account):
    run_full_sync(db, platform, sync_account)
    tenant_id = sync_account.tenant_id
    alice = customer_of(db, tenant_id, "wmAlice")
    assert (alice.name, alice.gender, alice.avatar, alice.source) == ("Alice", 2, "https://wx.qlogo.cn/alice", "wecom")
    assert alice.owner_employee_id == employee(db, tenant_id, "zhangsan").id  # who added her first
    kinds = set(db.execute(select(CustomerIdentity.kind, CustomerIdentity.value).where(
        CustomerIdentity.customer_id == alice.id)).all())
    assert kinds == {(f"external_userid@{CORP_ID}", "wmAlice"), ("unionid", "unionAlice")}
    relations = follows(db, tenant_id)
    # Bob's relation with wangwu (who left) is not read: WeCom only answers for active members
    assert set(relations) == {("wmAlice", "zhangsan"), ("wmAlice", "lisi"), ("wmBob", "lisi"),
                              ("wmCarol", "zhangsan")}
    first = relations[("wmAlice", "zhangsan")]
    assert (first.remark, first.state, first.add_way, first.status) == ("VIP Alice", "lc:1", 1, "active")
    assert first.added_at.timestamp() == 1700000000 and first.customer_id == alice.id
    assert first.employee_id == employee(db, tenant_id, "zhangsan").id
    # corp tags per employee; the personal tag (type 2) is not a corp tag
    assert wecom_tags_of(db, alice.id) == {("Gold", "zhangsan"), ("Mall", "lisi")}
    groups = {g.external_id: g.name for g in db.execute(select(TagGroup).where(TagGroup.source == "wecom")).scalars()}
    assert groups == {"etLevel": "Level", "etSource": "Source"}
    assert count(db, Tag, Tag.source == "wecom") == 3


def test_a_contact_is_matched_by_unionid_to_an_existing_customer(db, platform, sync_account):
    existing = match_or_create(db, sync_account.tenant_id, {"unionid": "unionCarol", "mobile": "13900000000"},
                               name="Carol Chen", source="manual").customer
    db.commit()
    run_full_sync(db, platform, sync_account)
    carol = customer_of(db, sync_account.tenant_id, "wmCarol")
    assert carol.id == existing.id
    assert carol.name == "Carol Chen" and carol.source == "manual"  # a customer of another source keeps its name
    assert count(db, Customer, Customer.tenant_id == sync_account.tenant_id) == 3


def test_two_customers_of_one_person_are_merged_into_the_unionid_one(db, platform, sync_account):
    tenant_id = sync_account.tenant_id
    by_unionid = match_or_create(db, tenant_id, {"unionid": "unionAlice"}, name="Alice W", source="manual").customer
    by_external = match_or_create(db, tenant_id, {f"external_userid@{CORP_ID}": "wmAlice"}, source="wecom").customer
    db.commit()
    run = run_full_sync(db, platform, sync_account)
    assert run.stats["contacts"]["customers_merged"] == 1
    assert customer_of(db, tenant_id, "wmAlice").id == by_unionid.id
    db.expire_all()
    assert db.get(Customer, by_external.id).merged_into_id == by_unionid.id
    assert {f.customer_id for k, f in follows(db, tenant_id).items() if k[0] == "wmAlice"} == {by_unionid.id}


def _snapshot(db, tenant_id):
    db.commit()
    db.expire_all()
    return {
        "customers": [(c.id, c.name, c.avatar, c.gender, c.owner_employee_id, c.updated_at) for c in db.execute(
            select(Customer).where(Customer.tenant_id == tenant_id).order_by(Customer.id)).scalars()],
        "identities": sorted(db.execute(select(CustomerIdentity.id, CustomerIdentity.customer_id,
                                               CustomerIdentity.value)).all()),
        "employees": [(e.id, e.name, e.status, e.department_id, e.superior_id) for e in db.execute(
            select(Employee).order_by(Employee.id)).scalars()],
        "departments": [(d.id, d.name, d.parent_id) for d in db.execute(select(Department).order_by(Department.id))
                        .scalars()],
        "follows": sorted((k, f.id, f.updated_at, f.status) for k, f in follows(db, tenant_id).items()),
        "tags": sorted(db.execute(select(CustomerTag.id, CustomerTag.tag_id, CustomerTag.employee_key)).all()),
        "corp_tags": sorted(db.execute(select(Tag.id, Tag.name, Tag.group_id, Tag.order)).all()),
    }


def test_a_second_full_sync_changes_nothing(db, platform, sync_account):
    from sqlalchemy import column, table

    outbox = table("outbox", column("id"))
    run_full_sync(db, platform, sync_account)
    before, events = _snapshot(db, sync_account.tenant_id), count(db, outbox)
    assert len(before["customers"]) == 3 and len(before["follows"]) == 4 and len(before["tags"]) == 2
    second = run_full_sync(db, platform, sync_account)
    assert _snapshot(db, sync_account.tenant_id) == before
    assert count(db, outbox) == events  # no event either
    changed = {k: v for part in ("org", "tags", "contacts") for k, v in second.stats[part].items()
               if v and k != "contacts"}
    assert changed == {}


def test_members_and_relations_gone_from_wecom_end_at_the_next_full_sync(db, platform, sync_account, sandbox):
    run_full_sync(db, platform, sync_account)
    data = seed()
    data["users"] = [u for u in data["users"] if u["userid"] != "sunqi"]  # deleted from the address book
    data["external_contacts"][0]["follow_user"] = data["external_contacts"][0]["follow_user"][:1]  # lisi lost Alice
    sandbox[1].seed(data)
    run = run_full_sync(db, platform, sync_account)
    assert employee(db, sync_account.tenant_id, "sunqi").status == "left"
    assert run.stats["org"]["employees_left"] == 1
    ended = follows(db, sync_account.tenant_id)[("wmAlice", "lisi")]
    assert ended.status == "deleted" and ended.deleted_at is not None
    assert run.stats["contacts"]["follows_ended"] == 1


def test_small_batches_and_cursor_walks_give_the_same_result(db, platform, sync_account, monkeypatch):
    from scrm_wecom.sync import runner

    monkeypatch.setattr(runner, "USERS_PER_CALL", 1)
    monkeypatch.setattr(runner, "BATCH", 1)
    run = run_full_sync(db, platform, sync_account)
    assert run.status == "done"
    alice = customer_of(db, sync_account.tenant_id, "wmAlice")
    assert wecom_tags_of(db, alice.id) == {("Gold", "zhangsan"), ("Mall", "lisi")}
    assert len(follows(db, sync_account.tenant_id)) == 4
    assert count(db, Customer, Customer.tenant_id == sync_account.tenant_id) == 3


def test_a_wrong_secret_fails_the_run_and_shows_on_the_account(db, platform, tenant, enable_plugins, make_account,
                                                               sandbox):
    enable_plugins(tenant, "wecom")
    account = make_account(tenant, sandbox[0], address_book_secret="wrong-secret")
    run = run_full_sync(db, platform, account)
    assert run.status == "failed" and "40001" in run.error
    db.expire_all()
    assert "40001" in db.get(type(account), account.id).last_error
    assert count(db, Employee) == 0


def test_a_wecom_user_keeps_the_corp_name_for_the_contact_badge(db, platform, sync_account, sandbox):
    """An external contact of type 2 (a WeCom user of another corp) keeps ``corp_name``, on creation and when it
    changes: the assignment tabs show it as "@<corp>", a WeChat user as "@WeChat"."""
    from scrm_wecom.assignment.queries import contact_badges
    from scrm_wecom.sync.contacts import CORP_NAME_KEY

    data = seed()
    data["external_contacts"].append({"external_userid": "woDora", "name": "Dora", "type": 2, "corp_name": "腾讯",
                                      "follow_user": [{"userid": "zhangsan", "createtime": 1700003000}]})
    sandbox[1].seed(data)
    run_full_sync(db, platform, sync_account)
    tenant_id = sync_account.tenant_id
    dora, alice = customer_of(db, tenant_id, "woDora"), customer_of(db, tenant_id, "wmAlice")
    assert dora.attributes[CORP_NAME_KEY] == "腾讯" and CORP_NAME_KEY not in (alice.attributes or {})
    assert contact_badges(db, tenant_id, [dora, alice]) == {dora.id: "@腾讯", alice.id: "@WeChat"}
    data["external_contacts"][-1]["corp_name"] = "腾讯科技"
    sandbox[1].seed(data)
    run_full_sync(db, platform, sync_account)
    db.expire_all()
    assert customer_of(db, tenant_id, "woDora").attributes[CORP_NAME_KEY] == "腾讯科技"
