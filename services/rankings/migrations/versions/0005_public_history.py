"""ranking history for everyone to read, when its user allows it; and a user's history of
every dish type by cursor (SPEC §4: GET /rankings/my/history, GET /users/{id}/rankings/history)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09

`users.history_public` says whether anyone may read the user's ranking history; off for
everyone until they turn it on (PATCH /users/me). A NOT NULL column with a constant
default is only recorded in the catalog (PostgreSQL 11 and later): no table rewrite.

A history of all dish types pages newest first, by id, for one user: the index on
(user_id, id), read backwards, both orders a page and starts it where the last one ended
(idx_ranking_history_user, on (user_id, dish_type, id), serves one dish type's). Built
CONCURRENTLY, as every change is a history row and they keep coming; CREATE INDEX
CONCURRENTLY cannot run in a transaction, hence the autocommit block, and a build that
failed part way leaves an INVALID index behind, dropped and built again on a re-run.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEX = ("idx_ranking_history_user_all", "ON ranking_history (user_id, id)")


def upgrade() -> None:
    op.add_column("users", sa.Column("history_public", sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    name, definition = INDEX
    with op.get_context().autocommit_block():
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        op.execute(f"CREATE INDEX CONCURRENTLY {name} {definition}")


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX[0]}")
    op.drop_column("users", "history_public")
