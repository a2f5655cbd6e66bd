# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""Orders (spec A §2.9, §5.8; brief: orders API, import, list, profile panel): the API (single, batch, validation,
idempotence on source and order number, One-ID matching), CSV and XLSX imports with preview, row errors and a job
with progress, the order list, the profile figures of acceptance 30, and tenant isolation of each."""

from __future__ import annotations

import io

from members_loyalty_fixtures import (  # noqa: F401
    admin,
    bearer,
    customer,
    employee,
    loyalty_tenant,
    order,
    store,
)
from scrm_members.loyalty import order_import
from scrm_members.loyalty.models import Order, OrderImport
from scrm_members.loyalty.panels import profile_figures
from sqlmodel import func, select

from scrm.core.models import Customer, CustomerIdentity


def order_count(db, tenant) -> int:
    db.commit()
    return db.exec(select(func.count()).select_from(Order).where(Order.tenant_id == tenant.id)).one()


ORDER = {"source": "tmall", "order_no": "A-1", "mobile": "13800000001", "customer_name": "Ann",
         "goods_total": "90", "shipping_original": "15", "discount_amount": "5", "item_count": 2,
         "created_at": "2024-05-01 10:00:00", "paid_at": "2024-05-01 10:05:00"}


# -- API -------------------------------------------------------------------------------------------------------------


def test_api_creates_an_order_and_matches_the_customer_by_mobile(client, loyalty_tenant, api_token, db):
    token = api_token(loyalty_tenant)
    response = client.post("/api/v1/members/orders", json=ORDER, headers=bearer(token))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["paid_amount"] == "100.00" and body["status"] == "paid" and body["created"] is True
    assert body["paid_at"].startswith("2024-05-01T02:05:00")  # Beijing time stored as UTC
    db.commit()
    customer_row = db.get(Customer, body["customer_id"])
    assert customer_row.mobile == "13800000001" and customer_row.tenant_id == loyalty_tenant.id
    again = client.post("/api/v1/members/orders", json={**ORDER, "mobile": "138 0000 0001"}, headers=bearer(token))
    assert again.status_code == 200 and again.get_json()["customer_id"] == body["customer_id"]
    assert order_count(db, loyalty_tenant) == 1


def test_api_updates_the_order_of_the_same_source_and_number(client, loyalty_tenant, api_token, db):
    token = api_token(loyalty_tenant)
    client.post("/api/v1/members/orders", json=ORDER, headers=bearer(token))
    refunded = {**ORDER, "refund_amount": "100", "refunded_at": "2024-05-03 09:00:00"}
    body = client.post("/api/v1/members/orders", json=refunded, headers=bearer(token)).get_json()
    assert body["status"] == "refunded" and body["refund_amount"] == "100.00" and body["created"] is False
    other_source = client.post("/api/v1/members/orders", json={**ORDER, "source": "jd"}, headers=bearer(token))
    assert other_source.status_code == 201
    assert order_count(db, loyalty_tenant) == 2


def test_api_refuses_bad_orders_naming_each_field(client, loyalty_tenant, api_token, db):
    token = api_token(loyalty_tenant)
    bad = {**ORDER, "mobile": "1380000", "goods_total": "-1", "paid_at": "yesterday", "store": "Nowhere"}
    response = client.post("/api/v1/members/orders", json=bad, headers=bearer(token))
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert {"mobile", "goods_total", "paid_at", "store"} <= set(fields)
    too_precise = client.post("/api/v1/members/orders", json={**ORDER, "paid_amount": "1.005"}, headers=bearer(token))
    assert too_precise.status_code == 422
    refund_without_time = client.post("/api/v1/members/orders", json={**ORDER, "refund_amount": "1"},
                                      headers=bearer(token))
    assert "refunded_at" in refund_without_time.get_json()["error"]["fields"]
    assert client.post("/api/v1/members/orders", json={"order_no": "x"}, headers=bearer(token)).status_code == 422
    assert order_count(db, loyalty_tenant) == 0


def test_api_batch_is_all_or_nothing(client, loyalty_tenant, api_token, db):
    token = api_token(loyalty_tenant)
    batch = [{**ORDER, "order_no": f"B-{i}"} for i in range(3)]
    bad = client.post("/api/v1/members/orders", json={"orders": [*batch, {**ORDER, "order_no": "B-9", "mobile": "1"}]},
                      headers=bearer(token))
    assert bad.status_code == 422 and "orders.3.mobile" in bad.get_json()["error"]["fields"]
    assert order_count(db, loyalty_tenant) == 0
    twice = client.post("/api/v1/members/orders", json={"orders": [batch[0], batch[0]]}, headers=bearer(token))
    assert twice.status_code == 422
    ok = client.post("/api/v1/members/orders", json={"orders": batch}, headers=bearer(token))
    assert ok.status_code == 201 and len(ok.get_json()["items"]) == 3
    assert order_count(db, loyalty_tenant) == 3


def test_api_store_and_employee_must_be_the_tenants(client, loyalty_tenant, other_tenant, api_token, store, employee,
                                                     db):
    mine, theirs = store(loyalty_tenant, "Shanghai 1"), store(other_tenant, "Globex store")
    guide = employee(loyalty_tenant, "Lily")
    token = api_token(loyalty_tenant)
    ok = client.post("/api/v1/members/orders", json={**ORDER, "store": "Shanghai 1", "employee": "lily"},
                     headers=bearer(token)).get_json()
    assert ok["store_id"] == mine.id and ok["employee_id"] == guide.id
    foreign = client.post("/api/v1/members/orders", json={**ORDER, "order_no": "A-2", "store": str(theirs.id)},
                          headers=bearer(token))
    assert foreign.status_code == 422 and "store" in foreign.get_json()["error"]["fields"]


def test_api_lists_only_the_tokens_tenant(client, loyalty_tenant, other_tenant, api_token, customer, order):
    order(customer(loyalty_tenant, "Ann"), 10)
    order(customer(other_tenant, "Bob"), 20)
    mine = client.get("/api/v1/members/orders", headers=bearer(api_token(loyalty_tenant))).get_json()["items"]
    theirs = client.get("/api/v1/members/orders", headers=bearer(api_token(other_tenant))).get_json()["items"]
    assert [o["paid_amount"] for o in mine] == ["10.00"] and [o["paid_amount"] for o in theirs] == ["20.00"]
    assert client.get("/api/v1/members/orders?limit=0", headers=bearer(api_token(loyalty_tenant))).status_code == 400


def test_another_tenants_token_cannot_write_into_this_tenant(client, loyalty_tenant, other_tenant, api_token, db):
    client.post("/api/v1/members/orders", json=ORDER, headers=bearer(api_token(other_tenant)))
    assert order_count(db, loyalty_tenant) == 0 and order_count(db, other_tenant) == 1
    db.commit()
    assert db.exec(select(Customer.tenant_id).where(Customer.mobile == "13800000001")).all() == [other_tenant.id]


# -- import ----------------------------------------------------------------------------------------------------------


CSV = ("source,order_no,mobile,customer_name,goods_total,shipping_original,discount_amount,item_count,paid_at\n"
       "tmall,T-1,13800000001,Ann,90,15,5,2,2024-05-01 10:00:00\n"
       "tmall,T-2,13800000002,Bob,50,,,1,2024-05-02 11:00:00\n"
       "tmall,T-3,12345,Cat,10,,,1,2024-05-02 11:00:00\n"
       "tmall,T-1,13800000003,Dan,10,,,1,2024-05-02 11:00:00\n")


def upload(client, content: bytes, name: str = "orders.csv"):
    return client.post("/t/acme/members/orders/import", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_import_previews_row_errors_and_offers_them_as_csv(client, admin, db):
    response = upload(client, CSV.encode())
    assert response.status_code == 302
    job = db.exec(select(OrderImport)).one()
    assert (job.total_rows, job.valid_rows, job.error_rows) == (4, 2, 2)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "4 rows: 2 valid, 2 with errors." in page and "T-3" in page
    errors = client.get(f"/t/acme/members/orders/import/{job.id}/errors.csv").get_data(as_text=True)
    assert "4,T-3,mobile" in errors and "5,T-1,order_no" in errors
    assert order_count(db, job) == 0  # nothing is imported before the start


def test_import_refuses_unreadable_files(client, admin, db):
    assert upload(client, b"").status_code == 422
    assert upload(client, b"a,b\n1,2\n").status_code == 422
    assert upload(client, b"source,order_no,mobile\n", "o.txt").status_code == 422
    response = client.post("/t/acme/members/orders/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and 'data-testid="import-error"' in response.get_data(as_text=True)
    db.commit()
    assert db.exec(select(func.count()).select_from(OrderImport)).one() == 0


def test_import_job_applies_valid_rows_with_progress_and_is_idempotent(client, admin, worker, db, loyalty_tenant):
    location = upload(client, CSV.encode()).headers["Location"]
    job_id = int(location.rstrip("/").split("/")[-1])
    assert client.post(f"/t/acme/members/orders/import/{job_id}/start").status_code == 302
    worker.join()
    db.commit()
    job = db.get(OrderImport, job_id)
    db.refresh(job)
    assert (job.status, job.processed_rows, job.created_count, job.updated_count) == ("done", 4, 2, 0)
    progress = client.get(f"/t/acme/members/orders/import/{job_id}/progress").get_data(as_text=True)
    assert 'data-status="done"' in progress and "hx-trigger" not in progress
    assert order_count(db, loyalty_tenant) == 2
    assert client.post(f"/t/acme/members/orders/import/{job_id}/start").status_code == 409
    # the same file again (a resumed import) updates the orders instead of duplicating them
    second = int(upload(client, CSV.encode()).headers["Location"].rstrip("/").split("/")[-1])
    client.post(f"/t/acme/members/orders/import/{second}/start")
    worker.join()
    db.commit()
    again = db.get(OrderImport, second)
    db.refresh(again)
    assert (again.created_count, again.updated_count) == (0, 2)
    assert order_count(db, loyalty_tenant) == 2
    paid = db.exec(select(Order.paid_cents).where(Order.order_no == "T-1")).one()
    assert paid == 10000


def test_import_reads_xlsx(client, admin, worker, db, loyalty_tenant):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["订单来源", "订单号", "手机号", "实付金额", "支付时间"])
    sheet.append(["douyin", 1001, "13800000009", 12.5, "2024-06-01 08:00:00"])
    buffer = io.BytesIO()
    book.save(buffer)
    location = upload(client, buffer.getvalue(), "orders.xlsx").headers["Location"]
    client.post(location + "/start")
    worker.join()
    db.commit()
    row = db.exec(select(Order).where(Order.tenant_id == loyalty_tenant.id)).one()
    assert (row.source, row.order_no, row.paid_cents) == ("douyin", "1001", 1250)


def test_an_import_of_another_tenant_is_not_found(client, admin, other_tenant, db):
    job = order_import.create(db, other_tenant.id, "theirs.csv", CSV.encode(), None)
    db.commit()
    for url in (f"/t/acme/members/orders/import/{job.id}", f"/t/acme/members/orders/import/{job.id}/progress",
                f"/t/acme/members/orders/import/{job.id}/errors.csv"):
        assert client.get(url).status_code == 404
    assert client.post(f"/t/acme/members/orders/import/{job.id}/start").status_code == 404


# -- pages and profile -----------------------------------------------------------------------------------------------


def test_order_list_shows_only_the_tenants_orders(client, admin, loyalty_tenant, other_tenant, customer, order):
    order(customer(other_tenant, "Zed"), 77, source="globex-shop")
    mine = order(customer(loyalty_tenant, "Ann"), 12.34)
    page = client.get("/t/acme/members/orders/").get_data(as_text=True)
    assert mine.order_no in page and "12.34" in page and "globex-shop" not in page
    filtered = client.get("/t/acme/members/orders/?source=jd").get_data(as_text=True)
    assert mine.order_no not in filtered


def test_profile_figures_follow_the_spec_example(db, loyalty_tenant, customer, order, store):
    """Acceptance 30: 26 purchases, 27 items, 468.31 spent → 18.01 / 1.04 / 17.34."""
    ann = customer(loyalty_tenant, "Ann")
    shop = store(loyalty_tenant, "Shanghai 1")
    for _ in range(25):
        order(ann, 18.00, items=1)
    order(ann, 18.31, items=2, store_id=shop.id)
    order(ann, 5, refund=5, refunded_at=None)  # fully refunded: not a counted purchase, but its refund is
    figures = profile_figures(db, loyalty_tenant.id, ann.id)
    assert (figures["purchases"], figures["items"], figures["amount"]) == (26, 27, "468.31")
    assert (figures["avg_order_value"], figures["avg_items"], figures["avg_unit_price"]) == ("18.01", "1.04", "17.34")
    assert figures["refund"] == "5.00"


def test_profile_panel_is_rendered_on_the_customer_profile(client, admin, loyalty_tenant, customer, order, db):
    ann = customer(loyalty_tenant, "Ann")
    order(ann, 20)
    db.add(CustomerIdentity(tenant_id=loyalty_tenant.id, customer_id=ann.id, kind="mobile", value="13800000001"))
    db.commit()
    page = client.get(f"/t/acme/members/customers/{ann.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="loyalty-panel"' in html and 'data-testid="cum-amount">20.00<' in html
