"""Preferred products of a segment's group profile: the panel (sortable table with name and category filters, paged),
its htmx fragment and its CSV / XLSX download; and the customer profile's "Preferred products" panel.

The panel reads its state from the group profile's query string (``pp_name``, ``pp_category``, ``pp_sort``,
``pp_dir``, ``pp_page``), so its links work with and without JavaScript; with htmx only the panel is replaced.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from scrm.sdk import ProfilePanel, tabular
from scrm.sdk.web import (
    STAFF,
    audit_action,
    current_tenant,
    customer_visibility,
    db,
    parse_int,
    role_required,
)

from ..segments import segment_store  # a module, not a name: segments and loyalty import each other
from . import products, segment_orders
from .periods import yuan
from .web import bp, customer_url, local_time

STATE = ("pp_name", "pp_category", "pp_sort", "pp_dir", "pp_page")


def _state(args) -> dict[str, str]:
    state = {key: (args.get(key) or "").strip()[:100] for key in STATE}
    if state["pp_sort"] not in products.SORTS:
        state["pp_sort"] = "buyers"
    state["pp_dir"] = "asc" if state["pp_dir"] == "asc" else "desc"
    state["pp_page"] = str(parse_int(state["pp_page"], 1, low=1))
    return state


def _query(session, tenant_id: int, segment_id: int, state: dict[str, str], limit: int | None = products.PAGE_SIZE):
    return products.segment_products(session, tenant_id, segment_id, scope=customer_visibility(), name=state["pp_name"],
                                     category=state["pp_category"], sort=state["pp_sort"],
                                     descending=state["pp_dir"] == "desc", page=int(state["pp_page"]), limit=limit)


def _render(tenant_id: int, segment, state: dict[str, str], session) -> str:
    def link(**change: str) -> dict[str, str]:
        query = urlencode({k: v for k, v in {**state, **change}.items() if v})
        return {"href": url_for("members.segments.detail", segment_id=segment.id) + "?" + query,
                "hx": url_for("members.loyalty.segment_products", segment_id=segment.id) + "?" + query}

    return render_template("members/loyalty/_segment_products.html", segment=segment, state=state, link=link,
                           data=_query(session, tenant_id, segment.id, state),
                           categories=products.categories(session, tenant_id), export_args=urlencode(
                               {k: v for k, v in state.items() if v and k != "pp_page"}))


def segment_panels(tenant, segment, session) -> list[ProfilePanel]:
    """The group profile's "Order list", "Preferred products" and "Coupons" panels (the manual's tabs)."""
    html = _render(tenant.id, segment, _state(request.args), session)
    scope = customer_visibility()
    order_page = segment_orders.segment_orders(session, tenant.id, segment.id,
                                               parse_int(request.args.get("so_page"), 1, low=1), scope=scope)
    coupons = segment_orders.coupon_use(session, tenant.id, segment.id,
                                        parse_int(request.args.get("sc_page"), 1, low=1), scope=scope)

    def page_link(name: str, page: int, anchor: str) -> str:
        args = {k: v for k, v in request.args.items() if k != name}
        query = urlencode({**args, name: page})
        return url_for("members.segments.detail", segment_id=segment.id) + "?" + query + "#" + anchor

    helpers = {"yuan": yuan, "local_time": local_time, "customer_url": customer_url, "page_link": page_link}
    orders_html = render_template("members/loyalty/_segment_orders.html", data=order_page, **helpers)
    coupons_html = render_template("members/loyalty/_segment_coupons.html", data=coupons, **helpers)
    return [ProfilePanel(str(_l("Order list")), Markup(orders_html), order=10, key="members-orders"),
            ProfilePanel(str(_l("Preferred products")), Markup(html), order=20, key="members-products"),
            ProfilePanel(str(_l("Coupons")), Markup(coupons_html), order=30, key="members-coupons")]


def _segment_or_404(segment_id: int):
    segment = segment_store.get_segment(db(), current_tenant().id, segment_id)
    if segment is None:
        abort(404)
    return segment


@bp.get("/segments/<int:segment_id>/products")
@role_required(*STAFF)
def segment_products(segment_id: int):
    """The panel alone (htmx); a plain request goes to the group profile with the same state."""
    segment = _segment_or_404(segment_id)
    state = _state(request.args)
    if not request.headers.get("HX-Request"):
        return redirect(url_for("members.segments.detail", segment_id=segment.id,
                                **{k: v for k, v in state.items() if v}))
    return _render(current_tenant().id, segment, state, db())


@bp.get("/segments/<int:segment_id>/products.<fmt>")
@role_required(*STAFF)
def segment_products_export(segment_id: int, fmt: str):
    """Every product of the panel's filter and order, as CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    segment = _segment_or_404(segment_id)
    state = _state(request.args)
    data = _query(db(), current_tenant().id, segment.id, state, limit=None)
    header = [_("Product code"), _("Product name"), _("Category"), _("Quantity"), _("Buyers"),
              _("Purchase rate (%)"), _("Amount (yuan)"), _("Amount per unit (yuan)")]
    rows = [[p.code, p.name, p.category, p.quantity, p.buyers, p.rate, p.amount, p.unit_price] for p in data.rows]
    audit_action("members.segment.products_export", segment.name, fmt=fmt, rows=len(rows))
    db().commit()
    name = f"segment-{segment.id}-products.{fmt}"
    if fmt == "csv":
        return Response(tabular.csv_text(header, rows), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return send_file(tabular.xlsx_file(header, rows, sheet=_("Preferred products")), as_attachment=True,
                     download_name=name, mimetype=tabular.XLSX_MIMETYPE)


def customer_products_panel(tenant, customer, session) -> ProfilePanel:
    """The customer profile's "Preferred products": products by purchases."""
    html = render_template("members/loyalty/_customer_products.html",
                           rows=products.customer_products(session, tenant.id, customer.id), local_time=local_time)
    return ProfilePanel(str(_l("Preferred products")), html, order=41, key="members-products")
