"""Where rankings stores its rewards (queries; part of RankingsStore)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import distinct, func, select, true
from sqlalchemy.dialects.postgresql import insert

from services.rankings.storage.models import (
    ActivityPoints,
    Badge,
    CareerLevel,
    KnownRestaurant,
    RankingHistory,
    User,
    UserBadge,
)

# pg_advisory_xact_lock(REWARDS_LOCK_SPACE, hashtext(user_id)): the two-key form, so it
# never collides with single-key advisory locks taken elsewhere
REWARDS_LOCK_SPACE = 4_251


class RewardsQueries:
    """Mixed into RankingsStore: `self.session` is the worker's SQLAlchemy session."""

    def user_exists_for_rewards(self, user_id: uuid.UUID) -> bool:
        return self.session.scalar(select(User.id).where(User.id == user_id)) is not None

    def lock_rewards_of(self, user_id: uuid.UUID) -> None:
        """Serialize one user's awards until commit: totals and badge checks see each other."""
        self.session.execute(select(func.pg_advisory_xact_lock(
            REWARDS_LOCK_SPACE, func.hashtext(str(user_id)))))

    def award_points(self, user_id: uuid.UUID, activity_type: str, reference_id: uuid.UUID,
                     points: int) -> bool:
        """True if this award is new; False if this cause was already rewarded."""
        return self.session.execute(
            insert(ActivityPoints)
            .values(user_id=user_id, activity_type=activity_type, reference_id=reference_id,
                    points=points)
            .on_conflict_do_nothing(constraint="uq_activity_points_cause")
            .returning(ActivityPoints.id)
        ).first() is not None

    def points_total(self, user_id: uuid.UUID) -> int:
        return self.session.scalar(
            select(func.coalesce(func.sum(ActivityPoints.points), 0))
            .where(ActivityPoints.user_id == user_id))

    def ranking_record(self, user_id: uuid.UUID) -> dict:
        """{dishes, best_type_restaurants, cuisines} over every dish the user ever ranked.

        Read from ranking_history, not from the points' references joined with known_dishes:
        history rows are immutable facts (the list's dish_type, the dish's restaurant) written
        in the transaction that emitted dish_ranked, so they already hold the dish an event is
        about and they never change, while a catalog deletion blanks a known_dishes row
        (dish_type "", nil restaurant), which would shrink progress and careers. And unlike
        counting this consumer's own awards, concurrent awards cannot hide each other's dish.
        """
        ranked = (
            select(RankingHistory.dish_id, RankingHistory.dish_type,
                   RankingHistory.restaurant_id)
            .where(RankingHistory.user_id == user_id, RankingHistory.new_rank.is_not(None))
            .distinct()
            .subquery()
        )
        dishes = select(func.count(distinct(ranked.c.dish_id))).scalar_subquery()
        per_type = (
            select(func.count(distinct(ranked.c.restaurant_id)).label("restaurants"))
            .group_by(ranked.c.dish_type)
            .subquery()
        )
        best_type = select(func.coalesce(func.max(per_type.c.restaurants), 0)).scalar_subquery()
        cuisine = (func.unnest(KnownRestaurant.cuisine_type).table_valued("label")
                   .render_derived(name="cuisine").lateral())
        cuisines = (
            select(func.count(distinct(func.lower(cuisine.c.label))))
            .select_from(ranked)
            .join(KnownRestaurant, KnownRestaurant.restaurant_id == ranked.c.restaurant_id)
            .join(cuisine, true())
            .scalar_subquery()
        )
        row = self.session.execute(select(dishes, best_type, cuisines)).one()
        return {"dishes": row[0], "best_type_restaurants": row[1], "cuisines": row[2]}

    def award_badge(self, user_id: uuid.UUID, badge_code: str) -> bool:
        """True if the user just earned it; False if they already had it."""
        return self.session.execute(
            insert(UserBadge)
            .values(user_id=user_id, badge_code=badge_code)
            .on_conflict_do_nothing()
            .returning(UserBadge.badge_code)
        ).first() is not None

    def badges_of(self, user_id: uuid.UUID) -> list[tuple[Badge, datetime | None]]:
        """Every badge, with when the user earned it (None if not yet)."""
        rows = self.session.execute(
            select(Badge, UserBadge.awarded_at)
            .outerjoin(UserBadge, (UserBadge.badge_code == Badge.code)
                       & (UserBadge.user_id == user_id))
            .order_by(Badge.code)
        ).all()
        return [(badge, awarded_at) for badge, awarded_at in rows]

    def career_levels(self) -> list[CareerLevel]:
        return list(self.session.scalars(select(CareerLevel).order_by(CareerLevel.level)))
