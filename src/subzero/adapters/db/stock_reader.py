"""``StockReader`` with SQLAlchemy Core: one grouped query, no ORM session.

The sums mirror the domain's definitions (``OrderLine.backordered``,
``PurchaseOrder.outstanding``) and the repositories' notion of "open"
(``SqlOrders.open_lines``, ``SqlPurchaseOrders.open_for``); a test checks that this
reader and ``service.views.stock`` agree.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, Select, func, select

from subzero.adapters.db import tables
from subzero.domain.position import StockPosition
from subzero.domain.purchasing import OPEN_STATUSES

__all__ = ["SqlStockReader"]


def _positions_query() -> Select[str, int, int, int, int]:
    items, ln, po = tables.items.c, tables.order_lines.c, tables.purchase_orders.c
    lines = (
        select(
            ln.item_id,
            func.sum(ln.allocated).label("allocated"),
            func.sum(ln.qty - ln.allocated - ln.shipped - ln.cancelled).label("backordered"),
        )
        .where(ln.qty > ln.shipped + ln.cancelled)
        .group_by(ln.item_id)
        .subquery("open_lines")
    )
    orders = (
        select(po.item_id, func.sum(po.qty - po.received).label("on_order"))
        .where(po.status.in_(OPEN_STATUSES))
        .group_by(po.item_id)
        .subquery("open_purchase_orders")
    )
    return (
        select(
            items.sku,
            items.on_hand,
            func.coalesce(lines.c.allocated, 0),
            func.coalesce(lines.c.backordered, 0),
            func.coalesce(orders.c.on_order, 0),
        )
        .select_from(tables.items)
        .outerjoin(lines, lines.c.item_id == items.id)
        .outerjoin(orders, orders.c.item_id == items.id)
        .order_by(items.sku)
    )


class SqlStockReader:
    """Stock positions read in one statement from ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def position(self, sku: str) -> StockPosition | None:
        found = self._read(_positions_query().where(tables.items.c.sku == sku))
        return found[0] if found else None

    def positions(self) -> Sequence[StockPosition]:
        return self._read(_positions_query())

    def _read(self, stmt: Select[str, int, int, int, int]) -> list[StockPosition]:
        with self.engine.connect() as conn:
            return [
                StockPosition(
                    sku=sku,
                    on_hand=int(on_hand),
                    allocated=int(allocated),
                    backordered=int(backordered),
                    on_order=int(on_order),
                )
                for sku, on_hand, allocated, backordered, on_order in conn.execute(stmt)
            ]
