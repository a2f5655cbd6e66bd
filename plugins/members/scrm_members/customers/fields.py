"""Customer fields: the system fields, custom field definitions (field settings) and the validation of values.

A value is validated by ``clean_value`` wherever it is entered (create and edit forms, import, API), so every path
applies the same rules: required-ness, length limit, allowed character classes, options, dates and numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import Session, select

from scrm.sdk import utcnow

from .models import CustomField, FieldType

NAME_MAX = 8
DEFAULT_MAX_LENGTH = 100
MAX_LENGTH_LIMIT = 2000
TEXT_TYPES = (FieldType.SINGLE_LINE_TEXT, FieldType.MULTI_LINE_TEXT)
SELECT_TYPES = (FieldType.SINGLE_SELECT, FieldType.MULTI_SELECT)
CHARSETS = ("chinese", "digits", "letters", "symbols")

TYPE_LABELS = {
    FieldType.SINGLE_LINE_TEXT: _l("Single-line text"), FieldType.MULTI_LINE_TEXT: _l("Multi-line text"),
    FieldType.SINGLE_SELECT: _l("Single select"), FieldType.MULTI_SELECT: _l("Multi select"),
    FieldType.DATE: _l("Date"), FieldType.CASCADE: _l("Cascade"), FieldType.NUMBER: _l("Number"),
}
CHARSET_LABELS = {"chinese": _l("Chinese characters"), "digits": _l("Digits"), "letters": _l("Letters"),
                  "symbols": _l("Symbols")}


@dataclass(frozen=True)
class SystemField:
    """A built-in field: ``key`` is a ``Customer`` column or a key of ``Customer.attributes``."""

    key: str
    label: Any
    field_type: str
    required: bool = False
    column: bool = False


SYSTEM_FIELDS = (
    SystemField("name", _l("Name"), FieldType.SINGLE_LINE_TEXT, required=True, column=True),
    SystemField("gender", _l("Gender"), FieldType.SINGLE_SELECT, column=True),
    SystemField("mobile", _l("Mobile"), FieldType.SINGLE_LINE_TEXT, required=True, column=True),
    SystemField("birthday", _l("Birthday"), FieldType.DATE),
    SystemField("nickname", _l("Nickname"), FieldType.SINGLE_LINE_TEXT),
    SystemField("email", _l("Email"), FieldType.SINGLE_LINE_TEXT),
    SystemField("landline", _l("Landline"), FieldType.SINGLE_LINE_TEXT),
    SystemField("fax", _l("Fax"), FieldType.SINGLE_LINE_TEXT),
    SystemField("wechat_id", _l("WeChat ID"), FieldType.SINGLE_LINE_TEXT),
    SystemField("qq", _l("QQ"), FieldType.SINGLE_LINE_TEXT),
    SystemField("region", _l("Region"), FieldType.CASCADE),
)
PROFILE_KEYS = tuple(f.key for f in SYSTEM_FIELDS if not f.column)
GENDERS = {0: _l("Unknown"), 1: _l("Male"), 2: _l("Female")}

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-\d{7,8}(-\d{1,6})?$")
QQ_RE = re.compile(r"^[1-9]\d{4,11}$")


class FieldError(ValueError):
    """A value or a definition breaks a rule; ``errors`` maps field keys to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


# -- character classes -----------------------------------------------------------------------------------------------


def char_class(char: str) -> str:
    """The class of one character: chinese, digits, letters or symbols (spaces and punctuation)."""
    if "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf":
        return "chinese"
    if char.isdigit() and char.isascii():
        return "digits"
    if char.isalpha():
        return "letters"
    return "symbols"


def check_charset(value: str, allowed: list[str]) -> str | None:
    """None when every character of ``value`` is in an allowed class (line breaks excepted), else a message."""
    if not allowed:
        return None
    for char in value:
        if char in "\r\n":
            continue
        if char_class(char) not in allowed:
            names = ", ".join(str(CHARSET_LABELS[c]) for c in allowed)
            return _("'%(char)s' is not allowed here: use %(names)s.", char=char, names=names)
    return None


# -- definitions -----------------------------------------------------------------------------------------------------


