"""The home page's to-do list and marketing calendar (members-1 R2–R6, acceptance 7–9; issue 16 item 1).

Festivals and the official holiday schedule come from a maintained calendar package; these tests pin the product's
reading of them: one label per day with national > internet > solar term and Gregorian > lunar, 休 / 班 from the
schedule, weeks from Sunday, a dot for a day any plugin planned something on (the ``calendar_entries`` hook, here
the example plugin's), the to-do list of the signed-in user (the ``todo_items`` hook) sorted by end time then newest
created, its counters, and tenant isolation."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from scrm_example.models import ExampleNote
from scrm_example.plugin import PLAN, TODO

from scrm.core import holidays
from scrm.core.timeutil import local_today, utcnow


def days_where(predicate, years=range(2000, 2031)):
    for year in years:
        day = date(year, 1, 1)
        while day.year == year:
            found = holidays.festivals(day)
            if predicate(found):
                yield day, found
            day += timedelta(days=1)


def kinds(found):
    return {f.kind for f in found}


# -- festivals and the holiday schedule (R4, acceptance 8) ---------------------------------------------------------


def test_a_gregorian_national_festival_wins_over_a_lunar_one_on_the_same_day():
    info = holidays.day_info(date(2020, 10, 1))  # 国庆节 and 中秋节
    assert [f.name for f in info.festivals] == ["国庆节", "中秋节"]
    assert info.label.name == "国庆节" and info.label.calendar == holidays.SOLAR


def test_a_national_festival_wins_over_a_solar_term_on_the_same_day():
    day, found = next(days_where(lambda f: {holidays.NATIONAL, holidays.SOLAR_TERM} <= kinds(f)))
    assert holidays.day_info(day).label.kind == holidays.NATIONAL, (day, found)


def test_an_internet_festival_wins_over_a_solar_term_but_not_over_a_national_festival():
    day, _found = next(days_where(lambda f: kinds(f) == {holidays.INTERNET, holidays.SOLAR_TERM}))
    assert holidays.day_info(day).label.kind == holidays.INTERNET
    day, _found = next(days_where(lambda f: {holidays.NATIONAL, holidays.INTERNET} <= kinds(f)))
    assert holidays.day_info(day).label.kind == holidays.NATIONAL


def test_qingming_is_shown_as_the_public_holiday_not_as_a_solar_term():
    assert holidays.day_info(date(2026, 4, 5)).label == holidays.Festival("清明节", holidays.NATIONAL, holidays.SOLAR)


def test_the_official_schedule_marks_days_off_and_working_days_in_lieu():
    assert holidays.day_info(date(2026, 10, 1)).off
    adjusted = holidays.day_info(date(2026, 10, 10))  # a Saturday worked for National Day
    assert adjusted.adjusted_workday and not adjusted.off and adjusted.holiday_name == "国庆节"
    plain = holidays.day_info(date(2026, 12, 8))
    assert not plain.off and not plain.adjusted_workday


def test_weeks_start_on_sunday_and_adjacent_days_fill_the_grid():
    weeks = holidays.month_weeks(2026, 12)
    assert weeks[0][0] == date(2026, 11, 29) and weeks[0][0].weekday() == 6
    assert weeks[-1][-1] == date(2027, 1, 2) and all(len(w) == 7 for w in weeks)


# -- the home page ---------------------------------------------------------------------------------------------------


@pytest.fixture
def boss(db, tenant, make_user, login, enable_plugins):
    enable_plugins(tenant, "example")
    user = make_user("boss@acme.test", tenant, role="tenant_admin")
    login(user)
    return user


def note(db, tenant, body, source="", created_at=None):
    db.add(ExampleNote(tenant_id=tenant.id, body=body, source=source, created_at=created_at or utcnow()))
    db.commit()


def todo_titles(html: str) -> list[str]:
    section = html.split('data-testid="todo"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'data-testid="todo-item">\s*<a href="[^"]*">([^<]+)</a>', section)


def test_the_to_do_list_shows_the_users_tasks_sorted_with_the_newest_created_first_on_ties(client, db, tenant, boss,
                                                                                          make_user):
    now = utcnow()
    note(db, tenant, f"{TODO}回访王芳", f"user:{boss.id}", now - timedelta(hours=2))
    note(db, tenant, f"{TODO}回访李娜", f"user:{boss.id}", now - timedelta(hours=1))
    other = make_user("op@acme.test", tenant, role="operator")
    note(db, tenant, f"{TODO}别人的任务", f"user:{other.id}")
    html = client.get("/t/acme/").get_data(as_text=True)
    assert todo_titles(html) == ["回访李娜", "回访王芳"]  # same end time: newest created first
    counts = html.split('data-testid="todo-counts"', 1)[1].split("</p>", 1)[0]
    assert "2 pending" in counts and "2 due today" in counts
    assert "every" not in html.split('data-testid="todo"', 1)[1].split("</section>", 1)[0]  # no auto-refresh


def test_a_day_with_a_schedule_entry_has_the_dot_and_a_day_without_has_none(client, db, tenant, other_tenant, boss,
                                                                            enable_plugins):
    today = local_today()
    planned = today.replace(day=15)
    note(db, tenant, f"{PLAN}{planned.isoformat()}:会员日直播")
    enable_plugins(other_tenant, "example")
    elsewhere = today.replace(day=16)
    note(db, other_tenant, f"{PLAN}{elsewhere.isoformat()}:别家活动")
    html = client.get("/t/acme/").get_data(as_text=True)
    dotted = re.findall(r'data-day="([\d-]+)">\s*<a [^>]*>(?:(?!</a>).)*data-testid="calendar-dot"', html, re.S)
    assert dotted == [planned.isoformat()]
    page = client.get(f"/t/acme/calendar?day={planned.isoformat()}").get_data(as_text=True)
    assert "会员日直播" in page and "Schedule" in page
    assert "别家活动" not in client.get(f"/t/acme/calendar?day={elsewhere.isoformat()}").get_data(as_text=True)


def test_the_month_switches_and_today_returns_to_the_current_month(client, boss):
    html = client.get("/t/acme/?month=2020-10").get_data(as_text=True)
    assert re.search(r'data-testid="calendar-month">2020-10<', html)
    assert re.search(r'data-day="2020-10-01">.*?国庆节', html, re.S)
    assert 'href="/t/acme/?month=2020-09"' in html and 'href="/t/acme/?month=2020-11"' in html
    today = local_today()
    for bad in ("2020-13", "abc", "99999-01"):
        assert f">{today.year}-{today.month:02d}<" in client.get(f"/t/acme/?month={bad}").get_data(as_text=True)


def test_the_day_page_names_the_holiday_and_the_working_day_in_lieu(client, boss):
    page = client.get("/t/acme/calendar?day=2026-10-10").get_data(as_text=True)
    assert "Working day in lieu for 国庆节" in page
    assert client.get("/t/acme/calendar?day=not-a-day").status_code == 200


def test_the_calendar_reads_in_chinese(client, boss):
    page = client.get("/t/acme/?month=2020-10", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "营销日历" in page and "待办事项" in page and "周日" in page and ">休<" in page
