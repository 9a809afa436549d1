"""The stock ledger: every change of on-hand stock is an append-only move.

A move is never edited or deleted; a correction is a new move. On hand is the sum of
the moves, and may go below zero only through an explicit adjustment (normal flows ship
only allocated units). Back-dated moves need no re-posting: balances are sums.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable

from subzero.domain.errors import InvalidParameter

__all__ = ["MoveKind", "StockMove", "on_hand_of"]


class MoveKind(enum.StrEnum):
    OPENING = "opening"  # stock counted when the item was created
    RECEIPT = "receipt"  # a purchase order arrived
    SHIPMENT = "shipment"  # allocated units left for a customer
    ADJUSTMENT = "adjustment"  # a stock count correction


class StockMove:
    """One signed change of on-hand stock for one item (+ in, − out)."""

    id: int | None

    def __init__(
        self, item_id: int, qty: int, kind: MoveKind, at: dt.datetime, ref: str = ""
    ) -> None:
        if qty == 0:
            raise InvalidParameter("a stock move of 0 units changes nothing")
        self.id = None
        self.item_id = item_id
        self.qty = qty
        self.kind = kind
        self.at = at
        self.ref = ref


def on_hand_of(moves: Iterable[StockMove]) -> int:
    """On hand is the sum of the moves."""
    return sum(m.qty for m in moves)
