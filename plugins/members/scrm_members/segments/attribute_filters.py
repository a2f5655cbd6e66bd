"""Basic-attribute conditions of the condition builder (spec members-1 §6.2 "基本属性"): gender, mobile present,
nickname contains, birthday (month/day range, birthday within N days), age (range), region, and one condition per
custom field by its type (text contains / equals, number range, date range, single and multi select, cascade).

Every condition compiles to SQL on ``customer``: JSON attributes through SQLAlchemy's JSON element access
(``attributes ->> 'key'`` on PostgreSQL, ``json_extract`` on SQLite). Dates are stored as ``YYYY-MM-DD`` strings, so
ages and birthday windows compare strings: "age at least N" is ``birthday <= '<today's year - N>-MM-DD'`` (a
29 February cut-off stays a string, so the comparison needs no valid date), "born on MM-DD between" compares
``substr(birthday, 6, 5)``. "Today" is the tenant's today (its time zone), taken when the condition is compiled.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, String, and_, cast, func, literal_column, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import object_session
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from scrm.sdk import N_, Customer, FilterType, local_today, use_zone

from ..customers.fields import GENDERS, SELECT_TYPES, custom_fields
from ..customers.models import FieldType

MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")
#: "birthday within N days": N from 0 (today) to this many days ahead
MAX_BIRTHDAY_DAYS = 366
#: ages are whole years from 0 to this
MAX_AGE = 150
BIRTHDAY = "birthday"


def tenant_today(tenant) -> Callable[[], date]:
    """The tenant's today, read when a condition compiles (a saved segment refreshed tomorrow uses tomorrow)."""
    zone_name = getattr(tenant, "timezone", None)

    def today() -> date:
        with use_zone(zone_name):
            return local_today()

    return today


ATTRIBUTE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


class json_text(FunctionElement):  # noqa: N801 (an SQL function)
    """``customer.attributes ->> 'key'`` (PostgreSQL) / ``json_extract(customer.attributes, '$."key"')`` (SQLite),
    the key written inline: the expression indexes of migration ``members_audience_0001`` match it literally
    (SQLAlchemy's JSON access binds the key as a parameter, which no expression index matches)."""

    type = String()
    inherit_cache = True
    name = "json_text"


@compiles(json_text, "postgresql")
def _json_text_pg(element, compiler, **kw):
    column, key, _path = list(element.clauses)
    return f"({compiler.process(column, **kw)} ->> {compiler.process(key, **kw)})"


@compiles(json_text)
def _json_text_default(element, compiler, **kw):
    column, _key, path = list(element.clauses)
    return f"json_extract({compiler.process(column, **kw)}, {compiler.process(path, **kw)})"


def attribute(key: str) -> Any:
    """The text of ``Customer.attributes[key]`` (a JSON document's text for lists). The key is checked and written
    as literal SQL text, which is also part of the statement cache key."""
    if not ATTRIBUTE_KEY.match(key):
        raise ValueError(f"'{key}' is not an attribute key")
    return json_text(Customer.attributes, literal_column(f"'{key}'"), literal_column(f"'$.\"{key}\"'"))


def refused(message: str, **params: Any) -> ValueError:
    """A ValueError whose text is ``message`` in the user's language (English outside a request); the audience
    compiler shows it as the condition's error."""
    return ValueError(gettext(message, **params))


def _text(key: str) -> Any:
    return attribute(key)


def _clean_texts(values: list[Any]) -> list[str]:
    texts = [str(v).strip() for v in values if not isinstance(v, dict) and str(v).strip()]
    if not texts:
        raise refused(N_("enter at least one value"))
    return texts


def _json_contains(text: Any, word: str) -> Any:
    """``text`` (a JSON document's text) contains ``word`` as typed or JSON-escaped (stored with ``\\uXXXX``)."""
    escaped = json.dumps(word)[1:-1]
    clauses = [text.contains(word, autoescape=True)]
    if escaped != word:
        clauses.append(text.contains(escaped, autoescape=True))
    return or_(*clauses)


# -- columns -----------------------------------------------------------------------------------------------------------


def _gender(values: list[Any], ctx) -> Any:
    genders = set()
    for value in values:
        code = int(value)
        if code not in GENDERS:
            raise refused(N_("unknown gender %(value)s"), value=value)
        genders.add(code)
    return Customer.gender.in_(sorted(genders))


