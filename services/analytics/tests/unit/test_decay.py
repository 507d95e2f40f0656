"""Forward decay maths: eras, weights, half-life, order after decay, the 38-digit budget."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, localcontext

import pytest
from boto3.dynamodb.types import TypeSerializer

from services.analytics.domain.activity import TRENDING_DISHES, dish_view_writes
from services.analytics.domain.decay import (
    HALF_LIFE,
    SCORE_QUANTUM,
    Contribution,
    decayed,
    era_epoch,
    era_expires_at,
    era_of,
    eras_read,
    forward_points,
    on_grid,
    weight,
)
from services.analytics.domain.keys import dish_place, restaurant_place
from services.gateway.contract.events import DISH_VIEWED
from shared.events import make_envelope, parse_envelope
from shared.writes import Increment

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
MIDNIGHT = datetime(2027, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
PLUS_ONE = timezone(timedelta(hours=1))


def score(contributions: list[Contribution], now: datetime) -> float:
    """What a read sums: the contributions of the eras it reads, each decayed from its
    own era's epoch."""
    return sum(decayed(value, era, now) for era, value in contributions
               if era in eras_read(now))


def test_the_half_life_is_a_week_and_an_era_a_calendar_year():
    assert HALF_LIFE / timedelta(days=1) == 7
    assert era_of(NOW) == 2026
    assert era_epoch(2026).isoformat() == "2026-01-01T00:00:00+00:00"
    assert era_of(datetime(2026, 12, 31, 23, 30, tzinfo=PLUS_ONE)) == 2026
    assert era_of(datetime(2027, 1, 1, 0, 30, tzinfo=PLUS_ONE)) == 2026  # 23:30 UTC
    assert eras_read(NOW) == (2026, 2025)
    # kept two years after the era ends
    assert era_expires_at(2026) == int(datetime(2029, 1, 1, tzinfo=UTC).timestamp())


def test_weight_doubles_every_half_life_from_the_eras_epoch():
    epoch = era_epoch(2026)
    assert weight(epoch) == 1
    assert weight(epoch + HALF_LIFE) == 2
    assert weight(epoch + 3 * HALF_LIFE) == 8
    assert weight(era_epoch(2027)) == 1  # a new era starts over


def test_a_weight_stays_below_2_to_the_53_within_an_era():
    last_moment = era_epoch(2029) - timedelta(microseconds=1)  # 2028 has 366 days
    assert era_of(last_moment) == 2028
    assert 2.0 ** 52 < weight(last_moment) < 2.0 ** 53
    assert weight(era_epoch(2027) - timedelta(microseconds=1)) < 2.0 ** 53


def test_points_decay_to_half_after_one_half_life():
    era, stored = forward_points(4, NOW)
    assert era == 2026
    assert decayed(stored, era, NOW) == pytest.approx(4, abs=1e-6)
    assert decayed(stored, era, NOW + HALF_LIFE) == pytest.approx(2, abs=1e-6)
    assert decayed(stored, era, NOW + 2 * HALF_LIFE) == pytest.approx(1, abs=1e-6)


def test_the_half_life_is_an_argument():
    day = timedelta(days=1)
    era, stored = forward_points(6, NOW, day)
    assert decayed(stored, era, NOW + day, day) == pytest.approx(3, rel=1e-9)


def test_ten_points_three_weeks_ago_rank_below_two_points_today():
    old = forward_points(10, NOW - 3 * HALF_LIFE)  # worth 10 / 8 = 1.25 now
    new = forward_points(2, NOW)
    # within an era the stored values (the GSI sort key) order them as the decayed ones do
    assert old.era == new.era and old.value < new.value
    assert score([old], NOW) == pytest.approx(1.25, abs=1e-6)
    assert score([old], NOW) < score([new], NOW)


def test_a_sum_of_forward_points_decays_like_each_point_on_its_own():
    ages = [timedelta(0), timedelta(days=1), timedelta(days=10), timedelta(hours=5)]
    points = [5, 1, 3, 2]
    stored = sum(forward_points(p, NOW - age).value for p, age in zip(points, ages, strict=True))
    expected = sum(p * 2 ** (-(age / HALF_LIFE)) for p, age in zip(points, ages, strict=True))
    assert decayed(stored, 2026, NOW) == pytest.approx(expected, abs=1e-5)


