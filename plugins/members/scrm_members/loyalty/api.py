"""REST endpoints of the loyalty area under ``/api/v1/members/``: orders (create one or a batch, list) and points
(adjust, read a balance with its latest ledger lines). A batch is all or nothing: one bad order refuses the batch,
naming each bad field as ``orders.<index>.<field>``."""

from __future__ import annotations

from flask import Blueprint, request
from pydantic import BaseModel, ConfigDict, Field, RootModel
from sqlalchemy import select

from scrm.sdk.web import ApiError, api_actor, api_operation, audit_action, body, current_tenant, db, query_int

from . import orders, points
from .models import Order, OrderItem, PointsEntry
from .periods import yuan

api = Blueprint("loyalty_api", __name__)
MAX_LIMIT = 200
MAX_BATCH = 500
Scalar = str | int | float | None
ORDER_LIST_PARAMS = [
    {"name": "cursor", "in": "query", "schema": {"type": "integer"},
     "description": "the next_cursor of the previous page"},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50}},
    {"name": "customer_id", "in": "query", "schema": {"type": "integer"}, "description": "one customer's orders"},
    {"name": "source", "in": "query", "schema": {"type": "string"}, "description": "orders from one source"},
]


class OrderItemIn(BaseModel):
    """An order line: the product code, quantity (1 by default), and the unit price or the paid amount (yuan)."""

    model_config = ConfigDict(extra="forbid")
    product_code: str = Field(min_length=1, max_length=64)
    product_name: str | None = Field(None, max_length=200)
    category: str | None = Field(None, max_length=60)
    quantity: int = Field(1, ge=1, le=orders.MAX_QUANTITY)
    unit_price: Scalar = None
    paid_amount: Scalar = None


class OrderItemOut(BaseModel):
    product_code: str
    product_name: str
    category: str
    quantity: int
    unit_price: str
    paid_amount: str


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str = Field(min_length=1, max_length=40)
    order_no: str = Field(min_length=1, max_length=64)
    mobile: str
    customer_name: str | None = None
    store: Scalar = None
    employee: Scalar = None
    item_count: int | None = Field(None, ge=0)
    status: str | None = None
    created_at: str | None = None
    paid_at: str | None = None
    refunded_at: str | None = None
    goods_total: Scalar = None
    shipping_original: Scalar = None
    shipping_discount: Scalar = None
    discount_amount: Scalar = None
    paid_amount: Scalar = None
    refund_amount: Scalar = None
    items: list[OrderItemIn] | None = Field(None, max_length=orders.MAX_ITEMS,
                                            description="the order lines; absent keeps the stored lines")


class OrderBatchIn(BaseModel):
    orders: list[OrderIn] = Field(min_length=1, max_length=MAX_BATCH)


class OrdersIn(RootModel[OrderIn | OrderBatchIn]):
    """One order, or a batch under ``orders`` (documentation only: the view tells them apart by that key)."""


class OrderOut(BaseModel):
    id: int
    source: str
    order_no: str
    customer_id: int
    store_id: int | None
    employee_id: int | None
    status: str
    item_count: int
    goods_total: str
    shipping_original: str
    shipping_discount: str
    discount_amount: str
    paid_amount: str
    refund_amount: str
    created_at: str
    paid_at: str | None
    refunded_at: str | None
    items: list[OrderItemOut]
    created: bool | None = None


class OrderList(BaseModel):
    items: list[OrderOut]
    next_cursor: int | None


class OrderBatchOut(BaseModel):
    items: list[OrderOut]


class OrdersOut(RootModel[OrderOut | OrderBatchOut]):
    """The saved order (``created`` false when it updated an existing one, status 200), or the saved batch."""


class AdjustIn(BaseModel):
    customer_ids: list[int] = Field(min_length=1, max_length=points.BULK_LIMIT)
    delta: int
    reason: str = Field(min_length=1, max_length=points.REASON_MAX)


class AdjustedOut(BaseModel):
    customer_id: int
    delta: int
    balance: int


class AdjustOut(BaseModel):
    items: list[AdjustedOut]


class PointsEntryOut(BaseModel):
    delta: int
    balance_after: int
    reason: str
    actor: str
    at: str


class BalanceOut(BaseModel):
    """The balance and the latest 50 ledger lines, newest first."""

    customer_id: int
    balance: int
    entries: list[PointsEntryOut]


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _item_out(item: OrderItem) -> dict:
    return {"product_code": item.product_code, "product_name": item.product_name, "category": item.category,
            "quantity": item.quantity, "unit_price": yuan(item.unit_price_cents), "paid_amount": yuan(item.paid_cents)}


def _outs(saved: list[tuple[Order, bool | None]]) -> list[dict]:
    """The orders as the API shows them, with their lines (one query for all of them)."""
    lines = orders.items_of(db(), current_tenant().id, [o.id for o, _c in saved])
    return [_out(o, c, lines.get(o.id, [])) for o, c in saved]


