"""users, rankings, reviews, follows, rewards, catalog facts

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Also: the outbox and idempotency tables, the constraint trigger that keeps
every ranked list gap-free, and the badge and career-level reference rows.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.idempotency import create_idempotency_tables, drop_idempotency_tables
from shared.outbox import create_outbox_table, drop_outbox_table

# Checked at commit (deferred), after the uniqueness of (user, dish_type, rank):
# the ranks of one user's list for one dish type are exactly 1..n.
LIST_HAS_NO_GAP = """
CREATE FUNCTION rankings_list_has_no_gap() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target record;
    ranked integer;
    highest integer;
BEGIN
    IF TG_OP = 'DELETE' THEN target := OLD; ELSE target := NEW; END IF;
    SELECT count(rank), coalesce(max(rank), 0) INTO ranked, highest
      FROM dish_rankings
     WHERE user_id = target.user_id AND dish_type = target.dish_type AND rank IS NOT NULL;
    IF ranked <> highest THEN
        RAISE EXCEPTION 'ranked list of % for % has a gap: % dishes, highest rank %',
            target.user_id, target.dish_type, ranked, highest
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER dish_rankings_no_gap
    AFTER INSERT OR UPDATE OR DELETE ON dish_rankings
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION rankings_list_has_no_gap();
"""

BADGES = [
    ("FIRST_TIMER", "First Timer", "Ranked a first dish"),
    ("DISH_EXPLORER", "Dish Explorer", "Ranked 5 different dishes"),
    ("DISH_CONNOISSEUR", "Dish Connoisseur", "Ranked 10 different dishes"),
    ("DISH_EXPERT", "Dish Expert", "Ranked one dish type at 3 restaurants"),
    ("DISH_MASTER", "Dish Master", "Ranked one dish type at 5 restaurants"),
]
CAREER_LEVELS = [
    (1, "Junior District Reviewer", 20, 2),
    (2, "District Reviewer", 50, 3),
    (3, "Senior District Reviewer", 100, 3),
    (4, "District Manager", 250, 4),
    (5, "City Analyst", 500, 5),
    (6, "Regional Director", 1000, 6),
    (7, "Chief Food Officer", 2000, 8),
]

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('badges',
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('career_levels',
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('required_rankings', sa.Integer(), nullable=False),
    sa.Column('required_cuisines', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('level'),
    sa.UniqueConstraint('name')
    )
    op.create_table('known_dishes',
    sa.Column('dish_id', sa.UUID(), nullable=False),
    sa.Column('restaurant_id', sa.UUID(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('dish_type', sa.String(length=100), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('source_updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('dish_id')
    )
    op.create_index('idx_known_dishes_restaurant', 'known_dishes', ['restaurant_id'], unique=False)
    op.create_index('idx_known_dishes_type', 'known_dishes', ['dish_type'], unique=False)
    op.create_table('known_restaurants',
    sa.Column('restaurant_id', sa.UUID(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('cuisine_type', postgresql.ARRAY(sa.String(length=100)), server_default='{}', nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('source_updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('restaurant_id')
    )
    op.create_index('idx_known_restaurants_city', 'known_restaurants', ['city'], unique=False)
    op.create_table('ranking_history',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('dish_id', sa.UUID(), nullable=False),
    sa.Column('dish_type', sa.String(length=100), nullable=False),
    sa.Column('restaurant_id', sa.UUID(), nullable=False),
    sa.Column('change', sa.String(length=20), nullable=False),
    sa.Column('old_rank', sa.Integer(), nullable=True),
    sa.Column('new_rank', sa.Integer(), nullable=True),
    sa.Column('old_taste_status', sa.String(length=20), nullable=True),
    sa.Column('new_taste_status', sa.String(length=20), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('idx_ranking_history_user', 'ranking_history', ['user_id', 'dish_type', 'id'], unique=False)
    op.create_table('restaurant_review_summaries',
    sa.Column('restaurant_id', sa.UUID(), nullable=False),
    sa.Column('total_reviews', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rating_sum', sa.Integer(), server_default='0', nullable=False),
    sa.Column('average_rating', sa.Numeric(precision=3, scale=2), server_default='0', nullable=False),
    sa.Column('rating_distribution', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text('\'{"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}\'::jsonb'), nullable=False),
    sa.Column('last_updated', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('restaurant_id')
    )
    op.create_table('users',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('username', sa.String(length=50), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('bio', sa.Text(), nullable=True),
    sa.Column('location', sa.String(length=100), nullable=True),
    sa.Column('profile_image_url', sa.String(length=500), nullable=True),
    sa.Column('role', sa.String(length=20), server_default='user', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("role IN ('user', 'admin')", name='ck_users_role'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('uq_users_email_lower', 'users', [sa.literal_column('lower(email)')], unique=True)
    op.create_index('uq_users_username_lower', 'users', [sa.literal_column('lower(username)')], unique=True)
    op.create_table('dish_rankings',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('dish_id', sa.UUID(), nullable=False),
    sa.Column('dish_type', sa.String(length=100), nullable=False),
    sa.Column('restaurant_id', sa.UUID(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('taste_status', sa.String(length=20), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('photo_urls', postgresql.ARRAY(sa.String(length=500)), server_default='{}', nullable=False),
    sa.Column('ranked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("taste_status IN ('ACCEPTABLE', 'SECOND_CHANCE', 'DISSATISFIED')", name='ck_dish_rankings_taste_status'),
    sa.CheckConstraint('(rank IS NULL) <> (taste_status IS NULL)', name='ck_dish_rankings_rank_xor_taste'),
    sa.CheckConstraint('rank BETWEEN 1 AND 5', name='ck_dish_rankings_rank'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'dish_id', name='uq_dish_rankings_user_dish'),
    sa.UniqueConstraint('user_id', 'dish_type', 'rank', deferrable=True, initially='DEFERRED', name='uq_dish_rankings_list_rank')
    )
    op.create_index('idx_rankings_dish', 'dish_rankings', ['dish_id'], unique=False)
    op.create_index('idx_rankings_restaurant_dish_type', 'dish_rankings', ['restaurant_id', 'dish_type'], unique=False)
    op.create_index('idx_rankings_user_dish_type', 'dish_rankings', ['user_id', 'dish_type'], unique=False)
    op.create_table('follows',
    sa.Column('follower_id', sa.UUID(), nullable=False),
    sa.Column('followed_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('follower_id <> followed_id', name='ck_follows_not_self'),
    sa.ForeignKeyConstraint(['followed_id'], ['users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['follower_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('follower_id', 'followed_id')
    )
    op.create_index('idx_follows_followed', 'follows', ['followed_id', 'created_at'], unique=False)
    op.create_index('idx_follows_follower', 'follows', ['follower_id', 'created_at'], unique=False)
    op.create_table('reviews',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('restaurant_id', sa.UUID(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=True),
    sa.Column('photos', postgresql.ARRAY(sa.String(length=500)), server_default='{}', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name='ck_reviews_rating'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'restaurant_id', name='uq_reviews_user_restaurant')
    )
    op.create_index('idx_reviews_restaurant_created', 'reviews', ['restaurant_id', 'created_at'], unique=False)
    op.create_table('user_activity_points',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('activity_type', sa.String(length=50), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('reference_id', sa.UUID(), nullable=False),
    sa.Column('awarded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'activity_type', 'reference_id', name='uq_activity_points_cause')
    )
    op.create_index('idx_activity_points_user', 'user_activity_points', ['user_id'], unique=False)
    op.create_table('user_badges',
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('badge_code', sa.String(length=50), nullable=False),
    sa.Column('awarded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['badge_code'], ['badges.code'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'badge_code')
    )
    op.create_table('review_comments',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('review_id', sa.UUID(), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('idx_review_comments_review', 'review_comments', ['review_id', 'created_at'], unique=False)
    op.create_table('review_likes',
    sa.Column('review_id', sa.UUID(), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('review_id', 'user_id')
    )
    op.execute(LIST_HAS_NO_GAP)
    create_outbox_table(op)
    create_idempotency_tables(op)
    op.bulk_insert(
        sa.table("badges", sa.column("code"), sa.column("name"), sa.column("description")),
        [dict(zip(("code", "name", "description"), row, strict=True)) for row in BADGES],
    )
    op.bulk_insert(
        sa.table("career_levels", sa.column("level"), sa.column("name"),
                 sa.column("required_rankings"), sa.column("required_cuisines")),
        [dict(zip(("level", "name", "required_rankings", "required_cuisines"), row,
                  strict=True)) for row in CAREER_LEVELS],
    )


def downgrade() -> None:
    drop_idempotency_tables(op)
    drop_outbox_table(op)
    op.execute("DROP TRIGGER dish_rankings_no_gap ON dish_rankings")
    op.execute("DROP FUNCTION rankings_list_has_no_gap()")
    op.drop_table('review_likes')
    op.drop_index('idx_review_comments_review', table_name='review_comments')
    op.drop_table('review_comments')
    op.drop_table('user_badges')
    op.drop_index('idx_activity_points_user', table_name='user_activity_points')
    op.drop_table('user_activity_points')
    op.drop_index('idx_reviews_restaurant_created', table_name='reviews')
    op.drop_table('reviews')
    op.drop_index('idx_follows_follower', table_name='follows')
    op.drop_index('idx_follows_followed', table_name='follows')
    op.drop_table('follows')
    op.drop_index('idx_rankings_user_dish_type', table_name='dish_rankings')
    op.drop_index('idx_rankings_restaurant_dish_type', table_name='dish_rankings')
    op.drop_index('idx_rankings_dish', table_name='dish_rankings')
    op.drop_table('dish_rankings')
    op.drop_index('uq_users_username_lower', table_name='users')
    op.drop_index('uq_users_email_lower', table_name='users')
    op.drop_table('users')
    op.drop_table('restaurant_review_summaries')
    op.drop_index('idx_ranking_history_user', table_name='ranking_history')
    op.drop_table('ranking_history')
    op.drop_index('idx_known_restaurants_city', table_name='known_restaurants')
    op.drop_table('known_restaurants')
    op.drop_index('idx_known_dishes_type', table_name='known_dishes')
    op.drop_index('idx_known_dishes_restaurant', table_name='known_dishes')
    op.drop_table('known_dishes')
    op.drop_table('career_levels')
    op.drop_table('badges')
