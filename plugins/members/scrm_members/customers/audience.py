"""The filter types the customers area contributes (owner's department, custom field option) and the choices the
customer list offers for every filter type, including core types that bring none."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal_column, or_, select
from sqlmodel import Session

from scrm.sdk import (
    AudienceContext,
    Customer,
    CustomerIdentity,
    Department,
    Employee,
    FilterType,
    Tag,
    TagGroup,
    distinct_values,
    register_labels,
)
from scrm.sdk.web import code_label

from .fields import SELECT_TYPES, custom_fields

CUSTOMER_SOURCE = "customer.source"  # the code set (scrm.core.labels)
SOURCE_LABELS = {
    "manual": _l("Manually created"), "import": _l("Imported"), "wecom": _l("WeCom external contact import"),
    "official_account": _l("Official Account follower"), "miniapp": _l("Mini-program user"),
    "tmall": _l("Tmall store member"), "douyin": _l("Douyin store member"), "jd": _l("JD store member"),
    "ad": _l("Ad traffic"), "interactive_fission": _l("Interactive fission"),
    "redpacket_fission": _l("Red-packet fission"), "task_fission": _l("Task fission"),
    "offline_event": _l("Offline event"), "api": _l("API"),
}


register_labels(CUSTOMER_SOURCE, SOURCE_LABELS)


def source_label(source: str) -> str:
    """The label of a customer source (the one label function of the code set, ``code_label``)."""
    return code_label(CUSTOMER_SOURCE, source)


# -- department: the owner's department and its sub-departments ------------------------------------------------------


def _department(values: list[Any], ctx: AudienceContext) -> Any:
    ids = [int(v) for v in values]
    dept = Department.__table__
    tree = (select(dept.c.id).where(dept.c.tenant_id == ctx.tenant_id, dept.c.id.in_(ids))
            .cte(f"dept_tree_{uuid.uuid4().hex[:8]}", recursive=True))
    child = dept.alias()
    tree = tree.union_all(select(child.c.id).where(child.c.parent_id == tree.c.id))
    staff = select(Employee.id).where(Employee.tenant_id == ctx.tenant_id,
                                      Employee.department_id.in_(select(tree.c.id)))
    return Customer.owner_employee_id.in_(staff)


def _department_choices(session: Session, tenant_id: int) -> list[tuple[Any, str]]:
    rows = session.execute(select(Department.id, Department.name, Department.parent_id)
                           .where(Department.tenant_id == tenant_id).order_by(Department.order, Department.name)).all()
    children: dict[Any, list] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    known = {row.id for row in rows}
    out: list[tuple[Any, str]] = []

    def walk(parent: Any, depth: int) -> None:
        for row in children.get(parent, []):
            out.append((row.id, "\u00a0\u00a0" * depth + row.name))
            walk(row.id, depth + 1)

    walk(None, 0)
    for parent in [p for p in children if p is not None and p not in known]:  # orphans
        walk(parent, 0)
    return out


# -- custom field options (single and multi select) ------------------------------------------------------------------


def _custom_option(values: list[Any], ctx: AudienceContext) -> Any:
    clauses = []
    for value in values:
        key, sep, option = str(value).partition("=")
        if not sep or not key.startswith("cf_") or not key[3:].isdigit():
            raise ValueError(f"'{value}' is not cf_<id>=<option>")
        text = Customer.attributes[key].as_string()
        clauses.append(or_(text == option, text.contains(json.dumps(option), autoescape=True),
                           text.contains(json.dumps(option, ensure_ascii=False), autoescape=True)))
    return or_(*clauses)


def _custom_option_choices(session: Session, tenant_id: int) -> list[tuple[Any, str]]:
    out = []
    for field in custom_fields(session, tenant_id, enabled_only=True):
        if field.field_type in SELECT_TYPES:
            out.extend((f"{field.key}={option}", f"{field.name}: {option}") for option in field.options)
    return out


# -- name: filled in or empty ("姓名不为空") -------------------------------------------------------------------------


def _name(values: list[Any], ctx: AudienceContext) -> Any:
    words = {str(v) for v in values}
    if words - {"filled", "empty"}:
        raise ValueError("a name condition is 'filled' or 'empty'")
    # inline literals, so that "empty" is exactly the predicate of core's partial index ix_customer_nameless_partial
    # (a bound parameter would keep the planner from proving the index applies)
    length = func.length(func.trim(func.coalesce(Customer.name, literal_column("''"))))
    empty = length == literal_column("0")
    return or_(*[empty if word == "empty" else length > literal_column("0") for word in sorted(words)])


def _name_choices(session: Session, tenant_id: int) -> list[tuple[Any, str]]:
    return [("filled", str(_l("Not empty"))), ("empty", str(_l("Empty")))]


def audience_filters(tenant) -> list[FilterType]:
    return [
        FilterType("name", _l("Name"), _name, "choice", "basic", choices=_name_choices, plugin="members"),
        FilterType("department", _l("Owner's department"), _department, "choice", "basic",
                   choices=_department_choices, plugin="members"),
        FilterType("custom_field", _l("Custom field"), _custom_option, "choice", "basic",
                   choices=_custom_option_choices, plugin="members"),
    ]


# -- choices for the list's filter controls --------------------------------------------------------------------------


def source_choices(session: Session, tenant_id: int) -> list[tuple[Any, str]]:
    """The tenant's customer sources (and the two the list can always produce), labelled."""
    rows = distinct_values(session, Customer.source, Customer.tenant_id, tenant_id)
    return [(s, source_label(s)) for s in dict.fromkeys([*rows, "manual", "import"])]


def _identity_choices(session: Session, tenant_id: int) -> list[tuple[Any, str]]:
    kinds = distinct_values(session, CustomerIdentity.kind, CustomerIdentity.tenant_id, tenant_id)
    values = sorted({f"{k.split('@', 1)[0]}@*" if "@" in k else k for k in kinds})
    return [(v, code_label("identity.kind", v.replace("@*", ""))) for v in values]


def choices_for(session: Session, tenant_id: int, filter_type: FilterType) -> list[tuple[Any, str]] | None:
    """The values a choice filter offers; None means free text. Core types without choices get them here."""
    if filter_type.choices is not None:
        return [(value, str(label)) for value, label in filter_type.choices(session, tenant_id)]
    if filter_type.key == "tag":
        rows = session.execute(select(Tag.id, Tag.name, TagGroup.name.label("group")).join(
            TagGroup, TagGroup.id == Tag.group_id).where(Tag.tenant_id == tenant_id)
            .order_by(TagGroup.name, Tag.name)).all()
        return [(r.id, f"{r.group} / {r.name}") for r in rows]
    if filter_type.key == "owner":
        rows = session.execute(select(Employee.id, Employee.name).where(Employee.tenant_id == tenant_id)
                               .order_by(Employee.name)).all()
        return [("none", str(_l("No owner"))), *[(r.id, r.name) for r in rows]]
    if filter_type.key == "source":
        return source_choices(session, tenant_id)
    if filter_type.key == "identity":
        return _identity_choices(session, tenant_id)
    return None
