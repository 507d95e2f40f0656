"""What rankings knows of the catalog: restaurants and dishes, as catalog's events said."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from services.rankings.storage.models import KnownDish, KnownRestaurant


def _upsert_if_newer(model, key: str, values: dict, update: tuple[str, ...] | None = None):
    """Insert, or update `update` (default: every value) unless what is stored is newer."""
    statement = insert(model).values(**values)
    columns = update or tuple(name for name in values if name != key)
    return statement.on_conflict_do_update(
        index_elements=[key],
        set_={name: statement.excluded[name] for name in columns},
        where=model.source_updated_at <= statement.excluded.source_updated_at,
    )


# a deletion keeps what was known of the row (its name, type, restaurant stay readable)
TOMBSTONE = ("deleted", "source_updated_at")


class CatalogFactQueries:
    def keep_restaurant(self, values: dict) -> None:
        self.session.execute(_upsert_if_newer(KnownRestaurant, "restaurant_id", values))

    def keep_dish(self, values: dict) -> None:
        self.session.execute(_upsert_if_newer(KnownDish, "dish_id", values))

    def forget_restaurant(self, restaurant_id: uuid.UUID, at: datetime) -> None:
        self.session.execute(_upsert_if_newer(KnownRestaurant, "restaurant_id", {
            "restaurant_id": restaurant_id, "name": "", "deleted": True,
            "source_updated_at": at,
        }, update=TOMBSTONE))

    def forget_dish(self, dish_id: uuid.UUID, at: datetime) -> None:
        # a dish deleted before rankings heard of it still needs its row (restaurant unknown)
        self.session.execute(_upsert_if_newer(KnownDish, "dish_id", {
            "dish_id": dish_id, "restaurant_id": uuid.UUID(int=0), "name": "",
            "dish_type": "", "deleted": True, "source_updated_at": at,
        }, update=TOMBSTONE))

    def known_dish(self, dish_id: uuid.UUID) -> tuple[KnownDish, KnownRestaurant | None] | None:
        """The dish (if known and not deleted) with its restaurant (if known)."""
        row = self.session.execute(
            select(KnownDish, KnownRestaurant)
            .outerjoin(KnownRestaurant, KnownRestaurant.restaurant_id == KnownDish.restaurant_id)
            .where(KnownDish.dish_id == dish_id, KnownDish.deleted.is_(False))
        ).first()
        return (row[0], row[1]) if row else None

    def known_restaurant(self, restaurant_id: uuid.UUID) -> KnownRestaurant | None:
        restaurant = self.session.get(KnownRestaurant, restaurant_id)
        return restaurant if restaurant is not None and not restaurant.deleted else None
