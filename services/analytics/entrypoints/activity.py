"""Popularity, trending dishes and leaderboards (mixed into AnalyticsService), from
rankings' and the catalog's events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.analytics.contract.rpc import LeaderboardArgs, TopQuery, TrendingDishesQuery
from services.analytics.entrypoints import top
from services.analytics.storage import activity, ingest, trending
from services.catalog.contract import events as catalog
from services.rankings.contract import events as rankings
from shared.batch_consumer import consume_batch
from shared.dynamodb import is_transient, unavailable_when_down
from shared.rpc import service_rpc
from shared.schemas import load, parse_id
from shared.timers import every

REPLICA = uuid.uuid4().hex  # this process, as a lease holder

ACTIVITY_EVENTS = [
    *[rankings.EVENTS[name] for name in (
        "user_followed", "user_unfollowed", "dish_ranked", "ranking_moved", "ranking_removed",
        "review_created", "review_deleted",
    )],
    *catalog.EVENTS.values(),
]


class ActivityEntrypoints:
    """Entrypoints only: validate, call the storage with `self.dynamodb`, return."""

    @consume_batch(ACTIVITY_EVENTS, transient=is_transient)
    def record_activity(self, envelopes: list[dict]) -> None:
        ingest.ingest_activity(self.dynamodb, envelopes)

    @every("LEADERBOARD_REFRESH_INTERVAL", 60.0)
    def refresh_leaderboards_on_timer(self) -> None:
        # one replica a round (each would rewrite the same slots): the lease lasts most of
        # an interval, so its holder keeps it and another takes over if the holder stops
        interval = float(self.config.get("LEADERBOARD_REFRESH_INTERVAL", 60.0))
        if activity.take_refresh_lease(self.dynamodb, REPLICA, 0.9 * interval):
            activity.refresh_leaderboards(self.dynamodb, datetime.now(UTC))

    @service_rpc
    @unavailable_when_down
    def get_trending_dishes(self, city: str, limit: int = 10) -> dict:
        args = load(TrendingDishesQuery, {"city": city, "limit": limit})
        return top(trending.trending_dishes(self.dynamodb, args["city"], args["limit"],
                                            datetime.now(UTC)), city=args["city"])

    @service_rpc
    @unavailable_when_down
    def get_top_influencers(self, limit: int = 10) -> dict:
        limit = load(TopQuery, {"limit": limit})["limit"]
        return top(activity.top_influencers(self.dynamodb, limit))

    @service_rpc
    @unavailable_when_down
    def get_user_popularity(self, user_id: str) -> dict:
        return activity.user_popularity(self.dynamodb, str(parse_id(user_id, "user_id")))

    @service_rpc
    @unavailable_when_down
    def get_leaderboard(self, city: str, cuisine: str, limit: int = 10) -> dict:
        args = load(LeaderboardArgs, {"city": city, "cuisine": cuisine, "limit": limit})
        board = activity.leaderboard(self.dynamodb, args["city"], args["cuisine"],
                                     args["limit"])
        # the board is its restaurants (the items); its users, city, cuisine beside them
        restaurants = board.pop("restaurants")
        return top(restaurants, **board)

    @service_rpc
    @unavailable_when_down
    def refresh_leaderboards(self) -> dict:
        return activity.refresh_leaderboards(self.dynamodb, datetime.now(UTC))
