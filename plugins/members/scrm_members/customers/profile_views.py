"""Create, edit, view (360 profile) and delete a customer.

Deleting is a hard delete (PIPL erasure): the customer, its identities, tags, timeline and the customers merged into
it are removed, an audit entry keeps who deleted whom. Only tenant admins delete, and only customers without channel
identities (manually created or imported); a channel contact would come back with the next sync.
"""

from __future__ import annotations

from datetime import date

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from scrm.sdk import (
    Customer,
    CustomerEvent,
    CustomerIdentity,
    CustomerTag,
    IdentityKind,
    Role,
    Tag,
    local_today,
    publish,
)
from scrm.sdk.web import (
    ADMIN,
    STAFF,
    audit_action,
    current_membership,
    current_tenant,
    db,
    has_role,
    role_required,
    tenant_hooks,
    timeline_lines,
)

from ..loyalty import levels
from .audience import source_label
from .blueprint import bp, employee_names, show_mobile, user_actor, visible_customer
from .fields import (
    GENDERS,
    PROFILE_KEYS,
    SYSTEM_FIELDS,
    FieldError,
    cascade_paths,
    custom_fields,
    display_value,
)
from .profile import clean_profile, create_customer, form_data, mobiles_of, update_customer
from .transfer import history

TIMELINE_LIMIT = 100


def _form_page(customer: Customer | None, values: dict, errors: dict, status: int = 200):
    fields = custom_fields(db(), current_tenant().id, enabled_only=True)
    labels = {f.key: f.label for f in SYSTEM_FIELDS}
    level_values = request.form if request.method == "POST" else levels.form_values(
        db(), current_tenant().id, customer.id if customer else None)
    return render_template("members/customers/form.html", customer=customer, values=values, errors=errors,
                           fields=fields, labels=labels, genders=GENDERS, cascade_paths=cascade_paths,
                           ladder=levels.ladder(db(), current_tenant().id), level_values=level_values,
                           validity_text=levels.validity_text), status


def _level_choice() -> levels.Choice:
    """The member level of the submitted form; raises FieldError like the profile fields."""
    try:
        return levels.read_form(db(), current_tenant().id, request.form)
    except levels.LevelError as exc:
        raise FieldError(exc.errors) from exc


