"""the probability told with each line's first promise, kept beside its date, so the
KPIs can set what was told against what happened (back-filled from the event log)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(sa.Column("first_promise_probability", sa.Float(), nullable=True))
    conn = op.get_bind()
    events = sa.table("events", sa.column("seq"), sa.column("type"), sa.column("payload"))
    lines = sa.table(
        "order_lines", sa.column("id"), sa.column("first_promise_probability", sa.Float)
    )
    first: dict[int, float] = {}
    rows = conn.execute(
        sa.select(events.c.payload)
        .where(events.c.type == "PromiseChanged")
        .order_by(events.c.seq)
        .execution_options(yield_per=10_000)
    )
    for (payload,) in rows:
        change = json.loads(payload)
        first.setdefault(int(change["line_id"]), float(change["probability"]))
    if first:
        conn.execute(
            lines.update()
            .where(lines.c.id == sa.bindparam("line"))
            .values(first_promise_probability=sa.bindparam("told")),
            [{"line": line, "told": told} for line, told in first.items()],
        )


def downgrade() -> None:
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("first_promise_probability")
