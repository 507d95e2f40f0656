"""Rank totals, from rankings' events (mixed into CatalogService; domain.rank_totals says
why no dish_updated follows)."""

from __future__ import annotations

from services.catalog.domain import rank_totals
from services.rankings.contract.events import DISH_RANKED, RANKING_MOVED, RANKING_REMOVED
from shared.consumer import consume_event


class RankTotalsHandlers:
    @consume_event(DISH_RANKED)
    def on_dish_ranked(self, event: dict) -> None:
        rank_totals.dish_ranked(self.store, "catalog.on_dish_ranked", event)

    @consume_event(RANKING_MOVED)
    def on_ranking_moved(self, event: dict) -> None:
        rank_totals.ranking_moved(self.store, "catalog.on_ranking_moved", event)

    @consume_event(RANKING_REMOVED)
    def on_ranking_removed(self, event: dict) -> None:
        rank_totals.ranking_removed(self.store, "catalog.on_ranking_removed", event)
