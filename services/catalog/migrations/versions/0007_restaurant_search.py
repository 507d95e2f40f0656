"""restaurant_search: what `q` reads of each restaurant, narrow and lowercased (issue #15)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

A `q` whose matches sit together in name order ("Kopitiam Ah Hock": 7,341 of 100,000
restaurants, none among the first 35,000 by name) reads all its matches through the
trigram index and orders them. Reading them from restaurants touched most of the table's
pages (a row is ~420 bytes) and lowercased both sides of every comparison (ILIKE: 1.8 µs
a row, LIKE on lowercased text 0.45). restaurant_search holds only what `q` needs (id,
name, city, cuisines, the text lowercased), kept by a trigger as restaurants are written,
with its own indexes: the name order (covering: a walk reads only the index) and the
trigrams. A row goes with its restaurant (ON DELETE CASCADE).

Nothing here blocks restaurants for long on a catalog in use: the table, its indexes and
the trigger are created together while it is empty (so every row written from then on is
copied), then the rows from before are copied in batches, each its own transaction (a
row a writer copied meanwhile is left as the writer made it); only then is the old
trigram index dropped, CONCURRENTLY, so `q` always has an index to use.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 5000
COPIED = ("name, city, cuisine_type, "
          "lower(name || ' ' || coalesce(address, '') || ' ' || coalesce(city, ''))")
OLD_TEXT = "(name || ' ' || coalesce(address, '') || ' ' || coalesce(city, ''))"


def upgrade() -> None:
    op.create_table(
        "restaurant_search",
        sa.Column("id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("restaurants.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("city", sa.String(100)),
        sa.Column("cuisine_type", postgresql.ARRAY(sa.String(100)), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
    )
    op.create_index("idx_restaurant_search_name", "restaurant_search", ["name", "id"],
                    postgresql_include=["search_text", "city", "cuisine_type"])
    op.execute("CREATE INDEX idx_restaurant_search_trgm ON restaurant_search "
               "USING gin (search_text gin_trgm_ops)")
    op.execute(
        "CREATE FUNCTION catalog_copy_restaurant_search() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO restaurant_search (id, name, city, cuisine_type, search_text) VALUES "
        "(NEW.id, NEW.name, NEW.city, NEW.cuisine_type, lower(NEW.name || ' ' || "
        "coalesce(NEW.address, '') || ' ' || coalesce(NEW.city, ''))) "
        "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, city = EXCLUDED.city, "
        "cuisine_type = EXCLUDED.cuisine_type, search_text = EXCLUDED.search_text; "
        "RETURN NULL; END $$")
    op.execute(
        "CREATE TRIGGER trg_restaurants_search "
        "AFTER INSERT OR UPDATE OF name, address, city, cuisine_type ON restaurants "
        "FOR EACH ROW EXECUTE FUNCTION catalog_copy_restaurant_search()")
    with op.get_context().autocommit_block():
        while op.get_bind().exec_driver_sql(
                "INSERT INTO restaurant_search (id, name, city, cuisine_type, search_text) "
                f"SELECT id, {COPIED} FROM restaurants WHERE NOT EXISTS ("
                "SELECT 1 FROM restaurant_search WHERE restaurant_search.id = restaurants.id) "
                f"LIMIT {BATCH} ON CONFLICT (id) DO NOTHING").rowcount:
            pass
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS idx_restaurants_search_trgm")


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS idx_restaurants_search_trgm")
        op.execute("CREATE INDEX CONCURRENTLY idx_restaurants_search_trgm ON restaurants "
                   f"USING gin ({OLD_TEXT} gin_trgm_ops)")
    op.execute("DROP TRIGGER trg_restaurants_search ON restaurants")
    op.execute("DROP FUNCTION catalog_copy_restaurant_search()")
    op.drop_table("restaurant_search")
