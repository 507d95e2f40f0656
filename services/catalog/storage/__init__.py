"""Where the catalog is stored: queries over restaurants, dishes and cuisines."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import Numeric, and_, cast, func, not_, select, text, update
from sqlalchemy.dialects.postgresql import insert

from services.catalog.contract.rpc import DISH_SEARCH_ORDER, MENU_ORDER, RESTAURANT_ORDER
from services.catalog.storage.models import (
    DISH_RANK_KEY,
    SEARCH_TIERS,
    Cuisine,
    Dish,
    Restaurant,
    RestaurantSearch,
)
from services.catalog.storage.nearby import NearbyQueries
from shared.db import Store
from shared.pages import Keyset, Page, count_up_to, fetch_page, walk_rows
from shared.schemas import encode_cursor

# each list's order (services.catalog.contract.rpc's *_ORDER say what its cursor holds)
RESTAURANTS = Keyset(RESTAURANT_ORDER[0], (Restaurant.name, Restaurant.id))
# the same order, as q reads it (a RestaurantSearch row has its restaurant's name and id)
SEARCHED_RESTAURANTS = Keyset(RESTAURANT_ORDER[0], (RestaurantSearch.name, RestaurantSearch.id))
MENU = Keyset(MENU_ORDER[0], (Dish.name, Dish.id))
# a search's key after its text tier: its cursors start with the tier (0 without q)
DISH_SEARCH = Keyset(DISH_SEARCH_ORDER[0], DISH_RANK_KEY, prefix=(0,))


def escape_like(term: str) -> str:
    """`term` as a literal inside ILIKE '%...%' (its own % and _ mean themselves)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class CatalogStore(NearbyQueries, Store):
    # --- restaurants ------------------------------------------------------------------

    def list_restaurants(self, *, city: str | None = None, cuisine: str | None = None,
                         q: str | None = None, limit: int, offset: int,
                         cursor: tuple | None = None) -> Page:
        query = select(Restaurant)
        if city:
            query = query.where(Restaurant.city == city)
        if cuisine:
            [cuisine] = self.canonical_cuisines([cuisine])
            query = query.where(Restaurant.cuisine_type.contains([cuisine]))
        if not q:
            found = fetch_page(self.session, query, RESTAURANTS, limit, offset, cursor)
            return Page([row[0] for row in found.rows], found.total, found.next_cursor)
        # the narrow copy q reads (RestaurantSearch), its text lowercased: LIKE is ILIKE
        listed = select(RestaurantSearch.id)
        if city:
            listed = listed.where(RestaurantSearch.city == city)
        if cuisine:
            listed = listed.where(RestaurantSearch.cuisine_type.contains([cuisine]))
        matches = RestaurantSearch.search_text.like(func.lower(escape_like(q)), escape="\\")
        walked = walk_rows(self.session, listed, matches, SEARCHED_RESTAURANTS,
                           offset + limit + 1, cursor)
        page = walked.rows[offset:]
        more = len(page) > limit
        next_cursor = SEARCHED_RESTAURANTS.cursor(page[limit - 1][1:]) if more else None
        if walked.exact is not None and cursor is None:
            total = walked.exact
        elif not more and cursor is None:
            total = len(walked.rows)
        else:
            total = count_up_to(self.session, listed.where(matches), least=len(walked.rows),
                                expected=walked.dense or 0)
        found = self._in_order(Restaurant, [row[0] for row in page[:limit]])
        return Page(found, total, next_cursor)

    def _in_order(self, model, ids: list) -> list:
        """The rows of `model` with these ids, in the order of `ids`."""
        by_id = {row.id: row for row in self.session.scalars(
            select(model).where(model.id.in_(ids)))} if ids else {}
        return [by_id[row_id] for row_id in ids]

    def get_restaurant(self, restaurant_id: uuid.UUID, *, for_update: bool = False
                       ) -> Restaurant | None:
        return self.session.get(Restaurant, restaurant_id, with_for_update=for_update)

    def get_restaurants(self, restaurant_ids: Iterable[uuid.UUID]) -> list[Restaurant]:
        ids = list(restaurant_ids)
        if not ids:
            return []
        return list(self.session.scalars(select(Restaurant).where(Restaurant.id.in_(ids))))

    def add_restaurant(self, fields: dict) -> Restaurant:
        cuisines = self.canonical_cuisines(fields.get("cuisine_type") or [])
        fields = {**fields, "cuisine_type": cuisines}
        restaurant = Restaurant(**fields)
        self.session.add(restaurant)
        self.remember_cuisines(restaurant.cuisine_type or [])
        self.session.flush()
        self.session.refresh(restaurant)
        return restaurant

    def update_restaurant(self, restaurant: Restaurant, fields: dict) -> Restaurant:
        if "cuisine_type" in fields:
            cuisines = self.canonical_cuisines(fields["cuisine_type"] or [])
            fields = {**fields, "cuisine_type": cuisines}
        for name, value in fields.items():
            setattr(restaurant, name, value)
        if "cuisine_type" in fields:
            self.remember_cuisines(fields["cuisine_type"])
        self.session.flush()
        self.session.refresh(restaurant)
        return restaurant

    def delete_restaurant(self, restaurant: Restaurant) -> None:
        self.session.delete(restaurant)
        self.session.flush()

    def canonical_cuisines(self, names: list[str]) -> list[str]:
        """Each name in the spelling the catalog first knew it by ("malay" -> "Malay")."""
        if not names:
            return names
        known = {
            name.lower(): name
            for name in self.session.scalars(
                select(Cuisine.name).where(func.lower(Cuisine.name).in_(
                    [name.lower() for name in names]))
            )
        }
        return list(dict.fromkeys(known.get(name.lower(), name) for name in names))

    def remember_cuisines(self, names: Iterable[str]) -> None:
        rows = [{"name": name} for name in dict.fromkeys(names)]
        if rows:
            self.session.execute(insert(Cuisine).values(rows).on_conflict_do_nothing())

    def list_cuisines(self) -> list[Cuisine]:
        return list(self.session.scalars(select(Cuisine).order_by(Cuisine.name)))

    # --- dishes -----------------------------------------------------------------------

    def list_menu(self, restaurant_id: uuid.UUID, *, limit: int, offset: int,
                  cursor: tuple | None = None) -> Page:
        query = select(Dish).where(Dish.restaurant_id == restaurant_id)
        found = fetch_page(self.session, query, MENU, limit, offset, cursor)
        return Page([row[0] for row in found.rows], found.total, found.next_cursor)

    def get_dish(self, dish_id: uuid.UUID) -> Dish | None:
        return self.session.get(Dish, dish_id)

    def get_dishes(self, dish_ids: Iterable[uuid.UUID]) -> list[Dish]:
        ids = list(dish_ids)
        if not ids:
            return []
        return list(self.session.scalars(select(Dish).where(Dish.id.in_(ids))))

    def order_quote(self, restaurant_id: uuid.UUID, dish_ids: list[uuid.UUID]
                    ) -> tuple[Restaurant | None, list[Dish]]:
        """The restaurant and those of the dishes that exist (wherever they are served), in
        one round trip: the restaurant's row once per dish found, or once with none."""
        rows = self.session.execute(
            select(Restaurant, Dish).outerjoin(Dish, Dish.id.in_(dish_ids))
            .where(Restaurant.id == restaurant_id)).all()
        if not rows:
            return None, []
        return rows[0][0], [dish for _, dish in rows if dish is not None]

    def add_dish(self, restaurant_id: uuid.UUID, fields: dict) -> Dish:
        dish = Dish(restaurant_id=restaurant_id, **fields)
        self.session.add(dish)
        self.session.flush()
        self.session.refresh(dish)
        return dish

    def update_dish(self, dish: Dish, fields: dict) -> Dish:
        for name, value in fields.items():
            setattr(dish, name, value)
        self.session.flush()
        self.session.refresh(dish)
        return dish

    def delete_dish(self, dish: Dish) -> None:
        self.session.delete(dish)
        self.session.flush()

    def change_dish_rank_totals(self, dish_id: uuid.UUID, rank_delta: int,
                                count_delta: int) -> bool:
        """Add to a dish's rank totals and recompute its average, in one UPDATE (the row lock
        serialises concurrent events; nothing is read first). False if there is no such dish
        (deleted since it was ranked): nothing to change.

        Each total is clamped at 0. Events of different types travel on different queues, so
        a ranking_removed may overtake the dish_ranked it undoes; unclamped, the totals
        would go negative (and break their CHECKs) until the other arrived. The price: the
        clamped part of such an event is lost, and the totals can stay off by it.
        """
        rank_sum = func.greatest(Dish.rank_sum + rank_delta, 0)
        rank_count = func.greatest(Dish.rank_count + count_delta, 0)
        # SET sees the old row, so the average is computed from the same new totals
        average = cast(rank_sum, Numeric) / func.nullif(rank_count, 0)
        changed = self.session.execute(
            update(Dish).where(Dish.id == dish_id)
            .values(rank_sum=rank_sum, rank_count=rank_count, average_rank=average,
                    # not an edit of the dish: updated_at dates its details (consumers
                    # order dish_updated events by it), so it stays
                    updated_at=Dish.updated_at)
            .execution_options(synchronize_session=False)
        )
        return changed.rowcount > 0

    def search_dishes(self, *, q: str | None = None, dish_type: str | None = None,
                      tags: list[str] | None = None, price_min: Decimal | None = None,
                      price_max: Decimal | None = None, city: str | None = None,
                      limit: int, offset: int, cursor: tuple | None = None) -> Page:
        """Available dishes, best text match first (SEARCH_TIERS), then best average rank
        (unranked last), then the most ranked, then id: Page of (dish, restaurant name,
        city) rows."""
        query = select(Dish.id).where(Dish.is_available)  # as the partial index says it
        if dish_type:
            query = query.where(Dish.dish_type == dish_type)
        if tags:
            query = query.where(Dish.tags.contains(tags))
        if price_min is not None:
            query = query.where(Dish.price >= price_min)
        if price_max is not None:
            query = query.where(Dish.price <= price_max)
        if city:
            query = query.join(Restaurant, Restaurant.id == Dish.restaurant_id).where(
                Restaurant.city == city)
        if q:
            found = self._search_text(query, q, limit, offset, cursor)
        else:
            found = fetch_page(self.session, query, DISH_SEARCH, limit, offset,
                               cursor[1:] if cursor else None)
        ids = [row[0] for row in found.rows]
        details = {row[0].id: tuple(row) for row in self.session.execute(
            select(Dish, Restaurant.name, Restaurant.city)
            .join(Restaurant, Restaurant.id == Dish.restaurant_id)
            .where(Dish.id.in_(ids)))} if ids else {}
        return Page([details[dish_id] for dish_id in ids], found.total, found.next_cursor)

    def _search_text(self, query, q: str, limit: int, offset: int, cursor) -> Page:
        """The text tiers one after another, each walked in rank order (walk_rows), until
        the page (and one row more: is there a next page?) is found."""
        tsquery = func.websearch_to_tsquery(text("'english'"), q)
        says = [vector.op("@@")(tsquery) for vector in SEARCH_TIERS]
        want = offset + limit + 1
        rows, dense = [], []
        first_tier = cursor[0] if cursor else 0
        for tier in range(first_tier, len(SEARCH_TIERS)):
            # the stored vector first: the others are computed, and only for its matches
            matches = and_(says[-1], says[tier], *(not_(said) for said in says[:tier]))
            keyset = DISH_SEARCH
            walked = walk_rows(self.session, query, matches, keyset, want - len(rows),
                               cursor[1:] if cursor and tier == first_tier else None)
            rows += [(*row, tier) for row in walked.rows]  # (id, *key, tier)
            dense.append(walked.dense or walked.exact or 0)
            if len(rows) == want:
                break
        page = rows[offset:]
        more = len(page) > limit
        last = page[limit - 1] if more else None
        next_cursor = encode_cursor(DISH_SEARCH_ORDER[0], (last[-1], *last[1:-1])) if more else None
        if not more and cursor is None:
            total = len(rows)
        else:
            total = count_up_to(self.session, query.where(says[-1]), least=len(rows),
                                expected=sum(dense))
        return Page([row[:1] for row in page[:limit]], total, next_cursor)
