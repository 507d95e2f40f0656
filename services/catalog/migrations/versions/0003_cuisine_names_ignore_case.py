"""one cuisine whatever its capitalisation ("Malay" and "malay" are one)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE UNIQUE INDEX uq_cuisines_name_lower ON cuisines (lower(name))")


def downgrade() -> None:
    op.drop_index("uq_cuisines_name_lower", table_name="cuisines")
