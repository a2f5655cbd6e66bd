"""The customer profile's WeCom relations panel and the WeCom entries of the customer's timeline: who added the
customer (employee, department), when (tenant time), through which live code, whether the welcome went out, whether
the friendship stands, and the customer's group chats; a synced customer's timeline is not empty (friend added,
tagged, welcome sent, group joined, friend lost); another tenant's rows never show."""

from __future__ import annotations

import re

import pytest
from scrm_wecom import timeline
from scrm_wecom.groupchats.models import GroupChat, GroupMember
from scrm_wecom.livecodes.models import LiveCode
from scrm_wecom.sync.events import welcomed_before_known
from scrm_wecom.sync.models import Follow
from scrm_wecom.views.customer_panel import group_chats, relations
from sqlalchemy import select
from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import churn, signed_in
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_groupchats_fixtures import chats, run_group_sync  # noqa: F401
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import customer_of

from scrm.sdk import ChannelAccount, CustomerEvent, DeliveryStatus, Employee, mark_delivery, record_delivery

ALICE_ADDED_LOCAL = "2023-11-15 06:13"  # createtime 1700000000 (2023-11-14 22:13:20 UTC) in Asia/Shanghai
LOST_AT = 1763600000  # 2025-11-20 00:53:20 UTC


@pytest.fixture
def alice(db, platform, churn_account, chats, wsgi_http, worker):  # noqa: F811
    """Alice after the contact and group chat syncs: friend of 张三 (state lc:1, a live code of the tenant) and 李四,
    member of two group chats; the welcome to her went out on behalf of 张三; then she deleted 李四."""
    tenant_id = churn_account.tenant_id
    db.add(LiveCode(tenant_id=tenant_id, account_id=churn_account.id, name="静安店活码", state="lc:1"))
    db.commit()
    run_group_sync(db, platform, churn_account)
    row, _created = record_delivery(db, tenant_id, channel="wecom", recipient="wmAlice", account_id=churn_account.id,
                                    customer_id=customer_of(db, tenant_id, "wmAlice").id, kind="welcome",
                                    idempotency_key="welcome:WC-alice", task_ref="welcome:1@zhangsan")
    mark_delivery(db, row, DeliveryStatus.SENT)
    db.commit()
    churn(wsgi_http, churn_account, "lisi", "wmAlice", at=LOST_AT)
    worker.join()
    db.expire_all()
    return customer_of(db, tenant_id, "wmAlice")


def panel_of(page: str) -> str:
    match = re.search(r'<div data-testid="wecom-relations">.*?</div>', page, re.S)
    assert match, "the WeCom relations panel is missing"
    return match.group(0)


def test_the_profile_shows_who_added_the_customer_when_through_which_code_and_the_welcome(
        db, tenant, alice, client, make_user, login):
    signed_in(make_user, login, tenant, "admin@acme.test")
    page = client.get(f"/t/acme/members/customers/{alice.id}").get_data(as_text=True)
    panel = panel_of(page)
    rows = re.findall(r'<tr data-status="(\w+)">(.*?)</tr>', panel, re.S)
    assert [status for status, _cells in rows] == ["active", "churned"]  # 张三 added her first, then 李四
    zhangsan, lisi = rows[0][1], rows[1][1]
    assert "张三" in zhangsan and "Acme HQ" in zhangsan and ALICE_ADDED_LOCAL in zhangsan  # tenant time, not UTC
    assert "静安店活码" in zhangsan and "Sent" in zhangsan and "VIP Alice" in zhangsan
    assert "李四" in lisi and "Jing&#39;an store" in lisi and "Customer deleted the employee" in lisi
    assert "2025-11-20 08:53" in lisi  # the loss time, Asia/Shanghai
    assert "Sent" not in lisi  # no welcome went out on behalf of 李四
    assert "VIP group" in panel and "Head office" in panel


def test_the_panel_shows_the_tenants_time_zone(db, tenant, alice, client, make_user, login):
    tenant.timezone = "America/New_York"
    db.add(tenant)
    db.commit()
    signed_in(make_user, login, tenant, "admin@acme.test")
    panel = panel_of(client.get(f"/t/acme/members/customers/{alice.id}").get_data(as_text=True))
    assert "2023-11-14 17:13" in panel and ALICE_ADDED_LOCAL not in panel


