"""Points pages: the ledger (visible customers only) and the adjustment form, for one customer or many (the target of
the customer list's "Adjust points" bulk action: ``?customer_id=1&customer_id=2``)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from scrm.sdk import Customer
from scrm.sdk.web import STAFF, audit_action, current_tenant, customer_visibility, db, role_required

from . import points
from .models import PointsEntry
from .web import PAGE_SIZE, actor_name, after_id, bp, user_id, visible_customer, visible_customers


@bp.get("/points/")
@role_required(*STAFF)
def points_ledger():
    tenant = current_tenant()
    query = (select(PointsEntry, Customer.name).join(Customer, Customer.id == PointsEntry.customer_id)
             .where(PointsEntry.tenant_id == tenant.id))
    scope = customer_visibility()
    if scope is not None:
        query = query.where(scope)
    customer = visible_customer(request.args.get("customer_id"))
    if customer is not None:
        query = query.where(PointsEntry.customer_id == customer.id)
    after = after_id()
    if after:
        query = query.where(PointsEntry.id < after)
    rows = db().execute(query.order_by(PointsEntry.id.desc()).limit(PAGE_SIZE + 1)).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return render_template("members/loyalty/points.html", rows=rows, customer=customer,
                           balance=points.balance(db(), tenant.id, customer.id) if customer else None,
                           next_after=rows[-1][0].id if more else None)


@bp.route("/points/adjust", methods=["GET", "POST"])
@role_required(*STAFF)
def points_adjust():
    """The adjustment form for ``customer_id`` (repeated; a row's or the profile's link), or, posted by the customer
    list's bulk form with ``step=choose`` (批量调整积分), for the ticked rows or with ``scope=filter`` everything the
    list's filter matches; the form then names each customer and the post applies to all of them or to none."""
    from ..customers.views import Selection, choosing

    tenant = current_tenant()
    errors: dict[str, str] = {}
    delta, reason = request.form.get("delta", ""), request.form.get("reason", "")
    if request.method == "POST" and choosing(request.form):
        ids = Selection(request.form).ids
        chosen = visible_customers([str(i) for i in ids]) if len(ids) <= points.BULK_LIMIT else []
        if len(ids) > points.BULK_LIMIT:
            errors["customer_id"] = _("Adjust at most %(n)d customers at once.", n=points.BULK_LIMIT)
        elif not chosen:
            errors["customer_id"] = _("Choose at least one customer.")
        balances = {c.id: points.balance(db(), tenant.id, c.id) for c in chosen[:50]}
        return render_template("members/loyalty/points_adjust.html", customers=chosen, balances=balances,
                               errors=errors, delta="", reason=""), 422 if errors else 200
    chosen = visible_customers(request.values.getlist("customer_id"))
    if request.method == "POST":
        requested = {i for i in request.form.getlist("customer_id") if i.strip()}
        if not chosen or len(chosen) != len(requested):
            errors["customer_id"] = _("Choose customers you can see.")
        else:
            try:
                done = points.adjust(db(), tenant.id, [c.id for c in chosen], delta, reason, actor=actor_name(),
                                     user_id=user_id())
            except points.PointsError as exc:
                db().rollback()
                errors[exc.field] = str(exc)
            else:
                audit_action("members.points.adjust", f"customers:{len(done)}", delta=done[0].delta,
                             reason=reason.strip())
                db().commit()
                flash(_("Points adjusted for %(n)d customers.", n=len(done)), "success")
                if len(done) == 1:
                    return redirect(url_for("members.loyalty.points_ledger", customer_id=done[0].customer_id))
                return redirect(url_for("members.loyalty.points_ledger"))
    balances = {c.id: points.balance(db(), tenant.id, c.id) for c in chosen[:50]}
    return render_template("members/loyalty/points_adjust.html", customers=chosen, balances=balances, errors=errors,
                           delta=delta, reason=reason), 422 if errors else 200
