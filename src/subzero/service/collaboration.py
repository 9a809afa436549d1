"""Supplier collaboration: a supplier confirms or reschedules its purchase orders, and
replenishes vendor-managed (VMI) items inside the agreed bounds.

Rules:

* A supplier acts only on **its own** purchase orders; naming another supplier's order
  (or one that does not exist) is ``NotFound`` with the same message, so nothing about
  other suppliers' orders leaks.
* Every change runs with the item's row locked and ends with ``rebalance``: the item's
  waiting customer lines are **re-promised at once** from the orders' new dates and
  quantities (``PromiseChanged`` events in their history).
* A quantity cut below what waiting backorders need is said in the
  ``PurchaseOrderRescheduled`` event (``shortfall``, ``note``): backorders take open
  orders in order of arrival, and the units this order covered and no longer covers
  wait for the next receipts — later orders, or a new make-to-order draft (a VMI
  item waits for its vendor's next order); their lines are re-promised.
* **VMI**: the item's supplier, not us, decides replenishment. ``rebalance`` places no
  orders for a VMI item; when VMI starts our unsent drafts for it are cancelled. A VMI
  order is refused when it would raise the inventory position above the agreed
  maximum; it is recorded as a sent purchase order (``source="vmi"``) and a
  ``VmiOrderPlaced`` event carrying the position before and after and the bounds.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from subzero.domain.commands import (
    ConfirmPurchaseOrder,
    PlaceVmiOrder,
    ReschedulePurchaseOrder,
    SetVmi,
)
from subzero.domain.errors import InvalidParameter, InvalidState, NotFound
from subzero.domain.events import (
    PurchaseOrderChanged,
    PurchaseOrderConfirmed,
    PurchaseOrderCreated,
    PurchaseOrderRescheduled,
    PurchaseOrderSent,
    VmiOrderPlaced,
    VmiSet,
)
from subzero.domain.items import Item, Supplier, validate_quantity
from subzero.domain.purchasing import POStatus, PurchaseOrder
from subzero.service.context import Context
from subzero.service.lead_times import incoming_of
from subzero.service.orders import lock_items
from subzero.service.rebalance import position_of, rebalance
from subzero.service.supplier_view import supplies
from subzero.service.unit_of_work import UnitOfWork

__all__ = [
    "PurchaseOrderUpdate",
    "Repromise",
    "confirm_purchase_order",
    "place_vmi_order",
    "reschedule_purchase_order",
    "set_vmi",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Repromise:
    """A customer line whose promise moved because of the supplier's change."""

    order_id: int
    line_id: int
    old_date: dt.date | None
    new_date: dt.date | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "line_id": self.line_id,
            "old_date": self.old_date.isoformat() if self.old_date else None,
            "new_date": self.new_date.isoformat() if self.new_date else None,
        }


@dataclass(frozen=True, slots=True)
class PurchaseOrderUpdate:
    """What a confirmation or reschedule did, and which promises it moved."""

    po_id: int
    sku: str
    supplier: str
    status: str
    old_qty: int
    qty: int
    old_expected_date: dt.date
    expected_date: dt.date
    shortfall: int
    note: str
    repromised: tuple[Repromise, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "po_id": self.po_id,
            "sku": self.sku,
            "supplier": self.supplier,
            "status": self.status,
            "old_qty": self.old_qty,
            "qty": self.qty,
            "old_expected_date": self.old_expected_date.isoformat(),
            "expected_date": self.expected_date.isoformat(),
            "shortfall": self.shortfall,
            "note": self.note,
            "repromised": [r.as_dict() for r in self.repromised],
        }


def confirm_purchase_order(
    cmd: ConfirmPurchaseOrder, *, uow: UnitOfWork, ctx: Context
) -> PurchaseOrderUpdate:
    """The supplier confirms its sent order, optionally with its own delivery date;
    a new date re-promises the item's waiting lines at once."""
    po, item = _own_order_locked(uow, cmd.po_id, cmd.supplier)
    assert po.id is not None
    old_date, old_qty = po.expected_date, po.qty
    before = _promises(uow, item)
    po.confirm(ctx.now, cmd.expected_date)
    uow.record(
        PurchaseOrderConfirmed(
            po.id, item.sku, po.supplier.name, po.qty, old_date, po.expected_date
        ),
        ctx.now,
    )
    rebalance(uow, item, ctx)
    note = "" if po.expected_date == old_date else f"delivery {old_date} -> {po.expected_date}"
    update = _update(uow, po, item, old_qty, old_date, 0, note, before)
    uow.commit()
    logger.info("PO %s confirmed by %s for %s", po.id, po.supplier.name, po.expected_date)
    return update