def _gender_choices(session: Session, tenant_id: int) -> list[tuple[Any, str]]:
    return [(code, str(label)) for code, label in GENDERS.items()]


def _mobile_present(values: list[Any], ctx) -> Any:
    wanted = {str(v).lower() in ("1", "true", "yes", "on") for v in values}
    present = and_(Customer.mobile.is_not(None), Customer.mobile != literal_column("''"))
    missing = or_(Customer.mobile.is_(None), Customer.mobile == literal_column("''"))
    return or_(*[present if w else missing for w in sorted(wanted)])


#: a word shorter than this has no trigram (pg_trgm takes three characters): a trigram index would read every entry
#: and recheck every customer, which PostgreSQL misjudges as cheaper than its scan (region 四川 over 100,000
#: customers: 410 ms through ix_members_customer_region_trgm, 342 ms scanning)
TRIGRAM = 3


def _contains(key: str, word: str) -> Any:
    """``attributes[key]`` contains ``word`` (LIKE, with ``%`` and ``_`` taken literally). A word of three characters
    or more is written on the expression the key's trigram index covers (nickname and region, PostgreSQL); a shorter
    one on ``text || ''``, which no index covers, so the database scans instead of reading the whole index."""
    text = _text(key)
    if len(word) < TRIGRAM:
        text = text.concat(literal_column("''"))
    return text.contains(word, autoescape=True)


def _nickname(values: list[Any], ctx) -> Any:
    return or_(*[_contains("nickname", word) for word in _clean_texts(values)])


def _region(values: list[Any], ctx) -> Any:
    """The region (the profile's text such as 广东/深圳) contains any of the words: one LIKE per word."""
    return or_(*[_contains("region", word) for word in _clean_texts(values)])


# -- birthday and age --------------------------------------------------------------------------------------------------


def month_day(raw: Any) -> str:
    """``"MM-DD"`` checked (29 February allowed), else ValueError."""
    match = MONTH_DAY.match(str(raw or "").strip())
    if not match:
        raise refused(N_("'%(value)s' is not a month and day (MM-DD)"), value=raw)
    month, day = int(match.group(1)), int(match.group(2))
    try:
        date(2000, month, day)  # a leap year: 02-29 is a birthday
    except ValueError as exc:
        raise refused(N_("'%(value)s' is not a month and day (MM-DD)"), value=raw) from exc
    return f"{month:02d}-{day:02d}"


#: sorts before every stored date and month/day and after "": the guard that a value is there at all
PRESENT = "0"


def monthday_window(start: str, end: str, key: str = BIRTHDAY) -> Any:
    """Birthdays whose month/day is within ``start``..``end`` (both inclusive); ``start`` after ``end`` wraps
    around the new year (12-20 .. 01-10). Only ranges on ``substr(birthday, 6, 5)``, so index
    ``ix_members_customer_birthday_md_partial`` answers them (an empty or missing birthday sorts below every bound)."""
    md = func.substr(_text(key), literal_column("6"), literal_column("5"))  # inline: the index expression matches
    if start <= end:
        return and_(md >= start, md <= end)
    return or_(md >= start, and_(md >= PRESENT, md <= end))


def _birthday_range(values: list[Any], ctx) -> Any:
    windows = []
    for value in values:
        if not isinstance(value, dict) or not (value.get("from") or value.get("to")):
            raise refused(N_("a birthday range needs a start or an end (MM-DD)"))
        start = month_day(value.get("from") or "01-01")
        end = month_day(value.get("to") or "12-31")
        windows.append(monthday_window(start, end))
    return or_(*windows)


def birthday_within_days(today: date, days: int) -> Any:
    """Birthdays from today to ``days`` days ahead (0 = today). A 29 February birthday counts in a window that
    covers 28 February to 1 March of a common year, since it sorts between them."""
    if days >= 365:
        return _text(BIRTHDAY) >= PRESENT
    end = today + timedelta(days=days)
    return monthday_window(today.strftime("%m-%d"), end.strftime("%m-%d"))


def _whole_days(values: list[Any], low: int, high: int, what: str) -> list[int]:
    out = []
    for value in values:
        raw = value.get("max") if isinstance(value, dict) else value
        try:
            number = int(str(raw).strip())
        except ValueError as exc:
            raise refused(N_("'%(value)s' is not a whole number"), value=raw) from exc
        if not low <= number <= high:
            raise refused(N_("%(value)s is not between %(low)s and %(high)s"), value=number, low=low, high=high)
        out.append(number)
    return out


