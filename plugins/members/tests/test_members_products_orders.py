# ruff: noqa: F811  (pytest fixtures imported from the helper modules are redefined as test arguments)
"""Order lines (products) through the order API and the order import (one row per line, the order's columns repeated):
validation naming the bad line, defaults (item count, goods total, unit price or line amount), lines replaced on an
update and kept when absent, row errors on the line's own row, CSV and XLSX, and tenant isolation."""

from __future__ import annotations

import io

from members_loyalty_fixtures import admin, bearer, loyalty_tenant  # noqa: F401
from scrm_members.loyalty.models import Order, OrderImport, OrderItem
from sqlmodel import select

ORDER = {"source": "tmall", "order_no": "A-1", "mobile": "13800000001", "customer_name": "Ann",
         "paid_at": "2024-05-01 10:05:00"}
LINES = [{"product_code": "SKU-1", "product_name": "Lipstick", "category": "Makeup", "quantity": 2,
          "unit_price": "59.90"},
         {"product_code": "SKU-2", "paid_amount": "30", "quantity": 3}]


def lines_of(db, order_no: str) -> list[tuple]:
    db.commit()
    rows = db.exec(select(OrderItem.product_code, OrderItem.product_name, OrderItem.quantity,
                          OrderItem.unit_price_cents, OrderItem.paid_cents)
                   .join(Order, Order.id == OrderItem.order_id).where(Order.order_no == order_no)
                   .order_by(OrderItem.line_no)).all()
    db.commit()
    return [tuple(r) for r in rows]


