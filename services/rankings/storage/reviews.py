"""Where rankings stores its reviews, likes, comments and review summaries
(queries; part of RankingsStore)."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import delete, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from services.rankings.contract.rpc import COMMENTS_ORDER, REVIEWS_ORDER
from services.rankings.storage.models import Review, ReviewComment, ReviewLike, ReviewSummary, User
from shared.errors import Conflict
from shared.idempotency import processed_events
from shared.outbox import outbox_table
from shared.pages import Keyset, Page, fetch_page

ONE_REVIEW_PER_RESTAURANT = "uq_reviews_user_restaurant"
# each list's order, as its index (storage.models) holds one restaurant's or review's rows
REVIEWS = Keyset(REVIEWS_ORDER[0], (Review.created_at, Review.id), descending=True)
COMMENTS = Keyset(COMMENTS_ORDER[0], (ReviewComment.created_at, ReviewComment.id))


def _like_count(review_id):
    return (select(func.count()).select_from(ReviewLike)
            .where(ReviewLike.review_id == review_id).scalar_subquery())


def _comment_count(review_id):
    return (select(func.count()).select_from(ReviewComment)
            .where(ReviewComment.review_id == review_id).scalar_subquery())


def _review_views():
    """Reviews with what an answer shows beside them: author's username, likes, comments."""
    return (
        select(Review, User.username, _like_count(Review.id).label("like_count"),
               _comment_count(Review.id).label("comment_count"))
        .join(User, User.id == Review.user_id)
    )


def _as_view(row) -> dict:
    review, username, like_count, comment_count = row
    return {**{column.key: getattr(review, column.key) for column in Review.__table__.columns},
            "username": username, "like_count": like_count, "comment_count": comment_count}


