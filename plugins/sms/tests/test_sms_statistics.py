"""推送统计 (spec §3.10, §5, acceptance 24): the summary from the quota, push records per category with total sent
and delivered from the ledger, the daily chart, success details listing exactly the delivered recipients (phones
masked as the brand masks them), the CSV / XLSX export with columns phone, customer name, send time, and tenant
isolation of the page, the details and the export."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from scrm_sms.bulk import service as bulk_service
from scrm_sms.bulk.models import SmsBulkSend
from scrm_sms.quota import service as quota

from scrm.sdk import MessageDelivery, utcnow

CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


@pytest.fixture
def page(tenant, enable_plugins, make_user, login, client, app):
    enable_plugins(tenant, "sms")
    login(make_user("ops@acme.test", tenant, role="operator"))
    return client


def push(db, tenant, account, *, category="marketing", started=None, rows=(), content="会员日全场八折"):
    """A started bulk send with its ledger rows (mobile, customer, segments, status, accepted), its quota reserved
    and settled by the bulk dispatcher's own settlement (``scrm_sms.bulk.service.settle``)."""
    bulk = SmsBulkSend(tenant_id=tenant.id, account_id=account.id, category=category, signature="茶语时光",
                       content=content, body=content, status="finished", started_at=started or utcnow(),
                       classes={"1": 0, "2": 0})
    db.add(bulk)
    db.flush()
    now = started or utcnow()
    for i, (mobile, customer, segments, status, accepted) in enumerate(rows):
        db.add(MessageDelivery(tenant_id=tenant.id, channel="sms", account_id=account.id,
                               customer_id=customer.id if customer else None, recipient=mobile, kind="sms",
                               task_ref=f"sms_bulk:{bulk.id}:{segments}", idempotency_key=f"b{bulk.id}:{i}",
                               status=status, provider_id=f"biz{bulk.id}-{i}" if accepted else None,
                               purpose=category, sent_at=now + timedelta(seconds=i) if accepted else None,
                               delivered_at=now + timedelta(seconds=30) if status == "delivered" else None))
    billed = sum(segments for _m, _c, segments, _s, _a in rows)
    bulk.reserved = bulk.estimated = billed
    quota.reserve(db, tenant.id, category, billed)
    db.commit()
    bulk_service.settle(db, bulk)
    return bulk


@pytest.fixture
def data(db, tenant, make_channel_account, make_customer):
    account = make_channel_account(tenant, "sms", credentials={}, config={})
    wang = make_customer(tenant, name="王芳", mobile="13800000001")
    li = make_customer(tenant, name="李雷", mobile="13800000002")
    zhao = make_customer(tenant, name="赵敏", mobile="13800000003")
    quota.top_up(db, tenant.id, "marketing", 1000)
    db.commit()
    bulk = push(db, tenant, account, rows=[
        ("13800000001", wang, 1, "delivered", True),  # delivered: billed 1
        ("13800000002", li, 1, "failed", True),  # accepted, then failed by the carrier: billed 1, not delivered
        ("13800000003", zhao, 2, "delivered", True),  # two segments
        ("13800000009", None, 1, "skipped", False),  # excluded (opted out): never sent
    ])
    return account, bulk


def test_summary_records_and_chart_of_the_category(page, db, tenant, data):
    html = page.get("/t/acme/sms/statistics/?tab=marketing").get_data(as_text=True)
    assert re.search(r'data-figure="remaining">996<', html)  # 1000 bought, 5 reserved, 4 consumed, 1 released
    assert re.search(r'data-figure="sent">4<', html) and re.search(r'data-figure="purchased">1000<', html)
    _account, bulk = data
    row = re.search(rf'<tr data-bulk-id="{bulk.id}">(.*?)</tr>', html, re.S).group(1)
    assert re.search(r'data-figure="sent">4<', row)  # billed messages the provider took: 1 + 1 + 2
    assert re.search(r'data-figure="delivered">3<', row)  # delivered: 1 + 2
    chart = json.loads(re.search(r'id="sms-push-chart-data">(.*?)</script>', html, re.S).group(1))
    assert sum(chart["datasets"][0]["data"]) == 4 and sum(chart["datasets"][1]["data"]) == 3
    assert len(chart["labels"]) == 30
    # the notification tab has its own (empty) records and summary
    other = page.get("/t/acme/sms/statistics/?tab=notification").get_data(as_text=True)
    assert f'data-bulk-id="{bulk.id}"' not in other and re.search(r'data-figure="purchased">0<', other)


def test_records_follow_the_push_date_range(page, db, tenant, data):
    account, bulk = data
    old = push(db, tenant, account, started=utcnow() - timedelta(days=40),
               rows=[("13800000001", None, 1, "delivered", True)])
    html = page.get("/t/acme/sms/statistics/").get_data(as_text=True)
    assert f'data-bulk-id="{bulk.id}"' in html and f'data-bulk-id="{old.id}"' not in html
    day = (utcnow() - timedelta(days=40) + timedelta(hours=8)).date().isoformat()
    html = page.get(f"/t/acme/sms/statistics/?from={day}&to={day}").get_data(as_text=True)
    assert f'data-bulk-id="{old.id}"' in html and f'data-bulk-id="{bulk.id}"' not in html
    assert page.get("/t/acme/sms/statistics/?from=nonsense&page=x").status_code == 200


def test_success_details_list_exactly_the_delivered_recipients_masked(page, db, tenant, data):
    _account, bulk = data
    html = page.get(f"/t/acme/sms/statistics/{bulk.id}").get_data(as_text=True)
    phones = re.findall(r"<td data-phone>([^<]*)</td>", html)
    assert phones == ["138****0001", "138****0003"]
    assert "王芳" in html and "赵敏" in html and "李雷" not in html


