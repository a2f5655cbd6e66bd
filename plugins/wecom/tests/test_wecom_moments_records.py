"""企微朋友圈 records (spec §2.1.5, §3.1 manual sync): Moments read from WeCom's list, enterprise and personal, shown
with publish type, creator and time in the brand's time zone, paged, exported; syncing puts an unsynced record on
its creator's Moments page once."""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import UTC, datetime

from openpyxl import load_workbook
from scrm_wecom.moments import records
from scrm_wecom.moments.models import MomentRecord, MomentsPage
from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_moments_fixtures import *  # noqa: F403
from wecom_moments_fixtures import BASE, poll, post_task, tasks
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import employee

RECORDS = f"{BASE}/records"


def _personal(moments, userid: str, text: str, when: int | None = None) -> str:
    return moments._post("moments/personal", {"userid": userid, "text": text, "create_time": when})["moment_id"]


def _rows(db, tenant_id: int) -> dict[str, MomentRecord]:
    db.commit()
    db.expire_all()
    return {r.moment_id: r for r in db.execute(select(MomentRecord).where(MomentRecord.tenant_id == tenant_id)).scalars()}


def test_reading_stores_each_moment_once_with_creator_type_and_time(db, admin, synced, moments):
    # 2026-12-01 02:00 UTC is 10:00 in Shanghai, the brand's time zone
    mid = _personal(moments, "zhangsan", "今天店里到了新款羊绒大衣", int(datetime(2026, 12, 1, 2, tzinfo=UTC).timestamp()))
    response = admin.post(f"{RECORDS}/fetch")
    assert response.status_code == 302
    rows = _rows(db, synced.tenant_id)
    assert list(rows) == [mid]
    row = rows[mid]
    assert (row.create_type, row.content_type, row.text, row.synced_at) == (records.PERSONAL, "text",
                                                                            "今天店里到了新款羊绒大衣", None)
    assert row.employee_id == employee(db, synced.tenant_id, "zhangsan").id
    assert admin.post(f"{RECORDS}/fetch").status_code == 302
    assert len(_rows(db, synced.tenant_id)) == 1  # read twice, stored once
    page = admin.get(RECORDS)
    assert "2026-12-01 10:00" in page.text and "张三" in page.text and 'data-sync="unsynced"' in page.text


def test_only_the_last_30_days_are_read(db, admin, synced, moments):
    now = int(time.time())
    inside = _personal(moments, "zhangsan", "29 天前", now - 29 * 86400)
    _personal(moments, "zhangsan", "31 天前", now - 31 * 86400)
    admin.post(f"{RECORDS}/fetch")
    assert list(_rows(db, synced.tenant_id)) == [inside]
    assert records.FETCH_DAYS == 30


def test_manual_sync_puts_the_record_on_the_creators_page_once(db, client, admin, synced, moments):
    mid = _personal(moments, "zhangsan", "周末会员日，全场满 500 减 50")
    admin.post(f"{RECORDS}/fetch")
    record = _rows(db, synced.tenant_id)[mid]
    zhang = employee(db, synced.tenant_id, "zhangsan")
    admin.get(f"{BASE}/employees")
    token = db.execute(select(MomentsPage.token).where(MomentsPage.employee_id == zhang.id)).scalar_one()
    assert "周末会员日" not in client.get(f"/p/acme/wecom/moments/{token}").text
    assert admin.post(f"{RECORDS}/sync", data={"record_ids": [str(record.id)]}).status_code == 302
    assert _rows(db, synced.tenant_id)[mid].synced_at is not None
    public = client.get(f"/p/acme/wecom/moments/{token}")
    assert public.text.count("周末会员日") == 1 and f'data-record-id="{record.id}"' in public.text
    listed = admin.get(f"{BASE}/employees")
    assert f'data-employee-id="{zhang.id}"' in listed.text
    row = listed.text.split(f'data-employee-id="{zhang.id}"')[1].split("</tr>")[0]
    assert 'data-stat="posts">1<' in row
    # a second sync is a no-op: still one post
    first = _rows(db, synced.tenant_id)[mid].synced_at
    admin.post(f"{RECORDS}/sync", data={"record_ids": [str(record.id)]})
    assert _rows(db, synced.tenant_id)[mid].synced_at == first
    assert client.get(f"/p/acme/wecom/moments/{token}").text.count("周末会员日") == 1


def test_sync_without_a_selection_changes_nothing(db, admin, synced, moments):
    mid = _personal(moments, "zhangsan", "新品到店")
    admin.post(f"{RECORDS}/fetch")
    response = admin.post(f"{RECORDS}/sync", data={}, follow_redirects=True)
    assert "至少选择一条记录" in response.text or "Select at least one record." in response.text
    assert _rows(db, synced.tenant_id)[mid].synced_at is None


