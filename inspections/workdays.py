"""Working days (工作日) in mainland China: weekends, official holidays and make-up working days (调休).

Deadlines such as 国办发〔2018〕118号's "执法决定作出之日起7个工作日内" are counted in working days. The calendar is the
one the State Council publishes each year, as packaged by `chinese_calendar`; a year the package does not know
raises `CalendarUnknown` (a ValueError) with a Chinese message, so a check can say not_tested instead of guessing.

Conventions (the usual reading of "N个工作日内"): the day of the event does not count; day 1 is the first
working day after it.
    working_days_between(a, b)  -> the number of working days d with a < d <= b (negative when b < a)
    add_working_days(d, n)      -> the date of the n-th working day after d (n >= 0; n == 0 returns d)
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar

__all__ = ["CalendarUnknown", "add_working_days", "is_workday", "supported_years", "working_days_between"]

_ONE = dt.timedelta(days=1)


class CalendarUnknown(ValueError):
    """The official holiday calendar of a year is not known (not yet published, or before the package's range)."""

    def __init__(self, year: int) -> None:
        self.year = year
        first, last = supported_years()[0], supported_years()[-1]
        super().__init__(
            f"节假日安排未知：{year}年不在已知的法定节假日日历（{first}—{last}年）内，无法计算工作日"
        )


def supported_years() -> range:
    """The years whose holidays and make-up days the installed calendar knows."""
    holidays = chinese_calendar.holidays
    return range(min(holidays).year, max(holidays).year + 1)


def is_workday(day: dt.date) -> bool:
    """True on a working day: a weekday that is not a holiday, or a weekend make-up day (调休上班)."""
    if isinstance(day, dt.datetime):
        day = day.date()
    if day.year not in supported_years():
        raise CalendarUnknown(day.year)
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as exc:  # the package's own range check, should ours drift from it
        raise CalendarUnknown(day.year) from exc


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end`; negative when `end` is before `start`."""
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start + _ONE
    while day <= end:
        if is_workday(day):
            count += 1
        day += _ONE
    return count


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The n-th working day after `start` (the last day of an "n个工作日内" period that begins on `start`)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    day = start
    while n > 0:
        day += _ONE
        if is_workday(day):
            n -= 1
    return day