def test_the_api_saves_lines_with_their_defaults(client, loyalty_tenant, api_token, db):
    headers = bearer(api_token(loyalty_tenant))
    response = client.post("/api/v1/members/orders", json={**ORDER, "items": LINES}, headers=headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["item_count"] == 5 and body["goods_total"] == "149.80" and body["paid_amount"] == "149.80"
    assert [i["product_code"] for i in body["items"]] == ["SKU-1", "SKU-2"]
    assert body["items"][1] == {"product_code": "SKU-2", "product_name": "SKU-2", "category": "", "quantity": 3,
                                "unit_price": "10.00", "paid_amount": "30.00"}
    assert lines_of(db, "A-1") == [("SKU-1", "Lipstick", 2, 5990, 11980), ("SKU-2", "SKU-2", 3, 1000, 3000)]
    # an update without items keeps the lines; with items it replaces them
    client.post("/api/v1/members/orders", json={**ORDER, "refund_amount": "0"}, headers=headers)
    assert len(lines_of(db, "A-1")) == 2
    replaced = client.post("/api/v1/members/orders", json={**ORDER, "items": [LINES[1]], "item_count": 9},
                           headers=headers).get_json()
    assert replaced["item_count"] == 9 and lines_of(db, "A-1") == [("SKU-2", "SKU-2", 3, 1000, 3000)]
    listed = client.get("/api/v1/members/orders", headers=headers).get_json()["items"]
    assert [i["product_code"] for i in listed[0]["items"]] == ["SKU-2"]


def test_the_api_names_the_bad_line_and_field(client, loyalty_tenant, api_token, db):
    headers = bearer(api_token(loyalty_tenant))
    bad = client.post("/api/v1/members/orders", json={**ORDER, "items": [LINES[0], {"product_code": "SKU-9"}]},
                      headers=headers)
    assert bad.status_code == 422 and "items.1.unit_price" in bad.get_json()["error"]["fields"]
    batch = client.post("/api/v1/members/orders", json={"orders": [
        {**ORDER, "items": [{"product_code": "X", "quantity": 1, "unit_price": "-1"}]}]}, headers=headers)
    assert batch.status_code == 422 and "orders.0.items.0.unit_price" in batch.get_json()["error"]["fields"]
    shape = client.post("/api/v1/members/orders", json={**ORDER, "items": [{"product_code": "X", "quantity": 0}]},
                        headers=headers)
    assert shape.status_code == 422
    db.commit()
    assert db.exec(select(OrderItem)).all() == []


def test_a_token_sees_only_its_tenants_lines(client, loyalty_tenant, other_tenant, api_token, db):
    client.post("/api/v1/members/orders", json={**ORDER, "items": LINES},
                headers=bearer(api_token(other_tenant)))
    mine = client.get("/api/v1/members/orders", headers=bearer(api_token(loyalty_tenant))).get_json()
    assert mine["items"] == []
    db.commit()
    assert {i.tenant_id for i in db.exec(select(OrderItem))} == {other_tenant.id}


# -- import ----------------------------------------------------------------------------------------------------------

CSV = ("订单来源,订单号,手机号,客户姓名,支付时间,商品编码,商品名称,商品分类,购买数量,商品单价,商品实付金额\n"
       "tmall,T-1,13800000001,Ann,2024-05-02 11:00:00,SKU-1,Lipstick,Makeup,2,59.90,110\n"
       "tmall,T-1,,,,SKU-2,Mascara,Makeup,1,,30\n"
       "tmall,T-2,13800000002,Bob,2024-05-02 11:00:00,SKU-1,Lipstick,Makeup,1,59.90,\n"
       "tmall,T-3,13800000003,Cy,2024-05-02 11:00:00,SKU-1,Lipstick,,x,59.90,\n"
       "tmall,T-3,13800000003,Cy,2024-05-02 11:00:00,SKU-3,Toner,,1,20,\n"
       "tmall,T-2,13800000009,,,SKU-3,Toner,,1,20,\n")


def upload(client, content: bytes, name: str = "orders.csv"):
    return client.post("/t/acme/members/orders/import", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_an_import_with_line_columns_groups_rows_into_orders(client, admin, worker, db):
    location = upload(client, CSV.encode()).headers["Location"]
    db.commit()
    job = db.exec(select(OrderImport)).one()
    assert (job.total_rows, job.valid_rows, job.error_rows) == (6, 3, 3)
    assert [(e["row"], sorted(e["errors"])) for e in job.errors] == [(5, ["quantity"]), (7, ["mobile"])]
    errors = client.get(f"/t/acme/members/orders/import/{job.id}/errors.csv").get_data(as_text=True)
    assert "5,T-3,quantity" in errors and "7,T-2,mobile" in errors
    db.commit()
    client.post(location + "/start")
    worker.join()
    db.commit()
    db.refresh(job)
    assert (job.status, job.processed_rows, job.created_count) == ("done", 6, 2)
    assert lines_of(db, "T-1") == [("SKU-1", "Lipstick", 2, 5990, 11000), ("SKU-2", "Mascara", 1, 3000, 3000)]
    assert lines_of(db, "T-2") == [("SKU-1", "Lipstick", 1, 5990, 5990)]
    assert lines_of(db, "T-3") == []
    t1 = db.exec(select(Order).where(Order.order_no == "T-1")).one()
    assert (t1.item_count, t1.goods_cents) == (3, 14980)


def test_an_xlsx_import_with_lines_and_another_tenants_import_is_not_found(client, admin, worker, db, other_tenant):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["source", "order_no", "mobile", "paid_at", "product_code", "product_name", "quantity",
                  "unit_price"])
    sheet.append(["douyin", 1001, "13800000009", "2024-06-01 08:00:00", "SKU-7", "Serum", 2, 99])
    sheet.append(["douyin", 1001, "13800000009", "2024-06-01 08:00:00", "SKU-8", "Cream", 1, 45.5])
    buffer = io.BytesIO()
    book.save(buffer)
    location = upload(client, buffer.getvalue(), "orders.xlsx").headers["Location"]
    client.post(location + "/start")
    worker.join()
    assert lines_of(db, "1001") == [("SKU-7", "Serum", 2, 9900, 19800), ("SKU-8", "Cream", 1, 4550, 4550)]
    theirs = OrderImport(tenant_id=other_tenant.id, filename="x.csv", content=CSV.encode(), status="previewed",
                         valid_rows=3)
    db.add(theirs)
    db.commit()
    assert client.post(f"/t/acme/members/orders/import/{theirs.id}/start").status_code == 404