def test_a_synced_customer_has_a_wecom_timeline(db, tenant, alice, client, make_user, login):
    events = db.execute(select(CustomerEvent.kind, CustomerEvent.data).where(
        CustomerEvent.customer_id == alice.id, CustomerEvent.plugin == "wecom")).all()
    kinds = sorted(kind for kind, _data in events)
    assert kinds == ["friend_added", "friend_added", "friend_lost", "joined_group", "joined_group"]
    signed_in(make_user, login, tenant, "admin@acme.test")
    page = client.get(f"/t/acme/members/customers/{alice.id}").get_data(as_text=True)
    assert "Added employee 张三 as a WeCom friend through live code 静安店活码" in page
    assert "Added employee 李四 as a WeCom friend" in page
    assert "Deleted employee 李四 (churned)" in page
    assert "Joined group chat VIP group" in page and "Joined group chat Head office" in page


def test_the_timeline_reads_chinese(db, tenant, alice, client, make_user, login):
    signed_in(make_user, login, tenant, "admin@acme.test")
    client.get("/lang/zh_CN")
    page = client.get(f"/t/acme/members/customers/{alice.id}").get_data(as_text=True)
    assert "企业微信关系" in page and "通过活码 静安店活码 添加员工 张三 为企业微信好友" in page
    assert "删除了员工 李四（流失）" in page and "加入群聊 VIP group" in page


def test_a_welcome_sent_before_the_customer_existed_joins_the_timeline(db, churn_account):
    tenant_id = churn_account.tenant_id
    row, _created = record_delivery(db, tenant_id, channel="wecom", recipient="wmCarol", account_id=churn_account.id,
                                    kind="welcome", idempotency_key="welcome:WC-carol", task_ref="welcome:1@zhangsan")
    mark_delivery(db, row, DeliveryStatus.SENT)
    db.flush()
    welcomed_before_known(db, db.get(ChannelAccount, churn_account.id), "wmCarol", "zhangsan")
    db.commit()
    carol = customer_of(db, tenant_id, "wmCarol")
    assert row.customer_id == carol.id
    [event] = db.execute(select(CustomerEvent).where(CustomerEvent.customer_id == carol.id,
                                                     CustomerEvent.kind == timeline.WELCOME_SENT)).scalars().all()
    assert event.data == {"userid": "zhangsan"}
    welcomed_before_known(db, db.get(ChannelAccount, churn_account.id), "wmCarol", "zhangsan")  # linked: once only
    assert len(db.execute(select(CustomerEvent.id).where(CustomerEvent.customer_id == carol.id,
                                                         CustomerEvent.kind == timeline.WELCOME_SENT)).all()) == 1


def test_another_tenants_relations_chats_and_entries_never_show(db, tenant, other_tenant, alice, make_account,
                                                                enable_plugins, client, make_user, login):
    enable_plugins(other_tenant, "members", "wecom")
    theirs = make_account(other_tenant, corp_id="wwGlobexCorp000")
    spy = Employee(tenant_id=other_tenant.id, userid="spy", name="间谍员工")
    db.add(spy)
    db.flush()
    # rows of the other tenant that name Alice's id: a query that forgot the tenant would show them
    db.add(Follow(tenant_id=other_tenant.id, account_id=theirs.id, customer_id=alice.id, employee_id=spy.id,
                  userid="spy", external_userid="wmAlice", remark="其他品牌备注"))
    chat = GroupChat(tenant_id=other_tenant.id, account_id=theirs.id, chat_id="wrGlobex", name="其他品牌群")
    db.add(chat)
    db.flush()
    db.add(GroupMember(tenant_id=other_tenant.id, group_chat_id=chat.id, member_id="wmAlice", customer_id=alice.id))
    db.add(CustomerEvent(**timeline.row(other_tenant.id, alice.id, timeline.JOINED_GROUP, None, chat="其他品牌群")))
    db.commit()

    assert [r.employee for r in relations(db, tenant.id, alice.id)] == ["张三", "李四"]
    assert sorted(c.name for c in group_chats(db, tenant.id, alice.id)) == ["Head office", "VIP group"]
    signed_in(make_user, login, tenant, "admin@acme.test")
    page = client.get(f"/t/acme/members/customers/{alice.id}").get_data(as_text=True)
    assert "间谍员工" not in page and "其他品牌备注" not in page and "其他品牌群" not in page
    # and the other tenant cannot open Alice's profile at all
    signed_in(make_user, login, other_tenant, "admin@globex.test")
    assert client.get(f"/t/globex/members/customers/{alice.id}").status_code == 404


