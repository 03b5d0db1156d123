"""The statutory calendar: working days and term ends as the Algemene termijnenwet counts them.

Terms the law sets (the three working days after a summons, the Wgs intake and decision terms)
are counted on this calendar:

- Algemene termijnenwet (Atw) art. 3 lid 1 — the generally recognised holidays: Nieuwjaarsdag,
  Tweede Paasdag, Hemelvaartsdag, Tweede Pinksterdag, Eerste en Tweede Kerstdag, the day the
  King's birthday is celebrated (Koningsdag) and **5 May every year** (not the collective-
  agreement rule of once in five years);
- Atw art. 3 lid 2 — days equated with them by royal decree: Goede Vrijdag, and the days listed
  in ``engine/calendar/equated_days.json`` (data an operator updates when a decree appears);
- Atw art. 1 lid 1 — a term that ends on a Saturday, Sunday or such a day is extended to the
  next day that is none of these (:func:`term_end`).

A working day is any day that is not a Saturday, Sunday, holiday or equated day. Deadlines fall
at the end of the working day, 17:00 Europe/Amsterdam, with the offset of that date (CET or
CEST): :func:`deadline_at`. Nothing in the processes writes an offset by hand.

The module is pure apart from reading the equated-days file once; holiday sets are cached.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

__all__ = ["AMSTERDAM", "add_working_days", "deadline_at", "equated_days", "holidays_in_year",
           "is_working_day", "term_end", "working_days_between"]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
#: End of the working day: a deadline on day D passes at this local time.
END_OF_WORKING_DAY = time(17, 0)
EQUATED_DAYS_FILE = Path(__file__).with_name("calendar") / "equated_days.json"
_MAX_SEARCH_DAYS = 3660  # safety net for absurd inputs: about ten years


def _easter_sunday(year: int) -> date:
    """Western Easter (anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month = (h + leap - 7 * m + 114) // 31
    day = (h + leap - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def _koningsdag(year: int) -> date:
    """27 April (King's birthday), celebrated on the 26th when the 27th is a Sunday."""
    day = date(year, 4, 27)
    return day - timedelta(days=1) if day.weekday() == 6 else day


@lru_cache(maxsize=1)
def equated_days() -> dict[date, str]:
    """Days equated with a holiday by royal decree (Atw art. 3 lid 2), read from the data file."""
    raw = json.loads(EQUATED_DAYS_FILE.read_text(encoding="utf-8"))
    return {date.fromisoformat(entry["date"]): entry["name"] for entry in raw["days"]}


@lru_cache(maxsize=64)
def holidays_in_year(year: int) -> frozenset[date]:
    """The days of ``year`` on which no statutory term ends (Atw art. 3, holidays and equated)."""
    easter = _easter_sunday(year)
    days = {
        date(year, 1, 1),  # Nieuwjaarsdag
        easter - timedelta(days=2),  # Goede Vrijdag, equated by royal decree (art. 3 lid 2)
        easter, easter + timedelta(days=1),  # Eerste en Tweede Paasdag
        _koningsdag(year),
        date(year, 5, 5),  # Bevrijdingsdag: every year under art. 3 lid 1
        easter + timedelta(days=39),  # Hemelvaartsdag
        easter + timedelta(days=49), easter + timedelta(days=50),  # Pinksteren
        date(year, 12, 25), date(year, 12, 26),  # Kerstdagen
    }
    days.update(day for day in equated_days() if day.year == year)
    return frozenset(days)


def is_working_day(day: date) -> bool:
    """True for a Monday–Friday that is no holiday or equated day (Atw art. 3)."""
    if isinstance(day, datetime):
        day = day.date()
    return day.weekday() < 5 and day not in holidays_in_year(day.year)


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.astimezone(AMSTERDAM).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10:
            return date.fromisoformat(text)
        return _as_date(datetime.fromisoformat(text.replace("Z", "+00:00")))
    raise TypeError(f"expected a date, datetime or ISO string, got {type(value).__name__}")


def _next_working_day(day: date) -> date:
    steps = 0
    while not is_working_day(day):
        day += timedelta(days=1)
        steps += 1
        if steps > _MAX_SEARCH_DAYS:
            raise ValueError("no working day found")
    return day


def add_working_days(start: date | datetime | str, n: int) -> date:
    """The date that lies ``n`` working days after ``start``.

    ``start`` itself is never counted (it may be a weekend or a holiday): with ``n == 1`` the
    result is the first working day after ``start``; a three-working-day term starting Monday
    4 May 2026 ends Friday 8 May (5 May is a holiday). ``n == 0`` returns ``start`` when it is a
    working day and otherwise the next one. A negative ``n`` counts backwards. A datetime is
    read as its date in Amsterdam.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError("n must be an int")
    day = _as_date(start)
    if n == 0:
        return _next_working_day(day)
    if abs(n) > _MAX_SEARCH_DAYS:
        raise ValueError("n is too large")
    step = timedelta(days=1 if n > 0 else -1)
    remaining = abs(n)
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day


def term_end(start: date | datetime | str, days: int) -> date:
    """The end of a term of ``days`` calendar days after ``start`` (weeks: ``7 * n``).

    Atw art. 1 lid 1: when that day is a Saturday, Sunday or holiday the term runs on to the
    next day that is none of these.
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise TypeError("days must be a non-negative int")
    if days > _MAX_SEARCH_DAYS:
        raise ValueError("days is too large")
    return _next_working_day(_as_date(start) + timedelta(days=days))


def deadline_at(day: date | datetime | str) -> datetime:
    """17:00 Europe/Amsterdam on ``day``, with that day's own offset (+01:00 or +02:00)."""
    return datetime.combine(_as_date(day), END_OF_WORKING_DAY, tzinfo=AMSTERDAM)


def working_days_between(start: date | datetime | str, end: date | datetime | str) -> int:
    """Number of working days after ``start`` up to and including ``end``.

    The inverse of :func:`add_working_days` for working-day ends:
    ``working_days_between(d, add_working_days(d, n)) == n`` for ``n >= 0``. When ``end`` is
    before ``start`` the result is negative (the count of working days in ``(end, start]``).
    """
    first = _as_date(start)
    last = _as_date(end)
    if last < first:
        return -working_days_between(last, first)
    # Counted, not walked (an inbox page asks this for every task, overdue ones a year
    # back among them): the Mondays to Fridays in (first, last], less the holidays among them.
    holidays = sum(1 for year in range(first.year, last.year + 1)
                   for day in holidays_in_year(year)
                   if first < day <= last and day.weekday() < 5)
    return _weekdays_through(last) - _weekdays_through(first) - holidays


def _weekdays_through(day: date) -> int:
    """Mondays to Fridays from 1 January of year 1 (a Monday, ordinal 1) up to ``day``."""
    weeks, rest = divmod(day.toordinal(), 7)
    return 5 * weeks + min(rest, 5)
