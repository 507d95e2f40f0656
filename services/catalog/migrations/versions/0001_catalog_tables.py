"""restaurants, dishes and cuisines, with the indexes of SPEC §3

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None



def timestamps() -> list[sa.Column]:
    return [
        sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)
        for name in ("created_at", "updated_at")
    ]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # array_to_string is only STABLE; a generated column needs IMMUTABLE, and for a
    # text[] of tags the result never depends on settings.
    op.execute(
        "CREATE OR REPLACE FUNCTION catalog_tags_text(tags text[]) RETURNS text "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS "
        "$$ SELECT coalesce(array_to_string(tags, ' '), '') $$"
    )
    op.create_table(
        "cuisines",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
    )
    op.create_table(
        "restaurants",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.Text()),
        sa.Column("city", sa.String(100)),
        sa.Column("state", sa.String(100)),
        sa.Column("country", sa.String(100)),
        sa.Column("postal_code", sa.String(20)),
        sa.Column("latitude", sa.Numeric(10, 8)),
        sa.Column("longitude", sa.Numeric(11, 8)),
        sa.Column("phone", sa.String(30)),
        sa.Column("website", sa.String(500)),
        sa.Column("hours", postgresql.JSONB()),
        sa.Column("cuisine_type", postgresql.ARRAY(sa.String(100)), nullable=False,
                  server_default="{}"),
        sa.Column("price_range", sa.Integer()),
        sa.Column("owner_id", postgresql.UUID(as_uuid=True)),
        *timestamps(),
        sa.CheckConstraint("price_range BETWEEN 1 AND 4", name="ck_restaurants_price_range"),
    )
    op.create_index("idx_restaurants_location", "restaurants", ["city", "state", "country"])
    op.create_index("idx_restaurants_cuisine", "restaurants", ["cuisine_type"],
                    postgresql_using="gin")
    op.create_index("idx_restaurants_geo", "restaurants", ["latitude", "longitude"])
    op.create_index("idx_restaurants_name", "restaurants", ["name", "id"])
    op.create_index("idx_restaurants_owner", "restaurants", ["owner_id"])
    op.execute(
        "CREATE INDEX idx_restaurants_search_trgm ON restaurants USING gin "
        "((name || ' ' || coalesce(address, '') || ' ' || coalesce(city, '')) gin_trgm_ops)"
    )

    op.create_table(
        "dishes",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("restaurant_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("restaurants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("price", sa.Numeric(10, 2), nullable=False),
        sa.Column("image_url", sa.String(500)),
        sa.Column("dish_type", sa.String(100), nullable=False),
        sa.Column("tags", postgresql.ARRAY(sa.String(50)), nullable=False, server_default="{}"),
        sa.Column("is_seasonal", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("is_available", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("average_rank", sa.Numeric(4, 2)),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('english', coalesce(name, '')), 'A')"
                " || setweight(to_tsvector('english', coalesce(dish_type, '')), 'A')"
                " || setweight(to_tsvector('english', catalog_tags_text(tags)), 'B')"
                " || setweight(to_tsvector('english', coalesce(description, '')), 'C')",
                persisted=True,
            ),
        ),
        *timestamps(),
        sa.CheckConstraint("price >= 0", name="ck_dishes_price"),
    )
    op.create_index("idx_dishes_restaurant", "dishes", ["restaurant_id", "name"])
    op.create_index("idx_dishes_type", "dishes", ["dish_type"])
    op.create_index("idx_dishes_tags", "dishes", ["tags"], postgresql_using="gin")
    op.create_index("idx_dishes_search", "dishes", ["search_vector"], postgresql_using="gin")


def downgrade() -> None:
    op.drop_table("dishes")
    op.drop_table("restaurants")
    op.drop_table("cuisines")
    op.execute("DROP FUNCTION IF EXISTS catalog_tags_text(text[])")
