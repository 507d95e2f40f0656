"""Where the catalog is stored: queries over restaurants, dishes and cuisines."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import Numeric, cast, func, literal_column, select, text, update
from sqlalchemy.dialects.postgresql import insert

from services.catalog.storage.models import RESTAURANT_SEARCH_TEXT, Cuisine, Dish, Restaurant
from shared.db import Store
from shared.pages import fetch_page


def escape_like(term: str) -> str:
    """`term` as a literal inside ILIKE '%...%' (its own % and _ mean themselves)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class CatalogStore(Store):
    # --- restaurants ------------------------------------------------------------------

    def list_restaurants(self, *, city: str | None = None, cuisine: str | None = None,
                         q: str | None = None, limit: int, offset: int
                         ) -> tuple[list[Restaurant], int]:
        query = select(Restaurant)
        if city:
            query = query.where(Restaurant.city == city)
        if cuisine:
            [cuisine] = self.canonical_cuisines([cuisine])
            query = query.where(Restaurant.cuisine_type.contains([cuisine]))
        if q:
            query = query.where(
                literal_column(RESTAURANT_SEARCH_TEXT).ilike(escape_like(q), escape="\\")
            )
        rows, total = fetch_page(self.session, query.order_by(Restaurant.name, Restaurant.id),
                            limit, offset)
        return [row[0] for row in rows], total

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

    def list_menu(self, restaurant_id: uuid.UUID, *, limit: int, offset: int
                  ) -> tuple[list[Dish], int]:
        query = select(Dish).where(Dish.restaurant_id == restaurant_id)
        rows, total = fetch_page(self.session, query.order_by(Dish.name, Dish.id), limit, offset)
        return [row[0] for row in rows], total

    def get_dish(self, dish_id: uuid.UUID) -> Dish | None:
        return self.session.get(Dish, dish_id)

    def get_dishes(self, dish_ids: Iterable[uuid.UUID]) -> list[Dish]:
        ids = list(dish_ids)
        if not ids:
            return []
        return list(self.session.scalars(select(Dish).where(Dish.id.in_(ids))))

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
                      limit: int, offset: int) -> tuple[list[tuple[Dish, str, str]], int]:
        """Available dishes, best text match first, then best average rank, then name."""
        query = (
            select(Dish, Restaurant.name, Restaurant.city)
            .join(Restaurant, Restaurant.id == Dish.restaurant_id)
            .where(Dish.is_available.is_(True))
        )
        order = []
        if q:
            tsquery = func.websearch_to_tsquery(text("'english'"), q)
            query = query.where(Dish.search_vector.op("@@")(tsquery))
            order.append(func.ts_rank_cd(Dish.search_vector, tsquery).desc())
        if dish_type:
            query = query.where(Dish.dish_type == dish_type)
        if tags:
            query = query.where(Dish.tags.contains(tags))
        if price_min is not None:
            query = query.where(Dish.price >= price_min)
        if price_max is not None:
            query = query.where(Dish.price <= price_max)
        if city:
            query = query.where(Restaurant.city == city)
        order += [Dish.average_rank.asc().nulls_last(), Dish.name, Dish.id]
        rows, total = fetch_page(self.session, query.order_by(*order), limit, offset)
        return [tuple(row) for row in rows], total
