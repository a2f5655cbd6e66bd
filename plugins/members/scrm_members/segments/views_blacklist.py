"""Blacklist pages: the list (active entries, or the history) with a blacklisted-time filter, adding with a reason
(also the target of the customers area's bulk action), removal with confirmation, and the rule switches."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased

from scrm.sdk import Customer, Employee, User, mask_mobile
from scrm.sdk.web import (
    STAFF,
    audit_action,
    current_tenant,
    customer_visibility,
    db,
    parse_int,
    role_required,
)

from .. import dialogs
from . import blacklist as service
from .blacklist import BlacklistError
from .models import BlacklistEntry
from .web import (
    PAGE_SIZE,
    bp,
    count_query,
    page_number,
    safe_next,
    search_customers,
    user_id,
    visible_customers,
)


def _day(name: str, end: bool) -> datetime | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


@bp.get("/blacklist/")
@role_required(*STAFF)
def blacklist():
    tenant = current_tenant()
    history = request.args.get("tab") == "history"
    creator, remover = aliased(User), aliased(User)
    query = (select(BlacklistEntry, Customer, Employee.name, creator.name, creator.email, remover.name,
                    remover.email)
             .join(Customer, Customer.id == BlacklistEntry.customer_id)
             .outerjoin(Employee, Employee.id == Customer.owner_employee_id)
             .outerjoin(creator, creator.id == BlacklistEntry.created_by)
             .outerjoin(remover, remover.id == BlacklistEntry.removed_by)
             .where(BlacklistEntry.tenant_id == tenant.id, Customer.merged_into_id.is_(None)))
    query = query.where(BlacklistEntry.removed_at.is_not(None) if history else BlacklistEntry.removed_at.is_(None))
    scope = customer_visibility()
    if scope is not None:
        query = query.where(scope)
    start, stop = _day("from", False), _day("to", True)
    if start:
        query = query.where(BlacklistEntry.created_at >= start)
    if stop:
        query = query.where(BlacklistEntry.created_at <= stop)
    q = request.args.get("q", "").strip()
    if q:
        query = query.where(Customer.name.contains(q) | Customer.mobile.contains(q))
    total = count_query(query)
    page = page_number()
    rows = db().execute(query.order_by(BlacklistEntry.created_at.desc(), BlacklistEntry.id.desc())
                        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("members/segments/blacklist.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE_SIZE)), history=history,
                           candidates=search_customers(request.args.get("find", "")),
                           mask=tenant.mask_mobiles, mask_mobile=mask_mobile)


BULK_MAX = 10_000
"""The most customers one blacklist action takes (``scope=filter``: all customers a list filter matches); a filter
matching more is refused with a message asking to narrow it, nothing is blacklisted."""
SHOWN_MAX = 50
"""How many of the chosen customers the confirmation lists by name (it always names the full count)."""


class BlacklistChoice:
    """The customers a blacklist action applies to: the ticked ``customer_id`` values, or with ``scope=filter`` every
    customer the customer list's filter (``filter_qs``) matches, at most ``BULK_MAX``; always within the tenant and
    the user's data scope."""

    def __init__(self, form) -> None:
        self.by_filter = form.get("scope") == "filter"
        self.filter_qs = form.get("filter_qs") or ""
        self.too_many = False
        if self.by_filter:
            from ..customers.views import Selection

            where = Selection(form).where
            ids = list(db().execute(select(Customer.id).where(where).order_by(Customer.id).limit(BULK_MAX + 1))
                       .scalars())
            self.too_many = len(ids) > BULK_MAX
            self.ids = [] if self.too_many else ids
        else:
            wanted = {i for i in (parse_int(raw) for raw in form.getlist("customer_id")) if i is not None}
            self.ids = list(db().execute(visible_customers().with_only_columns(Customer.id)
                                         .where(Customer.id.in_(wanted)).order_by(Customer.id)).scalars()) \
                if wanted else []
            self.raw = form.getlist("customer_id")

    def shown(self) -> list[Customer]:
        """The first ``SHOWN_MAX`` customers, for the confirmation."""
        if not self.ids:
            return []
        return list(db().execute(visible_customers().where(Customer.id.in_(self.ids[:SHOWN_MAX]))
                                 .order_by(Customer.id)).scalars())

    def hidden(self) -> list[tuple[str, object]]:
        """Form fields that carry the choice to the confirming POST."""
        if self.by_filter:
            return [("scope", "filter"), ("filter_qs", self.filter_qs)]
        return [("customer_id", i) for i in self.ids]


