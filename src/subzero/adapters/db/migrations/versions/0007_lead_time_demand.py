"""forecast items: demand over the item's protection period, for the policies

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("forecast_items") as batch:
        batch.add_column(sa.Column("ltd_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("ltd_mean", sa.Float(), nullable=True))
        batch.add_column(sa.Column("ltd_sd", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("forecast_items") as batch:
        batch.drop_column("ltd_sd")
        batch.drop_column("ltd_mean")
        batch.drop_column("ltd_days")
