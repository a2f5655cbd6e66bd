"""Employee promotion pages: the list, details with ranking and chart data, posters, the employee's H5 page, CSV and
XLSX exports (formula-escaped), CSRF on writes, the menu entry, and tenant isolation of every page, write, link,
job and friend event."""

from __future__ import annotations

import csv
import io
import json
import re

from openpyxl import load_workbook
from PIL import Image
from scrm_wecom.promotion import service
from scrm_wecom.promotion.models import PromotionActivity, PromotionResult
from sqlmodel import select
from wecom_livecodes_fixtures import *  # noqa: F403
from wecom_livecodes_fixtures import fresh, friend_event, make_account, make_employees, seed_corp
from wecom_promotion_fixtures import *  # noqa: F403
from wecom_promotion_fixtures import BASE, add_friend, cards, create, form, participant, rewards, run_job

OTHER = "/t/globex/wecom/promotion"


def test_details_rank_the_employees_and_feed_the_chart(db, platform, world, staff):
    activity = create(db, world, staff, standard_count="2")
    li = participant(db, activity, world.employees["lisi"])
    for n in range(3):
        add_friend(db, platform, world, li, f"wm{n}")
    add_friend(db, platform, world, participant(db, activity, world.employees["zhangsan"]), "wmZ")
    page = staff.get(f"{BASE}/{activity.id}").get_data(as_text=True)
    rows = re.findall(r'data-employee-id="(\d+)">\s*<td data-stat="rank">(\d+)</td>', page)
    assert rows == [(str(world.employees["lisi"].id), "1"), (str(world.employees["zhangsan"].id), "2")]
    chart = json.loads(re.search(r'id="promotion-chart-data">(.*?)</script>', page, re.S).group(1))
    assert chart["labels"] == ["Li Si", "Zhang San"] and chart["datasets"][0]["data"] == [3, 1]
    listing = staff.get(f"{BASE}/").get_data(as_text=True)
    assert f'data-activity-id="{activity.id}"' in listing and '<td data-stat="results">4</td>' in listing
    assert '<td data-stat="achieved">1</td>' in listing


def test_equal_counts_share_a_rank(db, platform, world, staff):
    activity = create(db, world, staff)
    standings = service.ranking(db, db.get(PromotionActivity, activity.id))
    assert [s.rank for s in standings] == [1, 1]


