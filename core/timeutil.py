"""Time helpers: every stored time is an aware UTC datetime; every time shown and every "today" is in the tenant's
time zone.

The tenant's zone (``Tenant.timezone``, default Asia/Shanghai) is the *current zone* of a request or a job: the host
sets it when it loads the tenant of a ``/t/<slug>/`` request, the job bus when it runs a tenant's job
(``use_zone``). Code that shows a time or computes a day or a month asks this module (``local``, ``local_today``,
``day_span``, ``month_span``, ``format_local``) instead of naming a zone, so a tenant in New York sees its own days.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DEFAULT_TIMEZONE = "Asia/Shanghai"
DISPLAY_FORMAT = "%Y-%m-%d %H:%M"

_current_zone: contextvars.ContextVar[ZoneInfo | None] = contextvars.ContextVar("scrm_zone", default=None)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive value is taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)


# --- zones -----------------------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    """The IANA zone names this machine knows (``zoneinfo.available_timezones``), sorted."""
    return tuple(sorted(available_timezones()))


def is_valid_zone(name: str | None) -> bool:
    """Whether ``name`` is an IANA time zone (``Asia/Shanghai``, ``America/New_York``) known to zoneinfo."""
    if not name or name != name.strip() or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


@lru_cache(maxsize=256)
def zone(name: str | None) -> ZoneInfo:
    """The zone ``name``; the default zone (Asia/Shanghai) for None or an unknown name."""
    return ZoneInfo(name) if is_valid_zone(name) else ZoneInfo(DEFAULT_TIMEZONE)


_resolvers: list[Callable[[], str | None]] = []


def set_zone_resolver(resolver: Callable[[], str | None]) -> None:
    """Where the zone comes from when none is set in this context: the host gives the zone of the request's tenant
    (a streamed download runs after its request's context was left, with the request's tenant still at hand)."""
    _resolvers[:] = [resolver]


def current_zone() -> ZoneInfo:
    """The zone of the current tenant (request or job); Asia/Shanghai outside a tenant."""
    found = _current_zone.get()
    if found is not None:
        return found
    for resolver in _resolvers:
        name = resolver()
        if name:
            return zone(name)
    return zone(DEFAULT_TIMEZONE)


def set_zone(name: str | ZoneInfo | None) -> contextvars.Token:
    """Make ``name`` the current zone; give the returned token to ``reset_zone``."""
    return _current_zone.set(name if isinstance(name, ZoneInfo) else zone(name))


def reset_zone(token: contextvars.Token) -> None:
    """Undo a ``set_zone`` (tolerates a token of another context)."""
    try:
        _current_zone.reset(token)
    except ValueError:
        _current_zone.set(None)


@contextmanager
def use_zone(name: str | ZoneInfo | None) -> Iterator[ZoneInfo]:
    """``with use_zone(tenant.timezone): ...`` runs the block in the tenant's zone."""
    token = set_zone(name)
    try:
        yield current_zone()
    finally:
        reset_zone(token)


# --- local times, days and months -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Span:
    """A half-open UTC interval ``[start, end)``."""

    start: datetime
    end: datetime


def local(moment: datetime, tz: ZoneInfo | None = None) -> datetime:
    """``moment`` (aware, or naive UTC as SQLite returns it) in the current zone (or ``tz``)."""
    return as_utc(moment).astimezone(tz or current_zone())


def local_now(now: datetime | None = None, tz: ZoneInfo | None = None) -> datetime:
    """Now (or ``now``) in the current zone."""
    return local(now or utcnow(), tz)


def local_today(now: datetime | None = None, tz: ZoneInfo | None = None) -> date:
    """Today's date in the current zone (of ``now`` when given)."""
    return local_now(now, tz).date()


def local_midnight(day: date, tz: ZoneInfo | None = None) -> datetime:
    """00:00 of ``day`` in the current zone, as UTC."""
    return datetime.combine(day, time.min, tz or current_zone()).astimezone(UTC)


def local_datetime(day: date, at: time, tz: ZoneInfo | None = None) -> datetime:
    """``at`` on ``day`` in the current zone, as UTC."""
    return datetime.combine(day, at, tz or current_zone()).astimezone(UTC)


def day_span(now: datetime | None = None, days_back: int = 0, tz: ZoneInfo | None = None) -> Span:
    """The local day of ``now`` (``days_back`` days earlier) as a UTC span."""
    day = local_today(now, tz) - timedelta(days=days_back)
    return Span(local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz))


def date_span(day: date, tz: ZoneInfo | None = None) -> Span:
    """The local day ``day`` as a UTC span."""
    return Span(local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz))


def month_span(now: datetime | None = None, months_back: int = 0, tz: ZoneInfo | None = None) -> Span:
    """The local calendar month of ``now`` (``months_back`` months earlier) as a UTC span."""
    first = local_today(now, tz).replace(day=1)
    for _ in range(months_back):
        first = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Span(local_midnight(first, tz), local_midnight(following, tz))


def utc_offset_hours(tz: ZoneInfo | None = None, at: datetime | None = None) -> float:
    """The current zone's offset from UTC in hours at ``at`` (now): for SQL that shifts stored UTC text by a fixed
    offset (SQLite's ``date(column, '+8 hours')``)."""
    offset = local(at or utcnow(), tz).utcoffset() or timedelta(0)
    return offset.total_seconds() / 3600


def format_local(moment: datetime | str | None, fmt: str = DISPLAY_FORMAT, empty: str = "—",
                 tz: ZoneInfo | None = None) -> str:
    """``moment`` shown in the current zone (``empty`` for None or ""): the one way templates and exports show a time.
    An ISO 8601 text (as kept in JSON settings) is read first; without an offset it is UTC."""
    if moment is None or moment == "":
        return empty
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return moment
    if not isinstance(moment, datetime):  # a date has no zone
        return moment.strftime(fmt if "%H" not in fmt else "%Y-%m-%d")
    return local(moment, tz).strftime(fmt)


EXPORT_FORMAT = "%Y-%m-%d %H:%M:%S"


def export_time(moment: datetime | None, tz: ZoneInfo | None = None) -> str:
    """A time cell of a CSV / XLSX export: local time of the current zone, "" for None. Name the zone in the column
    title with ``zone_title``."""
    return format_local(moment, EXPORT_FORMAT, "", tz)


def zone_title(title: object, tz: ZoneInfo | None = None) -> str:
    """An export column title that says which zone its times are in: ``创建时间 (Asia/Shanghai)``."""
    return f"{title} ({(tz or current_zone()).key})"


def offset_label(tz: ZoneInfo | None = None, at: datetime | None = None) -> str:
    """``UTC+08:00``: the current zone's offset, for export headers."""
    minutes = round(utc_offset_hours(tz, at) * 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
