"""orders, order items, status changes

Revision ID: 0001
Revises:
Create Date: 2026-11-30

Also: the outbox and idempotency tables.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.idempotency import create_idempotency_tables, drop_idempotency_tables
from shared.outbox import create_outbox_table, drop_outbox_table

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

STATUSES = "('PENDING', 'CONFIRMED', 'PREPARING', 'READY', 'OUT_FOR_DELIVERY', 'DELIVERED', 'CANCELLED')"


def upgrade() -> None:
    op.create_table('orders',
    sa.Column('id', postgresql.UUID(as_uuid=True), nullable=False),
    sa.Column('customer_id', postgresql.UUID(as_uuid=True), nullable=False),
    sa.Column('restaurant_id', postgresql.UUID(as_uuid=True), nullable=False),
    sa.Column('restaurant_owner_id', postgresql.UUID(as_uuid=True), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_version', sa.Integer(), nullable=False),
    sa.Column('subtotal', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), server_default='MYR', nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint(f"status IN {STATUSES}", name='ck_orders_status'),
    sa.CheckConstraint('status_version >= 1', name='ck_orders_status_version'),
    sa.CheckConstraint('subtotal >= 0', name='ck_orders_subtotal'),
    sa.CheckConstraint('total >= 0', name='ck_orders_total'),
    sa.CheckConstraint('char_length(notes) <= 500', name='ck_orders_notes'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('idx_orders_customer_created', 'orders', ['customer_id', 'created_at'], unique=False)
    op.create_index('idx_orders_restaurant_created', 'orders', ['restaurant_id', 'created_at'], unique=False)
    op.create_index('idx_orders_updated', 'orders', ['updated_at'], unique=False)
    op.create_table('order_items',
    sa.Column('order_id', postgresql.UUID(as_uuid=True), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('dish_id', postgresql.UUID(as_uuid=True), nullable=False),
    sa.Column('dish_name', sa.String(length=200), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('line_total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.CheckConstraint('line BETWEEN 1 AND 50', name='ck_order_items_line'),
    sa.CheckConstraint('quantity BETWEEN 1 AND 20', name='ck_order_items_quantity'),
    sa.CheckConstraint('unit_price >= 0', name='ck_order_items_unit_price'),
    sa.CheckConstraint('line_total = unit_price * quantity', name='ck_order_items_line_total'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', 'line'),
    sa.UniqueConstraint('order_id', 'dish_id', name='uq_order_items_order_dish')
    )
    op.create_table('order_status_changes',
    sa.Column('order_id', postgresql.UUID(as_uuid=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('previous_status', sa.String(length=20), nullable=True),
    sa.Column('new_status', sa.String(length=20), nullable=False),
    sa.Column('actor_id', postgresql.UUID(as_uuid=True), nullable=True),
    sa.Column('actor_role', sa.String(length=20), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('version >= 1', name='ck_order_status_changes_version'),
    sa.CheckConstraint(f"new_status IN {STATUSES}", name='ck_order_status_changes_new_status'),
    sa.CheckConstraint(f"previous_status IN {STATUSES}", name='ck_order_status_changes_previous_status'),
    sa.CheckConstraint('(version = 1) = (previous_status IS NULL)', name='ck_order_status_changes_first_has_no_previous'),
    sa.CheckConstraint("actor_role IN ('customer', 'owner', 'admin')", name='ck_order_status_changes_actor_role'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', 'version')
    )
    op.create_index('idx_order_status_changes_changed_at', 'order_status_changes', ['changed_at'], unique=False)
    create_outbox_table(op)
    create_idempotency_tables(op)


def downgrade() -> None:
    drop_idempotency_tables(op)
    drop_outbox_table(op)
    op.drop_index('idx_order_status_changes_changed_at', table_name='order_status_changes')
    op.drop_table('order_status_changes')
    op.drop_table('order_items')
    op.drop_index('idx_orders_updated', table_name='orders')
    op.drop_index('idx_orders_restaurant_created', table_name='orders')
    op.drop_index('idx_orders_customer_created', table_name='orders')
    op.drop_table('orders')
