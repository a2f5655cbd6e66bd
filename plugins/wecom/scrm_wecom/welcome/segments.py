"""Time segments of a welcome message: a weekday set and a start/end time of day in Asia/Shanghai, each with its own
content. The first segment (in the order written) that contains the add-friend time wins; none means the default
content of the message. An end of 23:59 runs until midnight (a time field cannot say 24:00)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l

from scrm.sdk import current_zone

from .content import ContentError, validate_content

MAX_SEGMENTS = 12
END_OF_DAY = time(23, 59)  # an end written 23:59 includes the day's last minute
WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)  # ISO: 1 Monday ... 7 Sunday
WEEKDAY_LABELS = {1: _l("Mon"), 2: _l("Tue"), 3: _l("Wed"), 4: _l("Thu"), 5: _l("Fri"), 6: _l("Sat"), 7: _l("Sun")}


def _parse_time(value: Any) -> time | None:
    try:
        return time.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def validate_segments(raw: list[dict[str, Any]], *, offered: Collection[int] | None = None,
                      kept: Collection[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Normalised segments ``[{"weekdays": [1..7], "start": "HH:MM", "end": "HH:MM", "content": {...}}]`` or
    ``ContentError`` with fields keyed ``seg-<i>-...``: at least one weekday, start before end (a period across
    midnight is written as two segments), valid content (``offered`` / ``kept`` as ``validate_content``)."""
    errors: dict[str, str] = {}
    if len(raw) > MAX_SEGMENTS:
        errors["segments"] = str(_l("At most %(n)s time segments.", n=MAX_SEGMENTS))
    out = []
    for i, seg in enumerate(raw):
        prefix = f"seg-{i}-"
        try:
            weekdays = sorted({int(d) for d in seg.get("weekdays") or []})
        except (TypeError, ValueError):
            weekdays = [0]
        if not weekdays or any(d not in WEEKDAYS for d in weekdays):
            errors[prefix + "weekdays"] = str(_l("Choose at least one weekday."))
        start, end = _parse_time(seg.get("start")), _parse_time(seg.get("end"))
        if start is None:
            errors[prefix + "start"] = str(_l("Enter a time as HH:MM."))
        if end is None:
            errors[prefix + "end"] = str(_l("Enter a time as HH:MM."))
        if start is not None and end is not None and start >= end:
            errors[prefix + "end"] = str(_l("The end must be after the start (split a period across midnight "
                                            "into two segments)."))
        try:
            content = validate_content(seg.get("content"), offered=offered, kept=kept)
        except ContentError as exc:
            errors.update({prefix + k: v for k, v in exc.fields.items()})
            content = None
        if content is not None and start is not None and end is not None:
            out.append({"weekdays": weekdays, "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M"),
                        "content": content})
    if errors:
        raise ContentError(errors)
    return out


def local_time(moment: datetime) -> datetime:
    """``moment`` (aware, or naive UTC) in the tenant's time zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(current_zone())


def _minutes(value: str) -> int:
    moment = time.fromisoformat(value)
    return 24 * 60 if moment == END_OF_DAY else moment.hour * 60 + moment.minute


def _contains(seg: dict[str, Any], clock: time) -> bool:
    start, end = time.fromisoformat(seg["start"]), time.fromisoformat(seg["end"])
    return start <= clock and (clock < end or end == END_OF_DAY)


def matching_segment(segments: list[dict[str, Any]], moment: datetime) -> int | None:
    """The index of the first segment containing ``moment`` (start inclusive, end exclusive; an end of 23:59 runs
    until midnight), or None."""
    local = local_time(moment)
    weekday, clock = local.isoweekday(), local.time().replace(tzinfo=None)
    for index, seg in enumerate(segments):
        if weekday in seg["weekdays"] and _contains(seg, clock):
            return index
    return None


def covers_whole_week(segments: list[dict[str, Any]]) -> bool:
    """Whether every minute of every weekday falls in some segment (validated segments): then no add time is left
    for the default content."""
    for day in WEEKDAYS:
        spans = sorted((_minutes(s["start"]), _minutes(s["end"])) for s in segments if day in s["weekdays"])
        reached = 0
        for start, end in spans:
            if start > reached:
                return False
            reached = max(reached, end)
        if reached < 24 * 60:
            return False
    return True
