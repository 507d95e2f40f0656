"""housekeeping indexes: idempotency keys and processed events are deleted past their
windows (shared.housekeeping), by their creation time

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from alembic import op

from shared.idempotency import create_housekeeping_indexes, drop_housekeeping_indexes

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_housekeeping_indexes(op)


def downgrade() -> None:
    drop_housekeeping_indexes(op)
