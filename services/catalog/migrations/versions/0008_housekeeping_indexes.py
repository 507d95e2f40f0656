"""housekeeping indexes: idempotency keys and processed events are deleted past their
windows (shared.housekeeping), by their creation time

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from alembic import op

from shared.idempotency import create_housekeeping_indexes, drop_housekeeping_indexes

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_housekeeping_indexes(op)


def downgrade() -> None:
    drop_housekeeping_indexes(op)