def reschedule_purchase_order(
    cmd: ReschedulePurchaseOrder, *, uow: UnitOfWork, ctx: Context
) -> PurchaseOrderUpdate:
    """The supplier moves its sent order's date and/or quantity; waiting lines are
    re-promised at once, and a quantity cut that leaves backorders without this order
    is stated in the event."""
    if cmd.expected_date is None and cmd.qty is None:
        raise InvalidParameter(
            f"reschedule of PO {cmd.po_id}: give a new date, a new quantity, or both"
        )
    if cmd.qty is not None:  # 0: the supplier cancels what has not come
        validate_quantity(f"PO {cmd.po_id} quantity", cmd.qty, allow_zero=True)
    po, item = _own_order_locked(uow, cmd.po_id, cmd.supplier)
    assert po.id is not None
    old_date, old_qty = po.expected_date, po.qty
    before = _promises(uow, item)
    covered = _covered_backorders(uow, item, po, ctx)
    po.reschedule(cmd.expected_date, cmd.qty, today=ctx.today)
    shortfall = max(0, covered - po.outstanding) if po.qty < old_qty else 0
    note = _reschedule_note(old_date, po.expected_date, old_qty, po.qty, covered, shortfall)
    uow.record(
        PurchaseOrderRescheduled(
            po.id,
            item.sku,
            po.supplier.name,
            old_date,
            po.expected_date,
            old_qty,
            po.qty,
            shortfall,
            note,
        ),
        ctx.now,
    )
    rebalance(uow, item, ctx)
    update = _update(uow, po, item, old_qty, old_date, shortfall, note, before)
    uow.commit()
    logger.info("PO %s rescheduled by %s: %s", po.id, po.supplier.name, note)
    return update


def set_vmi(cmd: SetVmi, *, uow: UnitOfWork, ctx: Context) -> str:
    """Put an item under VMI with bounds on its inventory position, change the bounds,
    or end VMI (both None). Starting VMI cancels our unsent drafts for the item;
    ending it hands the item back to its own policy at once."""
    item = lock_items(uow, [cmd.sku])[cmd.sku]
    old = (item.vmi_min, item.vmi_max)
    was_vmi = item.vmi
    item.set_vmi(cmd.minimum, cmd.maximum)
    if (item.vmi_min, item.vmi_max) != old:
        uow.record(
            VmiSet(item.sku, item.supplier.name, old[0], old[1], item.vmi_min, item.vmi_max),
            ctx.now,
        )
    if item.vmi and not was_vmi:
        _cancel_drafts(uow, item, ctx)
    rebalance(uow, item, ctx)
    uow.commit()
    logger.info("item %s: VMI bounds %s -> %s", item.sku, old, (item.vmi_min, item.vmi_max))
    return item.sku


def place_vmi_order(cmd: PlaceVmiOrder, *, uow: UnitOfWork, ctx: Context) -> int:
    """The vendor's replenishment decision for a VMI item: checked against the agreed
    maximum, recorded as a sent purchase order (``source="vmi"``); returns its id."""
    validate_quantity(f"VMI order for {cmd.sku}", cmd.qty)
    if cmd.expected_date is not None and cmd.expected_date < ctx.today:
        raise InvalidParameter(
            f"VMI order for {cmd.sku}: date {cmd.expected_date} is in the past (today {ctx.today})"
        )
    supplier = uow.suppliers.get(cmd.supplier)
    found = uow.items.get(cmd.sku)
    if supplier is None or found is None or not supplies(uow, supplier, found):
        raise NotFound(f"SKU {cmd.sku!r} not found for supplier {cmd.supplier!r}")
    item = lock_items(uow, [cmd.sku])[cmd.sku]
    if item.vmi_min is None or item.vmi_max is None:
        raise InvalidState(f"item {item.sku} is not under VMI: we replenish it ourselves")
    if item.supplier.name != supplier.name:
        raise InvalidState(
            f"item {item.sku}: VMI is agreed with its own supplier, not with {supplier.name}"
        )
    before = position_of(uow, item).inventory_position
    after = before + cmd.qty
    if after > item.vmi_max:
        raise InvalidParameter(
            f"item {item.sku}: a VMI order of {cmd.qty} would raise the inventory position "
            f"from {before} to {after}, above the agreed maximum {item.vmi_max}; "
            f"order at most {max(0, item.vmi_max - before)}"
        )
    lead = (
        _lead_time_days(uow, item, supplier)
        if cmd.expected_date is None
        else (cmd.expected_date - ctx.today).days
    )
    reason = f"vmi: {supplier.name}'s decision (position {before} -> {after})"
    po = PurchaseOrder(
        item, supplier, cmd.qty, now=ctx.now, reason=reason, lead_time_days=lead, source="vmi"
    )
    po.send(ctx.now)
    uow.purchase_orders.add(po)
    uow.flush()
    assert po.id is not None
    uow.record(PurchaseOrderCreated(po.id, item.sku, supplier.name, po.qty, reason), ctx.now)
    uow.record(PurchaseOrderSent(po.id, item.sku, supplier.name, po.qty, po.expected_date), ctx.now)
    uow.record(
        VmiOrderPlaced(
            po.id,
            item.sku,
            supplier.name,
            po.qty,
            po.expected_date,
            before,
            after,
            item.vmi_min,
            item.vmi_max,
        ),
        ctx.now,
    )
    rebalance(uow, item, ctx)
    uow.commit()
    logger.info("VMI PO %s: %d x %s by %s", po.id, po.qty, item.sku, supplier.name)
    return po.id


