"""Orders: validating an order record (API and import share it), saving it idempotently on (source, order number),
and the purchase metrics of one customer, computed in SQL.

A *purchase* is an order with a payment time. Refunds do not undo it: after-sales orders stay in every figure except
the profile's cumulative purchase count and amount, which leave out fully refunded orders ("不含退款").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, delete, func, insert, select
from sqlmodel import Session

from scrm.sdk import (
    Customer,
    Department,
    Employee,
    IdentityError,
    IdentityKind,
    match_or_create,
    normalize_mobile,
    utcnow,
)
from scrm.sdk.web import parse_int

from .models import Order, OrderItem, OrderStatus
from .periods import parse_local_datetime, to_cents

AMOUNTS = ("goods_total", "shipping_original", "shipping_discount", "discount_amount", "paid_amount",
           "refund_amount")
FIELDS = ("source", "order_no", "mobile", "customer_name", "store", "employee", "item_count", "status",
          "created_at", "paid_at", "refunded_at", *AMOUNTS)
STATUSES = tuple(s.value for s in OrderStatus)
MAX_ITEMS = 200
MAX_QUANTITY = 100_000


class OrderError(ValueError):
    """An order record is invalid: ``fields`` maps each bad field to its message."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass
class OrderRecord:
    """A validated order, amounts in fen, times in UTC; store and employee resolved to the tenant's ids."""

    source: str
    order_no: str
    mobile: str
    customer_name: str = ""
    store_id: int | None = None
    employee_id: int | None = None
    item_count: int = 0
    status: str = OrderStatus.PAID.value
    created_at: datetime | None = None
    paid_at: datetime | None = None
    refunded_at: datetime | None = None
    cents: dict[str, int] = field(default_factory=dict)
    items: list[ItemRecord] | None = None


@dataclass
class ItemRecord:
    """A validated order line, amounts in fen."""

    product_code: str
    product_name: str
    category: str
    quantity: int
    unit_price_cents: int
    paid_cents: int


def _text(raw: Any) -> str:
    return "" if raw is None else str(raw).strip()


def _store_id(session: Session, tenant_id: int, raw: str) -> int | None:
    """A department by id, external id or exact name."""
    query = select(Department.id).where(Department.tenant_id == tenant_id)
    number = parse_int(raw)
    for clause in ([Department.id == number] if number is not None else []) + [Department.external_id == raw,
                                                                              Department.name == raw]:
        found = session.execute(query.where(clause).limit(1)).scalar()
        if found is not None:
            return found
    return None


def _employee_id(session: Session, tenant_id: int, raw: str) -> int | None:
    """An employee by id or userid."""
    query = select(Employee.id).where(Employee.tenant_id == tenant_id)
    number = parse_int(raw)
    for clause in ([Employee.id == number] if number is not None else []) + [Employee.userid == raw]:
        found = session.execute(query.where(clause).limit(1)).scalar()
        if found is not None:
            return found
    return None


def _validate_item(raw: Any, errors: dict[str, str], prefix: str) -> ItemRecord | None:
    """One order line (keys product_code, product_name, category, quantity, unit_price, paid_amount): a product
    code, a quantity (1 by default), and a unit price or a paid amount (the other is derived from it)."""
    if not isinstance(raw, dict):
        errors[prefix.rstrip(".")] = str(_l("An order line is an object with a product code and a quantity."))
        return None
    before = len(errors)
    code = _text(raw.get("product_code"))
    name = _text(raw.get("product_name")) or code
    category = _text(raw.get("category"))
    if not code or len(code) > 64:
        errors[f"{prefix}product_code"] = str(_l("Give the product code (1 to 64 characters)."))
    if len(name) > 200:
        errors[f"{prefix}product_name"] = str(_l("At most %(n)s characters.", n=200))
    if len(category) > 60:
        errors[f"{prefix}category"] = str(_l("At most %(n)s characters.", n=60))
    raw_quantity = _text(raw.get("quantity")) or "1"
    quantity = int(raw_quantity) if raw_quantity.isdigit() else 0
    if not 1 <= quantity <= MAX_QUANTITY:
        errors[f"{prefix}quantity"] = str(_l("Give the quantity as a whole number of at least 1."))
    cents: dict[str, int] = {}
    for amount in ("unit_price", "paid_amount"):
        value = _text(raw.get(amount))
        if value == "":
            continue
        try:
            cents[amount] = to_cents(value)
        except ValueError:
            errors[f"{prefix}{amount}"] = str(_l("Give an amount of zero or more with at most 2 decimals."))
    if not cents and f"{prefix}unit_price" not in errors and f"{prefix}paid_amount" not in errors:
        errors[f"{prefix}unit_price"] = str(_l("Give the unit price or the paid amount of the line."))
    if len(errors) > before:
        return None
    unit = cents.get("unit_price", round(cents.get("paid_amount", 0) / quantity))
    paid = cents.get("paid_amount", unit * quantity)
    return ItemRecord(code, name, category, quantity, unit, paid)