def _birthday_within(today: Callable[[], date]) -> Callable:
    def compile_(values: list[Any], ctx) -> Any:
        day = today()
        return or_(*[birthday_within_days(day, n) for n in _whole_days(values, 0, MAX_BIRTHDAY_DAYS, "days")])

    return compile_


def age_cutoff(today: date, years: int) -> str:
    """The latest birthday of someone at least ``years`` old today, as a ``YYYY-MM-DD`` string (may be 02-29 of a
    common year: it is only compared as a string)."""
    return f"{today.year - years:04d}-{today.month:02d}-{today.day:02d}"


def age_between(today: date, low: int | None, high: int | None, key: str = BIRTHDAY) -> Any:
    """Whole years since the birthday within ``low``..``high`` (inclusive) on ``today``."""
    text = _text(key)
    # one range on the birthday text (index ix_members_customer_birthday_partial); "" and missing birthdays fall below it
    parts = [text > age_cutoff(today, high + 1) if high is not None else text >= PRESENT]
    if low is not None:
        parts.append(text <= age_cutoff(today, low))
    return and_(*parts)


def _bound(value: dict, key: str, low: int, high: int, what: str) -> int | None:
    raw = value.get(key)
    if raw in (None, ""):
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if not isinstance(raw, int) or isinstance(raw, bool):
        try:
            raw = int(str(raw).strip())
        except ValueError as exc:
            raise refused(N_("'%(value)s' is not a whole number"), value=raw) from exc
    if not low <= raw <= high:
        raise refused(N_("%(value)s is not between %(low)s and %(high)s"), value=raw, low=low, high=high)
    return raw


def _age(today: Callable[[], date]) -> Callable:
    def compile_(values: list[Any], ctx) -> Any:
        day = today()
        ranges = []
        for value in values:
            if not isinstance(value, dict):
                raise refused(N_("an age range needs a minimum or a maximum"))
            low, high = _bound(value, "min", 0, MAX_AGE, "age"), _bound(value, "max", 0, MAX_AGE, "age")
            if low is None and high is None:
                raise refused(N_("an age range needs a minimum or a maximum"))
            if low is not None and high is not None and low > high:
                raise refused(N_("the minimum %(low)s is above the maximum %(high)s"), low=low, high=high)
            ranges.append(age_between(day, low, high))
        return or_(*ranges)

    return compile_


# -- custom fields -----------------------------------------------------------------------------------------------------


def _number(raw: Any, what: str) -> float | None:
    if raw in (None, ""):
        return None
    try:
        return float(raw)
    except (TypeError, ValueError) as exc:
        raise refused(N_("'%(value)s' is not a number"), value=raw) from exc


def _field_text_contains(key: str) -> Callable:
    def compile_(values: list[Any], ctx) -> Any:
        return or_(*[_text(key).contains(word, autoescape=True) for word in _clean_texts(values)])

    return compile_


def _field_text_equals(key: str) -> Callable:
    def compile_(values: list[Any], ctx) -> Any:
        return _text(key).in_(_clean_texts(values))

    return compile_


def _field_number(key: str) -> Callable:
    def compile_(values: list[Any], ctx) -> Any:
        ranges = []
        for value in values:
            if not isinstance(value, dict):
                raise refused(N_("a number range needs a minimum or a maximum"))
            low, high = _number(value.get("min"), "minimum"), _number(value.get("max"), "maximum")
            if low is None and high is None:
                raise refused(N_("a number range needs a minimum or a maximum"))
            if low is not None and high is not None and low > high:
                raise refused(N_("the minimum %(low)s is above the maximum %(high)s"), low=f"{low:g}", high=f"{high:g}")
            number = cast(attribute(key), Float)  # a missing value is NULL: no comparison holds
            parts = []
            if low is not None:
                parts.append(number >= low)
            if high is not None:
                parts.append(number <= high)
            ranges.append(and_(*parts))
        return or_(*ranges)

    return compile_


def _iso_day(raw: Any) -> str | None:
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(str(raw).strip()[:10]).isoformat()
    except ValueError as exc:
        raise refused(N_("'%(value)s' is not a date (YYYY-MM-DD)"), value=raw) from exc


