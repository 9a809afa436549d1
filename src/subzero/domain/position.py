"""The stock position of an item: one definition for every screen and every policy.

* ``on_hand`` — physical units in the warehouse (sum of the ledger);
* ``allocated`` — units reserved for open order lines;
* ``backordered`` — units customers ordered that wait for stock;
* ``on_order`` — units on open purchase orders not yet received;
* ``available = on_hand − allocated − backordered`` — negative means **below zero**;
* ``inventory_position = available + on_order`` — what policies look at.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from subzero.domain.orders import OrderLine
from subzero.domain.purchasing import PurchaseOrder

__all__ = ["StockPosition", "stock_position"]


@dataclass(frozen=True, slots=True)
class StockPosition:
    sku: str
    on_hand: int
    allocated: int
    backordered: int
    on_order: int

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated - self.backordered

    @property
    def inventory_position(self) -> int:
        return self.available + self.on_order

    @property
    def free(self) -> int:
        """Units on hand not yet reserved (what a new order can take at once)."""
        return max(0, self.on_hand - self.allocated)

    def as_dict(self) -> dict[str, int | str]:
        return {
            "sku": self.sku,
            "on_hand": self.on_hand,
            "allocated": self.allocated,
            "backordered": self.backordered,
            "on_order": self.on_order,
            "available": self.available,
            "inventory_position": self.inventory_position,
        }


def stock_position(
    sku: str, on_hand: int, lines: Iterable[OrderLine], pos: Iterable[PurchaseOrder]
) -> StockPosition:
    """Position from the item's on hand, its open lines and its purchase orders."""
    allocated = backordered = 0
    for line in lines:
        allocated += line.allocated
        backordered += line.backordered
    return StockPosition(
        sku=sku,
        on_hand=on_hand,
        allocated=allocated,
        backordered=backordered,
        on_order=sum(po.outstanding for po in pos),
    )
