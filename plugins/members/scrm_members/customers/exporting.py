"""Exporting customers as CSV (streamed, UTF-8 with BOM for Excel) or XLSX (openpyxl write-only mode).

Rows are read in keyset batches of ``BATCH`` over the list's SQL condition, newest first; mobiles are masked when the
tenant's switch is on; every custom field is a column.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from sqlmodel import Session, select

from scrm.sdk import (
    Customer,
    CustomerIdentity,
    Employee,
    IdentityKind,
    export_time,
    mask_mobile,
    tabular,
    zone_title,
)

from ..loyalty import levels
from .audience import source_label
from .fields import GENDERS, PROFILE_KEYS, SYSTEM_FIELDS, custom_fields, display_value

BATCH = 1000


def header(session: Session, tenant_id: int) -> tuple[list[str], list[Any]]:
    """The column titles and the tenant's custom fields (in column order)."""
    fields = custom_fields(session, tenant_id)
    labels = {f.key: str(f.label) for f in SYSTEM_FIELDS}
    titles = ["ID", labels["name"], labels["gender"], labels["mobile"], _("Other mobiles"), _("Source"),
              _("Member"), _("Member level"), _("Level valid until"), _("Owner"), zone_title(_("Created at")),
              *[labels[k] for k in PROFILE_KEYS], *[f.name for f in fields]]
    return titles, fields


def rows(session: Session, tenant_id: int, where: Any, mask: bool, fields: list[Any]) -> Iterator[list[Any]]:
    """One list of cell values per matching customer, newest first."""
    owners = dict(session.exec(select(Employee.id, Employee.name).where(Employee.tenant_id == tenant_id)).all())
    show = mask_mobile if mask else (lambda m: m or "")
    last_id: int | None = None
    while True:
        query = select(Customer).where(where)
        if last_id is not None:
            query = query.where(Customer.id < last_id)
        batch = list(session.exec(query.order_by(Customer.id.desc()).limit(BATCH)))
        if not batch:
            return
        ids = [c.id for c in batch]
        extra: dict[int, list[str]] = {}
        for customer_id, value in session.exec(select(CustomerIdentity.customer_id, CustomerIdentity.value).where(
                CustomerIdentity.tenant_id == tenant_id, CustomerIdentity.customer_id.in_(ids),
                CustomerIdentity.kind == IdentityKind.MOBILE).order_by(CustomerIdentity.id)):
            extra.setdefault(customer_id, []).append(value)
        held = levels.held_levels(session, tenant_id, ids)
        for customer in batch:
            attributes = customer.attributes or {}
            others = [m for m in extra.get(customer.id, []) if m != customer.mobile]
            yield [customer.id, customer.name, str(GENDERS.get(customer.gender, "")), show(customer.mobile),
                   " ".join(show(m) for m in others), source_label(customer.source),
                   _("Yes") if customer.is_member else _("No"), *_level_cells(held.get(customer.id)),
                   owners.get(customer.owner_employee_id, ""),
                   export_time(customer.created_at),
                   *[display_value_of(attributes.get(k)) for k in PROFILE_KEYS],
                   *[display_value(f, attributes.get(f.key)) for f in fields]]
        last_id = ids[-1]


def _level_cells(level: levels.Held | None) -> list[str]:
    if level is None:
        return ["", ""]
    return [level.name, level.valid_until.isoformat() if level.valid_until else _("Permanent")]


def display_value_of(value: Any) -> str:
    if value is None:
        return ""
    return "/".join(map(str, value)) if isinstance(value, list) else str(value)


def csv_stream(session: Session, tenant_id: int, where: Any, mask: bool) -> Iterator[str]:
    """The CSV text in chunks: a BOM, the header, then the rows."""
    titles, fields = header(session, tenant_id)
    return tabular.csv_stream(titles, rows(session, tenant_id, where, mask, fields))


def xlsx_file(session: Session, tenant_id: int, where: Any, mask: bool) -> Any:
    """A temporary file holding the workbook (rewound), written in openpyxl's write-only mode."""
    titles, fields = header(session, tenant_id)
    return tabular.xlsx_file(titles, rows(session, tenant_id, where, mask, fields), sheet=_("Customers"))
