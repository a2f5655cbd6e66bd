# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""The home dashboard (spec A §1, §4 R1/R7–R14/R27–R28, §5.1–§5.6, §7 J1–J3; acceptance 1–6, 10, 11): figures as the
spec defines them, computed by a job into a snapshot on the durable 10-minute schedule or on "Refresh", shown with
the update time, and tenant-isolated."""

from __future__ import annotations

from datetime import timedelta

from members_loyalty_fixtures import (  # noqa: F401
    admin,
    customer,
    employee,
    loyalty_tenant,
    order,
    store,
)
from scrm_members.loyalty import dashboard
from scrm_members.loyalty.jobs import schedule_keys
from scrm_members.loyalty.models import PerformanceTarget
from scrm_members.loyalty.periods import local_now, month_span
from sqlmodel import select, update

from scrm.core.models import Customer, ScheduledJob
from scrm.core.timeutil import utcnow


def people(db, tenant, members: int, others: int) -> None:
    db.add_all([Customer(tenant_id=tenant.id, name=f"m{i}", is_member=True) for i in range(members)]
               + [Customer(tenant_id=tenant.id, name=f"n{i}") for i in range(others)])
    db.commit()


def test_member_statistics_after_the_scheduled_job(client, admin, loyalty_tenant, other_tenant, worker, platform, db):
    """Acceptance 1 and 2: 253 + 254 = 507 once the 10-minute job ran; a new customer shows only after the next."""
    people(db, loyalty_tenant, 253, 254)
    people(db, other_tenant, 5, 5)
    key = schedule_keys(loyalty_tenant.id)["dashboard"]
    job = db.exec(select(ScheduledJob).where(ScheduledJob.key == key)).one()
    assert job.interval_seconds == 600
    db.exec(update(ScheduledJob).where(ScheduledJob.id != job.id).values(status="cancelled"))
    db.commit()
    platform.tick(now=utcnow() + timedelta(seconds=1))
    worker.join()
    db.commit()
    snapshot = dashboard.latest(db, loyalty_tenant.id)
    assert (snapshot.data["members"]["users"], snapshot.data["members"]["members"],
            snapshot.data["members"]["non_members"]) == (507, 253, 254)
    page = client.get("/t/acme/members/dashboard/", follow_redirects=True).get_data(as_text=True)
    assert 'data-testid="users">507<' in page and 'data-testid="members">253<' in page
    assert local_now(snapshot.computed_at).strftime("%Y-%m-%d %H:%M:%S") in page
    before = snapshot.data["members"]["new_non_members_today"]
    people(db, loyalty_tenant, 0, 1)
    db.commit()
    assert dashboard.latest(db, loyalty_tenant.id).data["members"]["new_non_members_today"] == before
    db.refresh(job)
    platform.tick(now=job.due_at + timedelta(seconds=1))
    worker.join()
    db.commit()
    fresh = dashboard.latest(db, loyalty_tenant.id)
    db.refresh(fresh)
    assert fresh.data["members"]["new_non_members_today"] == before + 1


def test_sales_statistics_follow_the_spec_example(db, loyalty_tenant, customer, order):
    """Acceptance 3 and 4: 100 (90 + 15 − 5) and 50 paid today, one refunded → 150 today, 0.02 (10k), refund 100."""
    ann = customer(loyalty_tenant, "Ann")
    now = utcnow()
    order(ann, 100, goods=90, refund=100, refunded_at=now)
    order(ann, 50)
    last_month = month_span(now, 1).start + timedelta(days=1)
    order(ann, 30, created_at=last_month, paid_at=now)  # created last month, paid this month
    order(ann, 20, paid_at=last_month, refund=20, refunded_at=now)  # paid last month, refunded this month
    sales = dashboard.compute(db, loyalty_tenant.id, now)["sales"]
    assert dashboard.yuan(sales["today_cents"]) == "150.00"
    assert dashboard.wan(sales["total_cents"]) == "0.02"
    assert sales["refund_month_cents"] == 12000 and sales["refunds_month"] == 2
    assert sales["orders_month"] == 3 and sales["orders_last_month"] == 1


def test_funnel_ratios_have_two_decimals(db, loyalty_tenant, customer, order):
    """Acceptance 5: 10 users, 4 members, 3 purchasers, 1 repeat → 100.00 / 40.00 / 30.00 / 10.00."""
    crowd = [customer(loyalty_tenant, f"c{i}", is_member=i < 4) for i in range(10)]
    for buyer in crowd[:3]:
        order(buyer, 10)
    order(crowd[0], 10)
    order(crowd[5], 10, unpaid=True)
    funnel = dashboard.compute(db, loyalty_tenant.id)["funnel"]
    assert [(lvl["count"], lvl["ratio"]) for lvl in funnel] == [(10, "100.00"), (4, "40.00"), (3, "30.00"),
                                                                (1, "10.00")]
    assert dashboard.ratio(1, 3) == "33.33"  # acceptance 6


def test_trend_and_channels(db, loyalty_tenant, customer, order):
    ann = customer(loyalty_tenant, "Ann")
    order(ann, 10, source="tmall")
    order(ann, 30, source="douyin", paid_at=utcnow() - timedelta(days=1))
    order(ann, 99, source="douyin", paid_at=utcnow() - timedelta(days=9))
    data = dashboard.compute(db, loyalty_tenant.id)
    assert len(data["trend"]) == 7 and data["trend"][-1]["cents"] == 1000 and data["trend"][-2]["cents"] == 3000
    assert data["channels"] == [{"source": "douyin", "orders": 2, "share": "66.67"},
                                {"source": "tmall", "orders": 1, "share": "33.33"}]


def test_store_ranking_eligibility_and_top_ten(db, loyalty_tenant, other_tenant, customer, order, store, employee):
    """Acceptance 10: a department with children is excluded, a leaf without a target too; top 10 by rate."""
    year = local_now(utcnow()).year
    ann = customer(loyalty_tenant, "Ann")
    region = store(loyalty_tenant, "East region")
    db.add(PerformanceTarget(tenant_id=loyalty_tenant.id, department_id=region.id, year=year, target_cents=100))
    store(loyalty_tenant, "No target", parent=region)
    for n in range(12):
        shop = store(loyalty_tenant, f"Shop {n:02d}", parent=region)
        db.add(PerformanceTarget(tenant_id=loyalty_tenant.id, department_id=shop.id, year=year, target_cents=100_00))
        order(ann, n + 1, store_id=shop.id)
    lily = employee(loyalty_tenant, "Lily", region)
    db.add(PerformanceTarget(tenant_id=loyalty_tenant.id, employee_id=lily.id, year=year, target_cents=200_00))
    order(ann, 183.66, employee_id=lily.id)
    theirs = store(other_tenant, "Globex shop")
    db.add(PerformanceTarget(tenant_id=other_tenant.id, department_id=theirs.id, year=year, target_cents=1))
    db.commit()
    rankings = dashboard.compute(db, loyalty_tenant.id)["rankings"]
    by_rate = rankings["stores"]["by_rate"]
    assert [r["name"] for r in by_rate] == [f"Shop {n:02d}" for n in range(11, 1, -1)]
    assert by_rate[0]["rate"] == "12.00"
    assert rankings["employees"]["by_rate"] == [{"name": "Lily(East region)", "value_cents": 18366,
                                                 "target_cents": 20000, "rate": "91.83"}]


def test_refresh_button_pages_and_card_are_per_tenant(client, admin, loyalty_tenant, other_tenant, worker, db):
    people(db, other_tenant, 42, 0)
    dashboard.refresh(db, other_tenant.id)
    db.commit()
    page = client.get("/t/acme/members/dashboard/", follow_redirects=True).get_data(as_text=True)
    assert "Not computed yet." in page and "42" not in page
    people(db, loyalty_tenant, 3, 4)
    assert client.post("/t/acme/members/dashboard/refresh").status_code == 302
    worker.join()
    page = client.get("/t/acme/members/dashboard/", follow_redirects=True).get_data(as_text=True)
    assert 'data-testid="users">7<' in page and "chart.umd.min.js" in page and 'id="dashboard-data"' in page
    home = client.get("/t/acme/").get_data(as_text=True)
    assert 'data-testid="members">3<' in home  # the statistics are part of the home page


def test_targets_form_refuses_bad_input_and_foreign_stores(client, admin, loyalty_tenant, other_tenant, store, db):
    mine, theirs = store(loyalty_tenant, "Shop"), store(other_tenant, "Globex shop")
    for data, testid in (({"kind": "department", "owner_id": theirs.id, "year": "2024", "target": "100"}, "owner-error"),
                         ({"kind": "department", "owner_id": mine.id, "year": "1900", "target": "100"}, "year-error"),
                         ({"kind": "department", "owner_id": mine.id, "year": "2024", "target": "0"}, "target-error")):
        response = client.post("/t/acme/members/dashboard/targets", data=data)
        assert response.status_code == 422 and f'data-testid="{testid}"' in response.get_data(as_text=True)
    assert client.post("/t/acme/members/dashboard/targets", data={"kind": "department", "owner_id": mine.id,
                                                                  "year": "2024", "target": "5000"}).status_code == 302
    db.commit()
    assert db.exec(select(PerformanceTarget.target_cents)).all() == [500000]


def test_rankings_ignore_the_viewers_data_scope(client, make_user, login, db, loyalty_tenant, customer, order, store,
                                                employee):
    """Acceptance 11 (R11): an operator scoped to one store's department still sees the top 10 across every store."""
    year = local_now(utcnow()).year
    ann = customer(loyalty_tenant, "Ann")
    region = store(loyalty_tenant, "East region")
    shops = []
    for n in range(12):
        shop = store(loyalty_tenant, f"Shop {n:02d}", parent=region)
        db.add(PerformanceTarget(tenant_id=loyalty_tenant.id, department_id=shop.id, year=year, target_cents=100_00))
        order(ann, n + 1, store_id=shop.id)
        shops.append(shop)
    ivy = employee(loyalty_tenant, "Ivy", shops[0])
    db.commit()
    dashboard.refresh(db, loyalty_tenant.id)
    db.commit()
    login(make_user("ivy@acme.test", loyalty_tenant, role="operator", scope="department", employee_id=ivy.id))
    page = client.get("/t/acme/").get_data(as_text=True)  # the home page
    section = page.split('data-testid="ranking-stores"')[1].split("</section>")[0]
    shown = [f"Shop {n:02d}" for n in range(12) if f"<td>Shop {n:02d}</td>" in section]
    assert section.count('data-testid="ranking-row"') == 10
    assert shown == [f"Shop {n:02d}" for n in range(2, 12)]  # Shop 00, Ivy's own store, is 11th: not shown
