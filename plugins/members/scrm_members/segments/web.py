"""The segments area's page blueprint (``members.segments.*``) and what its views share: the user, the tenant's
filter types, the condition editor endpoints, a customer picker, and safe redirects."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import func, or_, select

from scrm.sdk import Customer
from scrm.sdk.web import (
    STAFF,
    current_membership,
    current_tenant,
    current_user,
    customer_visibility,
    db,
    next_target,
    parse_int,
    role_required,
    translated_filter_types,
)

from .audiences import estimate, tenant_filter_types, validate_rule
from .rule_form import editor_rows, grouped_types, make_row, parse_rule, section_counts
from .tagging import visible_tags

bp = Blueprint("segments", __name__)

PAGE_SIZE = 20


def user_id() -> int | None:
    user = current_user()
    return user.id if user is not None else None


def filter_types() -> list:
    return translated_filter_types(tenant_filter_types(db(), current_tenant()))


def visible_tag_ids() -> set[int]:
    return {t.id for t in visible_tags(db(), current_tenant().id, current_membership())}


def editor(rule: dict | None, types: list) -> dict:
    """Template context of the condition editor for ``rule``."""
    return {"sections": grouped_types(types),
            "rows": editor_rows(db(), current_tenant().id, rule, types, visible_tag_ids())}


def safe_next(default: str) -> str:
    """The ``next`` form field when it is a path on this site, else ``default`` (``scrm.sdk.web.next_target``)."""
    return next_target(default)


def page_number() -> int:
    return parse_int(request.args.get("page"), 1, low=1) or 1


def visible_customers():
    """``SELECT Customer`` of the tenant's live customers the user may see."""
    query = select(Customer).where(Customer.tenant_id == current_tenant().id, Customer.merged_into_id.is_(None))
    scope = customer_visibility()
    return query.where(scope) if scope is not None else query


def search_customers(q: str, limit: int = 20) -> list[Customer]:
    """Up to ``limit`` visible customers whose name or mobile contains ``q`` (or whose id is ``q``)."""
    q = (q or "").strip()
    if not q:
        return []
    clauses = [Customer.name.contains(q), Customer.mobile.contains(q)]
    if q.isdigit():
        clauses.append(Customer.id == int(q))
    return list(db().execute(visible_customers().where(or_(*clauses)).order_by(Customer.id.desc())
                             .limit(limit)).scalars())


def count_query(query) -> int:
    return db().execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()


@bp.get("/conditions/row")
@role_required(*STAFF)
def condition_row():
    """One row of the condition editor (htmx): a new empty row, or a row whose type changed."""
    types = filter_types()
    indexes = [i for i in (parse_int(v, low=0) for v in request.values.getlist("c")) if i is not None]
    index = parse_int(request.values.get("i"), low=0)
    if index is None:
        index = max(indexes, default=-1) + 1
    condition = {"type": request.values.get(f"c{index}_type", ""), "values": []}
    row = make_row(db(), current_tenant().id, index, condition, types, visible_tag_ids())
    return render_template("members/segments/_condition_row.html", row=row, sections=grouped_types(types))


@bp.post("/conditions/estimate")
@role_required(*STAFF)
def estimate_rule():
    """The "Estimate" button (htmx): how many customers match the posted conditions now."""
    types = filter_types()
    rule = parse_rule(request.form, types)
    message = validate_rule(db(), current_tenant().id, rule, types)
    if message:
        # htmx swaps only successful responses: the editor gets its message with 200, other clients a 422
        status = 200 if request.headers.get("HX-Request") else 422
        return render_template("members/segments/_estimate.html", error=message), status
    count = estimate(db(), current_tenant().id, rule, types, customer_visibility())
    return render_template("members/segments/_estimate.html", count=count, sections=section_counts(rule, types))

