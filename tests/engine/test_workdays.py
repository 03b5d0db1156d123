from datetime import UTC, date, datetime

import pytest

from engine.workdays import (
    add_working_days,
    holidays_in_year,
    is_working_day,
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


def test_liberation_day_only_in_lustrum_years():
    assert not is_working_day(date(2025, 5, 5))  # Monday, lustrum year
    assert is_working_day(date(2026, 5, 5))  # Tuesday, ordinary year
    assert is_working_day(date(2027, 5, 5))  # Wednesday
    assert is_working_day(date(2030, 5, 6))  # the Monday after is an ordinary day
    assert date(2030, 5, 5) in holidays_in_year(2030)
    assert date(2029, 5, 5) not in holidays_in_year(2029)


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


def test_bad_input_is_rejected():
    with pytest.raises(TypeError):
        add_working_days(date(2026, 4, 23), 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        add_working_days("not a date", 1)


def test_holiday_sets_are_cached_per_year():
    assert holidays_in_year(2026) is holidays_in_year(2026)
