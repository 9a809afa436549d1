"""forecast accuracy: forecast total, the bias test's z and the days it rests on

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("forecast_accuracy") as batch:
        batch.add_column(sa.Column("forecast_total", sa.Float(), nullable=True))
        batch.add_column(sa.Column("bias_z", sa.Float(), nullable=True))
        batch.add_column(sa.Column("bias_periods", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("forecast_accuracy") as batch:
        batch.drop_column("bias_periods")
        batch.drop_column("bias_z")
        batch.drop_column("forecast_total")
