"""Importing orders from CSV or XLSX: read the file, validate every row (the preview shows the row errors and offers
them as a CSV download), then a job applies the valid rows in batches, recording its progress.

The first row holds the column names: the English field names of ``orders.FIELDS`` or their Chinese titles. Rows are
saved with ``orders.save``, matched on (source, order number), so running an import again (after a failure) updates
what was saved and adds the rest: an import is resumable and idempotent.

Order lines: a file with a ``product_code`` column has one row per order line (``LINE_COLUMNS``), the order's columns
repeated on each row of the order (or left empty after its first row; a different value is a row error). The order
then gets exactly the file's lines. Without that column a row is an order, and an order number repeated is an error.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from scrm.sdk import current_bus, tabular, utcnow

from ..customers.import_files import sheet_too_large
from . import orders
from .models import OrderImport

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
BATCH = 500
ALIASES = {
    "订单来源": "source", "来源": "source", "订单号": "order_no", "订单编号": "order_no", "手机号": "mobile",
    "客户姓名": "customer_name", "姓名": "customer_name", "门店": "store", "导购": "employee", "员工": "employee",
    "商品件数": "item_count", "件数": "item_count", "订单状态": "status", "状态": "status", "下单时间": "created_at",
    "创建时间": "created_at", "支付时间": "paid_at", "退款成功时间": "refunded_at", "商品总价": "goods_total",
    "邮费原价": "shipping_original", "邮费优惠": "shipping_discount", "优惠金额": "discount_amount",
    "实付金额": "paid_amount", "退款金额": "refund_amount",
    "商品编码": "product_code", "商品编号": "product_code", "商品名称": "product_name", "商品分类": "category",
    "购买数量": "quantity", "数量": "quantity", "商品单价": "unit_price", "单价": "unit_price",
    "商品实付金额": "item_paid_amount",
}
LINE_COLUMNS = ("product_code", "product_name", "category", "quantity", "unit_price", "item_paid_amount")


class ImportFileError(ValueError):
    """The file cannot be read as an order table."""


def _column(title: str) -> str | None:
    name = title.strip().lstrip("\ufeff")
    key = name.lower().replace(" ", "_")
    return key if key in orders.FIELDS or key in LINE_COLUMNS else ALIASES.get(name)


def read_rows(filename: str, content: bytes) -> list[dict[str, Any]]:
    """The data rows of a CSV (UTF-8 or GB18030) or XLSX file as dicts keyed by field. Raises ImportFileError."""
    if not content:
        raise ImportFileError(str(_l("The file is empty.")))
    if len(content) > MAX_BYTES:
        raise ImportFileError(str(_l("The file is larger than 20 MB.")))
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        table = _xlsx(content)
    elif lower.endswith(".csv"):
        table = _csv(content)
    else:
        raise ImportFileError(str(_l("Upload a .csv or .xlsx file.")))
    if not table:
        raise ImportFileError(str(_l("The file is empty.")))
    header = [_column(str(h or "")) for h in table[0]]
    missing = [f for f in ("source", "order_no", "mobile") if f not in header]
    if missing:
        raise ImportFileError(str(_l("The first row must name the columns; missing: %(cols)s.",
                                     cols=", ".join(missing))))
    rows = []
    for raw in table[1:]:
        if not any(str(v or "").strip() for v in raw):
            continue
        rows.append({key: ("" if value is None else value) for key, value in zip(header, raw, strict=False) if key})
    if not rows:
        raise ImportFileError(str(_l("The file has no order rows.")))
    if len(rows) > MAX_ROWS:
        raise ImportFileError(str(_l("Import at most %(n)d rows per file.", n=MAX_ROWS)))
    return rows


def _csv(content: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(str(_l("The CSV file is neither UTF-8 nor GB18030 text.")))
    return [row for row in csv.reader(io.StringIO(text))]


def _xlsx(content: bytes) -> list[list[Any]]:
    try:
        return [[_cell(v) for v in row] for row in tabular.xlsx_rows(content, max_rows=MAX_ROWS + 1)]
    except tabular.SheetUnreadable as exc:
        raise ImportFileError(str(_l("The file is not a readable XLSX workbook."))) from exc
    except tabular.SheetTooLarge as exc:
        raise ImportFileError(sheet_too_large(exc)) from exc


def _cell(value: Any) -> Any:
    from datetime import datetime

    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


@dataclass
class FileOrder:
    """The rows of one order in the file: their numbers (data rows count from 2), the order record's input and the
    numbers of the rows that carry its lines."""

    rows: list[int]
    data: dict[str, Any]
    line_rows: list[int]


def _line(row: dict[str, Any]) -> dict[str, Any] | None:
    if not str(row.get("product_code") or "").strip():
        return None
    return {"product_code": row.get("product_code"), "product_name": row.get("product_name"),
            "category": row.get("category"), "quantity": row.get("quantity"), "unit_price": row.get("unit_price"),
            "paid_amount": row.get("item_paid_amount")}


def group_orders(rows: list[dict[str, Any]]) -> tuple[list[FileOrder], list[dict[str, Any]]]:
    """The file's orders and the row errors found while grouping (a repeated order without line columns, or an
    order column differing from the order's first row)."""
    with_lines = bool(rows) and "product_code" in rows[0]
    found: dict[tuple[str, str], FileOrder] = {}
    errors = []
    for number, row in enumerate(rows, 2):
        key = (str(row.get("source", "")).strip(), str(row.get("order_no", "")).strip())
        head = {k: v for k, v in row.items() if k not in LINE_COLUMNS}
        order = found.get(key)
        if not all(key):  # no order number: an order of its own, refused by the validation
            key = ("", f"#{number}")
            order = None
        if order is None:
            found[key] = FileOrder([number], {**head, "items": [] if with_lines else None}, [])
        elif not with_lines:
            errors.append({"row": number, "order_no": key[1][:64],
                           "errors": {"order_no": str(_l("Also on row %(n)d.", n=order.rows[0]))}})
            continue
        else:
            clash = sorted(k for k, v in head.items() if str(v).strip() not in ("", str(order.data.get(k, "")).strip()))
            if clash:
                errors.append({"row": number, "order_no": key[1][:64], "errors": {
                    k: str(_l("Differs from row %(n)d of the same order.", n=order.rows[0])) for k in clash}})
                continue
            order.rows.append(number)
        if with_lines and (line := _line(row)) is not None:
            found[key].data["items"].append(line)
            found[key].line_rows.append(number)
    return list(found.values()), errors