def test_export_csv_and_xlsx_columns_phone_customer_name_send_time(page, db, tenant, data):
    _account, bulk = data
    response = page.get(f"/t/acme/sms/statistics/{bulk.id}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "Phone" and rows[0][1] == "Customer name" and rows[0][2].startswith("Send time")
    assert "Asia/Shanghai" in rows[0][2]
    assert [r[:2] for r in rows[1:]] == [["138****0001", "王芳"], ["138****0003", "赵敏"]]
    sent = utcnow()  # the send time is written in the tenant's zone
    assert rows[1][2][:4] == str((sent + timedelta(hours=8)).year)
    workbook = load_workbook(io.BytesIO(page.get(f"/t/acme/sms/statistics/{bulk.id}/export.xlsx").data))
    sheet = [list(r) for r in workbook.active.iter_rows(values_only=True)]
    assert sheet[0][:2] == ["Phone", "Customer name"] and len(sheet) == 3
    assert page.get(f"/t/acme/sms/statistics/{bulk.id}/export.pdf").status_code == 404


def test_unmasked_brands_export_full_numbers(page, db, tenant, data):
    _account, bulk = data
    tenant = db.merge(tenant)
    tenant.mask_mobiles = False
    db.commit()
    body = page.get(f"/t/acme/sms/statistics/{bulk.id}/export.csv").get_data(as_text=True)
    assert "13800000001" in body and "13800000002" not in body


def test_tenants_never_see_each_others_pushes_details_or_exports(page, db, tenant, other_tenant, data,
                                                                 enable_plugins, make_channel_account):
    enable_plugins(other_tenant, "sms")
    quota.top_up(db, other_tenant.id, "marketing", 10)
    theirs = push(db, other_tenant, make_channel_account(other_tenant, "sms", credentials={}, config={}),
                  rows=[("13900000001", None, 1, "delivered", True)], content="别家推送")
    assert "别家推送" not in page.get("/t/acme/sms/statistics/").get_data(as_text=True)
    assert page.get(f"/t/acme/sms/statistics/{theirs.id}").status_code == 404
    assert page.get(f"/t/acme/sms/statistics/{theirs.id}/export.csv").status_code == 404
    assert page.get(f"/t/acme/sms/statistics/{theirs.id}/export.xlsx").status_code == 404


def test_acceptance_24_a_bulk_send_settles_into_the_statistics(page, db, tenant, make_channel_account,
                                                               make_customer):
    """A bulk send to N recipients through the bulk service: the balance drops and sent rises by the billed count,
    the push record shows total / delivered, delivered + failed <= estimated, the success details and the export
    list exactly the delivered recipients."""
    from sms_testkit import approve_signature
    from sqlmodel import select

    from scrm.sdk import advance_delivery

    account = make_channel_account(tenant, "sms", name="阿里云短信", config={"rate_limit": 50})
    approve_signature(db, tenant.id, account.id, "茶语时光")
    quota.top_up(db, tenant.id, "marketing", 100)
    db.commit()
    numbers = [f"1390000{i:04d}" for i in range(6)]
    bulk = bulk_service.create(db, tenant, account_id=account.id, category="marketing", signature="茶语时光",
                               content="会员日全场八折", audience={"mode": "phones", "text": "\n".join(numbers)})
    db.commit()
    assert bulk.estimated == 6  # 【茶语时光】会员日全场八折 回TD退订: one segment each
    bulk_service.dispatch_once(db, bulk.id, tenant.id)
    rows = db.exec(select(MessageDelivery).where(MessageDelivery.task_ref.like(f"sms_bulk:{bulk.id}:%"))
                   .order_by(MessageDelivery.id)).all()
    assert len(rows) == 6
    for i, row in enumerate(rows):
        if i == 5:
            advance_delivery(db, row.id, "failed", error_code="isv.MOBILE_NUMBER_ILLEGAL")
            continue
        advance_delivery(db, row.id, "sent", provider_id=f"biz{row.id}")
        if i < 3:
            advance_delivery(db, row.id, "delivered")
    db.commit()
    bulk_service.dispatch_once(db, bulk.id, tenant.id)
    db.refresh(bulk)
    balance = quota.balance(db, tenant.id, "marketing")
    assert (balance.available, balance.sent) == (95, 5)  # 5 taken by the provider, 1 refused and refunded
    assert bulk.delivered_count + bulk.failed_count <= bulk.estimated
    html = page.get("/t/acme/sms/statistics/").get_data(as_text=True)
    row = re.search(rf'<tr data-bulk-id="{bulk.id}">(.*?)</tr>', html, re.S).group(1)
    assert re.search(r'data-figure="sent">5<', row) and re.search(r'data-figure="delivered">3<', row)
    assert re.search(r'data-figure="remaining">95<', html) and re.search(r'data-figure="sent">5<', html)
    details = page.get(f"/t/acme/sms/statistics/{bulk.id}").get_data(as_text=True)
    assert re.findall(r"<td data-phone>([^<]*)</td>", details) == [f"139****{n[-4:]}" for n in numbers[:3]]
    export = list(csv.reader(io.StringIO(page.get(f"/t/acme/sms/statistics/{bulk.id}/export.csv")
                                         .get_data(as_text=True).lstrip("\ufeff"))))
    assert [r[0] for r in export[1:]] == [f"139****{n[-4:]}" for n in numbers[:3]]
