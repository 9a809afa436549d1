"""The stock screen's read side: positions summed by the database, no domain objects.

``subzero stock`` is the command people type most, so it reads through a narrow
``StockReader`` (one query, no ORM, no message bus) instead of a unit of work. The
figures are the ones ``service.views.stock`` computes from the loaded lines and
purchase orders (a test compares the two on SQLite and PostgreSQL):

* ``allocated`` and ``backordered`` are summed over the item's open order lines
  (``OrderLine.backordered = qty − allocated − shipped − cancelled``);
* ``on_order`` is summed over its open purchase orders
  (``PurchaseOrder.outstanding = qty − received``);
* ``available`` and ``inventory_position`` come from ``domain.position.StockPosition``,
  the one definition.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from subzero.domain.errors import NotFound
from subzero.domain.position import StockPosition

__all__ = ["StockReader", "stock_position", "stock_positions"]


class StockReader(Protocol):
    """Stock positions straight from storage (implemented in ``adapters.db``)."""

    def position(self, sku: str) -> StockPosition | None:
        """The item's position, or None when there is no such SKU."""
        ...

    def positions(self) -> Sequence[StockPosition]:
        """Every item's position, by SKU."""
        ...


def stock_position(reader: StockReader, sku: str) -> StockPosition:
    """The item's stock position (one definition: see ``domain.position``).

    Raises:
        NotFound: there is no item ``sku``.
    """
    position = reader.position(sku)
    if position is None:
        raise NotFound(f"SKU {sku!r} not found")
    return position


def stock_positions(reader: StockReader) -> list[StockPosition]:
    """Every item's stock position, by SKU."""
    return list(reader.positions())
