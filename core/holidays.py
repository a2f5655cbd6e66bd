"""The marketing calendar's days: festivals, public holidays and working-day adjustments of mainland China.

Dates come from a maintained package (``lunar_python``: Gregorian and lunar festivals, the 24 solar terms, and the
State Council's holiday schedule with its adjusted working days), not from a table typed here. What this module
adds is the product's reading of them (members-1 R4):

- each day shows one festival label; a national festival wins over an internet festival, which wins over a solar
  term; when two national festivals fall on one day, the Gregorian one wins over the lunar one (2020-10-01 was
  National Day and Mid-Autumn: it shows 国庆节);
- a day is a public holiday (休) or an adjusted working day (班) when the official schedule says so.

Kinds: ``national`` (国定节日: the state's festivals and the traditional lunar ones), ``internet`` (网络节日: the
commercial and Western days brands run campaigns on, and the e-commerce days 3.7, 5.20, 6.18, 11.11, 12.12 that no
calendar package lists), ``solar_term`` (24节气). Names are Chinese, as every Chinese calendar shows them.
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass
from datetime import date, timedelta

from lunar_python import Solar
from lunar_python.util import HolidayUtil

from .labels import register_labels
from .messages import N_

NATIONAL, INTERNET, SOLAR_TERM = "national", "internet", "solar_term"
SOLAR, LUNAR = "solar", "lunar"
#: precedence of kinds (R4): lower wins
PRECEDENCE = {NATIONAL: 0, INTERNET: 1, SOLAR_TERM: 2}
#: the Gregorian festivals of the package that are national festivals; the others it lists read as internet days
NATIONAL_SOLAR = frozenset({"元旦节", "妇女节", "植树节", "劳动节", "青年节", "儿童节", "建党节", "建军节", "教师节",
                            "国庆节"})
INTERNET_SOLAR = frozenset({"情人节", "消费者权益日", "愚人节", "母亲节", "父亲节", "万圣节", "感恩节", "平安夜",
                            "圣诞节"})
#: every lunar festival of the package is a traditional, national one
NATIONAL_LUNAR = frozenset({"春节", "元宵节", "龙头节", "端午节", "七夕节", "中秋节", "重阳节", "腊八节", "除夕"})
#: e-commerce days (month, day): campaign dates of Chinese retail, in no calendar package
ECOMMERCE_DAYS = {(3, 7): "女神节", (5, 20): "520告白日", (6, 18): "618年中大促", (11, 11): "双11购物节",
                  (12, 12): "双12购物节"}
#: the solar term that is also a statutory holiday, shown as the holiday
QINGMING = "清明"

FESTIVAL_KIND = "calendar.festival_kind"
ENTRY_KIND = "calendar.entry_kind"
register_labels(FESTIVAL_KIND, {NATIONAL: N_("National festival"), INTERNET: N_("Internet festival"),
                                SOLAR_TERM: N_("Solar term")})
register_labels(ENTRY_KIND, {"plan": N_("Activity plan"), "schedule": N_("Schedule"),
                             "campaign": N_("Marketing campaign")})


@dataclass(frozen=True)
class Festival:
    name: str
    kind: str  # NATIONAL, INTERNET or SOLAR_TERM
    calendar: str  # SOLAR or LUNAR


@dataclass(frozen=True)
class Day:
    day: date
    label: Festival | None  # the one label shown (R4)
    festivals: tuple[Festival, ...]  # everything that falls on the day, label first
    off: bool  # a public holiday of the official schedule (休)
    adjusted_workday: bool  # a weekend day worked in lieu (班)
    holiday_name: str | None  # the official holiday period the day belongs to (e.g. 国庆节)


def festivals(day: date) -> list[Festival]:
    """Every festival on ``day``, best first by the R4 precedence."""
    solar = Solar.fromYmd(day.year, day.month, day.day)
    lunar = solar.getLunar()
    found: list[Festival] = []
    for name in solar.getFestivals():
        if name in NATIONAL_SOLAR:
            found.append(Festival(name, NATIONAL, SOLAR))
        elif name in INTERNET_SOLAR:
            found.append(Festival(name, INTERNET, SOLAR))
    for name in lunar.getFestivals():
        if name in NATIONAL_LUNAR:
            found.append(Festival(name, NATIONAL, LUNAR))
    if (day.month, day.day) in ECOMMERCE_DAYS:
        found.append(Festival(ECOMMERCE_DAYS[(day.month, day.day)], INTERNET, SOLAR))
    term = lunar.getJieQi()
    if term == QINGMING:
        found.append(Festival("清明节", NATIONAL, SOLAR))
    elif term:
        found.append(Festival(term, SOLAR_TERM, SOLAR))
    # national before internet before solar terms; among equals, Gregorian before lunar (stable otherwise)
    return sorted(found, key=lambda f: (PRECEDENCE[f.kind], f.calendar != SOLAR))


def day_info(day: date) -> Day:
    found = festivals(day)
    official = HolidayUtil.getHoliday(day.year, day.month, day.day)
    return Day(day=day, label=found[0] if found else None, festivals=tuple(found),
               off=official is not None and not official.isWork(),
               adjusted_workday=official is not None and official.isWork(),
               holiday_name=official.getName() if official is not None else None)


def month_weeks(year: int, month: int) -> list[list[date]]:
    """The month's grid: weeks starting on Sunday (R6), the adjacent months' days filling the first and last week."""
    first = date(year, month, 1)
    start = first - timedelta(days=(first.weekday() + 1) % 7)
    last = date(year, month, _calendar.monthrange(year, month)[1])
    end = last + timedelta(days=(5 - last.weekday()) % 7)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return [days[i:i + 7] for i in range(0, len(days), 7)]
