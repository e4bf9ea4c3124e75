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
