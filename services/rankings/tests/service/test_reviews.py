"""Every reviews RPC against the real broker and PostgreSQL: reviews, likes, comments, and the
review summary kept from rankings' own events (exact under redelivery, equal to a recompute)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import eventlet
import pytest
from sqlalchemy import func, select, update

from services.rankings.contract.events import REVIEW_CREATED
from services.rankings.storage.models import KnownRestaurant, Review, ReviewSummary
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.events import EnvelopePublisher, make_envelope, parse_envelope
from shared.outbox import outbox_table

PHOTO = "https://cdn.example.com/nasi.jpg"
EMPTY = {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}
REVIEW_FIELDS = {"id", "user_id", "username", "restaurant_id", "rating", "content", "photos",
                 "like_count", "comment_count", "created_at", "updated_at"}
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))))


@pytest.fixture
def events(record_events):
    """Bound to rankings.events before the service starts."""
    return record_events("rankings")


@pytest.fixture
def service(events, rankings):
    return rankings


@pytest.fixture
def place(catalog_facts):
    return catalog_facts.restaurant("Warung Review", city="Ipoh")


@pytest.fixture
def users(make_user):
    return {name: make_user(name) for name in ("aisyah", "bala", "chen")}


def wait_for(predicate, timeout: float = 10.0):
    with eventlet.Timeout(timeout):
        while not (result := predicate()):
            eventlet.sleep(0.05)
    return result


def received(events, *event_types: str, count: int = 1) -> list[dict]:
    """The next `count` raw bodies whose type is one of `event_types` (others skipped)."""
    found = []
    with eventlet.Timeout(10):
        while len(found) < count:
            [body] = events.take(1)
            if body["event_type"] in event_types:
                found.append(body)
    return found


def payload(body: dict, event_type: str) -> dict:
    envelope = parse_envelope(body)
    assert (envelope["event_type"], envelope["producer"], envelope["version"]) == (
        event_type, "rankings", 1)
    return envelope["payload"]


def no_more(events, *event_types: str) -> None:
    assert [body for body in events.take_all() if body["event_type"] in event_types] == []


def summary_is(service, restaurant_id: str, total: int, distribution: dict) -> dict | None:
    summary = service.get_review_summary(restaurant_id)
    expected = {**EMPTY, **distribution}
    if summary["total_reviews"] == total and summary["rating_distribution"] == expected:
        return summary
    return None


def stored_summaries(engine) -> dict:
    with engine.connect() as conn:
        return {row.restaurant_id: (row.total_reviews, row.rating_sum, row.average_rating,
                                    row.rating_distribution)
                for row in conn.execute(select(ReviewSummary))}


def summary_row(engine, restaurant_id: str):
    with engine.connect() as conn:
        return conn.execute(select(ReviewSummary)
                            .where(ReviewSummary.restaurant_id == restaurant_id)).first()


def settle_summaries(service, engine, catalog_facts, author: str) -> None:
    """Wait until everything published so far on the review queues has been counted.

    A marker review is created, edited and deleted: its summary row reads all zeros only
    once its three events were counted, and they came after everything before them.
    """
    marker = catalog_facts.restaurant("Marker")
    review = service.create_review(author, marker, {"rating": 1})
    service.update_review(author, review["id"], {"rating": 2})
    service.delete_review(author, review["id"])
    wait_for(lambda: (row := summary_row(engine, marker)) is not None
             and row.total_reviews == 0 and row.rating_distribution == EMPTY)
    eventlet.sleep(0.3)  # a redelivery taken just before the marker has finished too


# --- create_review ---------------------------------------------------------------------------


def test_create_review_answers_the_review_and_announces_it(service, events, users, place):
    review = service.create_review(users["aisyah"], place, {
        "rating": 4, "content": "Sambal on point", "photos": [PHOTO]})
    assert set(review) == REVIEW_FIELDS
    assert {key: review[key] for key in ("user_id", "username", "restaurant_id", "rating",
                                         "content", "photos", "like_count", "comment_count")} == {
        "user_id": users["aisyah"], "username": "aisyah", "restaurant_id": place, "rating": 4,
        "content": "Sambal on point", "photos": [PHOTO], "like_count": 0, "comment_count": 0}
    assert datetime.fromisoformat(review["created_at"]).tzinfo is not None

    [body] = received(events, "review_created")
    assert payload(body, "review_created") == {
        "review_id": review["id"], "user_id": users["aisyah"], "restaurant_id": place,
        "rating": 4}
    wait_for(lambda: summary_is(service, place, 1, {"4": 1}))


def test_create_review_with_only_a_rating(service, users, place):
    review = service.create_review(users["aisyah"], place, {"rating": 5})
    assert (review["content"], review["photos"]) == (None, [])


def test_one_review_per_user_and_restaurant(service, events, users, place):
    service.create_review(users["aisyah"], place, {"rating": 4})
    with pytest.raises(Conflict):
        service.create_review(users["aisyah"], place, {"rating": 2})
    received(events, "review_created")
    no_more(events, "review_created")


def test_racing_reviews_of_one_restaurant_by_one_user_make_one(service, users, place,
                                                               rankings_db_engine):
    replies = [service.create_review.call_async(users["aisyah"], place, {"rating": n % 5 + 1})
               for n in range(6)]
    conflicts = 0
    for reply in replies:
        try:
            reply.result()
        except Conflict:
            conflicts += 1
    assert conflicts == 5
    with rankings_db_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Review)
                           .where(Review.restaurant_id == place)) == 1


def test_create_review_of_an_unknown_or_deleted_restaurant_is_not_found(
        service, users, place, rankings_db_engine):
    with pytest.raises(NotFound) as exc:
        service.create_review(users["aisyah"], str(uuid.uuid4()), {"rating": 4})
    assert exc.value.message == "restaurant not found"
    with rankings_db_engine.begin() as conn:
        conn.execute(update(KnownRestaurant).where(KnownRestaurant.restaurant_id == place)
                     .values(deleted=True))
    with pytest.raises(NotFound):
        service.create_review(users["aisyah"], place, {"rating": 4})


def test_create_review_by_an_unknown_user_is_not_found(service, place):
    with pytest.raises(NotFound) as exc:
        service.create_review(str(uuid.uuid4()), place, {"rating": 4})
    assert exc.value.message == "user not found"


@pytest.mark.parametrize("data", [
    {"rating": "4"}, {"rating": 4.0}, {"rating": 0}, {"rating": 6}, {"rating": True}, {},
    {"rating": 4, "photos": [PHOTO] * 11}, {"rating": 4, "photos": ["javascript:alert(1)"]},
    {"rating": 4, "content": "x" * 5001}, {"rating": 4, "user_id": str(uuid.uuid4())},
])
def test_create_review_refuses_invalid_input(service, users, place, data):
    with pytest.raises(InvalidInput):
        service.create_review(users["aisyah"], place, data)


def test_create_review_refuses_malformed_ids(service, users, place):
    with pytest.raises(InvalidInput) as exc:
        service.create_review("nope", place, {"rating": 4})
    assert list(exc.value.details["fields"]) == ["user_id"]
    with pytest.raises(InvalidInput) as exc:
        service.create_review(users["aisyah"], "nope", {"rating": 4})
    assert list(exc.value.details["fields"]) == ["restaurant_id"]


def test_create_review_retried_with_its_key_makes_one_review(service, events, users, place):
    first = service.create_review(users["aisyah"], place, {"rating": 4}, idempotency_key="r-1")
    assert service.create_review(users["aisyah"], place, {"rating": 4},
                                 idempotency_key="r-1") == first
    received(events, "review_created")
    no_more(events, "review_created")
    with pytest.raises(Conflict):  # the same key for another request
        service.create_review(users["aisyah"], place, {"rating": 5}, idempotency_key="r-1")


# --- list_reviews ----------------------------------------------------------------------------


def test_list_reviews_newest_first_with_authors_likes_and_comments(service, users, place,
                                                                   catalog_facts):
    made = [service.create_review(users[name], place, {"rating": rating})
            for name, rating in (("aisyah", 3), ("bala", 5), ("chen", 4))]
    service.create_review(users["aisyah"], catalog_facts.restaurant("Elsewhere"), {"rating": 1})
    service.like_review(users["bala"], made[0]["id"])
    service.like_review(users["chen"], made[0]["id"])
    service.add_comment(users["chen"], made[0]["id"], {"content": "Agreed"})

    answer = service.list_reviews(place)
    assert (answer["count"], answer["total"], answer["next_offset"]) == (3, 3, None)
    assert [item["id"] for item in answer["items"]] == [review["id"] for review in made[::-1]]
    assert [item["username"] for item in answer["items"]] == ["chen", "bala", "aisyah"]
    oldest = answer["items"][-1]
    assert (oldest["like_count"], oldest["comment_count"]) == (2, 1)

    first_page = service.list_reviews(place, limit=2)
    assert ([item["id"] for item in first_page["items"]], first_page["next_offset"]) == (
        [made[2]["id"], made[1]["id"]], 2)
    second_page = service.list_reviews(place, limit=2, offset=2)
    assert ([item["id"] for item in second_page["items"]], second_page["next_offset"]) == (
        [made[0]["id"]], None)


def test_list_reviews_of_a_restaurant_without_reviews(service, place):
    assert service.list_reviews(place) == {"items": [], "count": 0, "total": 0,
                                           "total_is_estimate": False, "next_offset": None,
                                           "next_cursor": None}


def test_list_reviews_unknown_restaurant_or_bad_paging(service, place):
    with pytest.raises(NotFound):
        service.list_reviews(str(uuid.uuid4()))
    with pytest.raises(InvalidInput):
        service.list_reviews("nope")
    for paging in ({"limit": 51}, {"limit": 0}, {"offset": -1}):
        with pytest.raises(InvalidInput):
            service.list_reviews(place, **paging)


# --- update_review ---------------------------------------------------------------------------


def test_the_author_updates_a_review_and_it_is_announced(service, events, users, place):
    review = service.create_review(users["aisyah"], place, {"rating": 3, "content": "ok"})
    updated = service.update_review(users["aisyah"], review["id"], {
        "rating": 5, "photos": [PHOTO]})
    assert (updated["rating"], updated["content"], updated["photos"]) == (5, "ok", [PHOTO])
    assert updated["updated_at"] > review["updated_at"]
    assert updated["created_at"] == review["created_at"]

    [_, body] = received(events, "review_created", "review_updated", count=2)
    assert payload(body, "review_updated") == {
        "review_id": review["id"], "user_id": users["aisyah"], "restaurant_id": place,
        "rating": 5, "previous_rating": 3}
    wait_for(lambda: summary_is(service, place, 1, {"5": 1}))


def test_an_update_that_changes_nothing_announces_nothing(service, events, users, place):
    review = service.create_review(users["aisyah"], place, {"rating": 3, "content": "ok"})
    assert service.update_review(users["aisyah"], review["id"], {"rating": 3, "content": "ok"}
                                 ) == review
    received(events, "review_created")
    no_more(events, "review_updated")


def test_only_the_author_updates_a_review(service, users, place):
    review = service.create_review(users["aisyah"], place, {"rating": 3})
    with pytest.raises(Forbidden):
        service.update_review(users["bala"], review["id"], {"rating": 1})
    assert service.list_reviews(place)["items"][0]["rating"] == 3


def test_update_review_errors(service, users, place):
    review = service.create_review(users["aisyah"], place, {"rating": 3})
    with pytest.raises(NotFound):
        service.update_review(users["aisyah"], str(uuid.uuid4()), {"rating": 1})
    with pytest.raises(NotFound):
        service.update_review(str(uuid.uuid4()), review["id"], {"rating": 1})
    for data in ({"rating": None}, {"rating": "5"}, {"photos": [PHOTO] * 11},
                 {"restaurant_id": place}):
        with pytest.raises(InvalidInput):
            service.update_review(users["aisyah"], review["id"], data)
    with pytest.raises(InvalidInput):
        service.update_review(users["aisyah"], "nope", {"rating": 1})


# --- delete_review ---------------------------------------------------------------------------


def test_the_author_deletes_a_review_with_its_likes_and_comments(service, events, users, place):
    review = service.create_review(users["aisyah"], place, {"rating": 2})
    service.like_review(users["bala"], review["id"])
    service.add_comment(users["bala"], review["id"], {"content": "Really?"})
    assert service.delete_review(users["aisyah"], review["id"]) is None

    [body] = received(events, "review_deleted")
    assert payload(body, "review_deleted") == {
        "review_id": review["id"], "user_id": users["aisyah"], "restaurant_id": place,
        "rating": 2}
    assert service.list_reviews(place)["total"] == 0
    with pytest.raises(NotFound):
        service.list_comments(review["id"])
    with pytest.raises(NotFound):
        service.delete_review(users["aisyah"], review["id"])
    wait_for(lambda: summary_is(service, place, 0, {}))


def test_only_the_author_deletes_a_review(service, events, users, place):
    review = service.create_review(users["aisyah"], place, {"rating": 2})
    with pytest.raises(Forbidden):
        service.delete_review(users["bala"], review["id"])
    with pytest.raises(NotFound):
        service.delete_review(str(uuid.uuid4()), review["id"])
    assert service.list_reviews(place)["total"] == 1
    no_more(events, "review_deleted")


def test_delete_review_retried_with_its_key_answers_again(service, events, users, place):
    review = service.create_review(users["aisyah"], place, {"rating": 2})
    service.delete_review(users["aisyah"], review["id"], idempotency_key="del-1")
    assert service.delete_review(users["aisyah"], review["id"], idempotency_key="del-1") is None
    received(events, "review_deleted")
    no_more(events, "review_deleted")


# --- likes -----------------------------------------------------------------------------------


def test_likes_count_once_per_user_and_are_announced(service, events, users, place):
    review = service.create_review(users["aisyah"], place, {"rating": 4})
    assert service.like_review(users["bala"], review["id"]) == {
        "review_id": review["id"], "like_count": 1}
    [body] = received(events, "review_liked")
    assert payload(body, "review_liked") == {
        "review_id": review["id"], "user_id": users["bala"], "author_id": users["aisyah"]}

    with pytest.raises(Conflict):
        service.like_review(users["bala"], review["id"])
    assert service.like_review(users["chen"], review["id"])["like_count"] == 2
    assert service.unlike_review(users["bala"], review["id"]) == {
        "review_id": review["id"], "like_count": 1}
    with pytest.raises(NotFound):
        service.unlike_review(users["bala"], review["id"])
    assert service.list_reviews(place)["items"][0]["like_count"] == 1
    received(events, "review_liked")  # chen's
    no_more(events, "review_liked")


def test_like_errors(service, users, place):
    review = service.create_review(users["aisyah"], place, {"rating": 4})
    for call in (service.like_review, service.unlike_review):
        with pytest.raises(NotFound):
            call(users["bala"], str(uuid.uuid4()))
        with pytest.raises(NotFound):
            call(str(uuid.uuid4()), review["id"])
        with pytest.raises(InvalidInput):
            call(users["bala"], "nope")


def test_like_retried_with_its_key_is_not_a_conflict(service, events, users, place):
    review = service.create_review(users["aisyah"], place, {"rating": 4})
    first = service.like_review(users["bala"], review["id"], idempotency_key="like-1")
    assert service.like_review(users["bala"], review["id"], idempotency_key="like-1") == first
    received(events, "review_liked")
    no_more(events, "review_liked")
    service.unlike_review(users["bala"], review["id"], idempotency_key="unlike-1")
    assert service.unlike_review(users["bala"], review["id"], idempotency_key="unlike-1") == {
        "review_id": review["id"], "like_count": 0}


# --- comments --------------------------------------------------------------------------------


def test_comments_are_added_announced_and_listed_oldest_first(service, events, users, place):
    review = service.create_review(users["aisyah"], place, {"rating": 4})
    first = service.add_comment(users["bala"], review["id"], {"content": "Which branch?"})
    assert set(first) == {"id", "review_id", "user_id", "username", "content", "created_at"}
    assert (first["review_id"], first["user_id"], first["username"], first["content"]) == (
        review["id"], users["bala"], "bala", "Which branch?")
    [body] = received(events, "review_commented")
    assert payload(body, "review_commented") == {
        "review_id": review["id"], "comment_id": first["id"], "user_id": users["bala"],
        "author_id": users["aisyah"]}

    second = service.add_comment(users["aisyah"], review["id"], {"content": "Jalan Sultan"})
    third = service.add_comment(users["chen"], review["id"], {"content": "Thanks!"})
    answer = service.list_comments(review["id"])
    assert [item["id"] for item in answer["items"]] == [first["id"], second["id"], third["id"]]
    assert answer["items"][1]["username"] == "aisyah"
    assert (answer["total"], answer["next_offset"]) == (3, None)
    page = service.list_comments(review["id"], limit=2, offset=1)
    assert ([item["id"] for item in page["items"]], page["next_offset"]) == (
        [second["id"], third["id"]], None)
    assert service.list_reviews(place)["items"][0]["comment_count"] == 3


def test_comment_errors(service, events, users, place):
    review = service.create_review(users["aisyah"], place, {"rating": 4})
    for data in ({"content": ""}, {"content": "   "}, {"content": "x" * 2001}, {},
                 {"content": "hi", "rating": 5}):
        with pytest.raises(InvalidInput):
            service.add_comment(users["bala"], review["id"], data)
    with pytest.raises(NotFound):
        service.add_comment(users["bala"], str(uuid.uuid4()), {"content": "hi"})
    with pytest.raises(NotFound):
        service.add_comment(str(uuid.uuid4()), review["id"], {"content": "hi"})
    with pytest.raises(NotFound):
        service.list_comments(str(uuid.uuid4()))
    with pytest.raises(InvalidInput):
        service.list_comments(review["id"], limit=101)
    no_more(events, "review_commented")


def test_comment_retried_with_its_key_is_added_once(service, events, users, place):
    review = service.create_review(users["aisyah"], place, {"rating": 4})
    first = service.add_comment(users["bala"], review["id"], {"content": "hi"},
                                idempotency_key="c-1")
    assert service.add_comment(users["bala"], review["id"], {"content": "hi"},
                               idempotency_key="c-1") == first
    assert service.list_comments(review["id"])["total"] == 1
    received(events, "review_commented")
    no_more(events, "review_commented")


# --- the review summary ----------------------------------------------------------------------


def test_summary_of_a_restaurant_nobody_reviewed(service, place):
    assert service.get_review_summary(place) == {
        "restaurant_id": place, "total_reviews": 0, "average_rating": 0.0,
        "rating_distribution": EMPTY}
    with pytest.raises(InvalidInput):
        service.get_review_summary("nope")


def test_summary_follows_creates_updates_and_deletes_and_equals_a_recompute(
        service, users, place, catalog_facts, rankings_db_engine):
    other = catalog_facts.restaurant("Other Place")
    aisyah = service.create_review(users["aisyah"], place, {"rating": 5})
    bala = service.create_review(users["bala"], place, {"rating": 4})
    service.create_review(users["chen"], place, {"rating": 4})
    service.create_review(users["aisyah"], other, {"rating": 1})
    summary = wait_for(lambda: summary_is(service, place, 3, {"4": 2, "5": 1}))
    assert summary["average_rating"] == 4.33

    service.update_review(users["bala"], bala["id"], {"rating": 2})
    summary = wait_for(lambda: summary_is(service, place, 3, {"2": 1, "4": 1, "5": 1}))
    assert summary["average_rating"] == 3.67

    service.delete_review(users["aisyah"], aisyah["id"])
    summary = wait_for(lambda: summary_is(service, place, 2, {"2": 1, "4": 1}))
    assert summary["average_rating"] == 3.0
    wait_for(lambda: summary_is(service, other, 1, {"1": 1}))

    incremental = stored_summaries(rankings_db_engine)
    answers = {restaurant: service.get_review_summary(restaurant) for restaurant in (place, other)}
    assert service.recompute_review_summaries() == {"restaurants": 2, "reviews": 3}
    assert stored_summaries(rankings_db_engine) == incremental
    assert {restaurant: service.get_review_summary(restaurant)
            for restaurant in (place, other)} == answers


def test_summary_is_exact_when_review_events_are_delivered_twice(
        service, events, users, place, catalog_facts, rankings_db_engine, rankings_config):
    first = service.create_review(users["aisyah"], place, {"rating": 4})
    second = service.create_review(users["bala"], place, {"rating": 2})
    service.update_review(users["aisyah"], first["id"], {"rating": 5})
    service.delete_review(users["bala"], second["id"])
    bodies = received(events, "review_created", "review_updated", "review_deleted", count=4)
    wait_for(lambda: summary_is(service, place, 1, {"5": 1}))

    publisher = EnvelopePublisher(rankings_config["AMQP_URI"], "rankings")
    for body in bodies + bodies:
        publisher.publish(body)
    settle_summaries(service, rankings_db_engine, catalog_facts, users["chen"])

    summary = service.get_review_summary(place)
    assert (summary["total_reviews"], summary["average_rating"],
            summary["rating_distribution"]) == (1, 5.0, {**EMPTY, "5": 1})
    before = stored_summaries(rankings_db_engine)
    service.recompute_review_summaries()
    assert stored_summaries(rankings_db_engine) == before


def test_the_recompute_job_repairs_summaries_from_the_reviews_table(
        service, users, place, rankings_db_engine, rankings_config):
    service.create_review(users["aisyah"], place, {"rating": 5})
    service.create_review(users["bala"], place, {"rating": 2})
    wait_for(lambda: summary_is(service, place, 2, {"2": 1, "5": 1}))
    correct = stored_summaries(rankings_db_engine)
    never_reviewed = uuid.uuid4()
    with rankings_db_engine.begin() as conn:  # drift, however it happened
        conn.execute(update(ReviewSummary).values(
            total_reviews=9, rating_sum=9, average_rating=1,
            rating_distribution={**EMPTY, "1": 9}))
        conn.execute(ReviewSummary.__table__.insert().values(
            restaurant_id=never_reviewed, total_reviews=1, rating_sum=3, average_rating=3,
            rating_distribution={**EMPTY, "3": 1}))

    job = subprocess.run(
        [sys.executable, "-m", "services.rankings.jobs", "recompute-review-summaries"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "RANKINGS_DATABASE_URL": rankings_config["DATABASE_URL"]})
    assert job.returncode == 0, job.stderr
    assert json.loads(job.stdout) == {"restaurants": 1, "reviews": 2}
    assert stored_summaries(rankings_db_engine) == {
        **correct, never_reviewed: (0, 0, Decimal("0.00"), EMPTY)}


def test_an_event_still_on_its_way_during_a_recompute_is_not_counted_twice(
        service, users, place, catalog_facts, rankings_db_engine, rankings_config):
    """A review committed before the recompute whose event arrives after it."""
    review_id = uuid.uuid4()
    envelope = make_envelope(REVIEW_CREATED, {
        "review_id": str(review_id), "user_id": users["aisyah"], "restaurant_id": place,
        "rating": 3})
    with rankings_db_engine.begin() as conn:  # committed; the relay has not published it yet
        conn.execute(Review.__table__.insert().values(
            id=review_id, user_id=users["aisyah"], restaurant_id=place, rating=3))
        conn.execute(outbox_table.insert().values(
            event_id=envelope["event_id"], event_type="review_created", envelope=envelope,
            published_at=datetime.now(UTC)))

    service.recompute_review_summaries()
    assert summary_is(service, place, 1, {"3": 1})
    EnvelopePublisher(rankings_config["AMQP_URI"], "rankings").publish(envelope)
    settle_summaries(service, rankings_db_engine, catalog_facts, users["chen"])
    assert summary_is(service, place, 1, {"3": 1})
