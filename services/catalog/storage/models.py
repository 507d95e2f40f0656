"""Catalog tables (PostgreSQL). Migrations in migrations/versions mirror these."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


# "name address city" as one lowercased text, so `q` searches all three through one
# trigram index with LIKE (ILIKE costs four times as much a row): RestaurantSearch's
RESTAURANT_SEARCH_TEXT = (
    "lower(name || ' ' || coalesce(address, '') || ' ' || coalesce(city, ''))"
)

# a restaurant's point on the globe (earthdistance's `earth`), as its GiST index holds it
# for GET /restaurants/nearby: catalog_earth_point is ll_to_earth, made safe to index
# (migration 0005); NULL without coordinates
RESTAURANT_EARTH_POINT = "catalog_earth_point(latitude::float8, longitude::float8)"

DISH_SEARCH_VECTOR = (
    "setweight(to_tsvector('english', coalesce(name, '')), 'A')"
    " || setweight(to_tsvector('english', coalesce(dish_type, '')), 'A')"
    " || setweight(to_tsvector('english', catalog_tags_text(tags)), 'B')"
    " || setweight(to_tsvector('english', coalesce(description, '')), 'C')"
)


class Cuisine(Base):
    """Every cuisine a restaurant has named; kept as restaurants are written."""

    __tablename__ = "cuisines"
    __table_args__ = (
        Index("uq_cuisines_name_lower", text("lower(name)"), unique=True),
    )

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class Restaurant(Base):
    __tablename__ = "restaurants"
    __table_args__ = (
        CheckConstraint("price_range BETWEEN 1 AND 4", name="ck_restaurants_price_range"),
        Index("idx_restaurants_location", "city", "state", "country"),
        Index("idx_restaurants_cuisine", "cuisine_type", postgresql_using="gin"),
        Index("idx_restaurants_geo", "latitude", "longitude"),
        Index("idx_restaurants_earth", text(RESTAURANT_EARTH_POINT), postgresql_using="gist"),
        Index("idx_restaurants_name", "name", "id"),
        Index("idx_restaurants_owner", "owner_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True,
                                          default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    address: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(10, 8))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(11, 8))
    phone: Mapped[str | None] = mapped_column(String(30))
    website: Mapped[str | None] = mapped_column(String(500))
    hours: Mapped[dict | None] = mapped_column(JSONB)
    cuisine_type: Mapped[list[str]] = mapped_column(ARRAY(String(100)), nullable=False,
                                                    server_default="{}")
    price_range: Mapped[int | None] = mapped_column(Integer)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


class RestaurantSearch(Base):
    """What `q` reads of each restaurant, narrow: a restaurant row is ~420 bytes (hours,
    website, phone...), so reading the 7,341 of 100,000 that say "Kopitiam" touched most
    of the table's pages; these rows are a third of that size. Kept by the trigger on
    restaurants (migration 0007), never written by the ORM; deleted with its restaurant."""

    __tablename__ = "restaurant_search"
    __table_args__ = (
        # a walk in name order reads only this index (shared.pages.walk_rows)
        Index("idx_restaurant_search_name", "name", "id",
              postgresql_include=["search_text", "city", "cuisine_type"]),
        Index("idx_restaurant_search_trgm", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("restaurants.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    city: Mapped[str | None] = mapped_column(String(100))
    cuisine_type: Mapped[list[str]] = mapped_column(ARRAY(String(100)), nullable=False)
    search_text: Mapped[str] = mapped_column(Text, nullable=False)  # RESTAURANT_SEARCH_TEXT


class Dish(Base):
    __tablename__ = "dishes"
    __table_args__ = (
        CheckConstraint("price >= 0", name="ck_dishes_price"),
        CheckConstraint("rank_sum >= 0", name="ck_dishes_rank_sum"),
        CheckConstraint("rank_count >= 0", name="ck_dishes_rank_count"),
        Index("idx_dishes_restaurant", "restaurant_id", "name"),
        Index("idx_dishes_type", "dish_type"),
        Index("idx_dishes_tags", "tags", postgresql_using="gin"),
        Index("idx_dishes_search", "search_vector", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True,
                                          default=uuid.uuid4)
    restaurant_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("restaurants.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    image_url: Mapped[str | None] = mapped_column(String(500))
    dish_type: Mapped[str] = mapped_column(String(100), nullable=False)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(50)), nullable=False,
                                            server_default="{}")
    is_seasonal: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    is_available: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    # the dish's current ranks across every user's list, kept from rankings' events
    # (storage.change_dish_rank_totals); average_rank = rank_sum / rank_count, NULL = unranked
    rank_sum: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    rank_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    average_rank: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    search_vector = mapped_column(TSVECTOR, Computed(DISH_SEARCH_VECTOR, persisted=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


# a search's order after its text tier (SPEC §3): best average rank first, unranked after
# every rank (ranks are 1..5), then the most ranked, then id. Ties fall to id, not to the
# name: names say what a search looks for ("Nasi Lemak Ayam" for "nasi lemak"), so a walk
# in name order meets all of one name together, and a rank-ordered walk for a word would
# read every dish named before it (shared.pages.walk_rows)
DISH_RANK_KEY = (func.coalesce(Dish.average_rank, literal_column("100")), -Dish.rank_count,
                 Dish.id)
Index("idx_dishes_rank_order", *DISH_RANK_KEY, postgresql_where=Dish.is_available)

# how well a dish says what a search asks, best first: its type says it, its name does,
# or only its tags or description do (the whole search_vector, which holds them all)
DISH_TYPE_VECTOR = func.to_tsvector(literal_column("'english'"), Dish.dish_type)
DISH_NAME_VECTOR = func.to_tsvector(literal_column("'english'"), Dish.name)
SEARCH_TIERS = (DISH_TYPE_VECTOR, DISH_NAME_VECTOR, Dish.search_vector)
Index("idx_dishes_type_text", DISH_TYPE_VECTOR, postgresql_using="gin")
Index("idx_dishes_name_text", DISH_NAME_VECTOR, postgresql_using="gin")
