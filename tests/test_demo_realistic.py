"""``scrm demo`` with the members and wecom plugins seeds a brand whose every dashboard card and chart shows numbers on
first run: customers over six months, 90 days of orders across stores and employees, targets, levels, stages, points,
segments, a blacklist; WeCom friends, live-code adds, welcomes, churned and deleted friends, group chats and the
unassigned pool. Deterministic, idempotent (a second run adds nothing), fast, and Chinese."""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from scrm.hostapp.cli import main
from scrm.sdk import Customer, CustomerEvent, Department, MessageDelivery, day_span, month_span, utcnow

pytestmark = pytest.mark.slow

members = pytest.importorskip("scrm_members")
wecom = pytest.importorskip("scrm_wecom")

from scrm_members.loyalty.models import (  # noqa: E402
    CustomerLevel,
    DashboardSnapshot,
    Order,
    OrderItem,
    PerformanceTarget,
    PointsBalance,
    StageMembership,
)
from scrm_members.loyalty.stages import tenant_stages  # noqa: E402
from scrm_members.segments.models import BlacklistEntry, Segment  # noqa: E402
from scrm_wecom import demo as wecom_demo  # noqa: E402
from scrm_wecom import demo_promotion  # noqa: E402
from scrm_wecom.churn.models import FriendLoss  # noqa: E402
from scrm_wecom.groupchats.models import GroupChat  # noqa: E402
from scrm_wecom.livecodes.models import LiveCode, LiveCodeFriendEvent  # noqa: E402

SEED_BUDGET_SECONDS = 60
CJK = re.compile(r"^[\u4e00-\u9fff·]+$")
TABLES = ("customer", "customer_identity", "customer_event", "members_order", "members_order_item",
          "members_points_entry", "members_stage_membership", "members_customer_level", "members_segment",
          "members_blacklist_entry", "members_performance_target", "wecom_follow", "wecom_friend_loss",
          "wecom_live_code", "wecom_live_code_friend_event", "wecom_group_chat", "wecom_group_member",
          "message_delivery")


def _give_back_the_session_bus(scrm_app) -> None:
    import dramatiq

    from scrm.core.jobs import bus

    session_bus = scrm_app.extensions["scrm"].bus
    bus._current = session_bus
    dramatiq.set_broker(session_bus.broker)


def _counts(engine) -> dict[str, int]:
    from sqlalchemy import text

    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


@pytest.fixture(scope="module")
def demo(tmp_path_factory, scrm_app):
    """The demo run twice on a fresh SQLite instance: ``(instance, engine, first run seconds, counts after each run,
    admin password)``."""
    from scrm.sdk.testing import free_port

    root = tmp_path_factory.mktemp("realistic-demo")
    manifest = root / "plugins.toml"
    manifest.write_text('[plugins.members]\ndefault_enabled = true\n\n[plugins.wecom]\n', encoding="utf-8")
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCRM_INSTANCE_PATH", str(root / "instance"))
        patch.setenv("SCRM_PLUGINS_TOML", str(manifest))
        for name in ("SCRM_DATABASE_URL", "SCRM_BROKER_URL", "SCRM_REDIS_URL", "SCRM_SANDBOXES"):
            patch.delenv(name, raising=False)
        runner = CliRunner()
        started = time.monotonic()
        first = runner.invoke(main, ["demo", "--url", url], catch_exceptions=False)
        seconds = time.monotonic() - started
        assert first.exit_code == 0, first.output
        engine = create_engine(f"sqlite:///{root / 'instance' / 'scrm.db'}")
        after_first = _counts(engine)
        second = runner.invoke(main, ["demo", "--url", url], catch_exceptions=False)
        assert second.exit_code == 0, second.output
        after_second = _counts(engine)
        _give_back_the_session_bus(scrm_app)
        password = second.output.strip().splitlines()[-1].rsplit(" / ", 1)[1]
        yield {"instance": root / "instance", "engine": engine, "seconds": seconds, "first": after_first,
               "second": after_second, "password": password,
               "env": {"SCRM_INSTANCE_PATH": str(root / "instance"), "SCRM_PLUGINS_TOML": str(manifest)}}
        engine.dispose()


@pytest.fixture
def session(demo):
    with Session(demo["engine"]) as s:
        yield s


def one(session: Session, statement):
    return session.execute(statement).scalar_one()


def column(session: Session, statement) -> list:
    return list(session.execute(statement).scalars())


