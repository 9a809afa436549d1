"""the event log's hash covers the reference columns too (sku, order_id, po_id: hash
version 2): the chain is checked under the old rule, then re-chained under the new one

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

Under the old rule (version 1) an event's hash covered its seq, type, time and payload,
not the columns that put it in an order's, item's or purchase order's history: an
``UPDATE events SET order_id = …`` went unseen. Version 2 (``domain.events.chain_hash``)
covers them. Both rules are written out here as they stand at this revision, so this
migration keeps doing what it did when the domain's rule moves on.

The upgrade reads the log once, by seq, streamed. Each event is first checked under the
old rule: its seq follows the one before, its ``prev_hash`` is the hash before it, its
hash is the old rule's, and its reference columns are the ones its payload names (the
payload was hashed, and an event's references are fields of it, ``DomainEvent.refs``:
so a reference moved before this migration is caught here, not hashed in). An event
that passes gets its version 2 ``prev_hash`` and hash. The head is moved to the new
hash of the last event only when it named that event and its old hash.

A log that is already broken is not laundered, and the database is still migrated:
re-chaining stops at the first event that fails the old rule, which keeps its old
``prev_hash`` and hash, as do all events after it; a head that did not match the log is
left as it was (or missing). ``events verify`` then reports the break at the same seq
as before (or the same head mismatch), and keeps doing so after new events are appended
to the old head. Refusing to migrate was the other choice; it would leave the business
unable to run this version at all, while nothing can repair a broken log: only the
partners' copies can tell what it said. A warning names the break.

The downgrade is the same walk the other way (checked under version 2, re-chained under
version 1), with the same rule for a broken log.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from subzero.adapters.db.tables import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

logger = logging.getLogger(__name__)

_GENESIS = "0" * 64
_BATCH = 2000

# (prev_hash, seq, type, at, sku, order_id, po_id, payload) -> hash
_Rule = Callable[[str, int, str, Any, Any, Any, Any, str], str]

_events = sa.table(
    "events",
    sa.column("seq", sa.Integer()),
    sa.column("type", sa.String()),
    sa.column("at", UtcDateTime()),
    sa.column("sku", sa.String()),
    sa.column("order_id", sa.Integer()),
    sa.column("po_id", sa.Integer()),
    sa.column("payload", sa.Text()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)
_chain = sa.table(
    "event_chain", sa.column("id", sa.Integer()), sa.column("seq"), sa.column("head_hash")
)


def _version_1(
    prev: str, seq: int, type_: str, at: Any, sku: Any, order_id: Any, po_id: Any, payload: str
) -> str:
    """sha256(prev_hash | seq | type | at | payload): sku, order_id and po_id not covered."""
    text = "|".join((prev, str(seq), type_, at.isoformat(), payload))
    return hashlib.sha256(text.encode()).hexdigest()


def _version_2(
    prev: str, seq: int, type_: str, at: Any, sku: Any, order_id: Any, po_id: Any, payload: str
) -> str:
    """sha256(json([2, prev_hash, seq, type, at, sku, order_id, po_id, payload]))."""
    text = json.dumps(
        [2, prev, seq, type_, at.isoformat(), sku, order_id, po_id, payload],
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _references_agree(sku: Any, order_id: Any, po_id: Any, payload: str) -> bool:
    named = json.loads(payload)
    return (named.get("sku"), named.get("order_id"), named.get("po_id")) == (
        sku,
        order_id,
        po_id,
    )


def upgrade() -> None:
    _rechain(old=_version_1, new=_version_2, old_name="the old rule (version 1)")


def downgrade() -> None:
    _rechain(old=_version_2, new=_version_1, old_name="hash version 2")


def _rechain(*, old: _Rule, new: _Rule, old_name: str) -> None:
    """Re-chain every event that holds under ``old`` with ``new``, up to the first that
    does not (see the module's docstring)."""
    conn = op.get_bind()
    head = conn.execute(
        sa.select(_chain.c.seq, _chain.c.head_hash).where(_chain.c.id == 1)
    ).one_or_none()
    c = _events.c
    rows = conn.execute(
        sa.select(c.seq, c.type, c.at, c.sku, c.order_id, c.po_id, c.payload, c.prev_hash, c.hash)
        .order_by(c.seq)
        .execution_options(yield_per=_BATCH)
    )
    rewrite = (
        sa.update(_events)
        .where(c.seq == sa.bindparam("s"))
        .values(prev_hash=sa.bindparam("p"), hash=sa.bindparam("h"))
    )
    old_prev = new_prev = _GENESIS
    last, broken = 0, None
    batch: list[dict[str, Any]] = []
    for seq, type_, at, sku, order_id, po_id, payload, prev_hash, hash_ in rows:
        fields = (seq, type_, at, sku, order_id, po_id, payload)
        if (
            seq != last + 1
            or prev_hash != old_prev
            or old(old_prev, *fields) != hash_
            or not _references_agree(sku, order_id, po_id, payload)
        ):
            broken = last + 1  # where ``events verify`` puts it (a gap: the first missing)
            break
        made = new(new_prev, *fields)
        batch.append({"s": seq, "p": new_prev, "h": made})
        old_prev, new_prev, last = hash_, made, seq
        if len(batch) >= _BATCH:
            conn.execute(rewrite, batch)
            batch = []
    rows.close()
    if batch:
        conn.execute(rewrite, batch)
    if broken is not None:
        logger.warning(
            "event log broken at seq %d under %s: the events from seq %d on keep their hashes, so "
            "`subzero events verify` still reports it",
            broken,
            old_name,
            broken,
        )
    elif head is not None and tuple(head) == (last, old_prev):
        conn.execute(sa.update(_chain).where(_chain.c.id == 1).values(seq=last, head_hash=new_prev))
    elif head is not None or last:
        logger.warning(
            "event log head %s does not name its last event (seq %d): left as it was, "
            "so `subzero events verify` still reports it",
            "missing" if head is None else f"(seq {head[0]})",
            last,
        )
