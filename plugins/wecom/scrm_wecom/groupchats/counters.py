"""Daily member counters of a group chat: joins and leaves of the current Asia/Shanghai day.

A chat stores the day its counters count (``counter_day``); a counter of another day reads as 0 and restarts from 0
with the first change of the new day, so nothing has to run at midnight.
"""

from __future__ import annotations

from datetime import date, datetime

from scrm.sdk import utcnow

from ..welcome.segments import local_time
from .models import GroupChat


def local_day(moment: datetime | None = None) -> date:
    """The Asia/Shanghai day of ``moment`` (now by default)."""
    return local_time(moment or utcnow()).date()


def today_counts(chat: GroupChat, today: date | None = None) -> tuple[int, int]:
    """``(joined today, left today)`` of ``chat``; 0 and 0 when its counters belong to another day."""
    if chat.counter_day != (today or local_day()):
        return 0, 0
    return chat.joined_today, chat.left_today


def add_counts(chat: GroupChat, joined: int = 0, left: int = 0, today: date | None = None) -> None:
    """Count ``joined`` joins and ``left`` leaves of today on ``chat`` (restarting the counters on a new day)."""
    today = today or local_day()
    if chat.counter_day != today:
        chat.counter_day, chat.joined_today, chat.left_today = today, 0, 0
    chat.joined_today += joined
    chat.left_today += left
