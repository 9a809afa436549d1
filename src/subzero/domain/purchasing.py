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
import json
from collections.abc import Iterable
from decimal import Decimal

from subzero.domain.errors import InvalidParameter, InvalidState
from subzero.domain.items import MAX_UNITS_HELD, Item, Supplier

__all__ = [
    "POStatus",
    "PurchaseOrder",
    "Receipt",
    "SupplierItem",
    "all_units_price",
    "due_period",
]


class POStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    PARTIAL = "partial"
    RECEIVED = "received"
    CANCELLED = "cancelled"


OPEN_STATUSES = (POStatus.DRAFT, POStatus.SENT, POStatus.PARTIAL)


def all_units_price(
    unit_price: Decimal, breaks: Iterable[tuple[int, Decimal]], qty: int
) -> Decimal:
    """Unit price of an order of ``qty`` units under all-units discounts: the price of
    the largest break whose minimum quantity ``qty`` reaches (``breaks`` increasing),
    else ``unit_price``; every unit of the order pays it."""
    price = unit_price
    for min_qty, break_price in breaks:
        if qty >= min_qty:
            price = break_price
    return price


def due_period(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week: the due period of a purchase order's key."""
    return day - dt.timedelta(days=day.weekday())


class PurchaseOrder:
    """An order to a supplier for one item."""

    id: int | None
    item: Item
    supplier: Supplier

    def __init__(
        self,
        item: Item,
        supplier: Supplier,
        qty: int,
        *,
        now: dt.datetime,
        reason: str,
        lead_time_days: int | None = None,
        order_date: dt.date | None = None,
        unit_price: Decimal | None = None,
        expedite: bool = False,
        source: str = "replenish",
    ) -> None:
        if qty <= 0:
            raise InvalidParameter(f"purchase order for {item.sku}: quantity {qty}; must be > 0")
        _check_held(item.sku, qty)
        self.id = None
        self.item = item
        self.supplier = supplier
        self.qty = qty
        self.received = 0
        self.status = POStatus.DRAFT
        self.reason = reason
        self.created_at = now
        self.sent_at: dt.datetime | None = None
        self.lead_time_days = supplier.lead_time_days if lead_time_days is None else lead_time_days
        self.order_date = max(order_date or now.date(), now.date())
        self.expected_date = self.order_date + dt.timedelta(days=self.lead_time_days)
        self.due_period = due_period(self.expected_date)
        self.unit_price = unit_price
        self.expedite = expedite
        self.source = source
        self.first_expected_date: dt.date | None = None
        self.confirmed_at: dt.datetime | None = None
        self.first_received_at: dt.datetime | None = None  # when its delivery came
        self.last_received_at: dt.datetime | None = None  # and its latest part

    @property
    def outstanding(self) -> int:
        """Units still to arrive (0 once received or cancelled)."""
        return self.qty - self.received if self.status in OPEN_STATUSES else 0

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def ordered_on(self, today: dt.date) -> dt.date:
        """The day the supplier's lead time starts: when sent; for a draft, its planned
        order day, or today if that has passed."""
        if self.sent_at is not None:
            return self.sent_at.date()
        return max(self.order_date or today, today)

    def top_up(self, units: int) -> None:
        self._require_draft("top up")
        _check_held(self.item.sku, self.qty + units)
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
        """A draft is not with the supplier yet: its lead time starts when it is sent
        (its planned order day, or today once that has passed)."""
        if self.status is POStatus.DRAFT:
            self.expected_date = self.ordered_on(today) + dt.timedelta(days=self._lead_days)

    @property
    def _lead_days(self) -> int:
        return self.supplier.lead_time_days if self.lead_time_days is None else self.lead_time_days

    def send(self, now: dt.datetime) -> None:
        self._require_draft("send")
        self.status = POStatus.SENT
        self.sent_at = now
        self.order_date = now.date()
        self.expected_date = now.date() + dt.timedelta(days=self._lead_days)
        self.first_expected_date = self.expected_date

    def restate_lead_time(self, old_days: int, new_days: int, today: dt.date) -> bool:
        """The supplier's stated lead time went from ``old_days`` to ``new_days``. An open
        order that took the old one, and whose date the supplier has not moved, now
        expects the new one from its (planned) sending day; expedited orders and dates
        the supplier gave keep theirs. The on-time yardstick (``first_expected_date``)
        is never rewritten. Returns whether the order changed."""
        moved = self.first_expected_date not in (None, self.expected_date)
        if new_days == old_days or not self.is_open or self.expedite or moved:
            return False
        if self._lead_days != old_days:  # its own lead time (the item's terms)
            return False
        self.lead_time_days = new_days
        self.expected_date = self.ordered_on(today) + dt.timedelta(days=new_days)
        return True

    def confirm(self, now: dt.datetime, expected_date: dt.date | None = None) -> None:
        """The supplier confirms a sent order (optionally with its own delivery date)."""
        if self.status not in (POStatus.SENT, POStatus.PARTIAL):
            raise InvalidState(f"PO {self.id} is {self.status}; only a sent order can be confirmed")
        self.confirmed_at = now
        if expected_date is not None:
            self.reschedule(expected_date, None, today=now.date())

    def reschedule(self, expected_date: dt.date | None, qty: int | None, *, today: dt.date) -> None:
        """The supplier moves the delivery date and/or changes the quantity."""
        if self.status not in (POStatus.SENT, POStatus.PARTIAL):
            raise InvalidState(
                f"PO {self.id} is {self.status}; only a sent order can be rescheduled"
            )
        if expected_date is not None:
            if expected_date < today:
                raise InvalidParameter(
                    f"PO {self.id}: new date {expected_date} is in the past (today {today})"
                )
            self.expected_date = expected_date
        if qty is not None:
            if qty < self.received:
                raise InvalidParameter(
                    f"PO {self.id}: quantity {qty}; must be at least {self.received} "
                    f"({self.received} already received)"
                )
            _check_held(self.item.sku, qty)
            self.qty = qty
            if self.received == self.qty:  # cut to what came: closed, or cancelled if none
                self.status = POStatus.RECEIVED if qty else POStatus.CANCELLED

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
        if self.first_received_at is None:
            self.first_received_at = now
        self.last_received_at = now
        self.received += units
        self.status = POStatus.RECEIVED if self.received == self.qty else POStatus.PARTIAL

    def _require_draft(self, action: str) -> None:
        if self.status is not POStatus.DRAFT:
            raise InvalidState(f"PO {self.id} is {self.status}; only a draft can {action}")


def _check_held(sku: str, qty: int) -> None:
    if qty > MAX_UNITS_HELD:
        raise InvalidParameter(
            f"purchase order for {sku}: {qty:,} units is more than one order can hold "
            f"({MAX_UNITS_HELD:,})"
        )


class Receipt:
    """One delivery against a purchase order: the supplier's lead-time history."""

    id: int | None

    def __init__(self, po: PurchaseOrder, qty: int, at: dt.datetime) -> None:
        self.id = None
        self.po = po
        self.qty = qty
        self.at = at


class SupplierItem:
    """What one supplier offers for one item: price and price breaks, MOQ, lot size,
    capacity, lead time (None: the supplier's), an expedite option, and whether it is
    the preferred (pinned) source. Values are checked by the planning code's
    ``SupplierTerms`` when they are set (``service.supplier_terms``)."""

    item: Item
    supplier: Supplier

    def __init__(self, item: Item, supplier: Supplier) -> None:
        self.item = item
        self.supplier = supplier
        self.unit_price = Decimal(0)
        self.price_breaks = "[]"  # JSON [[min_qty, "unit price"], ...]
        self.moq = 1
        self.lot_size = 1
        self.capacity: int | None = None
        self.capacity_period = "week"
        self.lead_time_days: int | None = None
        self.expedite_lead_time_days: int | None = None
        self.expedite_cost_per_unit: Decimal | None = None
        self.preferred = False

    def breaks(self) -> list[tuple[int, Decimal]]:
        return [(int(q), Decimal(str(p))) for q, p in json.loads(self.price_breaks)]

    def price_for(self, qty: int) -> Decimal:
        """Unit price of an order of ``qty`` units (``all_units_price``)."""
        return all_units_price(Decimal(self.unit_price), self.breaks(), qty)

    def set_breaks(self, breaks: list[tuple[int, Decimal]]) -> None:
        self.price_breaks = json.dumps([[q, str(p)] for q, p in breaks])
