"""forecast runs, values, overrides, accuracy

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from subzero.adapters.db.tables import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forecast_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("ds", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("statistical", sa.Float(), nullable=True),
        sa.Column("actual", sa.Float(), nullable=True),
        sa.Column("scored_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_overrides")),
    )
    with op.batch_alter_table("forecast_overrides", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forecast_overrides_sku"), ["sku"], unique=False)

    op.create_table(
        "forecast_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("quantiles", sa.String(length=200), nullable=False),
        sa.Column("series", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_runs")),
    )
    op.create_table(
        "forecast_accuracy",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("measured_at", UtcDateTime(), nullable=False),
        sa.Column("periods", sa.Integer(), nullable=False),
        sa.Column("bias", sa.Float(), nullable=False),
        sa.Column("mae", sa.Float(), nullable=False),
        sa.Column("rmse", sa.Float(), nullable=False),
        sa.Column("mase", sa.Float(), nullable=True),
        sa.Column("rmsse", sa.Float(), nullable=True),
        sa.Column("tracking_signal", sa.Float(), nullable=False),
        sa.Column("biased", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["forecast_runs.id"], name=op.f("fk_forecast_accuracy_run_id_forecast_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", "sku", name=op.f("pk_forecast_accuracy")),
    )
    op.create_table(
        "forecast_items",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("demand_class", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["forecast_runs.id"], name=op.f("fk_forecast_items_run_id_forecast_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", "sku", name=op.f("pk_forecast_items")),
    )
    op.create_table(
        "forecast_values",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("ds", sa.Date(), nullable=False),
        sa.Column("mean", sa.Float(), nullable=False),
        sa.Column("statistical_mean", sa.Float(), nullable=False),
        sa.Column("quantiles", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["forecast_runs.id"], name=op.f("fk_forecast_values_run_id_forecast_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", "sku", "ds", name=op.f("pk_forecast_values")),
    )


def downgrade() -> None:
    op.drop_table("forecast_values")
    op.drop_table("forecast_items")
    op.drop_table("forecast_accuracy")
    op.drop_table("forecast_runs")
    with op.batch_alter_table("forecast_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forecast_overrides_sku"))

    op.drop_table("forecast_overrides")
