"""Orders tables (PostgreSQL): the order core. Migrations in migrations/versions mirror these.

Status history and hourly metrics live in DynamoDB (storage/history.py); the
`order_status_changes` rows here are the primary record they are written, and
repaired, from.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.orders.contract.rpc import (
    MAX_DELIVERY_ADDRESS_LENGTH,
    MAX_ITEMS,
    MAX_NOTES_LENGTH,
    MAX_QUANTITY,
    STATUSES,
)
from services.orders.contract.rpc import ROLES as ACTOR_ROLES

DEFAULT_CURRENCY = "MYR"


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(_one_of("status", STATUSES), name="ck_orders_status"),
        CheckConstraint("status_version >= 1", name="ck_orders_status_version"),
        CheckConstraint("subtotal >= 0", name="ck_orders_subtotal"),
        CheckConstraint("total >= 0", name="ck_orders_total"),
        CheckConstraint(f"char_length(notes) <= {MAX_NOTES_LENGTH}", name="ck_orders_notes"),
        CheckConstraint(f"char_length(delivery_address) <= {MAX_DELIVERY_ADDRESS_LENGTH}",
                        name="ck_orders_delivery_address"),
        # "newest first" reads these backwards: PostgreSQL scans a b-tree either way. A
        # customer's list ends in id, so its cursor resumes in the index (migration 0002);
        # so does a restaurant's inbox, of every status or of one (migration 0004)
        Index("idx_orders_customer_created_id", "customer_id", "created_at", "id"),
        Index("idx_orders_restaurant_created_id", "restaurant_id", "created_at", "id"),
        Index("idx_orders_restaurant_status_created_id", "restaurant_id", "status",
              "created_at", "id"),
        Index("idx_orders_updated", "updated_at"),  # reconciliation: recently changed orders
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True,
                                          default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    restaurant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    # the restaurant's owner when the order was placed: who may move it forward
    restaurant_owner_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    # 1 at creation, +1 per change: the version of the latest order_status_changes row
    status_version: Mapped[int] = mapped_column(Integer, nullable=False)
    subtotal: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False,
                                          server_default=DEFAULT_CURRENCY)
    notes: Mapped[str | None] = mapped_column(Text)
    delivery_address: Mapped[str | None] = mapped_column(Text)  # migration 0005
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), nullable=False)

    items: Mapped[list[OrderItem]] = relationship(
        order_by="OrderItem.line", lazy="selectin", cascade="all, delete-orphan")


class OrderItem(Base):
    """One line of an order: the dish's name and price as the catalog had them then."""

    __tablename__ = "order_items"
    __table_args__ = (
        PrimaryKeyConstraint("order_id", "line"),
        # each dish once per order (the request is refused otherwise, see schemas.orders)
        UniqueConstraint("order_id", "dish_id", name="uq_order_items_order_dish"),
        CheckConstraint(f"line BETWEEN 1 AND {MAX_ITEMS}", name="ck_order_items_line"),
        CheckConstraint(f"quantity BETWEEN 1 AND {MAX_QUANTITY}", name="ck_order_items_quantity"),
        CheckConstraint("unit_price >= 0", name="ck_order_items_unit_price"),
        CheckConstraint("line_total = unit_price * quantity", name="ck_order_items_line_total"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("orders.id", ondelete="CASCADE"), nullable=False)
    line: Mapped[int] = mapped_column(Integer, nullable=False)
    dish_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    dish_name: Mapped[str] = mapped_column(String(200), nullable=False)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    line_total: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)


class OrderStatusChange(Base):
    """Every status an order took, creation (version 1) included, committed with the order."""

    __tablename__ = "order_status_changes"
    __table_args__ = (
        PrimaryKeyConstraint("order_id", "version"),
        CheckConstraint("version >= 1", name="ck_order_status_changes_version"),
        CheckConstraint(_one_of("new_status", STATUSES),
                        name="ck_order_status_changes_new_status"),
        CheckConstraint(_one_of("previous_status", STATUSES),
                        name="ck_order_status_changes_previous_status"),
        CheckConstraint("(version = 1) = (previous_status IS NULL)",
                        name="ck_order_status_changes_first_has_no_previous"),
        CheckConstraint(_one_of("actor_role", ACTOR_ROLES),
                        name="ck_order_status_changes_actor_role"),
        Index("idx_order_status_changes_changed_at", "changed_at"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("orders.id", ondelete="CASCADE"), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    previous_status: Mapped[str | None] = mapped_column(String(20))
    new_status: Mapped[str] = mapped_column(String(20), nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    actor_role: Mapped[str] = mapped_column(String(20), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), nullable=False)
