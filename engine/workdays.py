"""Dutch working-day calendar for deadlines counted in working days ("werkdagen").

A working day is Monday to Friday, unless it is a Dutch public holiday. Holidays come from the
``holidays`` package (country ``NL``): Nieuwjaarsdag, Goede Vrijdag, Eerste en Tweede Paasdag,
Koningsdag (26 April in 2014+ when 27 April is a Sunday), Hemelvaartsdag, Eerste en Tweede
Pinksterdag, Eerste en Tweede Kerstdag.

Goede Vrijdag is kept as a non-working day because the package lists it. Change
``holidays_in_year`` if the covenant partners agree otherwise.

Bevrijdingsdag (5 May) is a national holiday, but most collective labour agreements give it as a
paid day off only once every five years. This module follows that practice: 5 May is a
non-working day only in lustrum years (``year % 5 == 0``: 2025, 2030, ...) and an ordinary
working day in the other years, whatever the ``holidays`` package reports for it.

The module is pure: no I/O, no clock, no framework. Holiday sets are computed once per year and
cached.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

__all__ = ["add_working_days", "holidays_in_year", "is_working_day", "working_days_between"]

_LIBERATION_DAY = (5, 5)
_MAX_SEARCH_DAYS = 3660  # safety net for absurd inputs: about ten years


def _is_lustrum(year: int) -> bool:
    return year % 5 == 0


@lru_cache(maxsize=64)
def holidays_in_year(year: int) -> frozenset[date]:
    """Non-working public holidays in the Netherlands for ``year`` (cached per year)."""
    days = set(holidays.country_holidays("NL", years=year).keys())
    liberation = date(year, *_LIBERATION_DAY)
    if _is_lustrum(year):
        days.add(liberation)
    else:
        days.discard(liberation)
    return frozenset(days)


def is_working_day(day: date) -> bool:
    """True for Monday-Friday that is not a Dutch public holiday (see the module docstring)."""
    if isinstance(day, datetime):
        day = day.date()
    if day.weekday() >= 5:
        return False
    return day not in holidays_in_year(day.year)


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    raise TypeError(f"expected a date, datetime or ISO string, got {type(value).__name__}")


def add_working_days(start: date | datetime | str, n: int) -> date:
    """The date that lies ``n`` working days after ``start``.

    ``start`` itself is never counted (it may be a weekend or a holiday): with ``n == 1`` the
    result is the first working day after ``start``. ``n == 0`` returns ``start`` when it is a
    working day and otherwise the next working day. A negative ``n`` counts backwards.
    A datetime or an ISO date/datetime string is reduced to its calendar date.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError("n must be an int")
    day = _as_date(start)
    if n == 0:
        steps = 0
        while not is_working_day(day):
            day += timedelta(days=1)
            steps += 1
            if steps > _MAX_SEARCH_DAYS:
                raise ValueError("no working day found")
        return day
    step = timedelta(days=1 if n > 0 else -1)
    remaining = abs(n)
    if remaining > _MAX_SEARCH_DAYS:
        raise ValueError("n is too large")
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Number of working days after ``start`` up to and including ``end``.

    This is the inverse of :func:`add_working_days` for working-day ends:
    ``working_days_between(d, add_working_days(d, n)) == n`` for ``n >= 0``. When ``end`` is
    before ``start`` the result is negative (the count of working days in ``(end, start]``).
    """
    first = _as_date(start)
    last = _as_date(end)
    if last < first:
        return -working_days_between(last, first)
    count = 0
    day = first + timedelta(days=1)
    while day <= last:
        if is_working_day(day):
            count += 1
        day += timedelta(days=1)
    return count
