"""favorites: the restaurants each user keeps (SPEC §4: PUT/DELETE /restaurants/{id}/favorite,
GET /users/me/favorites)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09

One row per user and restaurant (the primary key: favoriting twice is one favorite). The
list is newest first, its cursor's key (created_at, restaurant_id) after the user: the
index on (user_id, created_at, restaurant_id) answers a page in order. The restaurant is
the catalog's: no foreign key (rankings holds no copy it must wait for); one the catalog
deleted is left out of the list (known_restaurants says so). A new, empty table: its
index is built in the migration's transaction.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "favorites",
        sa.Column("user_id", UUID(as_uuid=True),
                  sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("restaurant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("user_id", "restaurant_id"),
    )
    op.create_index("idx_favorites_user_order", "favorites",
                    ["user_id", "created_at", "restaurant_id"])


def downgrade() -> None:
    op.drop_table("favorites")
