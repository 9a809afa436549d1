"""Customer orders and their lines, below zero.

Every unit of a line is in exactly one state::

    qty = allocated + backordered + shipped + cancelled

* **allocated** — reserved from on-hand stock, ready to ship;
* **backordered** — waiting for stock (derived: what is neither allocated, shipped nor
  cancelled);
* **shipped** — left the warehouse;
* **cancelled** — no longer wanted.

``served_from_stock`` is what the line got from free stock at the moment it was placed
(the fill-rate numerator); ``filled_at`` is when its last unit was allocated (the end of
its backorder wait); ``first_promised_date`` is the date promised when it was placed
(the promise-reliability yardstick) and ``first_promise_probability`` the probability
told with it, ``promised_date`` the current promise.
"""

from __future__ import annotations

import datetime as dt
import enum

from subzero.domain.errors import InvalidParameter
from subzero.domain.items import Customer, Item

__all__ = ["LineStatus", "Order", "OrderLine", "OrderStatus"]


class LineStatus(enum.StrEnum):
    BACKORDERED = "backordered"  # some units wait for stock
    READY = "ready"  # every open unit is allocated
    SHIPPED = "shipped"  # every unit shipped (or cancelled after partial shipment)
    CANCELLED = "cancelled"  # every unit cancelled


class OrderStatus(enum.StrEnum):
    BACKORDERED = "backordered"
    READY = "ready"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


class OrderLine:
    """One SKU on an order (see the module docstring for the unit states)."""

    id: int | None
    order: Order
    item: Item

    def __init__(self, item: Item, qty: int, *, priority: int, placed_at: dt.datetime) -> None:
        self.id = None
        self.item = item
        self.qty = qty
        self.allocated = 0
        self.shipped = 0
        self.cancelled = 0
        self.served_from_stock = 0
        self.priority = priority
        self.placed_at = placed_at
        self.promised_date: dt.date | None = None
        self.first_promised_date: dt.date | None = None
        self.promise_probability: float | None = None
        self.first_promise_probability: float | None = None
        self.filled_at: dt.datetime | None = None

    @property
    def backordered(self) -> int:
        return self.qty - self.allocated - self.shipped - self.cancelled

    @property
    def open_qty(self) -> int:
        """Units not yet shipped or cancelled."""
        return self.qty - self.shipped - self.cancelled

    @property
    def status(self) -> LineStatus:
        if self.cancelled == self.qty:
            return LineStatus.CANCELLED
        if self.open_qty == 0:
            return LineStatus.SHIPPED
        if self.backordered > 0:
            return LineStatus.BACKORDERED
        return LineStatus.READY

    def allocate(self, units: int, now: dt.datetime) -> None:
        """Reserve ``units`` of arriving or free stock for this line."""
        if not 0 < units <= self.backordered:
            raise InvalidParameter(
                f"line {self.id}: cannot allocate {units}; {self.backordered} backordered"
            )
        self.allocated += units
        if self.backordered == 0 and self.filled_at is None:
            self.filled_at = now

    def ship(self) -> int:
        """Ship every allocated unit; returns the units shipped."""
        units = self.allocated
        self.shipped += units
        self.allocated = 0
        return units

    def cancel(self) -> int:
        """Cancel every open unit; returns the allocated units released to stock."""
        released = self.allocated
        self.cancelled += self.open_qty
        self.allocated = 0
        return released

    def cancel_backordered(self) -> int:
        """Cancel the units still waiting, keeping the allocated ones for shipping;
        returns the units cancelled."""
        units = self.backordered
        self.cancelled += units
        return units


class Order:
    """A customer's order: one or more lines placed at the same moment."""

    id: int | None
    customer: Customer
    lines: list[OrderLine]

    def __init__(self, customer: Customer, placed_at: dt.datetime) -> None:
        self.id = None
        self.customer = customer
        self.placed_at = placed_at
        self.lines = []

    @property
    def status(self) -> OrderStatus:
        states = {line.status for line in self.lines}
        if states == {LineStatus.CANCELLED}:
            return OrderStatus.CANCELLED
        if states <= {LineStatus.SHIPPED, LineStatus.CANCELLED}:
            return OrderStatus.SHIPPED
        if any(line.shipped for line in self.lines):
            return OrderStatus.PARTIALLY_SHIPPED
        if LineStatus.BACKORDERED in states:
            return OrderStatus.BACKORDERED
        return OrderStatus.READY
