"""Periods and dates: which bucket a day falls in, which days a period covers.

Every date is a UTC calendar day; callers pass `today` so the maths never reads a clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from services.analytics.contract.rpc import PERIODS
from shared.errors import InvalidInput

__all__ = ["PERIODS", "PERIOD_DAYS", "as_utc", "bucket", "day_key", "days_ending",
           "period_days", "zero_filled"]
# how many days ending today a period's time series covers (a month is 30 days, not the
# calendar month, so a series always has the same length whatever the day)
PERIOD_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}


def bucket(period: str, day: date) -> str:
    """The bucket `day` belongs to: day yyyy-mm-dd, week yyyy-Www (ISO), month yyyy-mm,
    year yyyy."""
    if period == "day":
        return day.strftime("%Y-%m-%d")
    if period == "week":
        # the ISO year, not the calendar year: 2021-01-03 is in 2020-W53
        iso_year, iso_week, _ = day.isocalendar()
        return f"{iso_year:04d}-W{iso_week:02d}"
    if period == "month":
        return day.strftime("%Y-%m")
    if period == "year":
        return day.strftime("%Y")
    raise ValueError(f"unknown period {period!r}")


def days_ending(today: date, n: int) -> list[date]:
    """The `n` days up to and including `today`, oldest first."""
    return [today - timedelta(days=back) for back in range(n - 1, -1, -1)]


def period_days(period: str, today: date) -> list[date]:
    """The days a period's time series covers, ending today, oldest first."""
    return days_ending(today, PERIOD_DAYS[period])


def day_key(day: date) -> str:
    return day.strftime("%Y-%m-%d")


def zero_filled(counts: dict[str, int], days: list[date]) -> list[dict]:
    """[{"date": "yyyy-mm-dd", "views": n}] for each of `days`, 0 where `counts` (by
    yyyy-mm-dd) has nothing."""
    return [{"date": day_key(day), "views": counts.get(day_key(day), 0)} for day in days]


def as_utc(value) -> datetime:
    """An aware datetime in UTC from a datetime or an ISO-8601 string; a time without its
    zone is refused (the envelope promises UTC with its offset, SPEC §2)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput("the event has invalid fields", {"fields": {"occurred_at": [
            "expected an ISO-8601 time with its zone"]}})
    return value.astimezone(UTC)
