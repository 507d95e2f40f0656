"""One-best rankings (SPEC §4): each user's ordered list of at most 5 dishes per dish type.

`DishList` is the rule book, pure: given one list and an operation it answers the
new list and the exact changes (placed, moved, shifted, dropped past 5, removed,
tasted). The functions below it do the I/O around it: lock the list, read it,
let the store apply the changes (one ranking_history row each) and emit the
events the changes mean, all in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from itertools import groupby
from typing import NamedTuple

from services.rankings.contract.events import DISH_RANKED, RANKING_MOVED, RANKING_REMOVED
from services.rankings.contract.rpc import (
    MAX_RANK,
    BestDishSchema,
    DishStatsSchema,
    HistoryEntrySchema,
    RankingListSchema,
)
from shared.contract import EventType
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.schemas import normalize_dish_type, page, paged

# what a dish pushed past the last rank keeps: the user liked it, just not enough
DROPPED_TASTE_STATUS = "ACCEPTABLE"


# --- the rules, no I/O --------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """What happened to one dish of a list; a ranking_history row, maybe an event."""

    kind: str  # placed | moved | shifted | dropped | removed | tasted
    dish_id: Hashable
    old_rank: int | None = None
    new_rank: int | None = None
    old_taste_status: str | None = None
    new_taste_status: str | None = None


class Outcome(NamedTuple):
    after: DishList
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class DishList:
    """One user's dishes of one type: `ranked` best first, `tasted` maps dish -> taste status.

    A dish is in at most one of the two; `ranked` is never longer than MAX_RANK.
    """

    ranked: tuple = ()
    tasted: Mapping = field(default_factory=dict)

    def rank_of(self, dish_id) -> int | None:
        return self.ranked.index(dish_id) + 1 if dish_id in self.ranked else None

    def place(self, dish_id, rank: int) -> Outcome:
        """Rank a dish (new, tasted or ranked elsewhere in the list) at `rank`."""
        others = [dish for dish in self.ranked if dish != dish_id]
        highest = min(len(others) + 1, MAX_RANK)
        if not 1 <= rank <= highest:
            raise InvalidInput(f"rank must be between 1 and {highest}",
                               {"fields": {"rank": [f"must be between 1 and {highest}"]}})
        old_rank = self.rank_of(dish_id)
        if old_rank == rank:
            return Outcome(self, ())
        tasted = dict(self.tasted)
        old_taste_status = tasted.pop(dish_id, None)
        kind = "placed" if old_rank is None else "moved"
        return self._relisted(others[:rank - 1] + [dish_id] + others[rank - 1:], tasted,
                              Change(kind, dish_id, old_rank, rank, old_taste_status))

    def give_taste_status(self, dish_id, taste_status: str) -> Outcome:
        """Tried but not ranked: a ranked dish leaves the list (its gap closes)."""
        old_taste_status = self.tasted.get(dish_id)
        if old_taste_status == taste_status:
            return Outcome(self, ())
        return self._relisted([dish for dish in self.ranked if dish != dish_id],
                              {**self.tasted, dish_id: taste_status},
                              Change("tasted", dish_id, self.rank_of(dish_id), None,
                                     old_taste_status, taste_status))

    def remove(self, dish_id) -> Outcome:
        if dish_id not in self.ranked and dish_id not in self.tasted:
            raise NotFound("dish not in this list", {"dish_id": str(dish_id)})
        tasted = dict(self.tasted)
        old_taste_status = tasted.pop(dish_id, None)
        return self._relisted([dish for dish in self.ranked if dish != dish_id], tasted,
                              Change("removed", dish_id, self.rank_of(dish_id), None,
                                     old_taste_status))

    def _relisted(self, order: list, tasted: dict, change: Change) -> Outcome:
        """The list ranked in `order`: `change` plus every other dish that moved because of it."""
        changes = [change]
        for rank, dish in enumerate(order, start=1):
            old_rank = self.rank_of(dish)
            if dish == change.dish_id or rank == old_rank:
                continue
            if rank > MAX_RANK:
                tasted[dish] = DROPPED_TASTE_STATUS
                changes.append(Change("dropped", dish, old_rank, None, None,
                                      DROPPED_TASTE_STATUS))
            else:
                changes.append(Change("shifted", dish, old_rank, rank))
        return Outcome(DishList(tuple(order[:MAX_RANK]), tasted), tuple(changes))


def event_for(change: Change) -> tuple[EventType, dict] | None:
    """The event a change means, with its change-specific fields: only the ranked list's
    changes are announced (a taste status given or removed outside the list is not)."""
    if change.kind == "placed":
        return DISH_RANKED, {"rank": change.new_rank}
    if change.kind in ("moved", "shifted"):
        return RANKING_MOVED, {"old_rank": change.old_rank, "new_rank": change.new_rank,
                                 "reason": change.kind}
    if change.old_rank is not None:  # removed, dropped, or tasted while ranked
        return RANKING_REMOVED, {"old_rank": change.old_rank, "reason": change.kind}
    return None


# --- reads ---------------------------------------------------------------------------------------

ranking_list_schema = RankingListSchema()
history_entry_schema = HistoryEntrySchema()
def get_my_rankings(store, user_id: uuid.UUID) -> dict:
    _user_or_404(store, user_id)
    entries = store.ranking_entries(user_id)
    lists = [_ranking_list(dish_type, list(group))
             for dish_type, group in groupby(entries, key=lambda entry: entry["dish_type"])]
    return page(lists, len(lists), 0)


def get_my_list(store, user_id: uuid.UUID, dish_type: str) -> dict:
    _user_or_404(store, user_id)
    return _my_list(store, user_id, normalize_dish_type(dish_type))


def get_ranking_history(store, user_id: uuid.UUID, query: dict) -> dict:
    """The user's own changes, newest first: of `query`'s dish_type, or of every type."""
    _user_or_404(store, user_id)
    return _history(store, user_id, query)


def get_public_ranking_history(store, user_id: uuid.UUID, viewer_id: uuid.UUID | None,
                               query: dict) -> dict:
    """Another user's changes, as get_ranking_history: for anyone when that user made
    their history public (history_public), else for themselves only (Forbidden)."""
    user = store.get_user(user_id)
    if user is None:
        raise NotFound("user not found", {"user_id": str(user_id)})
    if not user.history_public and viewer_id != user_id:
        raise Forbidden("this user's ranking history is not public",
                        {"user_id": str(user_id)})
    return _history(store, user_id, query)


def _history(store, user_id: uuid.UUID, query: dict) -> dict:
    dish_type = query.get("dish_type")
    page_query = {key: query[key] for key in ("limit", "offset", "cursor") if key in query}
    found = store.ranking_history(
        user_id, normalize_dish_type(dish_type) if dish_type is not None else None,
        **page_query)
    return paged(found, history_entry_schema.dump(found.rows, many=True), query)


def get_dish_stats(store, dish_id: uuid.UUID) -> dict:
    known = store.known_dish(dish_id)
    if known is None:
        raise NotFound("dish not known", {"dish_id": str(dish_id)})
    dish, _ = known
    return DishStatsSchema().dump({"dish_id": dish_id, "dish_type": dish.dish_type,
                                   **store.dish_ranking_counts(dish_id)})


def get_best_dishes(store, query: dict) -> dict:
    query = {**query, "dish_type": normalize_dish_type(query["dish_type"])}
    found = store.best_dishes(**query)
    return paged(found, BestDishSchema().dump(found.rows, many=True), query)


def _my_list(store, user_id: uuid.UUID, dish_type: str) -> dict:
    return _ranking_list(dish_type, store.ranking_entries(user_id, dish_type))


def _ranking_list(dish_type: str, entries: list[dict]) -> dict:
    return ranking_list_schema.dump({
        "dish_type": dish_type,
        "ranked": [entry for entry in entries if entry["rank"] is not None],
        "tasted": [entry for entry in entries if entry["rank"] is None],
    })


def _user_or_404(store, user_id: uuid.UUID) -> None:
    if not store.user_is_known(user_id):
        raise NotFound("user not found", {"user_id": str(user_id)})


# --- writes: each one transaction, serialized per list, with its history and events -----------

def place_dish(store, user_id: uuid.UUID, dish_type: str, fields: dict,
               idempotency_key: str | None = None) -> dict:
    """Rank a dish (`fields["rank"]`) or give it a taste status (`fields["taste_status"]`)."""
    dish_type = normalize_dish_type(dish_type)

    def apply():
        _user_or_404(store, user_id)
        dish, restaurant = _dish_of_type(store, fields["dish_id"], dish_type)
        current, rows = _locked_list(store, user_id, dish_type)
        if not any(row.dish_id == dish.dish_id for row in rows):
            _not_in_another_list(store, user_id, dish.dish_id)
        if "rank" in fields:
            outcome = current.place(dish.dish_id, fields["rank"])
        else:
            outcome = current.give_taste_status(dish.dish_id, fields["taste_status"])
        store.apply_list_changes(user_id, dish_type, rows, outcome.changes,
                                 restaurant_id=dish.restaurant_id)
        _announce(store, user_id, dish_type, rows, outcome.changes, restaurant)
        details = {name: fields[name] for name in ("notes", "photo_urls") if name in fields}
        if details:
            store.describe_ranking(next(row for row in rows if row.dish_id == dish.dish_id),
                                   details)
        return _my_list(store, user_id, dish_type)

    request = {"user_id": user_id, "dish_type": dish_type, "fields": fields}
    return store.command("place_dish", idempotency_key, request, apply)


def remove_dish(store, user_id: uuid.UUID, dish_type: str, dish_id: uuid.UUID,
                idempotency_key: str | None = None) -> dict:
    dish_type = normalize_dish_type(dish_type)

    def apply():
        _user_or_404(store, user_id)
        current, rows = _locked_list(store, user_id, dish_type)
        outcome = current.remove(dish_id)
        store.apply_list_changes(user_id, dish_type, rows, outcome.changes)
        _announce(store, user_id, dish_type, rows, outcome.changes)
        return _my_list(store, user_id, dish_type)

    request = {"user_id": user_id, "dish_type": dish_type, "dish_id": dish_id}
    return store.command("remove_dish", idempotency_key, request, apply)


def _dish_of_type(store, dish_id: uuid.UUID, dish_type: str):
    known = store.known_dish(dish_id)
    if known is None:
        raise NotFound("dish not known", {"dish_id": str(dish_id)})
    dish, restaurant = known
    if restaurant is not None and restaurant.deleted:
        restaurant = None
    if normalize_dish_type(dish.dish_type) != dish_type:
        raise InvalidInput(f"this dish is a {dish.dish_type}, not a {dish_type}",
                           {"fields": {"dish_id": [f"is a {dish.dish_type}, not a {dish_type}"]}})
    return dish, restaurant


def _not_in_another_list(store, user_id: uuid.UUID, dish_id: uuid.UUID) -> None:
    """A dish whose type the catalog changed stays in its old list until taken out of it."""
    elsewhere = store.dish_ranking(user_id, dish_id)
    if elsewhere is not None:
        raise Conflict(f"this dish is in your {elsewhere.dish_type} list; remove it there",
                       {"dish_id": str(dish_id), "dish_type": elsewhere.dish_type})


def _locked_list(store, user_id: uuid.UUID, dish_type: str) -> tuple[DishList, list]:
    """The list, and its rows, as they are once no other change to it is under way (and
    until this one commits)."""
    store.lock_list(user_id, dish_type)
    rows = store.list_rankings(user_id, dish_type)
    return DishList(
        ranked=tuple(row.dish_id for row in rows if row.rank is not None),
        tasted={row.dish_id: row.taste_status for row in rows if row.rank is None},
    ), rows


def _announce(store, user_id: uuid.UUID, dish_type: str, rows: list,
              changes: tuple[Change, ...], restaurant=None) -> None:
    """Emit what the changes mean, in their order. Each changed dish's restaurant is in its
    row; `restaurant` is the placed dish's, for the city and cuisines dish_ranked carries."""
    restaurant_of = {row.dish_id: row.restaurant_id for row in rows}
    events = []
    for change in changes:
        if (event := event_for(change)) is None:
            continue
        event_type, fields = event
        payload = {"user_id": user_id, "dish_id": change.dish_id, "dish_type": dish_type,
                   "restaurant_id": restaurant_of[change.dish_id], **fields}
        if event_type is DISH_RANKED:
            payload["city"] = restaurant.city if restaurant is not None else None
            payload["cuisine_type"] = list(restaurant.cuisine_type) if restaurant else []
        events.append((event_type, event_type.dump(payload)))
    for event_type, run in groupby(events, key=lambda event: event[0]):  # one insert a run
        store.emit_many(event_type, [payload for _, payload in run])