def test_the_moment_of_our_own_task_is_synced_at_once_and_not_shown_twice(db, platform, client, admin, synced,
                                                                           moments):
    post_task(admin, db, synced.tenant_id, "zhangsan", text="双十二新品上市")
    poll(db, platform, synced.tenant_id)
    [task] = tasks(db, synced.tenant_id)
    moments.publish(task.moment_id, "zhangsan")
    poll(db, platform, synced.tenant_id, force_task_id=task.id)
    admin.post(f"{RECORDS}/fetch")
    row = _rows(db, synced.tenant_id)[task.moment_id]
    assert row.create_type == records.ENTERPRISE and row.synced_at is not None
    zhang = employee(db, synced.tenant_id, "zhangsan")
    admin.get(f"{BASE}/employees")
    token = db.execute(select(MomentsPage.token).where(MomentsPage.employee_id == zhang.id)).scalar_one()
    assert client.get(f"/p/acme/wecom/moments/{token}").text.count("双十二新品上市") == 1


def test_list_filters_and_pages_of_10(db, admin, synced, moments):
    now = int(time.time())
    for i in range(11):
        _personal(moments, "lisi", f"第{i + 1:02d}条", now - (20 - i) * 60)
    admin.post(f"{RECORDS}/fetch")
    first = admin.get(RECORDS)
    assert first.text.count("data-record-id=") == 10 and "第11条" in first.text and "第01条" not in first.text
    second = admin.get(f"{RECORDS}?page=2")
    assert second.text.count("data-record-id=") == 1 and "第01条" in second.text
    assert admin.get(f"{RECORDS}?per_page=20").text.count("data-record-id=") == 11
    assert admin.get(f"{RECORDS}?type=0").text.count("data-record-id=") == 0
    assert admin.get(f"{RECORDS}?status=synced").text.count("data-record-id=") == 0
    assert admin.get(f"{RECORDS}?status=unsynced&type=1&per_page=20").text.count("data-record-id=") == 11
    assert "11 records" in first.text


def test_export_csv_and_xlsx_in_the_brands_time_zone_formula_escaped(db, admin, synced, moments):
    _personal(moments, "zhangsan", "=HYPERLINK(\"http://x\")", int(datetime(2026, 12, 1, 2, tzinfo=UTC).timestamp()))
    admin.post(f"{RECORDS}/fetch")
    text = admin.get(f"{RECORDS}.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 2 and "2026-12-01 10:00:00" in rows[1]
    assert any(cell.startswith("'=") for cell in rows[1])
    book = load_workbook(io.BytesIO(admin.get(f"{RECORDS}.xlsx").data))
    values = [c.value for c in book.active[2]]
    assert "2026-12-01 10:00:00" in values and "张三" in values


def test_writes_need_the_csrf_token(db, app, tenant, synced, wecom_admin, moments):
    client = wecom_admin(tenant)
    mid = _personal(moments, "zhangsan", "新品到店")
    app.config["WTF_CSRF_ENABLED"] = True  # after signing in (the sign-in helper posts bare)
    try:
        assert client.post(f"{RECORDS}/fetch").status_code == 400
        assert _rows(db, synced.tenant_id) == {}
        token = re.search(r'name="csrf-token" content="([^"]+)"', client.get(RECORDS).text).group(1)
        assert client.post(f"{RECORDS}/fetch", data={"csrf_token": token}).status_code == 302
        record = _rows(db, synced.tenant_id)[mid]
        assert client.post(f"{RECORDS}/sync", data={"record_ids": [str(record.id)]}).status_code == 400
        assert _rows(db, synced.tenant_id)[mid].synced_at is None
        data = {"record_ids": [str(record.id)], "csrf_token": token}
        assert client.post(f"{RECORDS}/sync", data=data).status_code == 302
        assert _rows(db, synced.tenant_id)[mid].synced_at is not None
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_another_brand_neither_sees_nor_syncs_nor_exports_these_records(db, admin, synced, moments, other_tenant,
                                                                         enable_plugins, wecom_admin):
    mid = _personal(moments, "zhangsan", "只给本品牌看")
    admin.post(f"{RECORDS}/fetch")
    record = _rows(db, synced.tenant_id)[mid]
    enable_plugins(other_tenant, "wecom")
    other = wecom_admin(other_tenant)
    listed = other.get("/t/globex/wecom/moments/records")
    assert listed.status_code == 200 and f'data-record-id="{record.id}"' not in listed.text
    assert other.post("/t/globex/wecom/moments/records/sync", data={"record_ids": [str(record.id)]}).status_code == 302
    assert _rows(db, synced.tenant_id)[mid].synced_at is None
    assert "只给本品牌看" not in other.get("/t/globex/wecom/moments/records.csv").get_data(as_text=True)
    # the other brand has no account: reading fetches nothing of this brand's corp
    other.post("/t/globex/wecom/moments/records/fetch")
    assert _rows(db, other_tenant.id) == {}


def test_a_tenant_that_disabled_the_plugin_gets_404(db, app, admin, tenant):
    from scrm.core.plugins.enablement import disable_plugin

    disable_plugin(db, app.extensions["scrm"].registry, db.merge(tenant), "wecom")
    db.commit()
    for path in (RECORDS, f"{RECORDS}.csv"):
        assert admin.get(path).status_code == 404, path
    for path in (f"{RECORDS}/fetch", f"{RECORDS}/sync"):
        assert admin.post(path).status_code == 404, path