def _out(order: Order, created: bool | None = None, items: list[OrderItem] | None = None) -> dict:
    out = {"id": order.id, "source": order.source, "order_no": order.order_no, "customer_id": order.customer_id,
           "store_id": order.store_id, "employee_id": order.employee_id, "status": order.status,
           "item_count": order.item_count, "goods_total": yuan(order.goods_cents),
           "shipping_original": yuan(order.shipping_original_cents),
           "shipping_discount": yuan(order.shipping_discount_cents), "discount_amount": yuan(order.discount_cents),
           "paid_amount": yuan(order.paid_cents), "refund_amount": yuan(order.refund_cents),
           "created_at": _iso(order.created_at), "paid_at": _iso(order.paid_at),
           "refunded_at": _iso(order.refunded_at), "items": [_item_out(i) for i in items or []]}
    if created is not None:
        out["created"] = created
    return out


def _records(items: list[OrderIn], prefix: str) -> list[orders.OrderRecord]:
    records, fields = [], {}
    for index, item in enumerate(items):
        try:
            records.append(orders.validate(db(), current_tenant().id, item.model_dump()))
        except orders.OrderError as exc:
            fields.update({f"{prefix}{index}.{k}" if prefix else k: v for k, v in exc.fields.items()})
    if fields:
        raise ApiError(422, "validation_error", "; ".join(f"{k}: {v}" for k, v in fields.items()), fields)
    return records


@api.post("/orders")
@api_operation("members", "/orders", "post", "Create or update one order, or a batch ({\"orders\": [...]}); "
               "orders are matched on source and order number", request=OrdersIn, response=OrdersOut, status=201)
def create_orders():
    data = request.get_json(silent=True)
    tenant = current_tenant()
    if isinstance(data, dict) and "orders" in data:
        batch = body(OrderBatchIn)
        records = _records(batch.orders, "orders.")
        keys = [(r.source, r.order_no) for r in records]
        if len(set(keys)) != len(keys):
            raise ApiError(422, "duplicate_order", "the batch names an order (source, order_no) twice")
        saved = [orders.save(db(), tenant.id, record, customer_source="api") for record in records]
        audit_action("members.orders.api", f"orders:{len(saved)}")
        return {"items": _outs(saved)}, 201
    record = _records([body(OrderIn)], "")[0]
    order, created = orders.save(db(), tenant.id, record, customer_source="api")
    return _outs([(order, created)])[0], 201 if created else 200


@api.get("/orders")
@api_operation("members", "/orders", "get", "The tenant's orders, newest first (filters: customer_id, source)",
               response=OrderList, params=ORDER_LIST_PARAMS)
def list_orders():
    limit = query_int("limit", 50, low=1, high=MAX_LIMIT)
    cursor, customer_id = query_int("cursor", low=1), query_int("customer_id", low=1)
    query = select(Order).where(Order.tenant_id == current_tenant().id)
    if cursor is not None:
        query = query.where(Order.id < cursor)
    if customer_id is not None:
        query = query.where(Order.customer_id == customer_id)
    if request.args.get("source"):
        query = query.where(Order.source == request.args["source"])
    rows = list(db().execute(query.order_by(Order.id.desc()).limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": _outs([(o, None) for o in rows]), "next_cursor": rows[-1].id if more and rows else None}


@api.post("/points/adjustments")
@api_operation("members", "/points/adjustments", "post", "Add (or, with a negative delta, deduct) points for "
               "customers, with a reason; refused when a balance would fall below zero", request=AdjustIn,
               response=AdjustOut, status=201)
def adjust_points():
    data = body(AdjustIn)
    try:
        done = points.adjust(db(), current_tenant().id, data.customer_ids, data.delta, data.reason, actor=api_actor())
    except points.PointsError as exc:
        status = 409 if exc.field == "delta" and "enough" in str(exc) else 422
        code = "insufficient_points" if status == 409 else "validation_error"
        raise ApiError(status, code, str(exc), {exc.field: str(exc)}) from exc
    audit_action("members.points.adjust", f"customers:{len(done)}", delta=data.delta, reason=data.reason)
    return {"items": [{"customer_id": a.customer_id, "delta": a.delta, "balance": a.balance_after}
                      for a in done]}, 201


@api.get("/points/<int:customer_id>")
@api_operation("members", "/points/{customer_id}", "get", "A customer's points balance and latest ledger lines",
               response=BalanceOut)
def customer_points(customer_id: int):
    tenant = current_tenant()
    if orders.live_customer(db(), tenant.id, customer_id) is None:
        raise ApiError(404, "not_found", "no such customer")
    entries = db().execute(select(PointsEntry).where(PointsEntry.tenant_id == tenant.id,
                                                     PointsEntry.customer_id == customer_id)
                           .order_by(PointsEntry.id.desc()).limit(50)).scalars().all()
    return {"customer_id": customer_id, "balance": points.balance(db(), tenant.id, customer_id),
            "entries": [{"delta": e.delta, "balance_after": e.balance_after, "reason": e.reason, "actor": e.actor,
                         "at": _iso(e.created_at)} for e in entries]}
