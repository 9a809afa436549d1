"""index events by type and time (refused demand, first-seen queries)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_type_at", "events", ["type", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_events_type_at", table_name="events")
