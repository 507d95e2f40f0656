"""Reviews without I/O: what the review schemas accept, and how summaries add up."""

from __future__ import annotations

import itertools
import random
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from marshmallow import ValidationError

from services.rankings.contract.events import REVIEW_CREATED, REVIEW_UPDATED
from services.rankings.contract.rpc import (
    CommentInput,
    CommentsQuery,
    ReviewInput,
    ReviewsQuery,
    ReviewSummarySchema,
)
from services.rankings.domain.reviews import RATING_READERS, rating_moves, review_event, summarize

PHOTO = "https://cdn.example.com/p.jpg"


def errors_of(schema, data, **kwargs) -> dict:
    with pytest.raises(ValidationError) as exc:
        schema.load(data, **kwargs)
    return exc.value.messages


# --- ReviewInput -------------------------------------------------------------------------------


def test_review_input_keeps_rating_content_photos():
    data = {"rating": 4, "content": "Sambal was perfect", "photos": [PHOTO]}
    assert ReviewInput().load(data) == data


@pytest.mark.parametrize("rating", [1, 5])
def test_review_rating_bounds_accept(rating):
    assert ReviewInput().load({"rating": rating}) == {"rating": rating}


@pytest.mark.parametrize("rating", [0, 6, -1, "4", 4.0, 4.5, True, None, [4]])
def test_review_rating_is_a_strict_integer_from_1_to_5(rating):
    assert list(errors_of(ReviewInput(), {"rating": rating})) == ["rating"]


def test_a_new_review_needs_a_rating_an_edit_does_not():
    assert list(errors_of(ReviewInput(), {"content": "no stars"})) == ["rating"]
    assert ReviewInput().load({"content": "edited"}, partial=True) == {"content": "edited"}
    assert list(errors_of(ReviewInput(), {"rating": None}, partial=True)) == ["rating"]


def test_review_photos_are_at_most_ten_http_urls():
    assert ReviewInput().load({"rating": 3, "photos": [PHOTO] * 10})["photos"] == [PHOTO] * 10
    assert list(errors_of(ReviewInput(), {"rating": 3, "photos": [PHOTO] * 11})) == ["photos"]
    for bad in ["javascript:alert(1)", "data:image/png;base64,AAAA", "/relative.png",
                "https://x.com/" + "p" * 500, 7]:
        assert list(errors_of(ReviewInput(), {"rating": 3, "photos": [bad]})) == ["photos"]
    assert list(errors_of(ReviewInput(), {"rating": 3, "photos": PHOTO})) == ["photos"]


def test_review_content_is_bounded_and_may_be_cleared():
    assert ReviewInput().load({"rating": 3, "content": None})["content"] is None
    assert list(errors_of(ReviewInput(), {"rating": 3, "content": "x" * 5001})) == ["content"]


def test_review_input_refuses_unknown_fields():
    assert list(errors_of(ReviewInput(), {"rating": 3, "user_id": str(uuid.uuid4())})) == [
        "user_id"]


# --- comments and pages ------------------------------------------------------------------------


@pytest.mark.parametrize("content", ["", "   ", "x" * 2001, None])
def test_comment_content_is_required_not_blank_and_bounded(content):
    assert list(errors_of(CommentInput(), {"content": content})) == ["content"]


def test_comment_input_keeps_content():
    assert CommentInput().load({"content": "Agreed!"}) == {"content": "Agreed!"}


def test_page_sizes():
    assert ReviewsQuery().load({}) == {"limit": 50, "offset": 0}
    assert list(errors_of(ReviewsQuery(), {"limit": 51})) == ["limit"]
    assert CommentsQuery().load({}) == {"limit": 20, "offset": 0}
    assert CommentsQuery().load({"limit": 100})["limit"] == 100
    assert list(errors_of(CommentsQuery(), {"limit": 101})) == ["limit"]
    assert list(errors_of(CommentsQuery(), {"offset": -1})) == ["offset"]


# --- events ------------------------------------------------------------------------------------


def test_review_event_payloads():
    review = SimpleNamespace(id=uuid.uuid4(), user_id=uuid.uuid4(),
                             restaurant_id=uuid.uuid4(), rating=4, content="not in the event")
    assert REVIEW_CREATED.dump(review_event(review)) == {
        "review_id": str(review.id), "user_id": str(review.user_id),
        "restaurant_id": str(review.restaurant_id), "rating": 4}
    assert REVIEW_UPDATED.dump({**review_event(review), "previous_rating": 2})[
        "previous_rating"] == 2