def custom_fields(session: Session, tenant_id: int, enabled_only: bool = False) -> list[CustomField]:
    """The tenant's custom fields in their sort order."""
    query = select(CustomField).where(CustomField.tenant_id == tenant_id)
    if enabled_only:
        query = query.where(CustomField.enabled == True)  # noqa: E712
    return list(session.exec(query.order_by(CustomField.sort_order, CustomField.id)))


def cascade_paths(tree: list[Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every leaf path of a cascade tree."""
    paths: list[tuple[str, ...]] = []
    for node in tree or []:
        path = (*prefix, str(node.get("label", "")))
        children = node.get("children") or []
        paths.extend(cascade_paths(children, path) if children else [path])
    return paths


def parse_cascade_lines(text: str) -> list[dict[str, Any]]:
    """``"Guangdong/Shenzhen\\nGuangdong/Guangzhou"`` -> a tree of ``{"label", "children"}`` nodes."""
    tree: list[dict[str, Any]] = []
    for line in (text or "").splitlines():
        parts = [p.strip() for p in line.split("/") if p.strip()]
        level = tree
        for part in parts:
            node = next((n for n in level if n["label"] == part), None)
            if node is None:
                node = {"label": part, "children": []}
                level.append(node)
            level = node["children"]
    return tree


def clean_definition(session: Session, tenant_id: int, data: dict[str, Any],
                     field: CustomField | None = None) -> dict[str, Any]:
    """Validate a custom field definition; returns the clean values or raises FieldError (keys: form names).

    ``data``: name, field_type (ignored when editing: a field keeps its type), max_length, charset (list), options
    (list of labels, or cascade lines), enabled, required_member, required_unassigned, sort_order."""
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = _("Enter a field name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("A field name has at most %(n)s characters.", n=NAME_MAX)
    else:
        system = {str(f.label).lower() for f in SYSTEM_FIELDS} | {f.key for f in SYSTEM_FIELDS}
        taken = session.exec(select(CustomField.id).where(
            CustomField.tenant_id == tenant_id, func.lower(CustomField.name) == name.lower(),
            CustomField.id != (field.id if field else -1))).first()
        if taken is not None or name.lower() in system:
            errors["name"] = _("A field named '%(name)s' already exists.", name=name)
    field_type = field.field_type if field is not None else str(data.get("field_type") or "")
    if field_type not in set(FieldType):
        errors["field_type"] = _("Choose one of the seven field types.")
    clean: dict[str, Any] = {"name": name, "field_type": field_type, "max_length": None, "charset": [],
                             "options": []}
    if field_type in TEXT_TYPES:
        raw = data.get("max_length")
        try:
            max_length = DEFAULT_MAX_LENGTH if raw in (None, "") else int(raw)
            if not 1 <= max_length <= MAX_LENGTH_LIMIT:
                raise ValueError
            clean["max_length"] = max_length
        except (TypeError, ValueError):
            errors["max_length"] = _("The length limit is a whole number from 1 to %(n)s.", n=MAX_LENGTH_LIMIT)
        charset = [c for c in CHARSETS if c in set(data.get("charset") or [])]
        if not charset:
            errors["charset"] = _("Choose at least one input type.")
        clean["charset"] = charset
    elif field_type in SELECT_TYPES:
        raw_options = data.get("options") or []
        if isinstance(raw_options, str):
            raw_options = raw_options.splitlines()
        options = list(dict.fromkeys(str(o).strip() for o in raw_options if str(o).strip()))
        if not options:
            errors["options"] = _("Enter at least one option, one per line.")
        elif any(len(o) > 50 for o in options):
            errors["options"] = _("An option has at most 50 characters.")
        clean["options"] = options
    elif field_type == FieldType.CASCADE:
        raw_options = data.get("options") or []
        tree = parse_cascade_lines(raw_options) if isinstance(raw_options, str) else raw_options
        if not tree or not cascade_paths(tree):
            errors["options"] = _("Enter at least one path such as 'Guangdong/Shenzhen', one per line.")
        clean["options"] = tree
    for flag in ("enabled", "required_member", "required_unassigned"):
        clean[flag] = bool(data.get(flag))
    try:
        clean["sort_order"] = int(data.get("sort_order") or 0)
    except (TypeError, ValueError):
        errors["sort_order"] = _("The sort order is a whole number.")
    if errors:
        raise FieldError(errors)
    return clean


def save_definition(session: Session, tenant_id: int, clean: dict[str, Any],
                    field: CustomField | None = None) -> CustomField:
    """Create or update a custom field from values returned by ``clean_definition``."""
    if field is None:
        field = CustomField(tenant_id=tenant_id)
    for key, value in clean.items():
        setattr(field, key, value)
    field.updated_at = utcnow()
    session.add(field)
    session.flush()
    return field


# -- values ----------------------------------------------------------------------------------------------------------


def clean_value(field: CustomField, raw: Any, required: bool) -> Any:
    """The stored form of a custom field value, or None when empty; raises ValueError with the message to show.

    Text: a string within ``max_length`` of allowed characters. Select: one option / a list of options. Date:
    ``YYYY-MM-DD``. Cascade: a leaf path as a list (or ``a/b/c``). Number: int or float."""
    empty = raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, list | tuple) and not raw)
    if empty:
        if required:
            raise ValueError(_("%(name)s is required.", name=field.name))
        return None
    kind = field.field_type
    if kind in TEXT_TYPES:
        value = str(raw).strip()
        if kind == FieldType.SINGLE_LINE_TEXT and ("\n" in value or "\r" in value):
            raise ValueError(_("Enter a single line."))
        limit = field.max_length or DEFAULT_MAX_LENGTH
        if len(value) > limit:
            raise ValueError(_("At most %(n)s characters.", n=limit))
        problem = check_charset(value, field.charset)
        if problem:
            raise ValueError(problem)
        return value
    if kind == FieldType.SINGLE_SELECT:
        value = str(raw[0] if isinstance(raw, list | tuple) and len(raw) == 1 else raw).strip()
        if value not in field.options:
            raise ValueError(_("Choose one of the options."))
        return value
    if kind == FieldType.MULTI_SELECT:
        values = raw if isinstance(raw, list | tuple) else re.split(r"[,，;；|]", str(raw))
        values = list(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))
        unknown = [v for v in values if v not in field.options]
        if unknown:
            raise ValueError(_("Unknown options: %(values)s.", values=", ".join(unknown)))
        if not values and required:
            raise ValueError(_("%(name)s is required.", name=field.name))
        return values or None
    if kind == FieldType.DATE:
        return clean_date(raw).isoformat()
    if kind == FieldType.CASCADE:
        path = tuple(str(p).strip() for p in raw) if isinstance(raw, list | tuple) else tuple(
            p.strip() for p in str(raw).split("/") if p.strip())
        if path not in cascade_paths(field.options):
            raise ValueError(_("Choose one of the listed paths."))
        return list(path)
    if kind == FieldType.NUMBER:
        return clean_number(raw)
    raise ValueError(_("Unknown field type."))


def clean_date(raw: Any) -> date:
    """A date from ``YYYY-MM-DD`` (or ``YYYY/M/D``); raises ValueError."""
    if isinstance(raw, date):
        return raw
    text = str(raw).strip().replace("/", "-")[:10]
    try:
        return date.fromisoformat(text)
    except ValueError:
        try:
            year, month, day = (int(p) for p in text.split("-"))
            return date(year, month, day)
        except (TypeError, ValueError):
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from None


def clean_number(raw: Any) -> int | float:
    """An int or float from text; raises ValueError for anything else (and for values of 10^15 or more)."""
    if isinstance(raw, bool):
        raise ValueError(_("Enter a number."))
    try:
        number = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(_("Enter a number.")) from None
    if not number.is_finite() or abs(number) >= Decimal("1e15"):
        raise ValueError(_("Enter a number."))
    return int(number) if number == number.to_integral_value() else float(number)


def display_value(field: CustomField, value: Any) -> str:
    """A stored value as text for pages and exports."""
    if value in (None, "", []):
        return ""
    if field.field_type == FieldType.MULTI_SELECT and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if field.field_type == FieldType.CASCADE and isinstance(value, list):
        return "/".join(str(v) for v in value)
    return str(value)
