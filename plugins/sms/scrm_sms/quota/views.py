"""短信充值 under ``/t/<tenant>/sms/recharge/`` (endpoints ``sms.recharge.*``): both balances, the packages and a
manual top-up (tenant admins only, audit-logged), and the purchase ledger (充值记录)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import select

from scrm.sdk.web import ADMIN, STAFF, current_tenant, current_user, db, parse_int, role_required

from . import service
from .models import SmsRecharge

bp = Blueprint("recharge", __name__, url_prefix="/recharge")


def _page(errors: dict | None = None, status: int = 200):
    tenant = current_tenant()
    orders = db().exec(select(SmsRecharge).where(SmsRecharge.tenant_id == tenant.id)
                       .order_by(SmsRecharge.id.desc()).limit(50)).all()
    return render_template("sms/recharge.html", balances=service.summary(db(), tenant.id), orders=orders,
                           packages=service.PACKAGES, labels=service.CATEGORY_LABELS, errors=errors or {},
                           form=request.form), status


@bp.get("/")
@role_required(*STAFF)
def index():
    return _page()


@bp.post("/")
@role_required(*ADMIN)
def top_up():
    form = request.form
    category = form.get("category")
    if category not in service.CATEGORIES:
        return _page({"category": _("Choose marketing or notification.")}, 400)
    package = form.get("package") or ""
    if package:
        if package not in service.PACKAGES:
            return _page({"package": _("Unknown package.")}, 400)
        amount, price = service.PACKAGES[package]
    else:
        amount, price = parse_int(form.get("amount"), 0) or 0, 0
        if amount <= 0 or amount > service.MAX_TOP_UP:
            return _page({"amount": _("Enter a number of messages from 1 to %(max)s.", max=service.MAX_TOP_UP)}, 400)
    user = current_user()
    service.top_up(db(), current_tenant().id, category, amount, user_id=user.id if user else None, package=package,
                   price_fen=price, note=(form.get("note") or "").strip()[:200], ip=request.remote_addr)
    db().commit()
    flash(_("%(n)s messages added.", n=amount), "success")
    return redirect(url_for("sms.recharge.index"))