def _field_date(key: str) -> Callable:
    def compile_(values: list[Any], ctx) -> Any:
        ranges = []
        for value in values:
            if not isinstance(value, dict):
                raise refused(N_("a date range needs a start or an end"))
            start, end = _iso_day(value.get("from")), _iso_day(value.get("to"))
            if start is None and end is None:
                raise refused(N_("a date range needs a start or an end"))
            if start and end and start > end:
                raise refused(N_("the start %(start)s is after the end %(end)s"), start=start, end=end)
            text = _text(key)
            parts = [text >= (start or PRESENT)]
            if end:
                parts.append(text <= end)
            ranges.append(and_(*parts))
        return or_(*ranges)

    return compile_


def _field_options(key: str, multi: bool, options: list[str]) -> Callable:
    def compile_(values: list[Any], ctx) -> Any:
        chosen = _clean_texts(values)
        unknown = [v for v in chosen if v not in options]
        if unknown:
            raise refused(N_("'%(value)s' is not an option of the field"), value=unknown[0])
        text = _text(key)
        if not multi:
            return text.in_(chosen)
        # a multi-select value is a JSON list: match each option as a whole quoted element
        return or_(*[or_(text.contains(json.dumps(o), autoescape=True),
                         text.contains(json.dumps(o, ensure_ascii=False), autoescape=True)) for o in chosen])

    return compile_


def _option_choices(options: list[str]) -> Callable:
    def choices(session: Session, tenant_id: int) -> list[tuple[Any, str]]:
        return [(o, o) for o in options]

    return choices


def custom_field_types(session: Session, tenant_id: int) -> list[FilterType]:
    """One condition per enabled custom field of the tenant (two for text fields: contains and equals)."""
    out: list[FilterType] = []
    for field in custom_fields(session, tenant_id, enabled_only=True):
        key, name, kind = field.key, field.name, field.field_type
        extra = {"field_id": field.id, "field_type": kind}
        if kind in (FieldType.SINGLE_LINE_TEXT, FieldType.MULTI_LINE_TEXT):
            out.append(FilterType(f"{key}_contains", _l("%(field)s contains", field=name), _field_text_contains(key),
                                  "text", "basic", plugin="members", extra=extra))
            out.append(FilterType(f"{key}_equals", _l("%(field)s equals", field=name), _field_text_equals(key),
                                  "text", "basic", plugin="members", extra=extra))
        elif kind == FieldType.NUMBER:
            out.append(FilterType(key, name, _field_number(key), "number_range", "basic", plugin="members",
                                  extra=extra))
        elif kind == FieldType.DATE:
            out.append(FilterType(key, name, _field_date(key), "date_range", "basic", plugin="members", extra=extra))
        elif kind in SELECT_TYPES:
            options = [str(o) for o in field.options or []]
            out.append(FilterType(key, name, _field_options(key, kind == FieldType.MULTI_SELECT, options), "choice",
                                  "basic", choices=_option_choices(options), plugin="members", extra=extra))
        elif kind == FieldType.CASCADE:
            out.append(FilterType(f"{key}_contains", _l("%(field)s contains", field=name), _cascade(key), "text",
                                  "basic", plugin="members", extra=extra))
    return out


def _cascade(key: str) -> Callable:
    def compile_(values: list[Any], ctx) -> Any:
        return or_(*[_json_contains(attribute(key), w) for w in _clean_texts(values)])

    return compile_


def attribute_filters(tenant) -> list[FilterType]:
    """The basic-attribute conditions for ``tenant``; its custom fields are read through the session the tenant
    row belongs to (the request's or the job's), none when it is detached."""
    today = tenant_today(tenant)
    types = [
        FilterType("gender", _l("Gender"), _gender, "choice", "basic", choices=_gender_choices, plugin="members"),
        FilterType("mobile_present", _l("Has a mobile number"), _mobile_present, "bool", "basic", plugin="members"),
        FilterType("nickname", _l("Nickname contains"), _nickname, "text", "basic", plugin="members"),
        FilterType("birthday_range", _l("Birthday (month and day) between"), _birthday_range, "monthday_range",
                   "basic", plugin="members"),
        FilterType("birthday_within", _l("Birthday within the next days"), _birthday_within(today), "text", "basic",
                   plugin="members", extra={"hint": "0-366"}),
        FilterType("age", _l("Age (years)"), _age(today), "number_range", "basic", plugin="members"),
        FilterType("region", _l("Region contains"), _region, "text", "basic", plugin="members"),
    ]
    session = object_session(tenant) if tenant is not None else None
    if session is not None and getattr(tenant, "id", None) is not None:
        types.extend(custom_field_types(session, tenant.id))
    return types
