"""The home page's own widgets: the signed-in user's to-do list (members-1 R2, R3) and the marketing calendar
(R4–R6), both fed by plugins through the ``todo_items`` and ``calendar_entries`` contribution hooks, and the
calendar page a day opens.

The to-do list holds today's open tasks of the signed-in account, sorted by end time ascending and, on equal end
times, newest created first; it counts what is pending and what is due today (the tenant's day). It is read when
the page loads and never refreshes by itself. The calendar shows one month, weeks starting on Sunday, each day with
its one festival label (``scrm.core.holidays``), 休 / 班 from the official holiday schedule, and a dot when any
plugin planned something on it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from scrm.core import content
from scrm.core.holidays import Day, day_info, month_weeks
from scrm.core.plugins.contributions import CalendarEntry, TodoItem
from scrm.core.timeutil import as_utc, local, local_today

ENTRY_KINDS = ("plan", "schedule", "campaign")


@dataclass
class TodoList:
    items: list[TodoItem]
    pending: int
    due_today: int


@dataclass
class CalendarDay:
    info: Day
    in_month: bool
    today: bool
    entries: list[CalendarEntry] = field(default_factory=list)

    @property
    def dot(self) -> bool:
        """R5: a dot when the day has any activity plan, schedule or campaign."""
        return bool(self.entries)


@dataclass
class CalendarMonth:
    year: int
    month: int
    weeks: list[list[CalendarDay]]

    @property
    def previous(self) -> str:
        return f"{self.year - 1}-12" if self.month == 1 else f"{self.year}-{self.month - 1:02d}"

    @property
    def next(self) -> str:
        return f"{self.year + 1}-01" if self.month == 12 else f"{self.year}-{self.month + 1:02d}"


def todo_list(hooks, tenant, user, session) -> TodoList:
    """The user's to-do list from every enabled plugin, sorted (R3) and counted."""
    items = [i for i in hooks.contribute("todo_items", tenant=tenant, user=user, session=session)
             if isinstance(i, TodoItem)]
    items.sort(key=lambda i: -as_utc(i.created_at).timestamp())  # ties: newest created first (a stable sort)
    items.sort(key=lambda i: as_utc(i.due_at))
    today = local_today()
    due_today = sum(1 for i in items if local(as_utc(i.due_at)).date() == today)
    return TodoList(items=items, pending=len(items), due_today=due_today)


def parse_month(value: str | None) -> tuple[int, int]:
    """``YYYY-MM`` (years 1901–2099, the range the calendar data covers), or the tenant's current month."""
    today = local_today()
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        if 1901 <= year <= 2099 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    return today.year, today.month


def parse_day(value: str | None) -> date:
    try:
        day = date.fromisoformat(value or "")
        if 1901 <= day.year <= 2099:
            return day
    except ValueError:
        pass
    return local_today()


def calendar_month(hooks, tenant, session, year: int, month: int) -> CalendarMonth:
    weeks = month_weeks(year, month)
    start, end = weeks[0][0], weeks[-1][-1]
    by_day: dict[date, list[CalendarEntry]] = defaultdict(list)
    for entry in hooks.contribute("calendar_entries", tenant=tenant, start=start, end=end, session=session):
        if isinstance(entry, CalendarEntry) and start <= entry.day <= end:
            by_day[entry.day].append(entry)
    today = local_today()
    return CalendarMonth(year, month, [[CalendarDay(day_info(d), d.month == month, d == today,
                                                    sorted(by_day.get(d, []), key=lambda e: e.title))
                                        for d in week] for week in weeks])


def article_date(moment) -> str:
    """R15: an article of this year shows its day (``MM-DD``), an older one its month (``YYYY-MM``)."""
    day = local(as_utc(moment)).date()
    return day.strftime("%m-%d") if day.year == local_today().year else day.strftime("%Y-%m")


def latest_articles(session, tenant_id: int) -> dict[str, list]:
    """The latest five product recommendations and training courses, read on every home page load (R15)."""
    return {kind: [(article, article_date(article.updated_at))
                   for article in content.latest(session, tenant_id, kind)] for kind in content.KINDS}