def tenant_id(session: Session) -> int:
    from scrm.sdk import Tenant

    return one(session, select(Tenant.id).where(Tenant.slug == "demo"))


def test_seeding_is_fast_and_a_second_run_adds_nothing(demo):
    print(f"\ndemo seeding on SQLite: {demo['seconds']:.1f} s; rows: {demo['first']}")
    assert demo["seconds"] < SEED_BUDGET_SECONDS
    assert demo["first"] == demo["second"]
    assert demo["first"]["customer"] >= 2000 and demo["first"]["members_order"] >= 3000


def test_the_home_statistics_have_numbers_in_every_card_and_chart(session):
    data = one(session, select(DashboardSnapshot.data).where(DashboardSnapshot.tenant_id == tenant_id(session)))
    figures = data["members"]
    for key in ("users", "new_this_month", "new_last_month", "members", "new_members_today",
                "new_members_yesterday", "non_members", "new_non_members_yesterday"):
        assert figures[key] > 0, key
    sales = data["sales"]
    for key in ("total_cents", "month_cents", "last_month_cents", "today_cents", "yesterday_cents", "orders_month",
                "orders_last_month", "refund_last_month_cents"):
        assert sales[key] > 0, key
    assert len(data["trend"]) == 7 and all(point["cents"] > 0 for point in data["trend"])
    assert [step["level"] for step in data["funnel"]] == ["users", "members", "purchasers", "repeat_purchasers"]
    assert all(step["count"] > 0 for step in data["funnel"])
    assert len(data["channels"]) >= 4 and all(c["orders"] > 0 for c in data["channels"])
    stores, employees = data["rankings"]["stores"]["by_value"], data["rankings"]["employees"]["by_value"]
    assert len(stores) >= 5 and all(s["value_cents"] > 0 and s["target_cents"] > 0 for s in stores)
    assert len(employees) >= 10 and sum(e["value_cents"] > 0 for e in employees) >= 10


def test_customers_joined_over_six_months(session):
    tid = tenant_id(session)
    now = utcnow()
    months = []
    for back in range(6):
        span = month_span(now, back)
        months.append(one(session, select(func.count()).select_from(Customer).where(
            Customer.tenant_id == tid, Customer.created_at >= span.start, Customer.created_at < span.end)))
    assert sum(1 for n in months if n > 0) >= 5, months
    assert months[0] < months[1] or months[1] > months[5]  # the brand grows: recent months bring more customers
    oldest = one(session, select(func.min(Customer.created_at)).where(Customer.tenant_id == tid))
    assert oldest.replace(tzinfo=now.tzinfo) < now - timedelta(days=150)
    assert one(session, select(func.count()).select_from(Customer).where(
        Customer.tenant_id == tid, Customer.owner_employee_id.is_(None))) > 0  # the unassigned pool


def test_ninety_days_of_orders_across_stores_and_employees(session):
    tid = tenant_id(session)
    since = day_span(utcnow(), 89).start
    rows = session.execute(select(Order.paid_at, Order.store_id, Order.employee_id).where(Order.tenant_id == tid)).all()
    assert rows and all(paid.replace(tzinfo=since.tzinfo) >= since for paid, _s, _e in rows)
    days = {paid.date() for paid, _s, _e in rows}
    assert len(days) >= 85
    assert len({s for _p, s, _e in rows if s}) >= 3 and len({e for _p, _s, e in rows if e}) >= 3
    assert one(session, select(func.count()).select_from(OrderItem).where(OrderItem.tenant_id == tid)) >= len(rows)
    assert one(session, select(func.count()).select_from(PerformanceTarget).where(
        PerformanceTarget.tenant_id == tid)) >= 10


def test_members_in_every_stage_levels_points_segments_and_a_blacklist(session):
    tid = tenant_id(session)
    in_stage = Counter(column(session, select(StageMembership.stage_id).where(
        StageMembership.tenant_id == tid, StageMembership.left_at.is_(None))))
    stages = tenant_stages(session, tid)
    assert len(stages) >= 5 and all(in_stage[stage.id] > 0 for stage in stages)
    levels = Counter(column(session, select(CustomerLevel.level_id).where(CustomerLevel.tenant_id == tid)))
    assert len(levels) >= 3
    assert one(session, select(func.count()).select_from(PointsBalance).where(
        PointsBalance.tenant_id == tid, PointsBalance.balance > 0)) > 100
    segments = session.execute(select(Segment.name, Segment.member_count).where(Segment.tenant_id == tid)).all()
    assert len(segments) >= 4 and all(count > 0 for _name, count in segments)
    assert one(session, select(func.count()).select_from(BlacklistEntry).where(BlacklistEntry.tenant_id == tid)) >= 3


