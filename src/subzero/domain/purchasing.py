"""Purchase orders: drafts (proposals) that replenishment may still change, and sent
orders that only the supplier's deliveries change.

Status flow::

    draft ──send──▶ sent ──receive part──▶ partial ──receive rest──▶ received
      │
      └──reduced to 0──▶ cancelled

Replenishment is idempotent: there is at most one draft per (item, supplier) — a sale
below zero tops it up instead of creating another, and re-running replenishment on an
unchanged position changes nothing. A draft that a cancelled order alone caused is
reduced, never below what is still needed.
"""

from __future__ import annotations

import datetime as dt
import enum

from subzero.domain.errors import InvalidParameter, InvalidState
from subzero.domain.items import Item, Supplier

__all__ = ["POStatus", "PurchaseOrder", "Receipt"]


class POStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    PARTIAL = "partial"
    RECEIVED = "received"
    CANCELLED = "cancelled"


OPEN_STATUSES = (POStatus.DRAFT, POStatus.SENT, POStatus.PARTIAL)


class PurchaseOrder:
    """An order to a supplier for one item."""

    id: int | None
    item: Item
    supplier: Supplier

    def __init__(
        self, item: Item, supplier: Supplier, qty: int, *, now: dt.datetime, reason: str
    ) -> None:
        if qty <= 0:
            raise InvalidParameter(f"purchase order for {item.sku}: quantity {qty}; must be > 0")
        self.id = None
        self.item = item
        self.supplier = supplier
        self.qty = qty
        self.received = 0
        self.status = POStatus.DRAFT
        self.reason = reason
        self.created_at = now
        self.sent_at: dt.datetime | None = None
        self.expected_date = now.date() + dt.timedelta(days=supplier.lead_time_days)

    @property
    def outstanding(self) -> int:
        """Units still to arrive (0 once received or cancelled)."""
        return self.qty - self.received if self.status in OPEN_STATUSES else 0

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def ordered_on(self) -> dt.date:
        """The day the supplier's lead time starts: when sent, else (a draft) today."""
        return (self.sent_at or self.created_at).date()

    def top_up(self, units: int) -> None:
        self._require_draft("top up")
        self.qty += units

    def reduce(self, units: int) -> None:
        """Take ``units`` off a draft; a draft reduced to nothing is cancelled."""
        self._require_draft("reduce")
        if not 0 < units <= self.qty:
            raise InvalidParameter(f"PO {self.id}: cannot reduce {self.qty} by {units}")
        self.qty -= units
        if self.qty == 0:
            self.status = POStatus.CANCELLED

    def refresh_draft(self, today: dt.date) -> None:
        """A draft is not with the supplier yet: its lead time starts when it is sent."""
        if self.status is POStatus.DRAFT:
            self.expected_date = today + dt.timedelta(days=self.supplier.lead_time_days)

    def send(self, now: dt.datetime) -> None:
        self._require_draft("send")
        self.status = POStatus.SENT
        self.sent_at = now
        self.expected_date = now.date() + dt.timedelta(days=self.supplier.lead_time_days)

    def receive(self, units: int, now: dt.datetime) -> None:
        """Book a delivery of ``units`` (a draft received is taken as sent that day)."""
        if not self.is_open:
            raise InvalidState(f"PO {self.id} is {self.status}; nothing more can be received")
        if units > self.outstanding:
            raise InvalidParameter(
                f"PO {self.id}: {units} units received but only {self.outstanding} outstanding"
            )
        if self.status is POStatus.DRAFT:
            self.sent_at = now
        self.received += units
        self.status = POStatus.RECEIVED if self.received == self.qty else POStatus.PARTIAL

    def _require_draft(self, action: str) -> None:
        if self.status is not POStatus.DRAFT:
            raise InvalidState(f"PO {self.id} is {self.status}; only a draft can {action}")


class Receipt:
    """One delivery against a purchase order: the supplier's lead-time history."""

    id: int | None

    def __init__(self, po: PurchaseOrder, qty: int, at: dt.datetime) -> None:
        self.id = None
        self.po = po
        self.qty = qty
        self.at = at
