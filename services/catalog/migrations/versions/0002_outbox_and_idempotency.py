"""the transactional outbox and idempotency keys (reliable messaging)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from alembic import op

from shared.idempotency import create_idempotency_tables, drop_idempotency_tables
from shared.outbox import create_outbox_table, drop_outbox_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_table(op)
    create_idempotency_tables(op)


def downgrade() -> None:
    drop_idempotency_tables(op)
    drop_outbox_table(op)
