"""indexes the lists page by cursor from (SPEC §3): each list's filter, then its order
down to the unique column that ends it, so a page resumes where the last one ended

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05

A restaurant's reviews and a user's followers and following are newest first, a review's
comments oldest first: each index replaces the one on the filter and created_at alone,
which it covers. (A user's ranking history is already served by idx_ranking_history_user;
best dishes are ordered by a score no index holds.)

Built CONCURRENTLY, so writes go on meanwhile; CREATE INDEX CONCURRENTLY cannot run in a
transaction, hence the autocommit block. A build that failed part way leaves an INVALID
index behind; this revision is not recorded until every build is done, so whatever is
there on a re-run is such a leftover: dropped, then built again. The indexes replaced go
only once their successors are built.
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = {
    "idx_reviews_restaurant_order": "ON reviews (restaurant_id, created_at, id)",
    "idx_review_comments_review_order": "ON review_comments (review_id, created_at, id)",
    "idx_follows_followed_order": "ON follows (followed_id, created_at, follower_id)",
    "idx_follows_follower_order": "ON follows (follower_id, created_at, followed_id)",
}
REPLACED = {
    "idx_reviews_restaurant_created": "ON reviews (restaurant_id, created_at)",
    "idx_review_comments_review": "ON review_comments (review_id, created_at)",
    "idx_follows_followed": "ON follows (followed_id, created_at)",
    "idx_follows_follower": "ON follows (follower_id, created_at)",
}


def build(indexes: dict[str, str]) -> None:
    for name, definition in indexes.items():
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        op.execute(f"CREATE INDEX CONCURRENTLY {name} {definition}")


def drop(indexes: dict[str, str]) -> None:
    for name in indexes:
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


def upgrade() -> None:
    with op.get_context().autocommit_block():
        build(INDEXES)
        drop(REPLACED)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        build(REPLACED)
        drop(INDEXES)
