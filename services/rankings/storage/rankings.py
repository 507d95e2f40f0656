"""Where rankings keeps the one-best lists: dish_rankings, and ranking_history for every change."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import DateTime, Numeric, and_, cast, exists, extract, func, literal, select

from services.rankings.contract.rpc import (
    BEST_DISHES_ORDER,
    HISTORY_ORDER,
    MAX_RANK,
    TASTE_STATUSES,
)
from services.rankings.storage.models import (
    DishRanking,
    KnownDish,
    KnownRestaurant,
    RankingHistory,
    User,
)
from shared.pages import Keyset, Page, fetch_page

# first key of the advisory locks that serialize changes to one list (the second is the list's)
LIST_LOCK_SPACE = 0x52414E4B  # "RANK"
DECAY_DAYS = 30
SECONDS_A_DAY = 86400
# newest change first, as idx_ranking_history_user holds one user's list of one dish type
# (and idx_ranking_history_user_all their lists of every type)
HISTORY = Keyset(HISTORY_ORDER[0], (RankingHistory.id,), descending=True)


class RankingsQueries:
    """Mixed into RankingsStore: `self.session` is the worker's SQLAlchemy session."""

    def user_is_known(self, user_id: uuid.UUID) -> bool:
        return self.session.scalar(select(exists().where(User.id == user_id)))

    # --- one user's list ------------------------------------------------------------------------

    def lock_list(self, user_id: uuid.UUID, dish_type: str) -> None:
        """Wait until no other transaction is changing this list; held until commit."""
        self.session.execute(select(func.pg_advisory_xact_lock(
            LIST_LOCK_SPACE, func.hashtext(f"{user_id}:{dish_type}"))))

    def list_rankings(self, user_id: uuid.UUID, dish_type: str) -> list[DishRanking]:
        """Ranked dishes best first, then the tasted ones (as stored now, not as cached)."""
        return list(self.session.scalars(
            select(DishRanking)
            .where(DishRanking.user_id == user_id, DishRanking.dish_type == dish_type)
            .order_by(DishRanking.rank.asc().nulls_last(), DishRanking.dish_id)
            .execution_options(populate_existing=True)
        ))

    def dish_ranking(self, user_id: uuid.UUID, dish_id: uuid.UUID) -> DishRanking | None:
        """The user's row for a dish, whichever list it is in."""
        return self.session.scalars(select(DishRanking).where(
            DishRanking.user_id == user_id, DishRanking.dish_id == dish_id)).first()

    def apply_list_changes(self, user_id: uuid.UUID, dish_type: str, rows: list[DishRanking],
                           changes: Iterable, restaurant_id: uuid.UUID | None = None) -> None:
        """Apply a list's changes (domain.rankings.Change) to its `rows`, one history row each.

        A dish without a row gets one (appended to `rows`), in restaurant `restaurant_id`.
        Ranks pass through duplicates here; the database checks them at commit.
        """
        by_dish = {row.dish_id: row for row in rows}
        for change in changes:
            row = by_dish.get(change.dish_id)
            if row is None:
                row = by_dish[change.dish_id] = DishRanking(
                    user_id=user_id, dish_id=change.dish_id, dish_type=dish_type,
                    restaurant_id=restaurant_id)
                rows.append(row)
                self.session.add(row)
            if change.kind == "removed":
                self.session.delete(row)
            else:
                row.rank, row.taste_status = change.new_rank, change.new_taste_status
                # a ranking ages from when its user placed the dish (placed, or moved to a
                # rank of their choosing): a shift made by another dish keeps that moment
                if change.new_rank is None:
                    row.ranked_at = None
                elif change.kind != "shifted":
                    row.ranked_at = func.now()
            self.session.add(RankingHistory(
                user_id=user_id, dish_id=change.dish_id, dish_type=dish_type,
                restaurant_id=row.restaurant_id, change=change.kind,
                old_rank=change.old_rank, new_rank=change.new_rank,
                old_taste_status=change.old_taste_status,
                new_taste_status=change.new_taste_status))
        self.session.flush()

    def describe_ranking(self, row: DishRanking, details: dict) -> None:
        """Set a ranking's notes and photo URLs."""
        for name, value in details.items():
            setattr(row, name, value)
        self.session.flush()

    def ranking_entries(self, user_id: uuid.UUID, dish_type: str | None = None) -> list[dict]:
        """The user's rows (of one dish type, or all) with what is known of dish and restaurant:
        by dish type, ranked best first, then tasted, most recently changed first."""
        query = (
            select(DishRanking, KnownDish.name, KnownRestaurant.name, KnownRestaurant.city)
            .outerjoin(KnownDish, and_(KnownDish.dish_id == DishRanking.dish_id,
                                       KnownDish.deleted.is_(False)))
            .outerjoin(KnownRestaurant,
                       and_(KnownRestaurant.restaurant_id == DishRanking.restaurant_id,
                            KnownRestaurant.deleted.is_(False)))
            .where(DishRanking.user_id == user_id)
            .order_by(DishRanking.dish_type, DishRanking.rank.asc().nulls_last(),
                      DishRanking.updated_at.desc(), KnownDish.name, DishRanking.dish_id)
        )
        if dish_type is not None:
            query = query.where(DishRanking.dish_type == dish_type)
        return [
            {"dish_type": ranking.dish_type, "dish_id": ranking.dish_id, "dish_name": dish_name,
             "restaurant_id": ranking.restaurant_id, "restaurant_name": restaurant_name,
             "city": city, "rank": ranking.rank, "taste_status": ranking.taste_status,
             "notes": ranking.notes, "photo_urls": ranking.photo_urls,
             "ranked_at": ranking.ranked_at, "updated_at": ranking.updated_at}
            for ranking, dish_name, restaurant_name, city in self.session.execute(query)
        ]

    def ranking_history(self, user_id: uuid.UUID, dish_type: str | None = None, *,
                        limit: int, offset: int, cursor: tuple | None = None) -> Page:
        """Page of the user's changes (of one dish type, or of every one), newest first:
        dicts of a RankingHistory row's columns with the dish's and restaurant's names as
        rankings knows them (kept once they are deleted: the history is what happened)."""
        query = (
            select(RankingHistory, KnownDish.name, KnownRestaurant.name)
            .outerjoin(KnownDish, KnownDish.dish_id == RankingHistory.dish_id)
            .outerjoin(KnownRestaurant,
                       KnownRestaurant.restaurant_id == RankingHistory.restaurant_id)
            .where(RankingHistory.user_id == user_id)
        )
        if dish_type is not None:
            query = query.where(RankingHistory.dish_type == dish_type)
        found = fetch_page(self.session, query, HISTORY, limit, offset, cursor)
        return Page([
            {**{column.key: getattr(change, column.key)
                for column in RankingHistory.__table__.columns},
             # a deleted one's tombstone has no name ("")
             "dish_name": dish_name or None, "restaurant_name": restaurant_name or None}
            for change, dish_name, restaurant_name in found.rows
        ], found.total, found.next_cursor)

    # --- across users ---------------------------------------------------------------------------

    def dish_ranking_counts(self, dish_id: uuid.UUID) -> dict:
        """How many users rank the dish, its average rank, counts per rank and taste status."""
        ranked = DishRanking.rank
        row = self.session.execute(
            select(func.count(ranked), func.round(func.avg(ranked), 2),
                   *[func.count().filter(ranked == rank) for rank in range(1, MAX_RANK + 1)],
                   *[func.count().filter(DishRanking.taste_status == status)
                     for status in TASTE_STATUSES])
            .where(DishRanking.dish_id == dish_id)
        ).one()
        ranking_count, average_rank, *counts = row
        return {
            "ranking_count": ranking_count,
            "average_rank": average_rank,
            "rank_counts": {str(rank): count for rank, count
                            in zip(range(1, MAX_RANK + 1), counts[:MAX_RANK], strict=True)},
            "taste_counts": dict(zip(TASTE_STATUSES, counts[MAX_RANK:], strict=True)),
        }

    def best_dishes(self, *, dish_type: str, city: str, limit: int, offset: int,
                    cursor: tuple | None = None) -> Page:
        """Page of the known dishes of a type in a city by score = Σ (6 − rank)·e^(−age_days/30),
        where a ranking's age counts from when its user placed the dish (ranked_at: a shift
        keeps it); ties by number of rankings,
        then dish id.

        Scored as of one moment, the first page's (a cursor holds it): the score decays
        while a client pages, and a cursor resumes after the score its page ended on. The
        arithmetic is numeric (exact sums, the same digits on every page), so the last row
        shown compares equal to itself, and no row is shown twice or skipped."""
        as_of = cursor[0] if cursor else self.session.scalar(select(func.now()))
        # never later than now: a cursor's moment is a past first page's (a later one, made
        # up, would decay scores past what numeric arithmetic computes cheaply)
        moment = func.least(literal(as_of, DateTime(timezone=True)), func.now())
        age_seconds = func.greatest(
            extract("epoch", moment - func.coalesce(DishRanking.ranked_at, moment)), 0)
        decay = func.exp(-cast(age_seconds, Numeric) / (DECAY_DAYS * SECONDS_A_DAY))
        score = cast(func.sum((MAX_RANK + 1 - DishRanking.rank) * decay), Numeric)
        scored = (
            select(KnownDish.dish_id, KnownDish.name.label("dish_name"),
                   KnownDish.restaurant_id, KnownRestaurant.name.label("restaurant_name"),
                   KnownRestaurant.city, score.label("score"),
                   func.count(DishRanking.id).label("ranking_count"))
            .join(KnownDish, KnownDish.dish_id == DishRanking.dish_id)
            .join(KnownRestaurant, KnownRestaurant.restaurant_id == KnownDish.restaurant_id)
            .where(DishRanking.rank.is_not(None), KnownDish.dish_type == dish_type,
                   KnownDish.deleted.is_(False), KnownRestaurant.deleted.is_(False),
                   KnownRestaurant.city == city)
            .group_by(KnownDish.dish_id, KnownRestaurant.restaurant_id)
            .subquery("scored")
        )
        # best score first, then the most rankings, then dish id: one direction, so negated
        keyset = Keyset(BEST_DISHES_ORDER[0],
                        ((-scored.c.score).label("score_key"),
                         (-scored.c.ranking_count).label("ranking_count_key"), scored.c.dish_id),
                        prefix=(as_of,))
        found = fetch_page(self.session, select(scored), keyset, limit, offset,
                           cursor[1:] if cursor else None)
        return Page([
            {"dish_id": dish_id, "dish_name": dish_name, "restaurant_id": restaurant_id,
             "restaurant_name": restaurant_name, "city": city, "score": round(float(score), 4),
             "ranking_count": count}
            for dish_id, dish_name, restaurant_id, restaurant_name, city, score, count
            in found.rows
        ], found.total, found.next_cursor)
