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
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


# "name address city" as one text, so `q` searches all three through one trigram index
RESTAURANT_SEARCH_TEXT = (
    "(name || ' ' || coalesce(address, '') || ' ' || coalesce(city, ''))"
)

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
