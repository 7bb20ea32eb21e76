"""China's working days, as the State Council publishes them each year: holidays off, and the weekend days
swapped in to make up for them (调休) worked.

The tender's "every working day" (lot 6-3's key tables) follows the official calendar, so a Saturday that is a
调休 working day is due and a National Day Tuesday is not. The calendar is `chinesecalendar`'s, a maintained
library that follows each year's notice; it is not kept by hand here. A year it does not hold yet (the notice
comes out in November or December for the next year) is counted Monday to Friday and said so: the schedule's
output names the year and the library's version, and upgrading the library settles it.
"""

from __future__ import annotations

import datetime as dt
from functools import cache


@cache
def _library():
    import chinese_calendar

    return chinese_calendar


def covered(year: int) -> bool:
    """Does the installed calendar hold this year's official schedule?"""
    try:
        _library().is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_working_day(day: dt.date) -> bool:
    """A working day by the official calendar; Monday to Friday for a year it does not hold yet (`covered`)."""
    if covered(day.year):
        return bool(_library().is_workday(day))
    return day.weekday() < 5


def uncovered_note(years: set[int]) -> str:
    """The Chinese line a schedule prints when some of its years are counted Monday to Friday."""
    missing = sorted(y for y in years if not covered(y))
    if not missing:
        return ""
    version = getattr(_library(), "__version__", "?")
    return (f"{'、'.join(str(y) for y in missing)} 年的国务院节假日及调休安排尚未收录（chinesecalendar {version}），"
            "暂按周一至周五计算工作日；升级该库后自动按官方安排计算。")
