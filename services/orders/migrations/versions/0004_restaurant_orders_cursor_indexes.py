"""a restaurant's orders by cursor (SPEC §6: GET /restaurants/{id}/orders?status=&cursor=):
indexes on (restaurant_id, created_at, id) and (restaurant_id, status, created_at, id)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-09

The inbox pages newest first, (created_at, id) descending, and a cursor resumes it with
`(created_at, id) < (:created_at, :id)` for one restaurant, of every status or of one.
Each index, read backwards, both orders such a page and starts it where the last one
ended: the first for the whole inbox, the second for one status (the few PENDING orders
of a restaurant that delivered thousands are found without walking past the others).
The first replaces the index on (restaurant_id, created_at), its prefix, which nothing
else reads.

Built CONCURRENTLY: orders keep being placed meanwhile. CREATE INDEX CONCURRENTLY cannot
run in a transaction, hence the autocommit block. A build that failed part way leaves an
INVALID index behind; this revision is not recorded until every step is done, so
whatever is there on a re-run is such a leftover: dropped, then built again.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NEW = {
    "idx_orders_restaurant_created_id": "ON orders (restaurant_id, created_at, id)",
    "idx_orders_restaurant_status_created_id":
        "ON orders (restaurant_id, status, created_at, id)",
}
OLD = {"idx_orders_restaurant_created": "ON orders (restaurant_id, created_at)"}


def _replace(built: dict[str, str], dropped: dict[str, str]) -> None:
    """Build `built`, then drop `dropped`: the list always has an index to read."""
    with op.get_context().autocommit_block():
        for name, definition in built.items():
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            op.execute(f"CREATE INDEX CONCURRENTLY {name} {definition}")
        for name in dropped:
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


def upgrade() -> None:
    _replace(NEW, OLD)


def downgrade() -> None:
    _replace(OLD, NEW)