def validate_items(raw: Any, errors: dict[str, str]) -> list[ItemRecord] | None:
    """The order lines of ``raw`` (a list, or None for "lines not given"); bad lines add ``items.<n>.<field>``."""
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) > MAX_ITEMS:
        errors["items"] = str(_l("Give at most %(n)s order lines as a list.", n=MAX_ITEMS))
        return None
    items = [_validate_item(line, errors, f"items.{index}.") for index, line in enumerate(raw)]
    return [item for item in items if item is not None]


def validate(session: Session, tenant_id: int, data: dict[str, Any]) -> OrderRecord:
    """Check one order record (keys of ``FIELDS``, values as text or numbers); raises OrderError naming every bad
    field. Amounts are yuan; the paid amount defaults to goods + shipping − shipping discount − discount.

    ``items`` (optional) lists the order lines; with lines, the goods total defaults to the sum of unit price ×
    quantity and the item count to the sum of the quantities."""
    errors: dict[str, str] = {}
    items = validate_items(data.get("items"), errors)
    source, order_no = _text(data.get("source")), _text(data.get("order_no"))
    if not source or len(source) > 40:
        errors["source"] = str(_l("Give the source channel (1 to 40 characters)."))
    if not order_no or len(order_no) > 64:
        errors["order_no"] = str(_l("Give the order number (1 to 64 characters)."))
    mobile = _text(data.get("mobile"))
    try:
        mobile = normalize_mobile(mobile)
    except IdentityError:
        errors["mobile"] = str(_l("Give the customer's 11-digit mobile number."))
    cents: dict[str, int] = {}
    for name in AMOUNTS:
        raw = _text(data.get(name))
        if raw == "":
            continue
        try:
            cents[name] = to_cents(raw)
        except ValueError:
            errors[name] = str(_l("Give an amount of zero or more with at most 2 decimals."))
    if items and "goods_total" not in cents and "goods_total" not in errors:
        cents["goods_total"] = sum(item.unit_price_cents * item.quantity for item in items)
    if "paid_amount" not in cents and "paid_amount" not in errors:
        computed = (cents.get("goods_total", 0) + cents.get("shipping_original", 0)
                    - cents.get("shipping_discount", 0) - cents.get("discount_amount", 0))
        if computed < 0:
            errors["paid_amount"] = str(_l("The discounts exceed the goods total and shipping."))
        cents["paid_amount"] = max(computed, 0)
    if cents.get("refund_amount", 0) > cents.get("paid_amount", 0):
        errors["refund_amount"] = str(_l("The refund cannot exceed the paid amount."))
    times: dict[str, datetime | None] = {}
    for name in ("created_at", "paid_at", "refunded_at"):
        raw = _text(data.get(name))
        try:
            times[name] = parse_local_datetime(raw) if raw else None
        except ValueError:
            errors[name] = str(_l("Give a date and time such as 2024-05-01 10:30:00."))
    raw_items = _text(data.get("item_count")) or str(sum(item.quantity for item in items or []))
    item_count = int(raw_items) if raw_items.isdigit() else -1
    if item_count < 0 or item_count > 100_000:
        errors["item_count"] = str(_l("Give the number of items as a whole number of zero or more."))
    status = _text(data.get("status")).lower()
    if status and status not in STATUSES:
        errors["status"] = str(_l("Use one of: %(statuses)s.", statuses=", ".join(STATUSES)))
    store_id = employee_id = None
    store, employee = _text(data.get("store")), _text(data.get("employee"))
    if store and (store_id := _store_id(session, tenant_id, store)) is None:
        errors["store"] = str(_l("No store (department) '%(name)s'.", name=store))
    if employee and (employee_id := _employee_id(session, tenant_id, employee)) is None:
        errors["employee"] = str(_l("No employee '%(name)s'.", name=employee))
    if cents.get("refund_amount") and not times.get("refunded_at") and "refunded_at" not in errors:
        errors["refunded_at"] = str(_l("Give the refund-success time of a refunded order."))
    if errors:
        raise OrderError(errors)
    if not status:
        if times["refunded_at"] and cents.get("refund_amount"):
            full = cents["refund_amount"] >= cents["paid_amount"]
            status = OrderStatus.REFUNDED.value if full else OrderStatus.PARTIALLY_REFUNDED.value
        elif times["paid_at"]:
            status = OrderStatus.PAID.value
        else:
            status = OrderStatus.CREATED.value
    return OrderRecord(source=source, order_no=order_no, mobile=mobile,
                       customer_name=_text(data.get("customer_name"))[:100], store_id=store_id,
                       employee_id=employee_id, item_count=item_count, status=status,
                       created_at=times["created_at"], paid_at=times["paid_at"], refunded_at=times["refunded_at"],
                       cents=cents, items=items)


