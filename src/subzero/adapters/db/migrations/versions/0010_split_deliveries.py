"""promises learn how long a supplier takes to deliver the rest of a split order: when
each purchase order's latest receipt came (back-filled; split deliveries indexed per
supplier)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from subzero.adapters.db.tables import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("purchase_orders") as batch:
        batch.add_column(sa.Column("last_received_at", UtcDateTime(), nullable=True))
    op.execute(
        "UPDATE purchase_orders SET last_received_at = "
        "(SELECT max(receipts.at) FROM receipts WHERE receipts.po_id = purchase_orders.id) "
        "WHERE first_received_at IS NOT NULL"
    )
    split = sa.text("last_received_at > first_received_at")
    op.create_index(  # split deliveries only: their walk skips the whole ones
        "ix_purchase_orders_supplier_split",
        "purchase_orders",
        ["supplier_id", "last_received_at"],
        postgresql_where=split,
        sqlite_where=split,
    )


def downgrade() -> None:
    op.drop_index("ix_purchase_orders_supplier_split", table_name="purchase_orders")
    with op.batch_alter_table("purchase_orders") as batch:
        batch.drop_column("last_received_at")
