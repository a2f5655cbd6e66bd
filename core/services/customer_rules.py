"""The rules every way of writing a customer applies: the members form, the import, the members profile API and
the core REST API (``/api/v1/customers``) ask these functions, so a name, a mobile number or a duplicate is judged
the same everywhere and named in the same words.

- a customer's name is required, at most ``NAME_MAX`` characters (surrounding spaces dropped);
- a mobile number is an 11-digit mainland number (spaces, dashes and a +86 / 0086 prefix are dropped);
- a mobile number belongs to one live customer of the tenant: writing it onto another customer is refused, naming
  the customer who holds it.

Errors are ``CustomerRuleError`` with ``fields`` mapping a field to a ``Message`` (core gives message ids; the host
translates them, ``str()`` is the English text).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, select

from ..messages import N_, Message, message_ids
from ..models import Customer, CustomerIdentity, IdentityKind
from .identity import IdentityError, normalize_mobile

NAME_MAX = 100

NAME_REQUIRED, NAME_TOO_LONG, NOT_A_MOBILE, MOBILE_TAKEN = message_ids(
    N_("Enter the customer's name."), N_("At most %(n)s characters."),
    N_("'%(value)s' is not an 11-digit mobile number."),
    N_("%(mobile)s already belongs to customer %(name)s (#%(id)s)."))


class CustomerRuleError(ValueError):
    """Refused values: ``fields`` maps each field to its ``Message``."""

    def __init__(self, fields: dict[str, Message]) -> None:
        super().__init__("; ".join(str(m) for m in fields.values()))
        self.fields = fields


def clean_name(value: Any, field: str = "name") -> str:
    """The name without surrounding spaces; refused when empty or longer than ``NAME_MAX``."""
    name = str(value or "").strip()
    if not name:
        raise CustomerRuleError({field: Message(NAME_REQUIRED)})
    if len(name) > NAME_MAX:
        raise CustomerRuleError({field: Message(NAME_TOO_LONG, {"n": NAME_MAX})})
    return name


def clean_mobile(value: Any, field: str = "mobile") -> str:
    """The 11-digit number; refused, quoting what was given, when it is not a mainland mobile number."""
    try:
        return normalize_mobile(str(value or ""))
    except IdentityError as exc:
        raise CustomerRuleError({field: Message(NOT_A_MOBILE, {"value": value})}) from exc


def mobile_owners(session: Session, tenant_id: int, numbers: Iterable[str]) -> dict[str, Customer]:
    """Which customer of the tenant holds each of ``numbers`` as a mobile identity (one query)."""
    wanted = list(dict.fromkeys(numbers))
    if not wanted:
        return {}
    rows = session.exec(select(CustomerIdentity.value, Customer).join(
        Customer, Customer.id == CustomerIdentity.customer_id).where(
        CustomerIdentity.tenant_id == tenant_id, CustomerIdentity.kind == IdentityKind.MOBILE,
        CustomerIdentity.value.in_(wanted))).all()
    return {value: customer for value, customer in rows}


def taken_message(number: str, owner: Customer) -> Message:
    """How a duplicate number is named: the number and the customer who holds it."""
    return Message(MOBILE_TAKEN, {"mobile": number, "name": owner.name or "-", "id": owner.id})


def check_mobiles_free(session: Session, tenant_id: int, numbers: Iterable[str], customer_id: int | None = None,
                       field: str = "mobile") -> None:
    """Refuses the first of ``numbers`` another customer (not ``customer_id``) holds, naming that customer."""
    for number, owner in mobile_owners(session, tenant_id, numbers).items():
        if owner.id != customer_id:
            raise CustomerRuleError({field: taken_message(number, owner)})
