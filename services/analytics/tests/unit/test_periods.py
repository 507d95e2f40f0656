"""Period maths: buckets (ISO weeks, year boundaries), the days a period covers, zero fill."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from services.analytics.domain.periods import (
    PERIOD_DAYS,
    PERIODS,
    as_utc,
    bucket,
    days_ending,
    period_days,
    zero_filled,
)
from shared.errors import InvalidInput


def test_periods_and_their_lengths():
    assert PERIODS == ("day", "week", "month", "year")
    assert PERIOD_DAYS == {"day": 1, "week": 7, "month": 30, "year": 365}


@pytest.mark.parametrize("period, day, expected", [
    ("day", date(2026, 3, 7), "2026-03-07"),
    ("week", date(2026, 3, 7), "2026-W10"),
    ("month", date(2026, 3, 7), "2026-03"),
    ("year", date(2026, 3, 7), "2026"),
    # ISO weeks belong to the ISO year: the first days of January can be last year's week
    ("week", date(2021, 1, 3), "2020-W53"),
    ("week", date(2020, 12, 31), "2020-W53"),
    ("week", date(2021, 1, 4), "2021-W01"),
    # and the last days of December can be next year's first week
    ("week", date(2019, 12, 30), "2020-W01"),
    ("week", date(2024, 12, 30), "2025-W01"),
    ("week", date(2023, 1, 1), "2022-W52"),
    # while month and year follow the calendar
    ("month", date(2019, 12, 31), "2019-12"),
    ("year", date(2019, 12, 31), "2019"),
    ("day", date(2024, 2, 29), "2024-02-29"),
])
def test_bucket(period, day, expected):
    assert bucket(period, day) == expected


def test_bucket_of_a_datetime_is_its_day():
    assert bucket("day", datetime(2026, 1, 2, 23, 59, tzinfo=UTC)) == "2026-01-02"


def test_a_week_bucket_is_monday_to_sunday():
    monday = date(2026, 3, 2)
    assert {bucket("week", monday + timedelta(days=n)) for n in range(7)} == {"2026-W10"}
    assert bucket("week", monday - timedelta(days=1)) == "2026-W09"


def test_unknown_period_bucket_is_a_programming_error():
    with pytest.raises(ValueError):
        bucket("fortnight", date(2026, 1, 1))


def test_days_ending_today_oldest_first():
    assert days_ending(date(2026, 1, 2), 4) == [
        date(2025, 12, 30), date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 2)]
    assert days_ending(date(2026, 1, 2), 1) == [date(2026, 1, 2)]


@pytest.mark.parametrize("period", PERIODS)
def test_period_days_cover_the_period_ending_today(period):
    today = date(2024, 3, 1)  # a leap year: 365 days back is not last year's 1 March
    days = period_days(period, today)
    assert len(days) == PERIOD_DAYS[period]
    assert days[-1] == today
    assert all(later - earlier == timedelta(days=1)
               for earlier, later in zip(days, days[1:], strict=False))


def test_zero_filled_series():
    days = days_ending(date(2026, 1, 2), 4)
    assert zero_filled({"2025-12-31": 5, "2026-01-02": 1, "2025-01-01": 99}, days) == [
        {"date": "2025-12-30", "views": 0},
        {"date": "2025-12-31", "views": 5},
        {"date": "2026-01-01", "views": 0},
        {"date": "2026-01-02", "views": 1},
    ]


def test_as_utc():
    expected = datetime(2026, 1, 2, 1, 30, tzinfo=UTC)
    assert as_utc("2026-01-02T01:30:00Z") == expected
    assert as_utc("2026-01-02T09:30:00+08:00") == expected
    assert as_utc(datetime(2026, 1, 2, 9, 30, tzinfo=timezone(timedelta(hours=8)))) == expected
    assert as_utc("2026-01-02T09:30:00+08:00").tzinfo is UTC


@pytest.mark.parametrize("bad", ["2026-01-02T01:30:00", "yesterday", None,
                                 datetime(2026, 1, 2, 1, 30)])
def test_as_utc_refuses_times_without_zone(bad):
    with pytest.raises(InvalidInput):
        as_utc(bad)