def test_the_summary_reads_review_events_and_ignores_other_fields():
    payload = {"review_id": str(uuid.uuid4()), "user_id": str(uuid.uuid4()),
               "restaurant_id": str(uuid.uuid4()), "rating": 5, "extra": "ignored"}
    loaded = RATING_READERS["review_created"].load(payload)
    assert loaded == {"review_id": uuid.UUID(payload["review_id"]),
                      "restaurant_id": uuid.UUID(payload["restaurant_id"]), "rating": 5}
    with pytest.raises(ValidationError):
        RATING_READERS["review_created"].load({**payload, "rating": 9})
    with pytest.raises(ValidationError):  # an update says what the rating was
        RATING_READERS["review_updated"].load(payload)


# --- summaries ---------------------------------------------------------------------------------


def test_summary_of_nothing():
    assert summarize({}) == {"total_reviews": 0, "rating_sum": 0,
                             "average_rating": Decimal("0.00"),
                             "rating_distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}}


def test_summary_average_has_two_decimals_rounded_half_up():
    summary = summarize({5: 1, 4: 1, 3: 1})
    assert summary["average_rating"] == Decimal("4.00")
    assert summarize({"5": 2, "4": 1})["average_rating"] == Decimal("4.67")  # 14/3
    assert summarize({"1": 1, "2": 1, "3": 0, "4": 0, "5": 6})["average_rating"] == Decimal(
        "4.13")  # 33/8 = 4.125
    assert summarize({4: 1})["rating_distribution"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}


def test_summary_answer_shows_the_average_as_a_number():
    dumped = ReviewSummarySchema().dump({
        "restaurant_id": uuid.uuid4(), "total_reviews": 3, "average_rating": Decimal("4.67"),
        "rating_distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 2}})
    assert dumped["average_rating"] == 4.67


def test_summary_stays_storable_while_events_arrive_out_of_order():
    # an update counted before its create: ratings briefly negative, average still 0..5
    summary = summarize({"1": -1, "5": 2})
    assert Decimal(0) <= summary["average_rating"] <= Decimal(5)


def test_rating_moves():
    assert rating_moves("review_created", {"rating": 4}) == {"4": 1}
    assert rating_moves("review_deleted", {"rating": 2}) == {"2": -1}
    assert rating_moves("review_updated", {"rating": 5, "previous_rating": 3}) == {
        "3": -1, "5": 1}
    assert rating_moves("review_updated", {"rating": 3, "previous_rating": 3}) == {"3": 0}
    with pytest.raises(ValueError):
        rating_moves("review_liked", {"rating": 3})


def test_moves_in_any_order_add_up_to_the_summary_of_the_final_ratings():
    """Whatever order the three queues deliver in, the summary equals a recompute."""
    generator = random.Random(7)
    events, final = [], {}
    for review in range(12):
        rating = generator.randint(1, 5)
        events.append(("review_created", {"rating": rating}))
        for _ in range(generator.randint(0, 2)):
            new_rating = generator.randint(1, 5)
            events.append(("review_updated", {"rating": new_rating, "previous_rating": rating}))
            rating = new_rating
        if generator.random() < 0.3:
            events.append(("review_deleted", {"rating": rating}))
        else:
            final[review] = rating
    expected = summarize({str(r): list(final.values()).count(r) for r in range(1, 6)})
    for _ in range(20):
        generator.shuffle(events)
        counts: dict[str, int] = {}
        for event_type, payload in events:
            for rating, move in rating_moves(event_type, payload).items():
                counts[rating] = counts.get(rating, 0) + move
        assert summarize(counts) == expected


def test_summaries_of_every_small_distribution_match_a_direct_average():
    for counts in itertools.product(range(3), repeat=5):
        summary = summarize(dict(zip("12345", counts, strict=True)))
        total = sum(counts)
        assert summary["total_reviews"] == total
        if total:
            direct = sum((i + 1) * c for i, c in enumerate(counts)) / total
            assert abs(float(summary["average_rating"]) - direct) <= 0.005
