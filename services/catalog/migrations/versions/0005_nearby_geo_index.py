"""restaurants by distance: a GiST index of each restaurant's point on the globe

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

The point is earthdistance's `earth` (a cube): `catalog_earth_point(latitude, longitude)` is
ll_to_earth with every name in its body schema-qualified. ll_to_earth is IMMUTABLE, but its
body names earth() and cube() unqualified, so an index over it fails wherever the
search_path is empty or other: autovacuum's ANALYZE, pg_restore, a write from such a session
("type earth does not exist"). The usual fix, a wrapper with SET search_path, is never
inlined: each call then costs about 50 µs, which doubled the index's build and made every
point a query computes slow. This one is inlined as an expression (hence not STRICT: a NULL
coordinate still gives NULL). The index is built CONCURRENTLY: writes go on meanwhile (about
three seconds at 100,000 restaurants).
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEX = "idx_restaurants_earth"


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS cube")
    op.execute("CREATE EXTENSION IF NOT EXISTS earthdistance")
    cube, earth = (schema_of(extension) for extension in ("cube", "earthdistance"))
    op.execute(f"""
        CREATE OR REPLACE FUNCTION catalog_earth_point(latitude float8, longitude float8)
        RETURNS {earth}.earth LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT {cube}.cube({cube}.cube({cube}.cube(
            {earth}.earth() * cos(radians(latitude)) * cos(radians(longitude))),
            {earth}.earth() * cos(radians(latitude)) * sin(radians(longitude))),
            {earth}.earth() * sin(radians(latitude)))::{earth}.earth
        $$""")
    with op.get_context().autocommit_block():
        # a concurrent build that failed (cancelled, the process killed) leaves an INVALID
        # index behind, which IF NOT EXISTS would keep
        if invalid(INDEX):
            op.execute(f"DROP INDEX CONCURRENTLY {INDEX}")
        op.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON restaurants USING gist "
            "(catalog_earth_point(latitude::float8, longitude::float8))"
        )


def schema_of(extension: str) -> str:
    """The schema `extension` is installed in (wherever IF NOT EXISTS found it), quoted."""
    return op.get_bind().exec_driver_sql(
        "SELECT extnamespace::regnamespace::text FROM pg_extension "
        "WHERE extname = %(name)s", {"name": extension}).scalar_one()


def invalid(name: str) -> bool:
    """Whether a failed concurrent build left `name` behind, unusable."""
    return bool(op.get_bind().exec_driver_sql(
        "SELECT 1 FROM pg_index JOIN pg_class ON pg_class.oid = indexrelid "
        "WHERE relname = %(name)s AND NOT indisvalid", {"name": name}).first())


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
    op.execute("DROP FUNCTION IF EXISTS catalog_earth_point(float8, float8)")
    # cube and earthdistance stay: CREATE EXTENSION IF NOT EXISTS may have found them
    # installed, for whatever else uses them
