"""Rankings tables (PostgreSQL). Migrations in migrations/versions mirror these."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.rankings.contract.rpc import MAX_RANK


class Base(DeclarativeBase):
    pass


def created_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


def updated_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(),
                         onupdate=func.now(), nullable=False)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        Index("uq_users_email_lower", text("lower(email)"), unique=True),
        Index("uq_users_username_lower", text("lower(username)"), unique=True),
        CheckConstraint("role IN ('user', 'admin')", name="ck_users_role"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True,
                                          default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    username: Mapped[str] = mapped_column(String(50), nullable=False)
    display_name: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    bio: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(100))
    profile_image_url: Mapped[str | None] = mapped_column(String(500))
    # whether anyone may read their ranking history; off until they turn it on (0005)
    history_public: Mapped[bool] = mapped_column(Boolean, nullable=False,
                                                 server_default="false")
    role: Mapped[str] = mapped_column(String(20), nullable=False, server_default="user")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class Session(Base):
    """A signed-in session: one refresh token at a time of a family (rotated on each use:
    its predecessors stay, rotated, so a reused one is told apart from an unknown one).
    Only the token's SHA-256 is kept."""

    __tablename__ = "sessions"
    __table_args__ = (
        Index("uq_sessions_token_hash", "token_hash", unique=True),
        Index("idx_sessions_family", "family_id"),
        Index("idx_sessions_user", "user_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True,
                                          default=uuid.uuid4)
    family_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = created_at()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --- what rankings knows of the catalog, kept from catalog's events ------------------------

class KnownRestaurant(Base):
    __tablename__ = "known_restaurants"
    __table_args__ = (Index("idx_known_restaurants_city", "city"),)

    restaurant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    city: Mapped[str | None] = mapped_column(String(100))
    cuisine_type: Mapped[list[str]] = mapped_column(ARRAY(String(100)), nullable=False,
                                                    server_default="{}")
    deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    # the catalog's updated_at of the version kept: an older event never overwrites a newer
    source_updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class KnownDish(Base):
    __tablename__ = "known_dishes"
    __table_args__ = (
        Index("idx_known_dishes_type", "dish_type"),
        Index("idx_known_dishes_restaurant", "restaurant_id"),
    )

    dish_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    restaurant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    dish_type: Mapped[str] = mapped_column(String(100), nullable=False)
    deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    source_updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


# --- one-best rankings ---------------------------------------------------------------------

class DishRanking(Base):
    """A dish a user tried: ranked 1..5 in its dish_type's list, or given a taste status."""

    __tablename__ = "dish_rankings"
    __table_args__ = (
        UniqueConstraint("user_id", "dish_id", name="uq_dish_rankings_user_dish"),
        # ranks 1..n without duplicates; deferred so a cascade may pass through a
        # duplicate inside its transaction (the no-gap half is a constraint trigger)
        UniqueConstraint("user_id", "dish_type", "rank", name="uq_dish_rankings_list_rank",
                         deferrable=True, initially="DEFERRED"),
        CheckConstraint(f"rank BETWEEN 1 AND {MAX_RANK}", name="ck_dish_rankings_rank"),
        CheckConstraint("(rank IS NULL) <> (taste_status IS NULL)",
                        name="ck_dish_rankings_rank_xor_taste"),
        CheckConstraint("taste_status IN ('ACCEPTABLE', 'SECOND_CHANCE', 'DISSATISFIED')",
                        name="ck_dish_rankings_taste_status"),
        Index("idx_rankings_user_dish_type", "user_id", "dish_type"),
        Index("idx_rankings_dish", "dish_id"),
        Index("idx_rankings_restaurant_dish_type", "restaurant_id", "dish_type"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True,
                                          default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    dish_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    dish_type: Mapped[str] = mapped_column(String(100), nullable=False)
    restaurant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    rank: Mapped[int | None] = mapped_column(Integer)
    taste_status: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    photo_urls: Mapped[list[str]] = mapped_column(ARRAY(String(500)), nullable=False,
                                                  server_default="{}")
    # when the dish took its current rank: the age in the best-dishes decay
    ranked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class RankingHistory(Base):
    __tablename__ = "ranking_history"
    __table_args__ = (
        # one user's history of one dish type, and of all (migration 0005), newest first
        Index("idx_ranking_history_user", "user_id", "dish_type", "id"),
        Index("idx_ranking_history_user_all", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    dish_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    dish_type: Mapped[str] = mapped_column(String(100), nullable=False)
    restaurant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    # placed, moved, shifted, dropped (pushed past 5), removed, tasted
    change: Mapped[str] = mapped_column(String(20), nullable=False)
    old_rank: Mapped[int | None] = mapped_column(Integer)
    new_rank: Mapped[int | None] = mapped_column(Integer)
    old_taste_status: Mapped[str | None] = mapped_column(String(20))
    new_taste_status: Mapped[str | None] = mapped_column(String(20))
    changed_at: Mapped[datetime] = created_at()


# --- reviews -------------------------------------------------------------------------------

class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("user_id", "restaurant_id", name="uq_reviews_user_restaurant"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="ck_reviews_rating"),
        # a restaurant's reviews in their list's order, its cursor's key (migration 0002)
        Index("idx_reviews_restaurant_order", "restaurant_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True,
                                          default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    restaurant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    rating: Mapped[int] = mapped_column(Integer, nullable=False)
    content: Mapped[str | None] = mapped_column(Text)
    photos: Mapped[list[str]] = mapped_column(ARRAY(String(500)), nullable=False,
                                              server_default="{}")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class ReviewLike(Base):
    __tablename__ = "review_likes"
    __table_args__ = (PrimaryKeyConstraint("review_id", "user_id"),)

    review_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("reviews.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = created_at()


class ReviewComment(Base):
    __tablename__ = "review_comments"
    # a review's comments in their list's order, its cursor's key (migration 0002)
    __table_args__ = (Index("idx_review_comments_review_order", "review_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True,
                                          default=uuid.uuid4)
    review_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("reviews.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class ReviewSummary(Base):
    """Per restaurant, from review ratings (seed 000's restaurant_analytics_summary)."""

    __tablename__ = "restaurant_review_summaries"

    restaurant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    total_reviews: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    rating_sum: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    average_rating: Mapped[Decimal] = mapped_column(Numeric(3, 2), nullable=False,
                                                    server_default="0")
    rating_distribution: Mapped[dict] = mapped_column(
        JSONB, nullable=False,
        server_default=text("""'{"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}'::jsonb"""))
    last_updated: Mapped[datetime] = updated_at()


# --- follows -------------------------------------------------------------------------------

class Follow(Base):
    __tablename__ = "follows"
    __table_args__ = (
        PrimaryKeyConstraint("follower_id", "followed_id"),
        CheckConstraint("follower_id <> followed_id", name="ck_follows_not_self"),
        # a user's followers, and whom they follow, in their lists' order, each cursor's
        # key (migration 0002)
        Index("idx_follows_followed_order", "followed_id", "created_at", "follower_id"),
        Index("idx_follows_follower_order", "follower_id", "created_at", "followed_id"),
    )

    follower_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"))
    followed_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = created_at()


# --- favorites -----------------------------------------------------------------------------

class Favorite(Base):
    """A restaurant a user keeps as a favorite (once: favoriting it again changes nothing)."""

    __tablename__ = "favorites"
    __table_args__ = (
        PrimaryKeyConstraint("user_id", "restaurant_id"),
        # a user's favorites in their list's order, its cursor's key (migration 0006)
        Index("idx_favorites_user_order", "user_id", "created_at", "restaurant_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"))
    restaurant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = created_at()


# --- points, badges, careers ---------------------------------------------------------------

class ActivityPoints(Base):
    """One row per award; the unique cause makes each award happen once."""

    __tablename__ = "user_activity_points"
    __table_args__ = (
        UniqueConstraint("user_id", "activity_type", "reference_id",
                         name="uq_activity_points_cause"),
        Index("idx_activity_points_user", "user_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True,
                                          default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    activity_type: Mapped[str] = mapped_column(String(50), nullable=False)
    points: Mapped[int] = mapped_column(Integer, nullable=False)
    reference_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    awarded_at: Mapped[datetime] = created_at()


class Badge(Base):
    __tablename__ = "badges"

    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)


class UserBadge(Base):
    __tablename__ = "user_badges"
    __table_args__ = (PrimaryKeyConstraint("user_id", "badge_code"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"))
    badge_code: Mapped[str] = mapped_column(String(50), ForeignKey("badges.code"))
    awarded_at: Mapped[datetime] = created_at()


class CareerLevel(Base):
    __tablename__ = "career_levels"

    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    required_rankings: Mapped[int] = mapped_column(Integer, nullable=False)
    required_cuisines: Mapped[int] = mapped_column(Integer, nullable=False)
