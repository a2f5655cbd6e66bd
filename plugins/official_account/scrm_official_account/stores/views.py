"""门店公众号 (stores and their official accounts) under ``/t/<tenant>/official_account/stores/`` (endpoints
``official_account.stores.*``): company admins link a store to an account, for good."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from scrm.sdk import MenuItem
from scrm.sdk.web import ADMIN, audit_action, current_tenant, current_user, db, role_required

from ..accounts import find_account, list_accounts
from . import service

bp = Blueprint("stores", __name__, url_prefix="/stores")

ERRORS = {
    "already_linked": _l("This store is already linked to an official account; a link cannot be undone."),
    "unknown_store": _l("Choose a store of this brand."),
    "unknown_account": _l("Choose an official account of this brand."),
}


def menu_items(tenant, user):
    return [MenuItem(_l("Store official accounts"), "official_account.stores.index", order=90,
                     group="settings.channels", roles=("tenant_admin",))]


def _page(status=200):
    tenant = current_tenant()
    return render_template("official_account/stores/index.html", rows=service.store_rows(db(), tenant.id),
                           accounts=list_accounts(db(), tenant.id)), status


@bp.get("/")
@role_required(*ADMIN)
def index():
    return _page()


@bp.post("/link")
@role_required(*ADMIN)
def link():
    tenant = current_tenant()
    raw_store, raw_account = request.form.get("department_id", ""), request.form.get("account_id", "")
    account = find_account(db(), tenant.id, int(raw_account)) if raw_account.isdigit() and len(raw_account) < 10 \
        else None
    try:
        if account is None:
            raise service.StoreLinkError("unknown_account")
        if not raw_store.isdigit() or len(raw_store) >= 10:
            raise service.StoreLinkError("unknown_store")
        row = service.link_store(db(), tenant.id, int(raw_store), account,
                                 linked_by=getattr(current_user(), "email", ""))
    except service.StoreLinkError as exc:
        db().rollback()
        flash(str(ERRORS.get(str(exc), exc)), "error")
        return _page(422)
    audit_action("official_account.store_linked", f"department:{row.department_id}", account_id=account.id)
    db().commit()
    flash(_("Store linked to %(name)s.", name=account.name), "success")
    return redirect(url_for("official_account.stores.index"))