def test_no_panel_for_a_customer_who_never_was_a_wecom_friend(db, tenant, churn_account, client, make_user, login):
    from scrm.sdk import Customer

    walk_in = Customer(tenant_id=tenant.id, name="门店散客")
    db.add(walk_in)
    db.commit()
    signed_in(make_user, login, tenant, "admin@acme.test")
    page = client.get(f"/t/acme/members/customers/{walk_in.id}").get_data(as_text=True)
    assert "门店散客" in page and 'data-testid="wecom-relations"' not in page


def test_with_wecom_disabled_the_profile_has_no_wecom_panel_nor_lines(db, platform, tenant, alice, client, make_user,
                                                                      login):
    from scrm.core.plugins.enablement import disable_plugin

    disable_plugin(db, platform.registry, db.merge(tenant), "wecom")
    db.commit()
    signed_in(make_user, login, tenant, "admin@acme.test")
    client.get("/lang/en")
    page = client.get(f"/t/acme/members/customers/{alice.id}").get_data(as_text=True)
    assert 'data-testid="wecom-relations"' not in page and "Added employee" not in page
    # the entries stay, each as its kind's label in the user's language (not the row's plain English summary)
    assert "Added as a WeCom friend" in page and "WeCom friendship ended" in page
    assert "WeCom friend added" not in page
    client.get("/lang/zh_CN")
    page = client.get(f"/t/acme/members/customers/{alice.id}").get_data(as_text=True)
    assert "添加为企业微信好友" in page and "企业微信好友关系结束" in page and "加入企业微信客户群" in page
    assert "WeCom" not in page.split('data-testid="timeline"', 1)[1].split("</ol>", 1)[0]


def test_every_wecom_timeline_kind_has_a_label_in_both_languages(app):
    from flask_babel import force_locale

    from scrm.sdk.timeline import TIMELINE_KIND
    from scrm.sdk.web import code_label

    for language, words in (("en", "WeCom"), ("zh-CN", "企业微信")):
        with app.test_request_context(), force_locale(language.replace("-", "_")):
            for kind in timeline.KINDS:
                line = code_label(TIMELINE_KIND, f"wecom.{kind}")
                assert line != f"wecom.{kind}" and words in line, (language, kind, line)


def test_timeline_lines_escape_what_wecom_sends(app):
    event = CustomerEvent(tenant_id=1, customer_id=1, plugin="wecom", kind=timeline.JOINED_GROUP,
                          data={"chat": "<script>alert(1)</script>", "userid": "x"})
    with app.test_request_context(headers={"Accept-Language": "en"}):
        line = str(timeline.line(event, {"x": "<b>员工</b>"}))
        lost = str(timeline.line(CustomerEvent(tenant_id=1, customer_id=1, plugin="wecom",
                                               kind=timeline.FRIEND_LOST, data={"userid": "x", "loss": "deleted"}),
                                 {"x": "<b>员工</b>"}))
    assert "<script>" not in line and "&lt;script&gt;alert(1)&lt;/script&gt;" in line
    assert "<b>" not in lost and "Was deleted by employee &lt;b&gt;员工&lt;/b&gt;" == lost


def test_a_welcome_still_being_sent_is_linked_but_its_entry_is_left_to_the_sender(db, churn_account):
    tenant_id = churn_account.tenant_id
    row, _created = record_delivery(db, tenant_id, channel="wecom", recipient="wmBob", account_id=churn_account.id,
                                    kind="welcome", idempotency_key="welcome:WC-bob", task_ref="welcome:1@lisi")
    db.flush()
    welcomed_before_known(db, db.get(ChannelAccount, churn_account.id), "wmBob", "lisi")
    db.commit()
    bob = customer_of(db, tenant_id, "wmBob")
    assert row.customer_id == bob.id
    assert db.execute(select(CustomerEvent.id).where(CustomerEvent.customer_id == bob.id,
                                                     CustomerEvent.kind == timeline.WELCOME_SENT)).all() == []