class ReviewsQueries:
    """Mixed into RankingsStore: `self.session` is the worker's SQLAlchemy session."""

    # --- reviews ------------------------------------------------------------------------------

    def get_review(self, review_id: uuid.UUID, *, for_update: bool = False) -> Review | None:
        return self.session.get(Review, review_id, with_for_update=for_update)

    def review_view(self, review_id: uuid.UUID) -> dict | None:
        """The review as answers show it (see ReviewSchema), or None."""
        row = self.session.execute(_review_views().where(Review.id == review_id)).first()
        return _as_view(row) if row else None

    def restaurant_reviews(self, restaurant_id: uuid.UUID, *, limit: int, offset: int,
                           cursor: tuple | None = None) -> Page:
        """Page of review views (see review_view), newest first."""
        found = fetch_page(self.session,
                           _review_views().where(Review.restaurant_id == restaurant_id),
                           REVIEWS, limit, offset, cursor)
        return Page([_as_view(row) for row in found.rows], found.total, found.next_cursor)

    def add_review(self, user_id: uuid.UUID, restaurant_id: uuid.UUID, fields: dict) -> Review:
        """Conflict if the user has reviewed this restaurant (the unique constraint decides)."""
        review = Review(user_id=user_id, restaurant_id=restaurant_id, **fields)
        self.session.add(review)
        try:
            self.session.flush()
        except IntegrityError as exc:
            constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
            if constraint != ONE_REVIEW_PER_RESTAURANT:
                raise
            raise Conflict("you have already reviewed this restaurant",
                           {"restaurant_id": str(restaurant_id)}) from None
        return review

    def update_review(self, review: Review, fields: dict) -> Review:
        for name, value in fields.items():
            setattr(review, name, value)
        self.session.flush()
        return review

    def delete_review(self, review: Review) -> None:
        """Its likes and comments go with it (ON DELETE CASCADE)."""
        self.session.delete(review)
        self.session.flush()

    # --- likes --------------------------------------------------------------------------------

    def add_like(self, review_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        """False if this user already likes the review."""
        return self.session.execute(
            insert(ReviewLike).values(review_id=review_id, user_id=user_id)
            .on_conflict_do_nothing().returning(ReviewLike.user_id)
        ).first() is not None

    def remove_like(self, review_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        """False if this user did not like the review."""
        return self.session.execute(
            delete(ReviewLike).where(ReviewLike.review_id == review_id,
                                     ReviewLike.user_id == user_id)
            .returning(ReviewLike.user_id)
        ).first() is not None

    def count_likes(self, review_id: uuid.UUID) -> int:
        return self.session.scalar(select(_like_count(review_id)))

    # --- comments -----------------------------------------------------------------------------

    def add_comment(self, review_id: uuid.UUID, user_id: uuid.UUID, content: str
                    ) -> ReviewComment:
        comment = ReviewComment(review_id=review_id, user_id=user_id, content=content)
        self.session.add(comment)
        self.session.flush()
        self.session.refresh(comment)
        return comment

    def review_comments(self, review_id: uuid.UUID, *, limit: int, offset: int,
                        cursor: tuple | None = None) -> Page:
        """Page of comments, oldest first, each with its author's username."""
        query = (select(ReviewComment, User.username)
                 .join(User, User.id == ReviewComment.user_id)
                 .where(ReviewComment.review_id == review_id))
        found = fetch_page(self.session, query, COMMENTS, limit, offset, cursor)
        return Page([{**_comment_columns(comment), "username": username}
                     for comment, username in found.rows], found.total, found.next_cursor)

    # --- summaries ----------------------------------------------------------------------------

    def get_review_summary(self, restaurant_id: uuid.UUID) -> ReviewSummary | None:
        return self.session.get(ReviewSummary, restaurant_id)

    def review_summary_for_update(self, restaurant_id: uuid.UUID) -> ReviewSummary:
        """The restaurant's summary row (created empty if absent), locked until commit."""
        self.session.execute(insert(ReviewSummary).values(restaurant_id=restaurant_id)
                             .on_conflict_do_nothing())
        return self.session.get(ReviewSummary, restaurant_id, with_for_update=True,
                                populate_existing=True)

    def save_review_summary(self, summary: ReviewSummary, values: dict) -> None:
        for name, value in values.items():
            setattr(summary, name, value)
        self.session.flush()

    def freeze_reviews_and_summaries(self) -> None:
        """Until this transaction ends, nobody writes a review or a summary (a full recompute).

        Writers already inside a transaction are waited for, so every review change that
        committed is visible, and its event is in the outbox.
        """
        self.session.execute(text(f"LOCK TABLE {Review.__tablename__} IN SHARE MODE"))
        self.session.execute(text(
            f"LOCK TABLE {ReviewSummary.__tablename__} IN SHARE ROW EXCLUSIVE MODE"))

    def claim_outbox_events(self, consumer: str, event_type: str) -> None:
        """Mark every `event_type` event still in the outbox as handled by `consumer`."""
        self.session.execute(
            insert(processed_events).from_select(
                ["consumer", "event_id"],
                select(literal(consumer), outbox_table.c.event_id)
                .where(outbox_table.c.event_type == event_type))
            .on_conflict_do_nothing())

    def rating_counts(self) -> dict[uuid.UUID, dict[int, int]]:
        """For every reviewed restaurant, how many reviews gave each rating (from reviews)."""
        counts: dict[uuid.UUID, dict[int, int]] = defaultdict(dict)
        for restaurant_id, rating, count in self.session.execute(
            select(Review.restaurant_id, Review.rating, func.count())
            .group_by(Review.restaurant_id, Review.rating)
        ):
            counts[restaurant_id][rating] = count
        return dict(counts)

    def replace_review_summaries(self, summaries: dict[uuid.UUID, dict], otherwise: dict
                                 ) -> None:
        """Each restaurant in `summaries` gets its values; every other summary row `otherwise`."""
        self.session.execute(update(ReviewSummary).values(**otherwise))
        if summaries:
            statement = insert(ReviewSummary)
            self.session.execute(
                statement.on_conflict_do_update(
                    index_elements=[ReviewSummary.restaurant_id],
                    set_={name: statement.excluded[name] for name in otherwise}),
                [{"restaurant_id": restaurant_id, **values}
                 for restaurant_id, values in summaries.items()])


def _comment_columns(comment: ReviewComment) -> dict:
    return {column.key: getattr(comment, column.key)
            for column in ReviewComment.__table__.columns}
