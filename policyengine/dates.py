"""Periods under 民法典 第二百零一条 to 第二百零三条 (CONTRACT.md, "Semantics").

The start day is not counted (第二百零一条); a period of N years or months ends
on the corresponding day of the final month, or on that month's last day where
it has no such day (第二百零二条).  3 years from 2023-05-10 end on 2026-05-10; 5 years from
2024-02-29 end on 2029-02-28.  Public holidays do not extend a period
(第二百零三条) because no holiday calendar is supplied.
"""
from __future__ import annotations

import calendar
import datetime as _dt

__all__ = ["months_after", "years_after", "days_after", "days_between"]


_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _month_days(year: int, month: int) -> int:
    if month == 2 and calendar.isleap(year):
        return 29
    return _DAYS[month - 1]


def months_after(d: _dt.date, months: int) -> _dt.date:
    """The last day of a period of ``months`` months that starts on ``d``."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    if not 1 <= year <= 9999:
        raise OverflowError("date out of range")
    day = d.day
    if day > 28:
        day = min(day, _month_days(year, month))
    return _dt.date(year, month, day)


def years_after(d: _dt.date, years: int) -> _dt.date:
    return months_after(d, 12 * years)


def days_after(d: _dt.date, days: int) -> _dt.date:
    return d + _dt.timedelta(days=days)


def days_between(a: _dt.date, b: _dt.date) -> int:
    return (b - a).days
