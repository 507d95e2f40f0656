"""each dish's running rank totals, from which average_rank is kept (rankings' events)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

processed_events (claims of the events the catalog consumes) came with 0002.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for column in ("rank_sum", "rank_count"):
        op.add_column("dishes", sa.Column(column, sa.Integer(), nullable=False,
                                          server_default="0"))
        op.create_check_constraint(f"ck_dishes_{column}", "dishes", f"{column} >= 0")


def downgrade() -> None:
    for column in ("rank_count", "rank_sum"):
        op.drop_constraint(f"ck_dishes_{column}", "dishes", type_="check")
        op.drop_column("dishes", column)
