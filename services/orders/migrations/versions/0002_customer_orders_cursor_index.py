"""a customer's orders by cursor (SPEC §3): the index on (customer_id, created_at, id)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04

GET /orders pages newest first, (created_at, id) descending, and a cursor resumes it with
`(created_at, id) < (:created_at, :id)` for one customer. An index on (customer_id,
created_at, id), read backwards, both orders a page and starts it where the last one
ended; on (customer_id, created_at) alone, orders of one instant would be sorted by id
after reading, and the row comparison only half answered by the index. The new index
replaces that one (its prefix, which nothing else reads).

Built CONCURRENTLY: orders keep being placed meanwhile. CREATE INDEX CONCURRENTLY cannot
run in a transaction, hence the autocommit block. A build that failed part way leaves an
INVALID index behind; this revision is not recorded until every step is done, so
whatever is there on a re-run is such a leftover: dropped, then built again.
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NEW = ("idx_orders_customer_created_id", "ON orders (customer_id, created_at, id)")
OLD = ("idx_orders_customer_created", "ON orders (customer_id, created_at)")


def _replace(built: tuple[str, str], dropped: tuple[str, str]) -> None:
    """Build `built`, then drop `dropped`: the list always has an index to read."""
    name, definition = built
    with op.get_context().autocommit_block():
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        op.execute(f"CREATE INDEX CONCURRENTLY {name} {definition}")
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {dropped[0]}")


def upgrade() -> None:
    _replace(NEW, OLD)


def downgrade() -> None:
    _replace(OLD, NEW)
