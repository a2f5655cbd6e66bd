"""Input bounds shared by every page and API endpoint, so bad input gets a 4xx instead of reaching the database.

The bound of an integer is the platform's integer column: ``INTEGER``, 32-bit on PostgreSQL (ids, counts, cents), so
``INT_MIN`` .. ``INT_MAX``; SQLite would take 64 bits, PostgreSQL answers "integer out of range" past 32.

- ``int`` in a URL rule is bounded (:class:`IdConverter` replaces Flask's unbounded converter): a larger number does
  not match the rule (404), it never overflows a column.
- :func:`parse_int` and :func:`query_int` read integers from the query string with the same bound.
- JSON bodies (:class:`StrictJSONProvider`) refuse ``NaN``, ``Infinity``, numbers that overflow to infinity (``1e999``),
  integers beyond 64 bits and nesting deeper than ``MAX_JSON_DEPTH``: the request answers 400.
- A query or form value holding a NUL character answers 400 (:func:`refuse_nul_characters`): no text column stores
  one (PostgreSQL refuses it outright), so it never reaches a search or a filter.
- :func:`check_values` finds the first value of a parsed structure that no column can hold (a non-finite float, an
  integer beyond ``INT_MAX``), for validated API bodies (422) and data that comes in another way.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

INT_MIN = -(2**31)
INT_MAX = 2**31 - 1
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_JSON_DEPTH = 32
_INTEGER = re.compile(r"-?[0-9]{1,20}")


class IdConverter(IntegerConverter):
    """Flask's ``int`` converter bounded to an integer column (``<int:id>`` accepts 0 to ``INT_MAX``)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,  # noqa: A002
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=INT_MIN if min is None else min,
                         max=INT_MAX if max is None else max, signed=signed)


def parse_int(raw: Any, default: int | None = None, *, low: int = INT_MIN, high: int = INT_MAX) -> int | None:
    """``raw`` as an integer within ``low`` .. ``high`` (an integer column's range by default), else ``default``."""
    if raw is None:
        return default
    text = str(raw).strip()
    if not _INTEGER.fullmatch(text):
        return default
    value = int(text)
    return value if low <= value <= high else default


class InvalidParameter(ValueError):
    """A query parameter that is not an integer within its bounds; the message names it and says why."""


def query_int(name: str, default: int | None = None, *, low: int = INT_MIN, high: int = INT_MAX) -> int | None:
    """The query parameter ``name`` as an integer within ``low`` .. ``high``; ``default`` when it is absent or empty;
    ``InvalidParameter`` otherwise (the API turns it into a 400 ``invalid_parameter``)."""
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = parse_int(raw, None, low=low, high=high)
    if value is None:
        raise InvalidParameter(f"{name} must be an integer between {low} and {high}")
    return value


def check_values(data: Any, path: str = "body", *, low: int = INT_MIN, high: int = INT_MAX) -> str | None:
    """The location and reason of the first value in ``data`` that no column holds (a non-finite number, an integer
    outside ``low`` .. ``high``, nesting deeper than ``MAX_JSON_DEPTH``), or None when every value fits."""
    stack: list[tuple[str, Any, int]] = [(path, data, 0)]
    while stack:
        where, value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return f"{path}: nested deeper than {MAX_JSON_DEPTH} levels"
        if isinstance(value, bool):
            continue
        if isinstance(value, float) and not math.isfinite(value):
            return f"{where}: numbers must be finite"
        if isinstance(value, int) and not low <= value <= high:
            return f"{where}: integers must be between {low} and {high}"
        if isinstance(value, dict):
            stack.extend((f"{where}.{k}", v, depth + 1) for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            stack.extend((f"{where}.{i}", v, depth + 1) for i, v in enumerate(value))
    return None


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:30]} is too large")
    return value


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def strict_loads(text: str | bytes) -> Any:
    """``json.loads`` refusing NaN and Infinity, numbers beyond a float's range, integers beyond 64 bits and nesting
    deeper than ``MAX_JSON_DEPTH`` (``ValueError`` with the reason)."""
    try:
        data = json.loads(text, parse_float=_finite, parse_constant=_constant)
    except RecursionError as exc:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels") from exc
    problem = check_values(data, "$", low=INT64_MIN, high=INT64_MAX)
    if problem is not None:
        raise ValueError(problem)
    return data


class StrictJSONProvider(DefaultJSONProvider):
    """The app's JSON: request bodies parsed by :func:`strict_loads`; answers never contain NaN or Infinity."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return strict_loads(s)


def install_inputs(app: Flask) -> None:
    """Bound the ``int`` URL converter and make JSON strict; call before any blueprint is registered. A number that
    still reaches the database out of its column's range (a parameter a view reads without ``parse_int``) answers 400
    instead of 500: SQLite's driver raises ``OverflowError``, PostgreSQL "integer out of range" (``DataError``)."""
    from sqlalchemy.exc import DataError

    app.url_map.converters["int"] = IdConverter
    app.json = StrictJSONProvider(app)
    app.before_request(refuse_nul_characters)
    app.register_error_handler(OverflowError, _out_of_range)
    app.register_error_handler(DataError, _out_of_range)


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_nul_characters() -> None:
    """``before_request``: raise ``InvalidParameter`` (a 400 naming the parameter) when a query or form value, or a
    parameter name, holds a NUL character."""
    sources = [request.args]
    if request.mimetype in _FORM_TYPES:
        sources.append(request.form)
    for values in sources:
        for name, value in values.items(multi=True):
            if "\x00" in name or "\x00" in value:
                raise InvalidParameter(f"{name.replace(chr(0), '')[:50]} must not contain a NUL character")


def _out_of_range(exc: Exception):
    from flask_babel import gettext

    from ..platform_ext import db
    from . import error_response, is_api_request

    db().rollback()
    if is_api_request(request.path):
        return error_response(400, "out_of_range", "a value in the request is out of range for its field")
    return gettext("A value in the request is out of range."), 400, {"Content-Type": "text/plain; charset=utf-8"}
