"""The loyalty panel of the customer 360 profile: stage, points and purchase figures (recent, averages,
cumulative; spec A §2.1) with the latest orders."""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from scrm.sdk import Department, ProfilePanel

from . import points, stages
from .models import Order
from .orders import purchase_metrics
from .periods import divide, ratio, yuan
from .web import customer_url, local_time

RECENT_ORDERS = 10


def profile_figures(session, tenant_id: int, customer_id: int) -> dict:
    """What the panel shows, as display strings (amounts in yuan with 2 decimals)."""
    m = purchase_metrics(session, tenant_id, customer_id)
    return {
        "purchases": m.purchases, "items": m.items, "amount": yuan(m.amount), "refund": yuan(m.refund),
        "avg_order_value": divide(m.amount, m.purchases * 100), "avg_items": divide(m.items, m.purchases),
        "avg_unit_price": divide(m.amount, m.items * 100), "avg_discount": ratio(m.amount, m.original),
        "last_at": m.last_at, "last_amount": yuan(m.last_amount), "last_items": m.last_items,
        "last_store": m.last_store,
    }


def customer_panels(tenant, customer, user, session) -> list[ProfilePanel]:
    recent = session.execute(select(Order, Department.name).outerjoin(Department, Department.id == Order.store_id)
                             .where(Order.tenant_id == tenant.id, Order.customer_id == customer.id)
                             .order_by(Order.created_at.desc(), Order.id.desc()).limit(RECENT_ORDERS)).all()
    html = render_template("members/loyalty/_profile_panel.html", customer=customer,
                           figures=profile_figures(session, tenant.id, customer.id),
                           balance=points.balance(session, tenant.id, customer.id),
                           stage=stages.current_stage(session, tenant.id, customer.id), recent=recent,
                           local_time=local_time, yuan=yuan, customer_url=customer_url)
    return [ProfilePanel(str(_l("Orders and points")), html, order=40, key="members-loyalty")]