def _line_errors(order: FileOrder, fields: dict[str, str]) -> list[dict[str, Any]]:
    """OrderError fields as row errors: a line's error on the row of that line, the others on the order's first."""
    by_row: dict[int, dict[str, str]] = {}
    for name, message in fields.items():
        parts = name.split(".")
        if parts[0] == "items" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(order.line_rows):
            column = "item_paid_amount" if parts[2] == "paid_amount" else parts[2]
            by_row.setdefault(order.line_rows[int(parts[1])], {})[column] = message
        else:
            by_row.setdefault(order.rows[0], {})[name] = message
    order_no = str(order.data.get("order_no", ""))[:64]
    return [{"row": row, "order_no": order_no, "errors": errs} for row, errs in sorted(by_row.items())]


def check(session: Session, tenant_id: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Row errors: ``{"row": n, "order_no", "errors": {field: message}}`` (n counts data rows from 2, the header
    being row 1). Duplicate (source, order number) pairs within a file without line columns are errors too."""
    grouped, errors = group_orders(rows)
    for order in grouped:
        try:
            orders.validate(session, tenant_id, order.data)
        except orders.OrderError as exc:
            errors.extend(_line_errors(order, exc.fields))
    return sorted(errors, key=lambda e: e["row"])


def bad_row_count(rows: list[dict[str, Any]], errors: list[dict[str, Any]]) -> int:
    """Rows not imported: the rows of every order with an error, and rows refused while grouping."""
    bad = {e["row"] for e in errors}
    grouped, _errors = group_orders(rows)
    return len(bad | {n for order in grouped if bad & set(order.rows) for n in order.rows})


def create(session: Session, tenant_id: int, filename: str, content: bytes, user_id: int | None) -> OrderImport:
    """Read and check an uploaded file and keep it for the preview. Raises ImportFileError."""
    rows = read_rows(filename, content)
    errors = check(session, tenant_id, rows)
    bad = bad_row_count(rows, errors)
    job = OrderImport(tenant_id=tenant_id, filename=filename[-200:], content=content, total_rows=len(rows),
                      valid_rows=len(rows) - bad, error_rows=bad, errors=errors, created_by=user_id)
    session.add(job)
    session.flush()
    return job


def errors_csv(job: OrderImport) -> str:
    """The row errors as CSV text (BOM included, cells escaped): row, order number, field, message."""
    return tabular.csv_text(["row", "order_no", "field", "message"],
                            ([item["row"], item["order_no"], field, message]
                             for item in job.errors for field, message in item["errors"].items()))


def run_import(tenant_id: int, import_id: int) -> None:
    """Apply the valid rows of import ``import_id`` in batches of ``BATCH``, committing the progress after each."""
    from scrm.sdk import job_session

    with job_session() as session:
        job = session.get(OrderImport, import_id)
        if job is None or job.tenant_id != tenant_id or job.status not in ("queued", "running", "failed"):
            return
        job.status, job.processed_rows, job.message = "running", 0, ""
        job.created_count = job.updated_count = 0
        session.add(job)
    bad_rows = {e["row"] for e in job.errors}
    try:
        grouped, refused = group_orders(read_rows(job.filename, job.content))
        done_rows = len(refused)  # rows refused while grouping belong to no order: nothing to do for them
        for start in range(0, len(grouped), BATCH):
            with job_session() as session:
                created = updated = 0
                for file_order in grouped[start:start + BATCH]:
                    done_rows += len(file_order.rows)
                    if bad_rows & set(file_order.rows):
                        continue
                    try:
                        record = orders.validate(session, tenant_id, file_order.data)
                    except orders.OrderError:
                        continue  # the data changed since the preview (e.g. a store was deleted): skip the order
                    _order, was_created = orders.save(session, tenant_id, record, customer_source="import")
                    created += was_created
                    updated += not was_created
                progress = session.get(OrderImport, import_id)
                progress.processed_rows = done_rows
                progress.created_count += created
                progress.updated_count += updated
                session.add(progress)
    except Exception as exc:
        log.exception("order import %s of tenant %s failed", import_id, tenant_id)
        with job_session() as session:
            failed = session.get(OrderImport, import_id)
            failed.status, failed.message = "failed", f"{type(exc).__name__}: {exc}"[:500]
            session.add(failed)
        raise
    with job_session() as session:
        done = session.get(OrderImport, import_id)
        done.status, done.finished_at = "done", utcnow()
        session.add(done)


def enqueue(session: Session, job: OrderImport) -> None:
    """Queue the import job (after the caller commits, the worker picks it up)."""
    job.status = "queued"
    session.add(job)
    session.commit()
    from .jobs import import_orders

    current_bus()  # fail early without a job bus
    import_orders.send(job.tenant_id, import_id=job.id)
