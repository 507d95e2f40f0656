"""orders.delivery_address: where an order goes, as its customer wrote it (SPEC §6; seed
004 keeps addresses with the order core in PostgreSQL)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09

Optional (null: none given), bounded text of at most 500 characters. A nullable column
without a default is only recorded in the catalog: no table rewrite. Its bound is a CHECK
added NOT VALID (no scan under the ACCESS EXCLUSIVE lock that adding it takes), then
validated, which scans under a lock that lets orders be placed and moved meanwhile.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

MAX_LENGTH = 500  # services.orders.contract.rpc.MAX_DELIVERY_ADDRESS_LENGTH, as of now


def upgrade() -> None:
    op.add_column("orders", sa.Column("delivery_address", sa.Text(), nullable=True))
    op.execute(f"ALTER TABLE orders ADD CONSTRAINT ck_orders_delivery_address "
               f"CHECK (char_length(delivery_address) <= {MAX_LENGTH}) NOT VALID")
    op.execute("ALTER TABLE orders VALIDATE CONSTRAINT ck_orders_delivery_address")


def downgrade() -> None:
    op.drop_column("orders", "delivery_address")