def _own_order_locked(uow: UnitOfWork, po_id: int, supplier: str) -> tuple[PurchaseOrder, Item]:
    """The supplier's own order, re-read under its item's lock (else NotFound)."""
    po = uow.purchase_orders.get(po_id)
    if po is None or po.supplier.name != supplier:
        raise NotFound(f"purchase order {po_id} not found for supplier {supplier!r}")
    item = lock_items(uow, [po.item.sku])[po.item.sku]
    po = uow.purchase_orders.get(po_id, refresh=True)
    assert po is not None
    return po, item


def _promises(uow: UnitOfWork, item: Item) -> dict[int, tuple[int, dt.date | None]]:
    return {
        line.id or 0: (line.order.id or 0, line.promised_date)
        for line in uow.orders.open_lines(item)
    }


def _covered_backorders(uow: UnitOfWork, item: Item, po: PurchaseOrder, ctx: Context) -> int:
    """Waiting backordered units that ``po`` covers: backorders take the item's open
    orders in order of arrival (as promises do, ``domain.promise``)."""
    backordered = sum(line.backordered for line in uow.orders.open_lines(item))

    def arrival(order: PurchaseOrder) -> tuple[dt.date, int]:
        incoming = incoming_of(uow, order)
        return incoming.arrival(ctx.today, ctx.promise_confidence), order.id or 0

    mine = arrival(po)
    ahead = sum(
        other.outstanding
        for other in uow.purchase_orders.open_for(item)
        if other.id != po.id and other.outstanding > 0 and arrival(other) < mine
    )
    return max(0, min(po.outstanding, backordered - ahead))


def _reschedule_note(
    old_date: dt.date, new_date: dt.date, old_qty: int, new_qty: int, covered: int, shortfall: int
) -> str:
    parts = []
    if new_date != old_date:
        parts.append(f"delivery {old_date} -> {new_date}")
    if new_qty < old_qty:
        if shortfall:
            parts.append(
                f"quantity cut {old_qty} -> {new_qty}, below the {covered} backordered "
                f"unit(s) it covered: {shortfall} unit(s) wait for the next receipts "
                "and their lines are re-promised"
            )
        else:
            parts.append(f"quantity cut {old_qty} -> {new_qty}; waiting backorders stay covered")
    elif new_qty > old_qty:
        parts.append(f"quantity raised {old_qty} -> {new_qty}")
    return "; ".join(parts) or "no change"


def _update(
    uow: UnitOfWork,
    po: PurchaseOrder,
    item: Item,
    old_qty: int,
    old_date: dt.date,
    shortfall: int,
    note: str,
    before: dict[int, tuple[int, dt.date | None]],
) -> PurchaseOrderUpdate:
    after = _promises(uow, item)
    moved = tuple(
        Repromise(order_id, line_id, before.get(line_id, (0, None))[1], new)
        for line_id, (order_id, new) in sorted(after.items())
        if before.get(line_id, (0, None))[1] != new
    )
    assert po.id is not None
    return PurchaseOrderUpdate(
        po_id=po.id,
        sku=item.sku,
        supplier=po.supplier.name,
        status=str(po.status),
        old_qty=old_qty,
        qty=po.qty,
        old_expected_date=old_date,
        expected_date=po.expected_date,
        shortfall=shortfall,
        note=note,
        repromised=moved,
    )


def _cancel_drafts(uow: UnitOfWork, item: Item, ctx: Context) -> None:
    """VMI starts: our unsent proposals for the item are withdrawn (the vendor orders)."""
    for po in uow.purchase_orders.open_for(item):
        if po.status is not POStatus.DRAFT:
            continue
        assert po.id is not None
        old = po.qty
        po.reduce(old)
        uow.record(
            PurchaseOrderChanged(po.id, item.sku, old, 0, "cancelled: the item is now VMI"),
            ctx.now,
        )


def _lead_time_days(uow: UnitOfWork, item: Item, supplier: Supplier) -> int:
    """The supplier's lead time for this item: its terms' own, else the supplier's."""
    for terms in uow.items.terms(item):
        if terms.supplier.name == supplier.name and terms.lead_time_days is not None:
            return terms.lead_time_days
    return supplier.lead_time_days