@bp.route("/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new():
    may_pool = has_role(Role.TENANT_ADMIN, Role.OPERATOR)
    if request.method == "GET":
        return _form_page(None, {"mobiles": [""], "gender": 0,
                                 "unassigned": may_pool and request.args.get("unassigned") == "1"}, {})
    data = form_data(request.form)
    unassigned = may_pool and request.form.get("unassigned") == "on"
    data["unassigned"] = unassigned
    try:
        clean = clean_profile(db(), current_tenant().id, data, unassigned=unassigned)
        level = _level_choice()
        membership = current_membership()
        owner = membership.employee_id if membership is not None and not unassigned else None
        customer = create_customer(db(), current_tenant().id, clean, source="manual", actor=user_actor(),
                                   owner_employee_id=owner)
        levels.apply_choice(db(), current_tenant().id, customer.id, level, user_actor())
        audit_action("members.customer.create", f"customer:{customer.id}", name=customer.name)
        db().commit()
    except FieldError as exc:
        db().rollback()
        return _form_page(None, data, exc.errors, 422)
    flash(_("Customer %(name)s created.", name=customer.name), "success")
    return redirect(url_for("members.customers.detail", customer_id=customer.id))


@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit(customer_id: int):
    customer = visible_customer(customer_id)
    if request.method == "GET":
        values = {"name": customer.name, "gender": customer.gender, "mobiles": mobiles_of(db(), customer) or [""],
                  **(customer.attributes or {})}
        return _form_page(customer, values, {})
    data = form_data(request.form)
    try:
        clean = clean_profile(db(), current_tenant().id, data, customer=customer)
        level = _level_choice()
        changed = update_customer(db(), customer, clean, actor=user_actor())
        if levels.apply_choice(db(), current_tenant().id, customer.id, level, user_actor()):
            changed.append("member_level")
        audit_action("members.customer.update", f"customer:{customer.id}", fields=changed)
        db().commit()
    except FieldError as exc:
        db().rollback()
        return _form_page(customer, data, exc.errors, 422)
    flash(_("Customer %(name)s saved.", name=customer.name), "success")
    return redirect(url_for("members.customers.detail", customer_id=customer.id))


def age_on(birthday: str | None, today: date) -> int | None:
    """Full years from ``birthday`` (``YYYY-MM-DD``) to ``today``; None without a valid birthday."""
    try:
        born = date.fromisoformat(birthday or "")
    except ValueError:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _timeline(customer: Customer) -> list[tuple[CustomerEvent, Markup | str]]:
    events = list(db().exec(select(CustomerEvent).where(
        CustomerEvent.tenant_id == customer.tenant_id, CustomerEvent.customer_id == customer.id)
        .order_by(CustomerEvent.occurred_at.desc(), CustomerEvent.id.desc()).limit(TIMELINE_LIMIT)))
    return timeline_lines(events)


@bp.get("/<int:customer_id>")
@role_required(*STAFF)
def detail(customer_id: int):
    customer = visible_customer(customer_id)
    tenant = current_tenant()
    identities = list(db().exec(select(CustomerIdentity).where(
        CustomerIdentity.tenant_id == tenant.id, CustomerIdentity.customer_id == customer.id)
        .order_by(CustomerIdentity.kind, CustomerIdentity.id)))
    tags = list(db().exec(select(Tag).join(CustomerTag, CustomerTag.tag_id == Tag.id).where(
        CustomerTag.tenant_id == tenant.id, CustomerTag.customer_id == customer.id).distinct().order_by(Tag.name)))
    panels = sorted(tenant_hooks().contribute("customer_panels", tenant=tenant, customer=customer, user=g.user,
                                              session=db()), key=lambda p: p.order)
    fields = custom_fields(db(), tenant.id)
    attributes = customer.attributes or {}
    custom = [(f, display_value(f, attributes.get(f.key))) for f in fields
              if f.enabled or attributes.get(f.key) not in (None, "", [])]
    transfers = history(db(), tenant.id, customer.id)
    owners = employee_names({customer.owner_employee_id, *[t.to_employee_id for t in transfers],
                             *[t.from_employee_id for t in transfers]})
    wecom = any(i.kind.startswith("external_userid@") for i in identities)
    age = age_on(attributes.get("birthday"), local_today())  # on the tenant's today
    deletable = all(i.kind == IdentityKind.MOBILE for i in identities)
    return render_template(
        "members/customers/detail.html", customer=customer, identities=identities, tags=tags, panels=panels,
        custom=custom, timeline=_timeline(customer), transfers=transfers, owners=owners, genders=GENDERS,
        labels={f.key: f.label for f in SYSTEM_FIELDS}, profile_keys=PROFILE_KEYS, attributes=attributes,
        mobiles=mobiles_of(db(), customer), show_mobile=show_mobile, source_label=source_label,
        wecom=wecom, deletable=deletable, age=age, level=levels.held_level(db(), tenant.id, customer.id),
        blacklist="members.segments.blacklist_add" in current_app.view_functions)


@bp.route("/<int:customer_id>/delete", methods=["GET", "POST"])
@role_required(*ADMIN)
def delete_customer(customer_id: int):
    customer = visible_customer(customer_id)
    kinds = set(db().exec(select(CustomerIdentity.kind).where(
        CustomerIdentity.tenant_id == customer.tenant_id, CustomerIdentity.customer_id == customer.id)))
    error, status = None, 200
    if kinds - {IdentityKind.MOBILE}:
        error, status = _("This customer came from a channel (%(kinds)s): remove them in that channel instead.",
                          kinds=", ".join(sorted(kinds - {IdentityKind.MOBILE}))), 409
    elif request.method == "POST" and request.form.get("confirm") != "yes":
        error, status = _("Tick the box to confirm the deletion."), 422
    if request.method == "GET" or error:
        return render_template("members/customers/delete.html", customer=customer, error=error,
                               show_mobile=show_mobile), status
    tenant_id, name = customer.tenant_id, customer.name
    merged = list(db().exec(select(Customer.id).where(Customer.tenant_id == tenant_id,
                                                      Customer.merged_into_id == customer.id)))
    try:
        if merged:
            db().execute(delete(Customer).where(Customer.tenant_id == tenant_id, Customer.id.in_(merged)))
        db().delete(customer)
        db().flush()
        publish(db(), tenant_id, "members.customer_deleted", {"customer_id": customer_id, "merged_ids": merged})
        audit_action("members.customer.delete", f"customer:{customer_id}", name=name, merged_ids=merged)
        db().commit()
    except IntegrityError:
        db().rollback()
        return render_template("members/customers/delete.html", customer=visible_customer(customer_id),
                               show_mobile=show_mobile,
                               error=_("Other records (such as orders) still refer to this customer.")), 409
    flash(_("Customer %(name)s deleted.", name=name), "success")
    return redirect(url_for("members.customers.index"))
