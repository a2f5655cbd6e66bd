"""Tracked sends and views (spec 3.7, 4.3, 5.1): a send gets its own short link to the material's tracked page; an
open records a view, reminds the sender (行为通知), writes the customer's timeline (动态记录) and applies the
material's tags once; the page's beacons raise the view's duration. Internal previews record nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func
from sqlmodel import Session, select

from scrm.sdk import Customer, CustomerTag, Employee, Tenant, day_span, shortlinks, utcnow

from . import timeline
from .models import Material, MaterialSend, MaterialView
from .urls import tracked_url

TAG_SOURCE = "wecom_material"
MAX_DURATION = 6 * 3600  # a page left open all day still counts at most 6 hours


def record_send(session: Session, tenant: Tenant, material: Material, employee: Employee,
                customer_id: int | None, external_userid: str = "") -> tuple[MaterialSend, str]:
    """One send of ``material`` by ``employee`` to a customer: its row and the short URL to send (in the caller's
    transaction)."""
    token = secrets.token_urlsafe(16)
    link = shortlinks.create(session, tenant.id, tracked_url(session, tenant, token), channel="wecom",
                             campaign=f"wecom_material:{material.id}", campaign_label=material.title,
                             created_by="plugin:wecom")
    send = MaterialSend(tenant_id=tenant.id, material_id=material.id, employee_id=employee.id,
                        customer_id=customer_id, external_userid=external_userid[:128], token=token,
                        short_link_id=link.id)
    session.add(send)
    session.flush()
    return send, shortlinks.short_url(link)


def _notify(session: Session, tenant: Tenant, material: Material, send: MaterialSend, view: MaterialView) -> None:
    from ..messaging.content import Text
    from ..messaging.outbound import queue_app_message

    customer = session.get(Customer, send.customer_id) if send.customer_id else None
    name = (customer.name if customer is not None else "") or _("A customer")
    with force_locale(tenant.language or "zh_CN"):
        text = _("%(customer)s opened the material %(material)s you sent.", customer=name, material=material.title)
    queue_app_message(session, tenant.id, employee_id=send.employee_id, content=Text(text),
                      key=f"wecom:material_view:{view.beacon}", task_ref=f"wecom_material:{material.id}",
                      customer_id=send.customer_id)


def _apply_tags(session: Session, tenant_id: int, material: Material, customer_id: int, employee_id: int) -> None:
    """The material's tags on the customer, those it lacks only (spec 4.3: a second open adds no duplicate)."""
    if not material.track_tag_ids:
        return
    have = set(session.exec(select(CustomerTag.tag_id).where(CustomerTag.customer_id == customer_id,
                                                             CustomerTag.tag_id.in_(material.track_tag_ids))).all())
    for tag_id in material.track_tag_ids:
        if tag_id not in have:
            session.add(CustomerTag(tenant_id=tenant_id, customer_id=customer_id, tag_id=tag_id,
                                    employee_id=None, employee_key=0, source=TAG_SOURCE))


def record_view(session: Session, tenant: Tenant, send: MaterialSend) -> MaterialView | None:
    """An open of a send's tracked page; None (nothing recorded) when its material was deleted."""
    material = session.get(Material, send.material_id)
    if material is None or material.deleted_at is not None:
        return None
    now = utcnow()
    view = MaterialView(tenant_id=tenant.id, material_id=material.id, send_id=send.id, customer_id=send.customer_id,
                        employee_id=send.employee_id, beacon=secrets.token_urlsafe(16), opened_at=now,
                        reminded_at=now)
    session.add(view)
    session.flush()
    _notify(session, tenant, material, send, view)
    if send.customer_id:
        _timeline(session, tenant.id, send, material, now)
        _apply_tags(session, tenant.id, material, send.customer_id, send.employee_id)
    return view


def _timeline(session: Session, tenant_id: int, send: MaterialSend, material: Material, at: datetime) -> None:
    from scrm.sdk.timeline import add_entry

    add_entry(session, timeline.OPENED, tenant_id=tenant_id, customer_id=send.customer_id, occurred_at=at,
              material=material.title, material_id=material.id, employee_id=send.employee_id)


def record_beacon(session: Session, tenant_id: int, beacon: str, seconds: int) -> MaterialView | None:
    """Raise a view's duration to ``seconds`` the page reports, bounded by the time since the open (a page cannot
    claim more than it was open) and ``MAX_DURATION``; None for an unknown beacon."""
    view = session.exec(select(MaterialView).where(MaterialView.beacon == beacon,
                                                   MaterialView.tenant_id == tenant_id)).first()
    if view is None:
        return None
    elapsed = int((utcnow() - view.opened_at).total_seconds()) + 1
    value = max(0, min(int(seconds), elapsed, MAX_DURATION))
    if value > view.duration:
        view.duration = value
        session.add(view)
    return view


def format_duration(seconds: int) -> str:
    """``XmYs`` (spec 2.3: 5s, 10s, 1m0s)."""
    minutes, rest = divmod(max(0, int(seconds)), 60)
    return f"{minutes}m{rest}s" if minutes else f"{rest}s"


# -- statistics (spec 5.1) --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Overview:
    views: int
    viewers: int
    senders: int
    sends: int
    views_today: int
    views_yesterday: int
    viewers_today: int
    viewers_yesterday: int
    senders_today: int
    senders_yesterday: int
    sends_today: int
    sends_yesterday: int


def _count(session: Session, column, model, material_id: int, start=None, end=None, distinct=False) -> int:
    expr = func.count(func.distinct(column)) if distinct else func.count(column)
    query = select(expr).where(model.material_id == material_id)
    at = model.opened_at if model is MaterialView else model.sent_at
    if start is not None:
        query = query.where(at >= start, at < end)
    return int(session.exec(query).one() or 0)


def overview(session: Session, material: Material) -> Overview:
    """总浏览量, 总点击人数 (distinct customers), 总分享人数 (distinct employees), 总分享次数, each with today's and
    yesterday's increments (tenant days)."""
    today, yesterday = day_span(), day_span(days_back=1)
    out = {}
    for name, column, model, distinct in (("views", MaterialView.id, MaterialView, False),
                                          ("viewers", MaterialView.customer_id, MaterialView, True),
                                          ("senders", MaterialSend.employee_id, MaterialSend, True),
                                          ("sends", MaterialSend.id, MaterialSend, False)):
        out[name] = _count(session, column, model, material.id, distinct=distinct)
        out[f"{name}_today"] = _count(session, column, model, material.id, today.start, today.end, distinct)
        out[f"{name}_yesterday"] = _count(session, column, model, material.id, yesterday.start, yesterday.end,
                                          distinct)
    return Overview(**out)


def view_counts(session: Session, material_ids: list[int]) -> dict[int, tuple[int, int]]:
    """``{material_id: (views today, views in all)}`` (the list's 浏览量 and the sidebar cards)."""
    if not material_ids:
        return {}
    today = day_span()
    total = dict(session.exec(select(MaterialView.material_id, func.count(MaterialView.id))
                              .where(MaterialView.material_id.in_(material_ids))
                              .group_by(MaterialView.material_id)).all())
    todays = dict(session.exec(select(MaterialView.material_id, func.count(MaterialView.id))
                               .where(MaterialView.material_id.in_(material_ids),
                                      MaterialView.opened_at >= today.start, MaterialView.opened_at < today.end)
                               .group_by(MaterialView.material_id)).all())
    return {mid: (int(todays.get(mid, 0)), int(total.get(mid, 0))) for mid in material_ids}
