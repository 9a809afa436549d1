"""forecast overrides: at most one pending override per item and day

Before this revision two planners overriding the same item and day at the same moment
could both insert a row, and both were applied and scored. Pending duplicates are merged
first: the latest row (the planner's last word, the value the ledger run applied last)
is kept and the earlier pending ones are deleted. Scored overrides are history and stay
as they are; the index covers only the pending ones.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        sa.text(
            "DELETE FROM forecast_overrides WHERE actual IS NULL AND EXISTS ("
            " SELECT 1 FROM forecast_overrides AS later"
            " WHERE later.sku = forecast_overrides.sku AND later.ds = forecast_overrides.ds"
            " AND later.actual IS NULL AND later.id > forecast_overrides.id)"
        )
    )
    op.create_index(
        "uq_forecast_overrides_pending",
        "forecast_overrides",
        ["sku", "ds"],
        unique=True,
        sqlite_where=sa.text("actual IS NULL"),
        postgresql_where=sa.text("actual IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_forecast_overrides_pending", table_name="forecast_overrides")
