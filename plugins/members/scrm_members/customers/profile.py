"""A customer's profile: validating the system and custom fields, creating and editing customers.

Storage: name, gender and the primary mobile are ``Customer`` columns; every mobile number is a ``mobile`` identity
(One-ID); birthday, nickname, email, landline, fax, WeChat id, QQ, region and custom field values (``cf_<id>``) are
keys of ``Customer.attributes``. A duplicate mobile is refused with the name of the customer who has it.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from scrm.sdk import (
    Customer,
    CustomerEvent,
    CustomerIdentity,
    EventTypes,
    IdentityKind,
    customer_rules,
    local_today,
    publish,
    utcnow,
)
from scrm.sdk.web import translate

from .fields import (
    EMAIL_RE,
    GENDERS,
    LANDLINE_RE,
    PROFILE_KEYS,
    QQ_RE,
    FieldError,
    clean_date,
    clean_value,
    custom_fields,
)
from .models import CustomField

MAX_MOBILES = 5
TEXT_LIMITS = {"name": customer_rules.NAME_MAX, "nickname": 50, "email": 100, "landline": 30, "fax": 30, "wechat_id": 40, "qq": 12,
               "region": 100}
WECHAT_ID_RE = re.compile(r"^[-_A-Za-z0-9]+$")
GENDER_WORDS = {"male": 1, "m": 1, "男": 1, "female": 2, "f": 2, "女": 2, "unknown": 0, "未知": 0, "": 0}


def parse_gender(raw: Any) -> int:
    """0, 1 or 2 from a number or a word (male/female/unknown, 男/女/未知); raises ValueError."""
    text = str(raw if raw is not None else "").strip().lower()
    if text in GENDER_WORDS:
        return GENDER_WORDS[text]
    if text in ("0", "1", "2"):
        return int(text)
    raise ValueError(_("Choose male, female or unknown."))


def mobiles_of(session: Session, customer: Customer) -> list[str]:
    """The customer's mobile numbers, the primary one first."""
    numbers = list(session.exec(select(CustomerIdentity.value).where(
        CustomerIdentity.tenant_id == customer.tenant_id, CustomerIdentity.customer_id == customer.id,
        CustomerIdentity.kind == IdentityKind.MOBILE).order_by(CustomerIdentity.id)))
    if customer.mobile and customer.mobile in numbers:
        numbers.remove(customer.mobile)
    return ([customer.mobile] if customer.mobile else []) + numbers


def _clean_text(key: str, raw: Any, errors: dict[str, str]) -> str | None:
    value = str(raw or "").strip()
    if not value:
        return None
    if len(value) > TEXT_LIMITS[key]:
        errors[key] = _("At most %(n)s characters.", n=TEXT_LIMITS[key])
    elif key == "email" and not EMAIL_RE.match(value):
        errors[key] = _("Enter an email address such as name@example.com.")
    elif key in ("landline", "fax") and not LANDLINE_RE.match(value):
        errors[key] = _("Enter the area code, a dash and the number, e.g. 021-12345678.")
    elif key == "qq" and not QQ_RE.match(value):
        errors[key] = _("A QQ number has 5 to 12 digits.")
    elif key == "wechat_id" and not WECHAT_ID_RE.match(value):
        errors[key] = _("A WeChat ID has letters, digits, '-' and '_' only.")
    return value