def test_an_event_just_before_and_one_just_after_midnight_land_in_different_eras():
    before = forward_points(1, MIDNIGHT - MINUTE)  # 2026-12-31T23:59Z
    after = forward_points(1, MIDNIGHT + MINUTE)   # 2027-01-01T00:01Z
    assert (before.era, after.era) == (2026, 2027)
    assert before.value > 2**52 and after.value == pytest.approx(1, abs=1e-3)
    # ...and are worth about the same right after midnight: the merged score is continuous
    right_after = MIDNIGHT + 2 * MINUTE
    assert eras_read(right_after) == (2027, 2026)
    assert decayed(before.value, before.era, right_after) == pytest.approx(
        2 ** (-(3 * MINUTE / HALF_LIFE)), rel=1e-9)
    assert decayed(after.value, after.era, right_after) == pytest.approx(
        2 ** (-(MINUTE / HALF_LIFE)), rel=1e-6)
    assert score([before], right_after) == pytest.approx(score([after], right_after), rel=1e-3)
    # a dish's score is the same function of time on either side of midnight
    points = [forward_points(5, MIDNIGHT - timedelta(days=3)), before]
    just_before, just_after = MIDNIGHT - timedelta(microseconds=1), MIDNIGHT
    assert score(points, just_after) == pytest.approx(score(points, just_before), rel=1e-9)
    assert score([*points, after], MIDNIGHT + timedelta(days=7)) == pytest.approx(
        (5 * 2 ** (-10 / 7) + 2 ** (-(timedelta(days=7) + MINUTE) / HALF_LIFE)
         + 2 ** (-(timedelta(days=7) - MINUTE) / HALF_LIFE)), abs=1e-6)  # up to the grid


def test_forward_points_are_on_the_grid_and_dynamodb_ready():
    era, value = forward_points(3, NOW)
    assert isinstance(value, Decimal)
    assert value % SCORE_QUANTUM == 0
    TypeSerializer().serialize(value)  # boto3 refuses what DynamoDB would not hold
    # an event years ago belongs to its own (long unread) era, at an ordinary weight
    old = forward_points(5, datetime(2019, 6, 1, tzinfo=UTC))
    assert old.era == 2019 and _digits(old.value) <= 38


def _digits(value: Decimal) -> int:
    return len(value.normalize().as_tuple().digits)


def test_a_busy_era_fits_dynamodbs_38_digits():
    # 1e15 five-point events on one dish in one era, all at the era's heaviest moment: the
    # exact sum an ADD would have to store stays within DynamoDB's precision
    heaviest = forward_points(5, era_epoch(2029) - timedelta(microseconds=1)).value
    lightest = forward_points(1, era_epoch(2028)).value
    with localcontext(prec=80):  # exact, as DynamoDB must compute it
        worst = heaviest * 10**15 + lightest + SCORE_QUANTUM
        assert _digits(worst) <= 38
    # in every year, not just until a rebase is due
    assert all(_digits(forward_points(5, era_epoch(year + 1) - MINUTE).value) <= 23
               for year in range(2026, 2100))


def test_a_value_beyond_38_digits_is_refused_loudly():
    with pytest.raises(ValueError, match="38 digits"):
        on_grid(Decimal("1e40"))
    with pytest.raises(ValueError, match="half-life"):  # a day's half-life by December
        forward_points(5, NOW.replace(month=12), timedelta(days=1))


def test_one_update_per_dish_view_on_its_eras_item():
    dish_id, restaurant_id = str(uuid.uuid4()), str(uuid.uuid4())
    places = {dish_place(dish_id): {"restaurant_id": restaurant_id, "dish_type": "laksa"},
              restaurant_place(restaurant_id): {"city": "ipoh"}}
    envelope = parse_envelope({**make_envelope(DISH_VIEWED, {"dish_id": dish_id}),
                               "occurred_at": NOW.isoformat()})
    writes = dish_view_writes(envelope, places)
    assert len(writes) == 1
    (write,) = writes
    assert isinstance(write, Increment) and write.table == TRENDING_DISHES
    assert write.key == {"location_id": "ipoh#2026", "dish_id": dish_id}
    assert write.add == {"trending_score": forward_points(1, NOW).value, "views": 1}
    assert write.set["city"] == "ipoh" and write.set["era"] == 2026
    assert write.set["expires_at"] == era_expires_at(2026)
