"""Working days 限时办结: weekends, national holidays, worked weekends (调休), county days."""

from __future__ import annotations

from datetime import UTC, date, datetime

from service.deadlines.calendar import Calendar, calendar_of, due_after


def test_a_week_without_holidays_skips_the_weekend() -> None:
    plain = Calendar()
    # Friday + 1 working day is Monday; the Friday itself does not count.
    assert plain.add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)
    assert plain.add_working_days(date(2026, 11, 27), 5) == date(2026, 12, 4)


def test_national_day_is_skipped_and_the_worked_saturday_counts() -> None:
    shipped = calendar_of("130123")
    # 30 Sep 2026: 1–7 Oct are holidays, 8 and 9 Oct are working days, and Saturday 10 Oct
    # is worked (调休): the third working day after 30 Sep is 10 Oct.
    assert shipped.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert not shipped.is_working_day(date(2026, 10, 5))
    assert shipped.is_working_day(date(2026, 10, 10))


def test_a_county_holiday_is_a_day_off_there_only() -> None:
    county = Calendar(holidays=frozenset({date(2026, 12, 1)}))
    assert county.add_working_days(date(2026, 11, 30), 1) == date(2026, 12, 2)
    assert Calendar().add_working_days(date(2026, 11, 30), 1) == date(2026, 12, 1)


def test_a_step_is_due_at_midnight_after_its_last_working_day_office_time() -> None:
    # Arrives Friday 27 Nov 2026 at 15:00 China time with 1 working day: due when Monday
    # ends, i.e. Tuesday 00:00 +08:00 (Monday 16:00 UTC).
    arrived = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
    assert due_after(arrived, 1, county="130123") == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    # Late on Friday evening China time is already Friday: the day it arrived does not count.
    late = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)  # 23:30 +08:00
    assert due_after(late, 1, county="130123") == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
