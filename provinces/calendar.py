"""Business days in Argentina: weekdays that are not national holidays (the ``holidays``
package's calendar for AR, bridge holidays included). Due dates of claims count them."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def _national_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("AR", years=year))


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _national_holidays(day.year)


def add_business_days(start: dt.date, days: int) -> dt.date:
    """The day ``days`` business days after ``start`` (``start`` itself does not count)."""
    day = start
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_business_day(day):
            remaining -= 1
    return day


def first_business_day_from(day: dt.date) -> dt.date:
    """``day`` itself when it is a business day, otherwise the next one."""
    while not is_business_day(day):
        day += dt.timedelta(days=1)
    return day


#: The DNI calendar's groups, in the order they collect: last digit of the DNI 0–1 on the first
#: business day, 2–3 on the next one, and so on up to 8–9 on the fifth.
DNI_GROUPS = ((0, 1), (2, 3), (4, 5), (6, 7), (8, 9))


def dni_calendar(start: dt.date) -> list[dt.date]:
    """The five collection days of a DNI calendar that opens on ``start`` (or the first
    business day after it): one per group of ``DNI_GROUPS``, on successive business days,
    weekends and national holidays skipped."""
    day = first_business_day_from(start)
    days = [day]
    for _group in DNI_GROUPS[1:]:
        day = add_business_days(day, 1)
        days.append(day)
    return days


def dni_day(dni: str, start: dt.date) -> dt.date:
    """The day a DNI ending in ``dni[-1]`` collects in the calendar that opens on ``start``."""
    return dni_calendar(start)[int(dni[-1]) // 2]