def clean_profile(session: Session, tenant_id: int, data: dict[str, Any], customer: Customer | None = None,
                  partial: bool = False, fields: list[CustomField] | None = None,
                  check_mobiles: bool = True, unassigned: bool = False) -> dict[str, Any]:
    """Validate a profile; returns the clean values or raises FieldError mapping keys to messages.

    ``data`` keys: name, gender, mobiles (list), birthday, nickname, email, landline, fax, wechat_id, qq, region and
    ``cf_<id>`` for enabled custom fields. With ``partial`` (API PATCH) absent keys are left alone, but a required
    field cannot be emptied. ``check_mobiles=False`` skips the lookup of who holds the numbers (the import checks
    them in bulk). ``unassigned``: the customer is created without an owner (into the unassigned pool), so the fields
    marked "required for unassigned users" are required too. Nothing is written."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}

    def given(key: str) -> bool:
        return not partial or key in data

    if given("name"):  # the platform's rule, shared with the import and the REST APIs
        name = str(data.get("name") or "").strip()
        try:
            customer_rules.clean_name(name)
        except customer_rules.CustomerRuleError as exc:
            errors["name"] = translate(exc.fields["name"])
        clean["name"] = name
    if given("gender"):
        try:
            clean["gender"] = parse_gender(data.get("gender"))
        except ValueError as exc:
            errors["gender"] = str(exc)
    if given("mobiles"):
        raw = data.get("mobiles") or []
        raw = [raw] if isinstance(raw, str) else list(raw)
        numbers: list[str] = []
        try:  # the platform's rules, shared with the import and the REST APIs
            for item in raw:
                if not str(item or "").strip():
                    continue
                number = customer_rules.clean_mobile(item, field="mobiles")
                if number not in numbers:
                    numbers.append(number)
            if not numbers:
                errors["mobiles"] = _("Enter at least one 11-digit mobile number.")
            elif len(numbers) > MAX_MOBILES:
                errors["mobiles"] = _("At most %(n)s mobile numbers.", n=MAX_MOBILES)
            elif check_mobiles:
                customer_rules.check_mobiles_free(session, tenant_id, numbers, customer.id if customer else None,
                                                  field="mobiles")
        except customer_rules.CustomerRuleError as exc:
            errors["mobiles"] = translate(exc.fields["mobiles"])
        clean["mobiles"] = numbers
    if given("birthday"):
        raw = data.get("birthday")
        if raw in (None, ""):
            clean["birthday"] = None
        else:
            try:
                day = clean_date(raw)
                if day > local_today():  # the tenant's today
                    raise ValueError(_("A birthday cannot be in the future."))
                clean["birthday"] = day.isoformat()
            except ValueError as exc:
                errors["birthday"] = str(exc)
    for key in PROFILE_KEYS:
        if key != "birthday" and given(key):
            clean[key] = _clean_text(key, data.get(key), errors)
    for field in fields if fields is not None else custom_fields(session, tenant_id, enabled_only=True):
        if not given(field.key):
            continue
        try:
            required = field.required_member or (unassigned and field.required_unassigned)
            clean[field.key] = clean_value(field, data.get(field.key), required)
        except ValueError as exc:
            errors[field.key] = str(exc)
    if errors:
        raise FieldError(errors)
    return clean


def _apply(customer: Customer, clean: dict[str, Any]) -> list[str]:
    """Copy clean values onto ``customer``; returns the keys that changed."""
    changed = []
    for key in ("name", "gender"):
        if key in clean and getattr(customer, key) != clean[key]:
            setattr(customer, key, clean[key])
            changed.append(key)
    attributes = dict(customer.attributes or {})
    for key, value in clean.items():
        if key in PROFILE_KEYS or key.startswith("cf_"):
            if attributes.get(key) != value:
                changed.append(key)
            if value is None:
                attributes.pop(key, None)
            else:
                attributes[key] = value
    customer.attributes = attributes
    return changed


def _sync_mobiles(session: Session, customer: Customer, numbers: list[str]) -> bool:
    """Make ``numbers`` the customer's mobile identities, the first one primary; True when something changed."""
    current = mobiles_of(session, customer)
    if current == numbers:
        return False
    stale = [n for n in current if n not in numbers]
    if stale:
        session.execute(delete(CustomerIdentity).where(
            CustomerIdentity.tenant_id == customer.tenant_id, CustomerIdentity.customer_id == customer.id,
            CustomerIdentity.kind == IdentityKind.MOBILE, CustomerIdentity.value.in_(stale)))
    for number in numbers:
        if number not in current:
            session.add(CustomerIdentity(tenant_id=customer.tenant_id, customer_id=customer.id,
                                         kind=IdentityKind.MOBILE, value=number))
    customer.mobile = numbers[0] if numbers else None
    session.add(customer)
    try:
        session.flush()
    except IntegrityError as exc:
        raise FieldError({"mobiles": _("One of these numbers was just given to another customer.")}) from exc
    for number in numbers:
        if number not in current:
            publish(session, customer.tenant_id, EventTypes.IDENTITY_LINKED,
                    {"customer_id": customer.id, "kind": IdentityKind.MOBILE, "value": number})
    return True


def create_customer(session: Session, tenant_id: int, clean: dict[str, Any], *, source: str = "manual",
                    owner_employee_id: int | None = None, actor: str = "system") -> Customer:
    """Create a customer from ``clean_profile`` values, link its mobiles, record the timeline and publish
    ``customer.created`` in the caller's transaction."""
    customer = Customer(tenant_id=tenant_id, source=source, owner_employee_id=owner_employee_id, attributes={})
    _apply(customer, clean)
    session.add(customer)
    session.flush()
    _sync_mobiles(session, customer, clean.get("mobiles") or [])
    session.add(CustomerEvent(tenant_id=tenant_id, customer_id=customer.id, plugin="members", kind="created",
                              summary=f"created ({source})", data={"by": actor, "source": source}))
    publish(session, tenant_id, EventTypes.CUSTOMER_CREATED, {"customer_id": customer.id, "source": source})
    return customer


def update_customer(session: Session, customer: Customer, clean: dict[str, Any], actor: str = "system") -> list[str]:
    """Apply ``clean_profile`` values to ``customer``; publishes ``customer.updated`` with the changed keys when
    anything changed, and returns them."""
    changed = _apply(customer, clean)
    if "mobiles" in clean and _sync_mobiles(session, customer, clean["mobiles"]):
        changed.append("mobiles")
    if changed:
        customer.updated_at = utcnow()
        session.add(customer)
        session.add(CustomerEvent(tenant_id=customer.tenant_id, customer_id=customer.id, plugin="members",
                                  kind="profile_updated", summary="profile updated: " + ", ".join(changed)[:400],
                                  data={"by": actor, "fields": changed}))
        publish(session, customer.tenant_id, EventTypes.CUSTOMER_UPDATED,
                {"customer_id": customer.id, "fields": changed})
        session.flush()
    return changed


def profile_of(session: Session, customer: Customer, fields: list[CustomField]) -> dict[str, Any]:
    """The profile as plain values (API and forms): system fields, then ``custom`` keyed by field key."""
    attributes = customer.attributes or {}
    out: dict[str, Any] = {"id": customer.id, "name": customer.name, "gender": customer.gender,
                           "gender_label": str(GENDERS.get(customer.gender, "")),
                           "mobiles": mobiles_of(session, customer), "source": customer.source,
                           "is_member": customer.is_member, "owner_employee_id": customer.owner_employee_id}
    for key in PROFILE_KEYS:
        out[key] = attributes.get(key)
    out["custom"] = {field.key: attributes.get(field.key) for field in fields}
    return out


def form_data(form) -> dict[str, Any]:
    """A submitted create/edit form (werkzeug MultiDict) as ``clean_profile`` input."""
    data: dict[str, Any] = {key: form.get(key, "") for key in ("name", "gender", *PROFILE_KEYS)}
    data["mobiles"] = form.getlist("mobiles")
    for key in form:
        if key.startswith("cf_"):
            values = form.getlist(key)
            data[key] = values if len(values) > 1 or key in form.getlist("_multi") else form.get(key)
    return data