def test_posters_are_pngs_with_the_exclusive_code(db, world, staff, app):
    activity = create(db, world, staff)
    zhang = participant(db, activity, world.employees["zhangsan"])
    response = staff.get(f"{BASE}/{activity.id}/posters/{zhang.id}.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "attachment" in response.headers["Content-Disposition"]
    assert Image.open(io.BytesIO(response.data)).size == (750, 1150)
    public = app.test_client().get(f"/p/acme/wecom/promotion/{zhang.token}/poster.png")
    assert public.status_code == 200 and public.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_employee_page_shows_progress_rank_link_and_reward(db, platform, world, staff, app):
    activity = create(db, world, staff, target="link", link_url="https://shop.example.com/1212", standard="clicks",
                      standard_count="1")
    zhang = participant(db, activity, world.employees["zhangsan"])
    visitor = app.test_client()
    page = visitor.get(f"/p/acme/wecom/promotion/{zhang.token}").get_data(as_text=True)
    assert 'data-testid="promotion-count">0<' in page and 'data-testid="promotion-reward"' not in page
    from scrm.sdk import shortlinks

    link = shortlinks.get(db, world.tenant.id, zhang.link_id)
    assert f"/s/{link.code}" in page
    visitor.get(f"/s/{link.code}", headers={"User-Agent": "Mozilla/5.0 (iPhone) Mobile"})
    run_job(db, platform, world.tenant.id)
    [reward] = rewards(db, activity)
    page = visitor.get(f"/p/acme/wecom/promotion/{zhang.token}").get_data(as_text=True)
    assert 'data-testid="promotion-count">1<' in page and reward.code in page
    assert visitor.get("/p/acme/wecom/promotion/not-a-token").status_code == 404


def test_exports_list_every_employee_escaped(db, platform, world, staff):
    world.employees["lisi"].name = "=HYPERLINK(\"x\")"
    db.add(world.employees["lisi"])
    db.commit()
    activity = create(db, world, staff, standard_count="1")
    add_friend(db, platform, world, participant(db, activity, world.employees["zhangsan"]), "wm1")
    text = staff.get(f"{BASE}/{activity.id}/export.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 3 and rows[1][1] == "Zhang San" and rows[1][3] == "1" and rows[1][7]
    assert rows[2][1].startswith("'=")
    book = load_workbook(io.BytesIO(staff.get(f"{BASE}/{activity.id}/export.xlsx").data))
    values = [[c.value for c in row] for row in book.active.iter_rows()]
    assert len(values) == 3 and str(values[2][1]).startswith("'=")


def test_writes_need_the_csrf_token(db, app, world, staff):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert staff.post(f"{BASE}/new", data=form(world)).status_code == 400
        fresh(db)
        assert db.exec(select(PromotionActivity)).all() == []
        token = re.search(r'name="csrf-token" content="([^"]+)"', staff.get(f"{BASE}/new").text).group(1)
        assert staff.post(f"{BASE}/new", data={**form(world), "csrf_token": token}).status_code == 302
        fresh(db)
        activity = db.exec(select(PromotionActivity)).one()
        assert staff.post(f"{BASE}/{activity.id}/posters").status_code == 400
        assert staff.post(f"{BASE}/{activity.id}/posters", data={"csrf_token": token}).status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_the_menu_places_the_page_under_marketing_campaigns(db, world, staff):
    page = staff.get("/t/acme/").get_data(as_text=True)
    assert f'href="{BASE}/"' in page


def test_another_brand_sees_none_of_it(db, platform, world, staff, other_tenant, enable_plugins, make_user, login,
                                       wecom_sandbox):
    activity = create(db, world, staff, standard_count="1")
    zhang = participant(db, activity, world.employees["zhangsan"])
    add_friend(db, platform, world, zhang, "wm1")
    enable_plugins(other_tenant, "wecom")
    seed_corp(wecom_sandbox, "wwcorp0000000002")
    other_account = make_account(db, platform, other_tenant, wecom_sandbox.base_url, corp_id="wwcorp0000000002")
    other_staff = make_employees(db, other_tenant)
    other = login(make_user("operator@globex.test", other_tenant, role="operator"))
    for path in (f"{OTHER}/{activity.id}", f"{OTHER}/{activity.id}/export.csv", f"{OTHER}/{activity.id}/export.xlsx",
                 f"{OTHER}/{activity.id}/posters/{zhang.id}.png", f"/p/globex/wecom/promotion/{zhang.token}",
                 f"/p/globex/wecom/promotion/{zhang.token}/poster.png"):
        assert other.get(path).status_code == 404, path
    before = len(cards(db, world.tenant.id))
    assert other.post(f"{OTHER}/{activity.id}/posters").status_code == 404
    assert len(cards(db, world.tenant.id)) == before
    listing = other.get(f"{OTHER}/").get_data(as_text=True)
    assert f'data-activity-id="{activity.id}"' not in listing
    # the other brand cannot name this brand's employees
    response = other.post(f"{OTHER}/new", data={**form(world), "account_id": str(other_account.id)})
    assert response.status_code == 422 and 'data-error="employee_ids"' in response.get_data(as_text=True)
    # a friend event of the other brand carrying this brand's state is not attributed
    event = friend_event(world, "zhangsan", "wmIntruder", state=zhang.state, tenant_id=other_tenant.id)
    service.friend_added(db, event, platform.secrets)
    db.commit()
    assert db.exec(select(PromotionResult).where(PromotionResult.external_userid == "wmIntruder")).all() == []
    # the other brand's job leaves this brand's rewards and reminders alone
    data = {**form(world), "employee_ids": [str(other_staff["zhangsan"].id)], "account_id": str(other_account.id)}
    assert other.post(f"{OTHER}/new", data=data).status_code == 302
    run_job(db, platform, other_tenant.id)
    assert [r.status for r in rewards(db, activity)] == ["sent"]


def test_a_brand_that_disabled_wecom_gets_404_everywhere(db, platform, app, world, staff):
    from scrm.core.plugins.enablement import disable_plugin

    activity = create(db, world, staff)
    zhang = participant(db, activity, world.employees["zhangsan"])
    disable_plugin(db, platform.registry, db.merge(world.tenant), "wecom")
    db.commit()
    for path in (f"{BASE}/", f"{BASE}/{activity.id}", f"{BASE}/{activity.id}/export.csv"):
        assert staff.get(path).status_code == 404, path
    assert staff.post(f"{BASE}/{activity.id}/posters").status_code == 404
    visitor = app.test_client()
    assert visitor.get(f"/p/acme/wecom/promotion/{zhang.token}").status_code == 404
    assert visitor.get(f"/p/acme/wecom/promotion/{zhang.token}/poster.png").status_code == 404
