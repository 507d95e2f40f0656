"""Each dish's average rank, kept from rankings' events (SPEC §3: search orders by it).

Plain functions over a `CatalogStore` (or anything with its methods); no nameko.
"""

from __future__ import annotations

import uuid

from services.rankings.contract.events import DISH_RANKED, RANKING_MOVED, RANKING_REMOVED
from shared.schemas import load

# Each event is applied once (claimed by event id in the same transaction as its UPDATE).
# An event for a dish the catalog no longer has changes nothing. No dish_updated follows:
# average_rank is a figure derived from rankings' own events, and announcing it would echo
# every ranking back as a catalog event (to rankings among others) for no new fact.


# what the catalog reads of rankings' events (every other field is ignored)
_ranked = DISH_RANKED.reader("dish_id", "rank")
_moved = RANKING_MOVED.reader("dish_id", "old_rank", "new_rank")
_removed = RANKING_REMOVED.reader("dish_id", "old_rank")


def _change_rank_totals(store, consumer: str, event: dict, dish_id: uuid.UUID,
                        rank_delta: int, count_delta: int) -> None:
    with store.transaction():
        if store.first_time(consumer, event):
            store.change_dish_rank_totals(dish_id, rank_delta, count_delta)


def dish_ranked(store, consumer: str, event: dict) -> None:
    """A dish entered a user's list at `rank`: one more rank in its average."""
    ranked = load(_ranked, event["payload"])
    _change_rank_totals(store, consumer, event, ranked["dish_id"], ranked["rank"], 1)


def ranking_moved(store, consumer: str, event: dict) -> None:
    """A ranked dish moved (or was shifted) from `old_rank` to `new_rank` in one list."""
    moved = load(_moved, event["payload"])
    _change_rank_totals(store, consumer, event, moved["dish_id"],
                        moved["new_rank"] - moved["old_rank"], 0)


def ranking_removed(store, consumer: str, event: dict) -> None:
    """A dish left a user's list (removed, dropped past the last rank, or tasted)."""
    removed = load(_removed, event["payload"])
    _change_rank_totals(store, consumer, event, removed["dish_id"], -removed["old_rank"], -1)
