import random
from datetime import UTC, date, datetime, timedelta

import pytest

from engine.workdays import (
    add_working_days,
    deadline_at,
    equated_days,
    holidays_in_year,
    is_working_day,
    term_end,
    working_days_between,
)


def test_weekdays_are_working_days_and_weekends_are_not():
    assert is_working_day(date(2026, 4, 22))  # Wednesday
    assert not is_working_day(date(2026, 4, 25))  # Saturday
    assert not is_working_day(date(2026, 4, 26))  # Sunday


def test_dutch_public_holidays_are_not_working_days():
    for day in (
        date(2026, 1, 1),  # Nieuwjaarsdag
        date(2026, 4, 3),  # Goede Vrijdag
        date(2026, 4, 6),  # Tweede Paasdag
        date(2026, 4, 27),  # Koningsdag
        date(2026, 5, 14),  # Hemelvaartsdag
        date(2026, 5, 25),  # Tweede Pinksterdag
        date(2026, 12, 25),  # Eerste Kerstdag
        date(2025, 12, 26),  # Tweede Kerstdag
    ):
        assert not is_working_day(day), day


def test_koningsdag_moves_to_saturday_when_27_april_is_a_sunday():
    assert date(2025, 4, 26) in holidays_in_year(2025)
    assert date(2025, 4, 27) not in holidays_in_year(2025)


def test_liberation_day_is_a_holiday_every_year_under_the_termijnenwet():
    # Algemene termijnenwet art. 3 lid 1 names 5 May without the collective-agreement lustrum.
    for year in (2025, 2026, 2027, 2029, 2030):
        assert date(year, 5, 5) in holidays_in_year(year)
    assert not is_working_day(date(2026, 5, 5))  # Tuesday
    assert not is_working_day(date(2027, 5, 5))  # Wednesday


def test_three_working_days_from_monday_4_may_2026_end_on_friday_8_may():
    assert add_working_days(date(2026, 5, 4), 3) == date(2026, 5, 8)


def test_days_equated_by_royal_decree_come_from_the_data_file():
    assert date(2026, 5, 15) in equated_days()  # Friday after Ascension Day
    assert not is_working_day(date(2026, 5, 15))
    assert is_working_day(date(2025, 5, 30))  # not listed for 2025: an ordinary Friday


def test_a_calendar_term_ending_on_a_weekend_or_holiday_runs_on_art_1():
    assert term_end(date(2026, 6, 1), 6) == date(2026, 6, 8)  # Sunday 7 June → Monday
    assert term_end(date(2026, 4, 27), 28) == date(2026, 5, 26)  # Whit Monday 25 May → Tuesday
    assert term_end(date(2026, 6, 1), 3) == date(2026, 6, 4)  # a Thursday stays


def test_a_deadline_is_17_00_amsterdam_with_the_offset_of_its_date():
    assert deadline_at(date(2026, 7, 1)).isoformat() == "2026-07-01T17:00:00+02:00"
    assert deadline_at(date(2026, 12, 1)).isoformat() == "2026-12-01T17:00:00+01:00"
    assert deadline_at(date(2026, 7, 1)).astimezone(UTC).hour == 15
    # A UTC moment late on 30 June is already 1 July in Amsterdam.
    assert deadline_at(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)).date() == date(2026, 7, 1)


def test_deadline_across_koningsdag_and_a_weekend():
    # Thursday 23 April 2026 + 3 working days: Fri 24, (Sat, Sun, Koningsdag Mon 27), Tue 28,
    # Wed 29.
    assert add_working_days(date(2026, 4, 23), 3) == date(2026, 4, 29)


def test_deadline_across_christmas_and_new_year():
    # From Wednesday 23 December 2026: Thu 24 (1), Fri 25 Christmas, weekend, Mon 28 (2),
    # Tue 29 (3), Wed 30 (4), Thu 31 (5), Fri 1 January New Year, weekend, Mon 4 January (6).
    assert add_working_days(date(2026, 12, 23), 3) == date(2026, 12, 29)
    assert add_working_days(date(2026, 12, 23), 5) == date(2026, 12, 31)
    assert add_working_days(date(2026, 12, 23), 6) == date(2027, 1, 4)


def test_default_first_contact_deadline_over_easter():
    # Signal on Thursday 2 April 2026: Goede Vrijdag 3 April and Tweede Paasdag 6 April are skipped.
    assert add_working_days(date(2026, 4, 2), 5) == date(2026, 4, 13)


def test_start_may_be_an_iso_string_or_a_datetime():
    assert add_working_days("2026-04-23", 3) == date(2026, 4, 29)
    assert add_working_days("2026-04-23T15:30:00+02:00", 3) == date(2026, 4, 29)
    assert add_working_days("2026-04-23T13:30:00Z", 3) == date(2026, 4, 29)
    moment = datetime(2026, 4, 23, 9, 0, tzinfo=UTC)
    assert add_working_days(moment, 3) == date(2026, 4, 29)


def test_start_on_a_weekend_is_not_counted():
    assert add_working_days(date(2026, 4, 25), 1) == date(2026, 4, 28)  # Sat -> Tue (Koningsdag)
    assert add_working_days(date(2026, 4, 25), 0) == date(2026, 4, 28)
    assert add_working_days(date(2026, 4, 22), 0) == date(2026, 4, 22)


def test_negative_counts_go_backwards():
    assert add_working_days(date(2026, 4, 29), -3) == date(2026, 4, 23)


def test_working_days_between_is_the_inverse_of_add():
    start = date(2026, 4, 23)
    for n in range(0, 40):
        assert working_days_between(start, add_working_days(start, n)) == n
    assert working_days_between(date(2026, 4, 23), date(2026, 4, 29)) == 3
    assert working_days_between(date(2026, 4, 29), date(2026, 4, 23)) == -3
    assert working_days_between(date(2026, 4, 24), date(2026, 4, 27)) == 0


def test_working_days_between_counts_as_walking_the_calendar_would():
    """The count is arithmetic (weeks, then the holidays on weekdays); walking day by day,
    as a caseworker would on a calendar, gives the same over years, weekends and holidays."""
    rng = random.Random(10)
    for _ in range(400):
        first = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 5 * 365))
        last = first + timedelta(days=rng.randrange(-400, 800))
        low, high = sorted((first, last))
        walked = sum(is_working_day(low + timedelta(days=i))
                     for i in range(1, (high - low).days + 1))
        assert working_days_between(first, last) == (walked if last >= first else -walked)


def test_bad_input_is_rejected():
    with pytest.raises(TypeError):
        add_working_days(date(2026, 4, 23), 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        add_working_days("not a date", 1)


def test_holiday_sets_are_cached_per_year():
    assert holidays_in_year(2026) is holidays_in_year(2026)
