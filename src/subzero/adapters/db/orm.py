"""Imperative mapping of the domain's plain classes onto the tables.

The domain stays free of SQLAlchemy (cosmicpython's pattern); ``start_mappers`` runs once,
from the composition root, never at import time.
"""

from __future__ import annotations

from sqlalchemy.orm import registry, relationship

from subzero.adapters.db import tables
from subzero.domain.items import Customer, Item, Supplier
from subzero.domain.ledger import StockMove
from subzero.domain.orders import Order, OrderLine
from subzero.domain.purchasing import PurchaseOrder, Receipt, SupplierItem

__all__ = ["mapper_registry", "start_mappers"]

mapper_registry = registry()
_started = False


def start_mappers() -> None:
    """Map the domain classes (idempotent)."""
    global _started
    if _started:
        return
    m = mapper_registry.map_imperatively
    m(Supplier, tables.suppliers)
    m(Customer, tables.customers)
    m(Item, tables.items, properties={"supplier": relationship(Supplier, lazy="joined")})
    m(StockMove, tables.stock_moves)
    m(
        OrderLine,
        tables.order_lines,
        properties={"item": relationship(Item, lazy="joined")},
    )
    m(
        Order,
        tables.orders,
        properties={
            "customer": relationship(Customer, lazy="joined"),
            "lines": relationship(
                OrderLine,
                backref="order",
                order_by=tables.order_lines.c.id,
                cascade="all, delete-orphan",
                lazy="selectin",
            ),
        },
    )
    m(
        PurchaseOrder,
        tables.purchase_orders,
        properties={
            "item": relationship(Item, lazy="joined"),
            "supplier": relationship(Supplier, lazy="joined"),
        },
    )
    m(Receipt, tables.receipts, properties={"po": relationship(PurchaseOrder)})
    m(
        SupplierItem,
        tables.supplier_items,
        properties={
            "item": relationship(Item, lazy="joined"),
            "supplier": relationship(Supplier, lazy="joined"),
        },
    )
    _started = True
