"""promises learn lateness and preemption: when a supplier's stated lead time was last
set, when each purchase order's first receipt came (indexed per supplier, back-filled),
and an index of order lines by item and time

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from subzero.adapters.db.tables import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("suppliers") as batch:
        batch.add_column(sa.Column("lead_time_set_at", UtcDateTime(), nullable=True))
    with op.batch_alter_table("purchase_orders") as batch:
        batch.add_column(sa.Column("first_received_at", UtcDateTime(), nullable=True))
    op.execute(
        "UPDATE purchase_orders SET first_received_at = "
        "(SELECT min(receipts.at) FROM receipts WHERE receipts.po_id = purchase_orders.id)"
    )
    op.create_index(
        "ix_purchase_orders_supplier_received",
        "purchase_orders",
        ["supplier_id", "first_received_at"],
    )
    op.create_index("ix_order_lines_item_placed", "order_lines", ["item_id", "placed_at"])


def downgrade() -> None:
    op.drop_index("ix_order_lines_item_placed", table_name="order_lines")
    op.drop_index("ix_purchase_orders_supplier_received", table_name="purchase_orders")
    with op.batch_alter_table("purchase_orders") as batch:
        batch.drop_column("first_received_at")
    with op.batch_alter_table("suppliers") as batch:
        batch.drop_column("lead_time_set_at")
