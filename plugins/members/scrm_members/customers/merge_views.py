"""Merging two customers (合并客户).

The merge page picks customer A and customer B (by id or mobile), the primary (data subject, B by default) and, field
by field, whose value to keep: by default the primary's, or the other one's where the primary's is empty. Only the
primary may be a WeCom friend: the customer merged away must not have a WeCom identity.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import or_
from sqlmodel import select

from scrm.sdk import (
    Customer,
    CustomerIdentity,
    IdentityError,
    IdentityKind,
    MergeError,
    merge_customers,
    normalize_mobile,
)
from scrm.sdk.web import (
    STAFF,
    audit_action,
    current_tenant,
    customer_visibility,
    db,
    role_required,
    tenant_hooks,
)

from .blueprint import bp, show_mobile, user_actor
from .fields import GENDERS, PROFILE_KEYS, SYSTEM_FIELDS, custom_fields, display_value
from .transfer import WECOM_KIND_PREFIX, wecom_friend_ids

CORE_KEYS = ("name", "gender", "mobile")


def find_customer(term: str) -> Customer | None:
    """A live, visible customer of the tenant by id or mobile number."""
    term = (term or "").strip()
    if not term:
        return None
    tenant_id = current_tenant().id
    try:
        number = normalize_mobile(term)
    except IdentityError:
        number = term
    query = select(Customer).where(Customer.tenant_id == tenant_id, Customer.merged_into_id.is_(None))
    by_mobile = select(CustomerIdentity.customer_id).where(
        CustomerIdentity.tenant_id == tenant_id, CustomerIdentity.kind == IdentityKind.MOBILE,
        CustomerIdentity.value == number)
    clause = Customer.id.in_(by_mobile)
    if term.isdigit() and len(term) < 11:
        clause = or_(clause, Customer.id == int(term))
    query = query.where(clause)
    visibility = customer_visibility()
    if visibility is not None:
        query = query.where(visibility)
    return db().exec(query).first()


def comparison(a: Customer, b: Customer) -> list[dict[str, Any]]:
    """One row per field: its choice key, label and both values as text."""
    rows = []
    for key in CORE_KEYS:
        label = next(f.label for f in SYSTEM_FIELDS if f.key == key)
        values = [getattr(c, key) for c in (a, b)]
        if key == "gender":
            text = [str(GENDERS.get(v, "")) if v else "" for v in values]
        elif key == "mobile":
            text = [show_mobile(v) for v in values]
        else:
            text = [v or "" for v in values]
        rows.append({"choice": key, "label": label, "a": text[0], "b": text[1]})
    labels = {f.key: f.label for f in SYSTEM_FIELDS}
    for key in PROFILE_KEYS:
        text = [_text(c.attributes.get(key)) for c in (a, b)]
        rows.append({"choice": f"attributes.{key}", "label": labels[key], "a": text[0], "b": text[1]})
    for field in custom_fields(db(), current_tenant().id):
        text = [display_value(field, c.attributes.get(field.key)) for c in (a, b)]
        if any(text):
            rows.append({"choice": f"attributes.{field.key}", "label": field.name, "a": text[0], "b": text[1]})
    return rows


def _text(value: Any) -> str:
    if value in (None, ""):
        return ""
    return "/".join(map(str, value)) if isinstance(value, list) else str(value)


def default_side(row: dict[str, Any], primary: str) -> str:
    other = "a" if primary == "b" else "b"
    return other if not row[primary] and row[other] else primary


@bp.route("/merge", methods=["GET", "POST"])
@role_required(*STAFF)
def merge():
    values = request.form if request.method == "POST" else request.args
    a, b = find_customer(values.get("a", "")), find_customer(values.get("b", ""))
    errors: dict[str, str] = {}
    if values.get("a") and a is None:
        errors["a"] = _("No customer with this id or mobile.")
    if values.get("b") and b is None:
        errors["b"] = _("No customer with this id or mobile.")
    if a is not None and b is not None and a.id == b.id:
        errors["b"] = _("Choose two different customers.")
    primary = values.get("primary") if values.get("primary") in ("a", "b") else "b"
    rows = comparison(a, b) if a is not None and b is not None and not errors else []
    if rows:
        survivor, merged = (a, b) if primary == "a" else (b, a)
        if wecom_friend_ids(db(), current_tenant().id, [merged.id]):
            errors["primary"] = _("%(name)s is a WeCom friend: only the primary customer may be a WeCom friend.",
                                  name=merged.name or f"#{merged.id}")
    if request.method == "POST" and rows and not errors:
        choices = {}
        for row in rows:
            side = values.get(f"keep.{row['choice']}") or default_side(row, primary)
            choices[row["choice"]] = "survivor" if side == primary else "merged"
        veto = tenant_hooks().decide("customer_exclusion_reason", tenant=current_tenant(), customer_id=merged.id,
                                     purpose="merge", session=db())
        if veto:
            errors["primary"] = str(veto)
        else:
            try:
                merge_customers(db(), tenant_hooks(), survivor, merged, choices,
                                user_actor())
                audit_action("members.customer.merge", f"customer:{survivor.id}", merged_id=merged.id,
                             choices=choices)
                db().commit()
                flash(_("Customer #%(m)s was merged into %(name)s.", m=merged.id, name=survivor.name), "success")
                return redirect(url_for("members.customers.detail", customer_id=survivor.id))
            except MergeError as exc:
                db().rollback()
                errors["primary"] = str(exc)
    elif request.method == "POST" and not errors:
        errors["b"] = _("Choose the two customers to merge.")
    status = 422 if errors and request.method == "POST" else 200
    return render_template("members/customers/merge.html", a=a, b=b, rows=rows, primary=primary, errors=errors,
                           form=values, default_side=default_side, wecom_prefix=WECOM_KIND_PREFIX), status
