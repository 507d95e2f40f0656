"""Forward decay in yearly eras: an exponentially time-decayed score kept with one ADD per
event, and no maintenance ever (SPEC §5).

A point earned at time t is worth 2^(-(now - t)/half_life) points at `now`. Decaying every
stored score as time passes would mean rewriting every item all the time; forward decay
instead stores each contribution already multiplied by its weight from an epoch,

    stored += points × 2^((t - epoch)/half_life)            (one ADD, at event time)
    score(now) = stored × 2^(-(now - epoch)/half_life)      (at read time)

which is the same sum, since 2^((t - epoch)/h) × 2^(-(now - epoch)/h) = 2^(-(now - t)/h).
All items sharing an epoch share the read-time factor, so ordering them by the stored
value (the TrendingScoreIndex sort key) is ordering them by the decayed score.

Eras. With one fixed epoch the stored values grow 2× per half-life forever, and a
DynamoDB Number holds 38 significant digits (an ADD whose exact result needs more is
refused, not rounded), so the epoch would need a stop-the-world rebase about once a year.
Instead the epoch moves by itself: an era is a calendar year (UTC), `era_of(t)` = t's
year, and a contribution earned at t is stored on the item of t's era, weighted from that
era's epoch, Jan 1 00:00 UTC (`era_epoch`). An item never receives a weight from outside
its year, so nothing is ever rewritten.

Digit budget. t - era_epoch < 366 days, so a weight stays below 2^(366/7) ≈ 5.5e15 < 2^53
(16 integer digits). Every contribution is put on a fixed grid of SCORE_QUANTUM (1e-6 of
a point at the era's epoch), so every stored value is a multiple of 1e-6, and any such
value below 1e32 has at most 32 + 6 = 38 digits: each ADD is exact. One event is worth at
most 5 × 2^53 ≈ 4.5e16, so one dish of one city would need over 2e15 events in one year
to leave the budget. (This holds for the 7-day half-life; a much shorter one, allowed as
an argument for tests, makes year-end weights too big, which `on_grid` refuses loudly.)

Reading (storage/activity.py): a score as of `now` sums the current era's item and the
previous era's item (`eras_read`). Anything older was earned before the previous era's
epoch, so at least 365 days ago: a weight ≤ 2^(-365/7) < 2^-52 of its points, i.e. a dish
would need ~1e15 points in that year to be worth one point today. It is ignored (and
expires: `era_expires_at`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal, InvalidOperation
from typing import NamedTuple

HALF_LIFE = timedelta(days=7)
SCORE_PLACES = 6
SCORE_QUANTUM = Decimal(1).scaleb(-SCORE_PLACES)  # 0.000001
# years an era's items are kept after the era ends (a TTL); reads need them for one
ERA_KEPT_YEARS = 2

# DynamoDB's precision; Inexact/Rounded are not trapped: rounding to the grid is intended
_DYNAMODB_DIGITS = Context(prec=38)


class Contribution(NamedTuple):
    """What an event adds: `value` to the trending_score of the item of `era`."""

    era: int
    value: Decimal


def era_of(t: datetime) -> int:
    """The era (calendar year, UTC) a moment belongs to."""
    return t.astimezone(UTC).year


def era_epoch(era: int) -> datetime:
    """Where an era's weights start: Jan 1 00:00 UTC of its year."""
    return datetime(era, 1, 1, tzinfo=UTC)


def eras_read(now: datetime) -> tuple[int, int]:
    """The eras a score as of `now` is made of: (current, previous); see the module doc."""
    current = era_of(now)
    return current, current - 1


def era_expires_at(era: int) -> int:
    """When an era's items may disappear (a TTL, epoch seconds): ERA_KEPT_YEARS after the
    era ends, a year after the last read that uses them (the end of the next era)."""
    return int(era_epoch(era + 1 + ERA_KEPT_YEARS).timestamp())


def weight(t: datetime, half_life: timedelta = HALF_LIFE) -> float:
    """What one point earned at `t` is stored as: 2^((t - era_epoch(era_of(t)))/half_life)."""
    return 2.0 ** ((t - era_epoch(era_of(t))) / half_life)


def on_grid(value) -> Decimal:
    """`value` rounded to SCORE_QUANTUM, as a DynamoDB-ready Decimal (see the module doc)."""
    try:
        number = _DYNAMODB_DIGITS.create_decimal(repr(value) if isinstance(value, float)
                                                 else value)
        return number.quantize(SCORE_QUANTUM, context=_DYNAMODB_DIGITS)
    except InvalidOperation:
        raise ValueError(f"trending score {value!r} does not fit 38 digits: is the half-life "
                         "far shorter than 7 days? (services/analytics/domain/decay.py)") from None


def forward_points(points: float, t: datetime, half_life: timedelta = HALF_LIFE) -> Contribution:
    """What to ADD, and to which era's item, for `points` earned at `t`."""
    try:
        value = points * weight(t, half_life)
    except OverflowError:
        value = float("inf")
    return Contribution(era_of(t), on_grid(value))


def decayed(stored, era: int, now: datetime, half_life: timedelta = HALF_LIFE) -> float:
    """The score as of `now` of a value stored (forward-weighted) in `era`."""
    return float(stored) * 2.0 ** (-((now - era_epoch(era)) / half_life))
