"""indexes a search walks and asks (issue #15): rank order, and the text of a dish's type
and name on their own, so a search costs its page, not its matches

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

Built CONCURRENTLY: on a catalog already holding a million dishes the build takes seconds
and must not block writes meanwhile. CREATE INDEX CONCURRENTLY cannot run in a
transaction, hence the autocommit block. A build that failed part way leaves an INVALID
index behind; this revision is not recorded until every build is done, so whatever is
there on a re-run is such a leftover: dropped, then built again.
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEXES = {
    # storage.models.DISH_RANK_KEY, over the dishes a search can answer
    "idx_dishes_rank_order":
        "ON dishes ((coalesce(average_rank, 100)), (- rank_count), id) WHERE is_available",
    "idx_dishes_type_text": "ON dishes USING gin (to_tsvector('english', dish_type))",
    "idx_dishes_name_text": "ON dishes USING gin (to_tsvector('english', name))",
}


def upgrade() -> None:
    with op.get_context().autocommit_block():
        for name, definition in INDEXES.items():
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            op.execute(f"CREATE INDEX CONCURRENTLY {name} {definition}")


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for name in INDEXES:
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