def test_wecom_friends_codes_welcomes_losses_and_group_chats(session):
    tid = tenant_id(session)
    codes = session.execute(select(LiveCode.id, LiveCode.name).where(LiveCode.tenant_id == tid)).all()
    assert sorted(name for _id, name in codes) == sorted(name for name, _store in wecom_demo.LIVE_CODES)
    adds = Counter(column(session, select(LiveCodeFriendEvent.live_code_id).where(
        LiveCodeFriendEvent.tenant_id == tid, LiveCodeFriendEvent.kind == "add")))
    assert all(adds[code_id] >= 10 for code_id, _name in codes)
    welcomes = column(session, select(MessageDelivery.status).where(MessageDelivery.tenant_id == tid,
                                                                   MessageDelivery.kind == "welcome"))
    # the live codes' adds, and the customers who add a promoter through the promotion's codes (welcomed too)
    assert len(welcomes) == len(wecom_demo.LIVE_CODE_ADDS) + len(demo_promotion.SCANS)
    assert {str(s) for s in welcomes} == {"sent"}
    losses = session.execute(select(FriendLoss.kind, FriendLoss.lost_at).where(FriendLoss.tenant_id == tid)).all()
    kinds = Counter(kind for kind, _at in losses)
    assert kinds["churned"] >= 10 and kinds["deleted"] >= 5
    assert len({at.date() for _kind, at in losses}) >= 10  # spread over the weeks, not all at the demo's moment
    chats = session.execute(select(GroupChat.name, GroupChat.member_count).where(GroupChat.tenant_id == tid)).all()
    assert len(chats) >= 5 and all(count >= 10 for _name, count in chats)
    assert sum(column(session, select(GroupChat.joined_today).where(GroupChat.tenant_id == tid))) >= 1
    kinds = Counter(column(session, select(CustomerEvent.kind).where(CustomerEvent.tenant_id == tid,
                                                                     CustomerEvent.plugin == "wecom")))
    for kind in ("friend_added", "tagged", "welcome_sent", "joined_group", "friend_lost"):
        assert kinds[kind] > 0, kind


def test_the_data_reads_like_a_chinese_brand(session):
    tid = tenant_id(session)
    names = column(session, select(Customer.name).where(Customer.tenant_id == tid))
    assert sum(1 for n in names if CJK.match(n)) == len(names)
    stores = column(session, select(Department.name).where(Department.tenant_id == tid))
    assert all(CJK.match(n) for n in stores) and any("上海" in n for n in stores) and any("杭州" in n for n in stores)
    products = set(column(session, select(OrderItem.product_name).where(OrderItem.tenant_id == tid)))
    assert len(products) >= 10 and all(re.search(r"[\u4e00-\u9fff]", p) for p in products)


def test_the_pages_show_the_numbers(demo, monkeypatch, scrm_app):
    from scrm.core.config import Settings
    from scrm.hostapp import create_app

    for key, value in demo["env"].items():
        monkeypatch.setenv(key, value)
    app = create_app(Settings.from_env(), broker_namespace="scrm-realistic-demo-test")
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        assert client.post("/login", data={"email": "admin@demo.local", "password": demo["password"]}
                           ).status_code == 302
        home = client.get("/t/demo/").get_data(as_text=True)
        assert "上海南京西路旗舰店" in home  # the store ranking
        codes = client.get("/t/demo/wecom/livecodes/").get_data(as_text=True)
        assert all(name in codes for name, _store in wecom_demo.LIVE_CODES)
        churned = client.get("/t/demo/wecom/churn/churned").get_data(as_text=True)
        assert f"{wecom_demo.demo_history.CHURNED} rows" in churned
        with Session(demo["engine"]) as s:
            customer_id = s.execute(select(FriendLoss.customer_id).where(FriendLoss.kind == "churned")).scalars().first()
        profile = client.get(f"/t/demo/members/customers/{customer_id}").get_data(as_text=True)
        assert 'data-testid="wecom-relations"' in profile and "as a WeCom friend" in profile
        assert "(churned)" in profile
    finally:
        app.extensions["scrm"].close()
        _give_back_the_session_bus(scrm_app)
