"""Local time and money of the loyalty area: periods are days and months of the tenant's time zone (the tenant
setting, Asia/Shanghai by default; the SDK's time helpers), money is integer fen shown as yuan with two decimals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from scrm.sdk import Span, current_zone, day_span, local_midnight, local_now, month_span

__all__ = ["Span", "day_span", "local_midnight", "local_now", "month_span", "year_span", "parse_local_datetime",
           "to_cents", "yuan", "wan", "ratio", "divide"]


def year_span(year: int) -> Span:
    """The tenant's calendar year ``year`` as a UTC span."""
    return Span(local_midnight(date(year, 1, 1)), local_midnight(date(year + 1, 1, 1)))


def parse_local_datetime(raw: str) -> datetime:
    """An ISO date or date-time; without an offset it is local time. Raises ValueError."""
    text = raw.strip().replace("/", "-")
    if len(text) == 10:
        text += "T00:00:00"
    value = datetime.fromisoformat(text)
    if value.utcoffset() is None:
        value = value.replace(tzinfo=current_zone())
    return value.astimezone(UTC)


MAX_YUAN = Decimal(10_000_000)  # its fen fit an INTEGER column (32-bit on PostgreSQL)


def to_cents(raw: str | int | float | Decimal) -> int:
    """Yuan (at most 2 decimals, not negative) as fen. Raises ValueError."""
    try:
        value = Decimal(str(raw).strip().replace(",", "").replace("¥", ""))
    except InvalidOperation as exc:
        raise ValueError(f"'{raw}' is not an amount") from exc
    if not value.is_finite() or value < 0:
        raise ValueError(f"'{raw}' is not an amount of zero or more")
    if value > MAX_YUAN:
        raise ValueError(f"'{raw}' is larger than {MAX_YUAN:,} yuan")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"'{raw}' has more than 2 decimals")
    return int(value * 100)


def yuan(cents: int | None) -> str:
    """Fen as yuan with 2 decimals: ``46831`` -> ``'468.31'``."""
    return f"{Decimal(cents or 0) / 100:.2f}"


def wan(cents: int | None) -> str:
    """Fen as 10,000 yuan (万元) with 2 decimals."""
    return str((Decimal(cents or 0) / 1_000_000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def ratio(part: int | float, whole: int | float, digits: int = 2) -> str:
    """``part / whole`` as a percentage with ``digits`` decimals (half up); ``'0.00'`` when ``whole`` is 0."""
    if not whole:
        return f"{0:.{digits}f}"
    value = Decimal(str(part)) * 100 / Decimal(str(whole))
    return str(value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def divide(numerator: int | float, denominator: int | float, digits: int = 2) -> str:
    """``numerator / denominator`` with ``digits`` decimals (half up); ``'0.00'`` when dividing by 0."""
    if not denominator:
        return f"{0:.{digits}f}"
    value = Decimal(str(numerator)) / Decimal(str(denominator))
    return str(value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
