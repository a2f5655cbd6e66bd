"""The loyalty area's page blueprint (``members.loyalty.*``) and what its views share."""

from __future__ import annotations

from flask import Blueprint, request
from sqlalchemy import select

from scrm.sdk import Customer
from scrm.sdk.web import current_tenant, current_user, customer_visibility, db, parse_int

bp = Blueprint("loyalty", __name__)

PAGE_SIZE = 50


def user_id() -> int | None:
    user = current_user()
    return user.id if user is not None else None


def actor_name() -> str:
    user = current_user()
    return user.email if user is not None else "system"


def after_id() -> int | None:
    return parse_int(request.args.get("after"))


def visible_customer(customer_id: int | str | None) -> Customer | None:
    """The tenant's live customer ``customer_id`` if the signed-in user may see it."""
    customer_id = parse_int(customer_id)
    if customer_id is None:
        return None
    query = select(Customer).where(Customer.tenant_id == current_tenant().id, Customer.id == customer_id,
                                   Customer.merged_into_id.is_(None))
    scope = customer_visibility()
    if scope is not None:
        query = query.where(scope)
    return db().execute(query).scalar_one_or_none()


def visible_customers(ids: list[str]) -> list[Customer]:
    """The visible live customers among ``ids`` (unknown or foreign ids are left out)."""
    numbers = sorted({i for i in map(parse_int, ids) if i is not None})
    if not numbers:
        return []
    query = select(Customer).where(Customer.tenant_id == current_tenant().id, Customer.id.in_(numbers),
                                   Customer.merged_into_id.is_(None))
    scope = customer_visibility()
    if scope is not None:
        query = query.where(scope)
    return list(db().execute(query.order_by(Customer.id)).scalars())


def local_time(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time in the tenant's time zone; '—' for None (the SDK's ``format_local``)."""
    from scrm.sdk import format_local

    return format_local(value, fmt)


def customer_url(customer_id: int) -> str | None:
    """The customer's 360 profile page, when the customers area provides it."""
    from flask import url_for
    from werkzeug.routing import BuildError

    try:
        return url_for("members.customers.detail", customer_id=customer_id)
    except BuildError:
        return None


@bp.context_processor
def _helpers() -> dict:
    from .periods import yuan

    return {"local_time": local_time, "customer_url": customer_url, "yuan": yuan}
