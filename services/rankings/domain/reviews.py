"""Reviews: one per user and restaurant, edited or deleted only by their author; likes,
comments, and each restaurant's review summary.

The summary (total_reviews, average_rating, rating_distribution) is kept from
rankings' own review events, each applied once (claimed by event id with its
effect). Every event moves counts between ratings, and moves commute, so events
that arrive out of order (each type has its own queue) still add up to the same
summary as a recompute from the reviews table (`recompute_review_summaries`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from services.rankings.contract.events import (
    REVIEW_COMMENTED,
    REVIEW_CREATED,
    REVIEW_DELETED,
    REVIEW_LIKED,
    REVIEW_UPDATED,
)
from services.rankings.contract.rpc import (
    RATINGS,
    CommentSchema,
    LikeSchema,
    RecomputeResultSchema,
    ReviewSchema,
    ReviewSummarySchema,
)
from services.rankings.domain.users import user_or_404
from shared.errors import Conflict, Forbidden, NotFound
from shared.schemas import paged

review_schema = ReviewSchema()
comment_schema = CommentSchema()
summary_schema = ReviewSummarySchema()

TWO_PLACES = Decimal("0.01")
# who keeps the summaries: one consumer (and processed_events name) per review event
SUMMARY_CONSUMERS = {
    "review_created": "rankings.count_review_created",
    "review_updated": "rankings.count_review_updated",
    "review_deleted": "rankings.count_review_deleted",
}
HIGHEST_RATING = Decimal(len(RATINGS))
# what the summary reads of each review event
RATING_READERS = {
    REVIEW_CREATED.name: REVIEW_CREATED.reader("review_id", "restaurant_id", "rating"),
    REVIEW_UPDATED.name: REVIEW_UPDATED.reader("review_id", "restaurant_id", "rating",
                                               "previous_rating"),
    REVIEW_DELETED.name: REVIEW_DELETED.reader("review_id", "restaurant_id", "rating"),
}


def review_event(review) -> dict:
    """review_created's and review_deleted's payload of a review."""
    return {"review_id": review.id, "user_id": review.user_id,
            "restaurant_id": review.restaurant_id, "rating": review.rating}


def restaurant_or_404(store, restaurant_id: uuid.UUID) -> None:
    if store.known_restaurant(restaurant_id) is None:
        raise NotFound("restaurant not found", {"restaurant_id": str(restaurant_id)})


def review_or_404(store, review_id: uuid.UUID, *, for_update: bool = False):
    review = store.get_review(review_id, for_update=for_update)
    if review is None:
        raise NotFound("review not found", {"review_id": str(review_id)})
    return review


def _authored_review(store, user_id: uuid.UUID, review_id: uuid.UUID):
    """The review, locked, if `user_id` wrote it: only the author edits or deletes."""
    user_or_404(store, user_id)
    review = review_or_404(store, review_id, for_update=True)
    if review.user_id != user_id:
        raise Forbidden("only the author may change this review", {"review_id": str(review_id)})
    return review


def _answer(store, review_id: uuid.UUID) -> dict:
    return review_schema.dump(store.review_view(review_id))


# --- reads -----------------------------------------------------------------------------------

def list_reviews(store, restaurant_id: uuid.UUID, query: dict) -> dict:
    """Newest first."""
    restaurant_or_404(store, restaurant_id)
    found = store.restaurant_reviews(restaurant_id, **query)
    return paged(found, review_schema.dump(found.rows, many=True), query)


def list_comments(store, review_id: uuid.UUID, query: dict) -> dict:
    """Oldest first: a conversation reads down."""
    review_or_404(store, review_id)
    found = store.review_comments(review_id, **query)
    return paged(found, comment_schema.dump(found.rows, many=True), query)


def get_review_summary(store, restaurant_id: uuid.UUID) -> dict:
    """A restaurant nobody reviewed (or not yet heard of) has the empty summary."""
    summary = store.get_review_summary(restaurant_id)
    values = summarize({}) if summary is None else {
        "total_reviews": summary.total_reviews,
        "average_rating": summary.average_rating,
        "rating_distribution": summary.rating_distribution,
    }
    return summary_schema.dump({
        "restaurant_id": restaurant_id,
        "total_reviews": values["total_reviews"],
        "average_rating": values["average_rating"],
        "rating_distribution": {rating: values["rating_distribution"].get(rating, 0)
                                for rating in RATINGS},
    })


# --- writes: each commits with the event it announces --------------------------------------

def create_review(store, user_id: uuid.UUID, restaurant_id: uuid.UUID, fields: dict,
                  idempotency_key: str | None = None) -> dict:
    def apply():
        user_or_404(store, user_id)
        restaurant_or_404(store, restaurant_id)
        review = store.add_review(user_id, restaurant_id, fields)
        store.emit(REVIEW_CREATED, REVIEW_CREATED.dump(review_event(review)))
        return _answer(store, review.id)

    request = {"user_id": user_id, "restaurant_id": restaurant_id, "fields": fields}
    return store.command("create_review", idempotency_key, request, apply)


def update_review(store, user_id: uuid.UUID, review_id: uuid.UUID, fields: dict,
                  idempotency_key: str | None = None) -> dict:
    def apply():
        review = _authored_review(store, user_id, review_id)
        previous_rating = review.rating
        changed = {name: value for name, value in fields.items()
                   if getattr(review, name) != value}
        if changed:  # nothing changed, nothing to announce
            store.update_review(review, changed)
            store.emit(REVIEW_UPDATED, REVIEW_UPDATED.dump(
                {**review_event(review), "previous_rating": previous_rating}))
        return _answer(store, review.id)

    request = {"user_id": user_id, "review_id": review_id, "fields": fields}
    return store.command("update_review", idempotency_key, request, apply)


def delete_review(store, user_id: uuid.UUID, review_id: uuid.UUID,
                  idempotency_key: str | None = None) -> None:
    def apply():
        review = _authored_review(store, user_id, review_id)
        store.delete_review(review)
        store.emit(REVIEW_DELETED, REVIEW_DELETED.dump(review_event(review)))

    store.command("delete_review", idempotency_key,
                  {"user_id": user_id, "review_id": review_id}, apply)


def like_review(store, user_id: uuid.UUID, review_id: uuid.UUID,
                idempotency_key: str | None = None) -> dict:
    def apply():
        user_or_404(store, user_id)
        review = review_or_404(store, review_id)
        if not store.add_like(review_id, user_id):
            raise Conflict("you already like this review", {"review_id": str(review_id)})
        store.emit(REVIEW_LIKED, REVIEW_LIKED.dump(
            {"review_id": review_id, "user_id": user_id, "author_id": review.user_id}))
        return LikeSchema().dump({"review_id": review_id,
                                  "like_count": store.count_likes(review_id)})

    request = {"user_id": user_id, "review_id": review_id}
    return store.command("like_review", idempotency_key, request, apply)


def unlike_review(store, user_id: uuid.UUID, review_id: uuid.UUID,
                  idempotency_key: str | None = None) -> dict:
    def apply():
        user_or_404(store, user_id)
        review_or_404(store, review_id)
        if not store.remove_like(review_id, user_id):
            raise NotFound("you do not like this review", {"review_id": str(review_id)})
        return LikeSchema().dump({"review_id": review_id,
                                  "like_count": store.count_likes(review_id)})

    request = {"user_id": user_id, "review_id": review_id}
    return store.command("unlike_review", idempotency_key, request, apply)


def add_comment(store, user_id: uuid.UUID, review_id: uuid.UUID, fields: dict,
                idempotency_key: str | None = None) -> dict:
    def apply():
        user = user_or_404(store, user_id)
        review = review_or_404(store, review_id)
        comment = store.add_comment(review_id, user_id, fields["content"])
        store.emit(REVIEW_COMMENTED, REVIEW_COMMENTED.dump({
            "review_id": review_id, "comment_id": comment.id, "user_id": user_id,
            "author_id": review.user_id,
        }))
        return comment_schema.dump({
            "id": comment.id, "review_id": review_id, "user_id": user_id,
            "username": user.username, "content": comment.content,
            "created_at": comment.created_at,
        })

    request = {"user_id": user_id, "review_id": review_id, "fields": fields}
    return store.command("add_comment", idempotency_key, request, apply)


# --- the review summary ----------------------------------------------------------------------

def summarize(rating_counts: Mapping) -> dict:
    """A summary's stored values from how many reviews gave each rating (keys 1..5 or "1".."5").

    The average has two decimals, rounded half up, and stays within 0..5 even while
    events that arrived out of order leave a count briefly negative.
    """
    distribution = {rating: int(rating_counts.get(rating, rating_counts.get(int(rating), 0)))
                    for rating in RATINGS}
    total = sum(distribution.values())
    rating_sum = sum(int(rating) * count for rating, count in distribution.items())
    average = Decimal(0)
    if total > 0:
        average = (Decimal(rating_sum) / total).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    average = min(max(average, Decimal(0)), HIGHEST_RATING).quantize(TWO_PLACES)
    return {"total_reviews": total, "rating_sum": rating_sum, "average_rating": average,
            "rating_distribution": distribution}


def rating_moves(event_type: str, payload: dict) -> dict[str, int]:
    """How a review event changes the number of reviews at each rating."""
    rating = str(payload["rating"])
    if event_type == "review_created":
        return {rating: 1}
    if event_type == "review_deleted":
        return {rating: -1}
    if event_type == "review_updated":
        previous = str(payload.get("previous_rating") or payload["rating"])
        moves = {previous: -1}
        moves[rating] = moves.get(rating, 0) + 1
        return moves
    raise ValueError(f"not a review event: {event_type}")


def count_review_event(store, event: dict) -> None:
    """Apply one review_created/updated/deleted to its restaurant's summary, once."""
    payload = RATING_READERS[event["event_type"]].load(event["payload"])
    moves = rating_moves(event["event_type"], payload)
    with store.transaction():
        # the row lock comes before the claim: a recompute locks the summaries, then claims
        summary = store.review_summary_for_update(payload["restaurant_id"])
        if store.first_time(SUMMARY_CONSUMERS[event["event_type"]], event):
            counts = {rating: summary.rating_distribution.get(rating, 0) + moves.get(rating, 0)
                      for rating in RATINGS}
            store.save_review_summary(summary, summarize(counts))


def recompute_review_summaries(store) -> dict:
    """Rebuild every summary from the reviews table (a repair; the events keep them current).

    Review and summary writers wait while it runs. The review events it has thereby
    counted, including those still on their way, are marked handled for the summary
    consumers (they are in the outbox, kept OUTBOX_RETENTION_HOURS), so none is counted twice.
    """
    with store.transaction():
        store.freeze_reviews_and_summaries()
        for event_type, consumer in SUMMARY_CONSUMERS.items():
            store.claim_outbox_events(consumer, event_type)
        summaries = {restaurant_id: summarize(counts)
                     for restaurant_id, counts in store.rating_counts().items()}
        store.replace_review_summaries(summaries, otherwise=summarize({}))
    return RecomputeResultSchema().dump({
        "restaurants": len(summaries),
        "reviews": sum(summary["total_reviews"] for summary in summaries.values()),
    })
