"""supplier terms, planning keys, jit and vmi

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from subzero.adapters.db.tables import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supplier_items",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column(
            "unit_price",
            sa.Numeric(precision=14, scale=4),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("price_breaks", sa.Text(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("moq", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("lot_size", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column(
            "capacity_period", sa.String(length=8), server_default=sa.text("'week'"), nullable=False
        ),
        sa.Column("lead_time_days", sa.Integer(), nullable=True),
        sa.Column("expedite_lead_time_days", sa.Integer(), nullable=True),
        sa.Column("expedite_cost_per_unit", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("preferred", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.CheckConstraint("moq >= 1 AND lot_size >= 1", name=op.f("ck_supplier_items_lots")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_supplier_items_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_supplier_items_supplier_id_suppliers")
        ),
        sa.PrimaryKeyConstraint("item_id", "supplier_id", name=op.f("pk_supplier_items")),
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("jit", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        batch_op.add_column(sa.Column("vmi_min", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("vmi_max", sa.Integer(), nullable=True))

    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.alter_column(
            "reason", existing_type=sa.String(length=200), type_=sa.Text(), existing_nullable=False
        )
        batch_op.add_column(sa.Column("order_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("lead_time_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("due_period", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("expedite", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("unit_price", sa.Numeric(precision=14, scale=4), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "source",
                sa.String(length=16),
                server_default=sa.text("'replenish'"),
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("first_expected_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("confirmed_at", UtcDateTime(), nullable=True))
        batch_op.drop_index("uq_purchase_orders_one_draft")
        batch_op.create_index(
            "uq_purchase_orders_one_draft",
            ["item_id", "supplier_id", "due_period", "expedite"],
            unique=True,
            sqlite_where=sa.text("status = 'draft'"),
            postgresql_where=sa.text("status = 'draft'"),
        )

    # Existing purchase orders get their key (the Monday of the expected week), their
    # supplier's lead time, and, for sent ones, the on-time yardstick.
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT po.id, po.expected_date, po.created_at, po.status, s.lead_time_days "
            "FROM purchase_orders po JOIN suppliers s ON s.id = po.supplier_id"
        )
    ).all()
    for po_id, expected, created, status, lead in rows:
        if isinstance(expected, str):
            expected = dt.date.fromisoformat(expected)
        if isinstance(created, str):
            created = dt.datetime.fromisoformat(created)
        conn.execute(
            sa.text(
                "UPDATE purchase_orders SET due_period = :period, lead_time_days = :lead, "
                "order_date = :ordered, first_expected_date = :first WHERE id = :id"
            ),
            {
                "period": expected - dt.timedelta(days=expected.weekday()),
                "lead": lead,
                "ordered": created.date(),
                "id": po_id,
                "first": None if status == "draft" else expected,
            },
        )


def downgrade() -> None:
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.drop_index("uq_purchase_orders_one_draft")
        batch_op.create_index(
            "uq_purchase_orders_one_draft",
            ["item_id", "supplier_id"],
            unique=True,
            sqlite_where=sa.text("status = 'draft'"),
            postgresql_where=sa.text("status = 'draft'"),
        )
        batch_op.drop_column("confirmed_at")
        batch_op.drop_column("first_expected_date")
        batch_op.drop_column("source")
        batch_op.drop_column("unit_price")
        batch_op.drop_column("expedite")
        batch_op.drop_column("due_period")
        batch_op.drop_column("lead_time_days")
        batch_op.drop_column("order_date")
        batch_op.alter_column(
            "reason", existing_type=sa.Text(), type_=sa.String(length=200), existing_nullable=False
        )

    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("vmi_max")
        batch_op.drop_column("vmi_min")
        batch_op.drop_column("jit")

    op.drop_table("supplier_items")