def save(session: Session, tenant_id: int, record: OrderRecord, customer_source: str = "order") -> tuple[Order, bool]:
    """Insert the order, or update the tenant's order of the same source and number. The customer is matched by
    mobile through One-ID (created when unknown). Returns the order and whether it was created."""
    customer = match_or_create(session, tenant_id, {IdentityKind.MOBILE: record.mobile}, name=record.customer_name,
                               source=customer_source).customer
    order = session.execute(select(Order).where(Order.tenant_id == tenant_id, Order.source == record.source,
                                                Order.order_no == record.order_no)).scalar_one_or_none()
    created = order is None
    if created:
        order = Order(tenant_id=tenant_id, source=record.source, order_no=record.order_no, customer_id=customer.id)
    order.customer_id = customer.id
    order.store_id, order.employee_id = record.store_id, record.employee_id
    order.status, order.item_count = record.status, record.item_count
    order.goods_cents = record.cents.get("goods_total", 0)
    order.shipping_original_cents = record.cents.get("shipping_original", 0)
    order.shipping_discount_cents = record.cents.get("shipping_discount", 0)
    order.discount_cents = record.cents.get("discount_amount", 0)
    order.paid_cents = record.cents.get("paid_amount", 0)
    order.refund_cents = record.cents.get("refund_amount", 0)
    order.created_at = record.created_at or order.created_at or utcnow()
    order.paid_at, order.refunded_at = record.paid_at, record.refunded_at
    order.updated_at = utcnow()
    session.add(order)
    session.flush()
    if record.items is not None:
        replace_items(session, order, record.items)
    return order, created


def replace_items(session: Session, order: Order, items: list[ItemRecord]) -> None:
    """Make ``items`` the order's lines (numbered from 1); the order is flushed (it has an id)."""
    session.execute(delete(OrderItem).where(OrderItem.tenant_id == order.tenant_id, OrderItem.order_id == order.id))
    if items:
        session.execute(insert(OrderItem), [
            {"tenant_id": order.tenant_id, "order_id": order.id, "line_no": number, "product_code": item.product_code,
             "product_name": item.product_name, "category": item.category, "quantity": item.quantity,
             "unit_price_cents": item.unit_price_cents, "paid_cents": item.paid_cents}
            for number, item in enumerate(items, 1)])


def items_of(session: Session, tenant_id: int, order_ids: list[int]) -> dict[int, list[OrderItem]]:
    """The lines of each of ``order_ids``, in line order (one query)."""
    out: dict[int, list[OrderItem]] = {}
    if not order_ids:
        return out
    rows = session.execute(select(OrderItem).where(OrderItem.tenant_id == tenant_id,
                                                   OrderItem.order_id.in_(order_ids))
                           .order_by(OrderItem.order_id, OrderItem.line_no)).scalars()
    for item in rows:
        out.setdefault(item.order_id, []).append(item)
    return out


@dataclass
class PurchaseMetrics:
    """A customer's purchase figures (spec A §2.1 derived metrics). Amounts in fen."""

    purchases: int = 0
    items: int = 0
    amount: int = 0
    refund: int = 0
    original: int = 0
    last_at: datetime | None = None
    last_amount: int = 0
    last_items: int = 0
    last_store: str | None = None


def purchase_metrics(session: Session, tenant_id: int, customer_id: int) -> PurchaseMetrics:
    """Recent, cumulative and refund figures of one customer, in two indexed queries."""
    counted = (Order.paid_at.is_not(None)) & (Order.status != OrderStatus.REFUNDED.value)
    row = session.execute(select(
        func.count().filter(counted),
        func.coalesce(func.sum(case((counted, Order.item_count), else_=0)), 0),
        func.coalesce(func.sum(case((counted, Order.paid_cents), else_=0)), 0),
        func.coalesce(func.sum(Order.refund_cents), 0),
        func.coalesce(func.sum(case((counted, Order.goods_cents + Order.shipping_original_cents), else_=0)), 0),
    ).where(Order.tenant_id == tenant_id, Order.customer_id == customer_id)).one()
    metrics = PurchaseMetrics(int(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4]))
    last = session.execute(
        select(Order.paid_at, Order.paid_cents, Order.item_count, Department.name)
        .outerjoin(Department, Department.id == Order.store_id)
        .where(Order.tenant_id == tenant_id, Order.customer_id == customer_id, Order.paid_at.is_not(None))
        .order_by(Order.paid_at.desc(), Order.id.desc()).limit(1)).first()
    if last is not None:
        metrics.last_at, metrics.last_amount, metrics.last_items, metrics.last_store = last
    return metrics


def move_merged(session: Session, tenant_id: int, survivor_id: int, merged_id: int) -> None:
    from sqlalchemy import update

    session.execute(update(Order).where(Order.tenant_id == tenant_id, Order.customer_id == merged_id)
                    .values(customer_id=survivor_id))


def live_customer(session: Session, tenant_id: int, customer_id: int) -> Customer | None:
    customer = session.get(Customer, customer_id)
    if customer is None or customer.tenant_id != tenant_id or customer.merged_into_id is not None:
        return None
    return customer
