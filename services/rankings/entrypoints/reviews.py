"""The rankings service's reviews entrypoints (mixed into RankingsService)."""

from __future__ import annotations

from services.rankings.contract.events import REVIEW_CREATED, REVIEW_DELETED, REVIEW_UPDATED
from services.rankings.contract.rpc import (
    CommentInput,
    CommentsQuery,
    ReviewInput,
    ReviewsQuery,
)
from services.rankings.domain import reviews
from shared.consumer import consume_event
from shared.rpc import service_rpc
from shared.schemas import load, parse_id


class ReviewsEntrypoints:
    """Entrypoints only: validate, call the domain with `self.store`, return."""

    # --- reviews ----------------------------------------------------------------------------

    @service_rpc
    def list_reviews(self, restaurant_id: str, **query) -> dict:
        return reviews.list_reviews(self.store, parse_id(restaurant_id, "restaurant_id"),
                                    load(ReviewsQuery, query))

    @service_rpc
    def create_review(self, user_id: str, restaurant_id: str, data: dict,
                      idempotency_key: str | None = None) -> dict:
        fields = load(ReviewInput, data)
        return reviews.create_review(self.store, parse_id(user_id, "user_id"),
                                     parse_id(restaurant_id, "restaurant_id"), fields,
                                     idempotency_key)

    @service_rpc
    def update_review(self, user_id: str, review_id: str, data: dict,
                      idempotency_key: str | None = None) -> dict:
        fields = load(ReviewInput, data, partial=True)
        return reviews.update_review(self.store, parse_id(user_id, "user_id"),
                                     parse_id(review_id, "review_id"), fields, idempotency_key)

    @service_rpc
    def delete_review(self, user_id: str, review_id: str,
                      idempotency_key: str | None = None) -> None:
        reviews.delete_review(self.store, parse_id(user_id, "user_id"),
                              parse_id(review_id, "review_id"), idempotency_key)

    # --- likes and comments -----------------------------------------------------------------

    @service_rpc
    def like_review(self, user_id: str, review_id: str,
                    idempotency_key: str | None = None) -> dict:
        return reviews.like_review(self.store, parse_id(user_id, "user_id"),
                                   parse_id(review_id, "review_id"), idempotency_key)

    @service_rpc
    def unlike_review(self, user_id: str, review_id: str,
                      idempotency_key: str | None = None) -> dict:
        return reviews.unlike_review(self.store, parse_id(user_id, "user_id"),
                                     parse_id(review_id, "review_id"), idempotency_key)

    @service_rpc
    def list_comments(self, review_id: str, **query) -> dict:
        return reviews.list_comments(self.store, parse_id(review_id, "review_id"),
                                     load(CommentsQuery, query))

    @service_rpc
    def add_comment(self, user_id: str, review_id: str, data: dict,
                    idempotency_key: str | None = None) -> dict:
        fields = load(CommentInput, data)
        return reviews.add_comment(self.store, parse_id(user_id, "user_id"),
                                   parse_id(review_id, "review_id"), fields, idempotency_key)

    # --- the review summary -----------------------------------------------------------------

    @service_rpc
    def get_review_summary(self, restaurant_id: str) -> dict:
        return reviews.get_review_summary(self.store, parse_id(restaurant_id, "restaurant_id"))

    @service_rpc
    def recompute_review_summaries(self) -> dict:
        return reviews.recompute_review_summaries(self.store)

    # rankings' own review events keep the summaries (each once: see domain.reviews)
    @consume_event(REVIEW_CREATED)
    def count_review_created(self, event):
        reviews.count_review_event(self.store, event)

    @consume_event(REVIEW_UPDATED)
    def count_review_updated(self, event):
        reviews.count_review_event(self.store, event)

    @consume_event(REVIEW_DELETED)
    def count_review_deleted(self, event):
        reviews.count_review_event(self.store, event)
