"""The daily trend of a promotion activity (spec marketing-and-platform-rules B.8 "activity statistics and trend"):
results per local day of the brand's time zone over the activity's period (up to today), in one grouped query, on
the details page (chart data and table) and in the CSV / XLSX export; another brand sees none of it."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta

from openpyxl import load_workbook
from scrm_wecom.promotion import service
from scrm_wecom.promotion.models import PromotionActivity, PromotionResult
from sqlalchemy import event
from sqlmodel import select
from wecom_livecodes_fixtures import *  # noqa: F403
from wecom_livecodes_fixtures import fresh, make_account, make_employees, seed_corp
from wecom_promotion_fixtures import *  # noqa: F403
from wecom_promotion_fixtures import BASE, add_friend, create, participant

from scrm.sdk import local_midnight, local_today, use_zone

OTHER = "/t/globex/wecom/promotion"


def _trend_rows(page: str) -> list[tuple[str, str]]:
    table = re.search(r'data-testid="promotion-trend-table">(.*?)</table>', page, re.S).group(1)
    return re.findall(r'<tr data-day="([\d-]+)"><td>[\d-]+</td><td data-stat="day-count">(\d+)</td>', table)


def test_results_fall_on_the_local_day_up_to_today(db, platform, world, staff):
    today = local_today()
    first = today - timedelta(days=3)
    activity = create(db, world, staff, start=first.isoformat(), end=(today + timedelta(days=3)).isoformat())
    zhang = participant(db, activity, world.employees["zhangsan"])
    li = participant(db, activity, world.employees["lisi"])
    second_midnight = local_midnight(first + timedelta(days=1))
    add_friend(db, platform, world, zhang, "wmEarly", at=local_midnight(first) - timedelta(seconds=1))  # before
    add_friend(db, platform, world, zhang, "wmA", at=second_midnight - timedelta(seconds=1))  # last second, day 1
    add_friend(db, platform, world, li, "wmB", at=second_midnight)  # first second of day 2
    add_friend(db, platform, world, li, "wmC", at=second_midnight + timedelta(hours=5))
    add_friend(db, platform, world, zhang, "wmD", at=local_midnight(today) + timedelta(minutes=1))
    page = staff.get(f"{BASE}/{activity.id}").get_data(as_text=True)
    days = [(first + timedelta(days=i)).isoformat() for i in range(4)]  # the three days to come are not shown
    assert _trend_rows(page) == list(zip(days, ["1", "2", "0", "1"], strict=True))
    chart = json.loads(re.search(r'id="promotion-trend-data">(.*?)</script>', page, re.S).group(1))
    assert chart["labels"] == days and chart["datasets"][0]["data"] == [1, 2, 0, 1]
    assert 'data-chart="line"' in page and "Asia/Shanghai" in page


def test_the_trend_ends_with_the_period_and_is_empty_before_it(db, platform, world, staff):
    today = local_today()
    activity = create(db, world, staff, start=(today - timedelta(days=5)).isoformat(), end=today.isoformat())
    zhang = participant(db, activity, world.employees["zhangsan"])
    # the period ended yesterday (moved back by hand: the form refuses a past end): today's friend is not counted
    row = db.get(PromotionActivity, activity.id)
    row.ends_at = local_midnight(today)
    db.add(row)
    db.commit()
    add_friend(db, platform, world, zhang, "wmLate", at=local_midnight(today) + timedelta(hours=1))
    add_friend(db, platform, world, zhang, "wmLast", at=local_midnight(today) - timedelta(hours=1))
    days = service.trend(db, db.get(PromotionActivity, activity.id))
    assert [d.day for d in days] == [today - timedelta(days=5 - i) for i in range(5)]
    assert [d.count for d in days] == [0, 0, 0, 0, 1]
    later = create(db, world, staff, start=(today + timedelta(days=2)).isoformat(),
                   end=(today + timedelta(days=4)).isoformat())
    assert service.trend(db, later) == []
    page = staff.get(f"{BASE}/{later.id}").get_data(as_text=True)
    assert 'data-testid="promotion-trend-empty"' in page and 'id="promotion-trend-data"' not in page


def test_days_are_the_brands_own_and_a_daylight_saving_day_has_25_hours(db, platform, world, staff):
    activity = create(db, world, staff)
    zhang = participant(db, activity, world.employees["zhangsan"])
    with use_zone("America/New_York"):
        row = db.get(PromotionActivity, activity.id)
        row.starts_at, row.ends_at = local_midnight(date(2026, 10, 31)), local_midnight(date(2026, 11, 3))
        db.add(row)
        db.commit()
        # 1 November 2026 in New York: clocks go back at 02:00, the day lasts 25 hours (04:00 UTC to 05:00 UTC)
        moments = [datetime(2026, 11, 2, 4, 30, tzinfo=UTC),  # 23:30 on 1 November, local
                   datetime(2026, 11, 2, 5, 0, tzinfo=UTC),  # 00:00 on 2 November, local
                   datetime(2026, 11, 1, 3, 59, tzinfo=UTC)]  # 23:59 on 31 October, local
        for n, moment in enumerate(moments):
            add_friend(db, platform, world, zhang, f"wmNY{n}", at=moment)
        days = service.trend(db, db.get(PromotionActivity, activity.id), now=datetime(2026, 12, 1, tzinfo=UTC))
    assert [(d.day.isoformat(), d.count) for d in days] == [("2026-10-31", 1), ("2026-11-01", 1),
                                                            ("2026-11-02", 1)]


def test_link_clicks_count_per_day_without_robots(db, platform, world, staff, app):
    activity = create(db, world, staff, target="link", link_url="https://shop.example.com/1212", standard="clicks")
    zhang = participant(db, activity, world.employees["zhangsan"])
    from scrm.sdk import shortlinks

    link = shortlinks.get(db, world.tenant.id, zhang.link_id)
    visitor = app.test_client()
    for agent in ("Mozilla/5.0 (iPhone) Mobile", "Mozilla/5.0 (iPhone) Mobile MicroMessenger/8.0",
                  "Googlebot/2.1 (+http://www.google.com/bot.html)"):
        visitor.get(f"/s/{link.code}", headers={"User-Agent": agent})
    fresh(db)
    [today] = service.trend(db, db.get(PromotionActivity, activity.id))
    assert (today.day, today.count) == (local_today(), 2)


def test_the_trend_is_one_grouped_query(db, platform, world, staff):
    activity = create(db, world, staff, start=(local_today() - timedelta(days=30)).isoformat())
    zhang = participant(db, activity, world.employees["zhangsan"])
    for n in range(5):
        add_friend(db, platform, world, zhang, f"wm{n}", at=local_midnight(local_today()) - timedelta(days=n))
    activity = db.get(PromotionActivity, activity.id)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        days = service.trend(db, activity)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(days) == 31 and sum(d.count for d in days) == 5
    assert len(statements) == 1 and "GROUP BY" in statements[0].upper()


def test_the_export_lists_every_day(db, platform, world, staff):
    today = local_today()
    activity = create(db, world, staff, start=(today - timedelta(days=1)).isoformat())
    add_friend(db, platform, world, participant(db, activity, world.employees["zhangsan"]), "wm1",
               at=local_midnight(today) + timedelta(minutes=5))
    response = staff.get(f"{BASE}/{activity.id}/trend.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows == [["Date (Asia/Shanghai)", "Results"], [(today - timedelta(days=1)).isoformat(), "0"],
                    [today.isoformat(), "1"]]
    book = load_workbook(io.BytesIO(staff.get(f"{BASE}/{activity.id}/trend.xlsx").data))
    values = [[c.value for c in row] for row in book.active.iter_rows()]
    assert values[1:] == [[(today - timedelta(days=1)).isoformat(), 0], [today.isoformat(), 1]]


def test_another_brand_gets_no_trend(db, platform, world, staff, other_tenant, enable_plugins, make_user, login,
                                     wecom_sandbox):
    activity = create(db, world, staff)
    add_friend(db, platform, world, participant(db, activity, world.employees["zhangsan"]), "wm1")
    enable_plugins(other_tenant, "wecom")
    seed_corp(wecom_sandbox, "wwcorp0000000002")
    other_account = make_account(db, platform, other_tenant, wecom_sandbox.base_url, corp_id="wwcorp0000000002")
    other_staff = make_employees(db, other_tenant)
    other = login(make_user("operator@globex.test", other_tenant, role="operator"))
    for path in (f"{OTHER}/{activity.id}/trend.csv", f"{OTHER}/{activity.id}/trend.xlsx",
                 f"{BASE}/{activity.id}/trend.csv"):
        assert other.get(path).status_code == 404, path
    # the other brand's own activity counts none of this brand's results
    response = other.post(f"{OTHER}/new", data={**form_for(world, other_staff), "account_id": str(other_account.id)})
    assert response.status_code == 302
    fresh(db)
    mine = db.exec(select(PromotionActivity).where(PromotionActivity.tenant_id == other_tenant.id)).one()
    text = other.get(f"{OTHER}/{mine.id}/trend.csv").get_data(as_text=True)
    assert text.strip().splitlines()[-1].endswith(",0")
    assert db.exec(select(PromotionResult).where(PromotionResult.tenant_id == other_tenant.id)).all() == []


def form_for(world, employees) -> dict:
    from wecom_promotion_fixtures import form

    return {**form(world), "employee_ids": [str(employees["zhangsan"].id)]}