@bp.post("/blacklist/add")
@role_required(*STAFF)
def blacklist_add():
    """Blacklist the ``customer_id`` values (repeated), or with ``scope=filter`` the customers the list's filter
    ``filter_qs`` matches (at most ``BULK_MAX``), with a ``reason``; then go to ``next``.

    With ``step=choose`` (the customer list's bulk action) it only asks for confirmation, naming how many customers;
    a POST with bad input shows the form again (422)."""
    choice = BlacklistChoice(request.form)
    back = safe_next(url_for("members.segments.blacklist"))
    error_fields: dict[str, str] = {}
    if choice.too_many:
        error_fields = {"customer_id": _("At most %(max)s customers can be blacklisted at once: narrow the filter.",
                                         max=f"{BULK_MAX:,}")}
    elif request.form.get("step") != "choose":
        ids = choice.ids if choice.by_filter else choice.raw
        try:
            if choice.by_filter and not ids:
                raise BlacklistError({"customer_id": _("Choose at least one customer.")})
            added = service.add(db(), current_tenant().id, ids, request.form.get("reason"), user_id(),
                                scope=customer_visibility())
        except BlacklistError as exc:
            db().rollback()
            error_fields = exc.fields
        else:
            described = f"filter:{choice.filter_qs}" if choice.by_filter else ",".join(map(str, ids))
            audit_action("members.blacklist.add", described[:100], reason=request.form.get("reason", "").strip(),
                         added=added)
            db().commit()
            flash(_("%(n)d customers blacklisted.", n=added), "success")
            return dialogs.done(back)
    return render_template("members/segments/blacklist_add.html", customers=choice.shown(), total=len(choice.ids),
                           hidden=choice.hidden(), errors=error_fields, reason=request.form.get("reason", ""),
                           next=back, mask=current_tenant().mask_mobiles,
                           mask_mobile=mask_mobile), 422 if error_fields else 200


@bp.route("/blacklist/<int:customer_id>/remove", methods=["GET", "POST"])
@role_required(*STAFF)
def blacklist_remove(customer_id: int):
    """GET asks for confirmation; POST ends the customer's blacklisting (the entry stays in the history)."""
    tenant = current_tenant()
    customer = db().execute(visible_customers().where(Customer.id == customer_id)).scalars().first()
    entry = service.active_entry(db(), tenant.id, customer_id) if customer is not None else None
    if entry is None:
        abort(404)
    back = safe_next(url_for("members.segments.blacklist"))
    if request.method == "GET":
        return render_template("members/segments/confirm.html", title=_("Remove from blacklist"),
                               message=_("Remove “%(name)s” from the blacklist? They can join fission and marketing "
                                         "activities again.", name=customer.name or customer.id),
                               action=url_for("members.segments.blacklist_remove", customer_id=customer_id),
                               cancel=back, next=back)
    service.remove(db(), tenant.id, customer_id, user_id())
    audit_action("members.blacklist.remove", str(customer_id))
    db().commit()
    flash(_("Removed from the blacklist."), "success")
    return redirect(back)


@bp.route("/blacklist/rules", methods=["GET", "POST"])
@role_required(*STAFF)
def blacklist_rules():
    """The switches: task, red-packet and interactive fission, and the marketing-activity rule."""
    tenant = current_tenant()
    if request.method == "POST":
        values = {name: request.form.get(name) in ("1", "on", "true") for name in service.RULE_FIELDS}
        service.save_rules(db(), tenant.id, values, user_id())
        audit_action("members.blacklist.rules", "", **values)
        db().commit()
        flash(_("Rules saved."), "success")
        return redirect(url_for("members.segments.blacklist_rules"))
    return render_template("members/segments/blacklist_rules.html", rules=service.rules(db(), tenant.id))
