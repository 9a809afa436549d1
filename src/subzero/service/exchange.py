"""ERP exchange: export every entity as rows, and import rows as the history they are.

**Export** reads one consistent snapshot (one unit of work): suppliers, customers, items,
supplier terms, stock positions, order lines, purchase orders (every status), receipts,
the stock ledger's moves and refused demand (the ``DemandRefused`` events).

**Import** is all or nothing:

1. every row is validated first — types (by the file adapter), duplicates, references
   to rows of other files of the same import or to the database, conflicts with existing
   rows, impossible history — and every rejected row is reported at once
   (``ImportRejected``); nothing is written;
2. only then are the rows applied, in one transaction: ``AddSupplier``, ``AddCustomer``
   and ``SetSupplierTerms`` through their use cases; items, purchase orders, orders and
   stock moves as the history they are (an item with its ledger, an order with the
   state its lines reached: what a customer was promised and what was served from
   stock stays as it was, and an order the source accepted stays accepted whatever the
   item's rules say today); refused demand as ``DemandRefused`` at its original time;
   finally ``Replenish`` of the items touched at import time (free stock to the lines
   the files left waiting, drafts and promises as of today). Items are added without
   ``AddItem``'s immediate replenishment, which would order before the item's own
   purchase orders are in. Handlers commit themselves: they run on a unit of work whose
   ``commit()`` only flushes, and the import commits once at the end. A use case that
   refuses a row rolls everything back and is reported against that row.

Existing rows: identical master data is skipped; a conflicting supplier, customer, item
or stock balance is rejected (an import never changes them); supplier terms are set
(replaced) when they differ; an order with the same customer, time and lines, a purchase
order (SKU, supplier, created_at), a stock move or a refusal already in the database is
skipped, and an order at the same customer and time with other lines is rejected. See
``docs/data-exchange.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from subzero.domain import commands as c
from subzero.domain.errors import InvalidParameter, SubzeroError
from subzero.domain.events import (
    DemandRefused,
    DomainEvent,
    ItemAdded,
    LineCancelled,
    OrderImported,
    PurchaseOrderImported,
    VmiSet,
)
from subzero.domain.items import Item
from subzero.domain.ledger import MoveKind, StockMove
from subzero.domain.orders import Order, OrderLine
from subzero.domain.purchasing import PurchaseOrder, Receipt, SupplierItem
from subzero.service.context import Context
from subzero.service.demand import refused_requests
from subzero.service.exchange_checks import ImportChecks
from subzero.service.exchange_plan import (
    ExchangeReader,
    ImportPlan,
    PlannedItem,
    PlannedOrder,
    PlannedPO,
    Rejection,
    Row,
)
from subzero.service.messagebus import MessageBus, handler_for
from subzero.service.rebalance import position_of
from subzero.service.unit_of_work import UnitOfWork

__all__ = [
    "ExchangeReader",
    "ImportRejected",
    "ImportReport",
    "OrderImported",
    "PurchaseOrderImported",
    "ReaderFactory",
    "Rejection",
    "Row",
    "export_tables",
    "import_tables",
]

logger = logging.getLogger(__name__)


# -- rows, rejections, events ---------------------------------------------------------


class ImportRejected(InvalidParameter):
    """Rows were rejected; nothing was imported."""

    def __init__(self, rejections: Sequence[Rejection]) -> None:
        self.rejections = tuple(sorted(rejections, key=_file_order))
        super().__init__(f"{len(self.rejections)} row(s) rejected, nothing was imported")


def _file_order(rejection: Rejection) -> tuple[str, int]:
    """By file, then by line or row number (``"items.csv line 7"`` → ("items.csv", 7))."""
    name, _, rest = rejection.where.partition(" ")
    number = rest.rpartition(" ")[2]
    return (name, int(number) if number.isdigit() else 0)


@dataclass
class ImportReport:
    """Per entity, how many rows were added, updated or skipped (already there); orders
    count as ``open`` or ``closed``. ``warnings``: files left unread, history missing."""

    counts: dict[str, dict[str, int]]
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"imported": True, "counts": self.counts, "rejected": [], "warnings": self.warnings}


ReaderFactory = Callable[[UnitOfWork], ExchangeReader]


# -- export ---------------------------------------------------------------------------


def export_tables(uow: UnitOfWork, reader: ReaderFactory) -> dict[str, list[dict[str, Any]]]:
    """Every entity's rows, read in one unit of work (the columns of the exchange files)."""
    with uow:
        queries = reader(uow)
        items = uow.items.list()
        sku_of = {i.id: i.sku for i in items}
        added = uow.events.first_seen(ItemAdded.type)
        terms = sorted(uow.items.all_terms(), key=lambda t: (t.item.sku, t.supplier.name))
        refused = refused_requests(uow)  # oldest first
        cancelled_at: dict[int, dt.datetime] = {}  # line id -> its last cancellation
        for event in uow.events.of_type(LineCancelled.type):
            line_id = int(event.payload["line_id"])
            cancelled_at[line_id] = max(event.at, cancelled_at.get(line_id, event.at))
        return {
            "suppliers": [
                {"name": s.name, "lead_time_days": s.lead_time_days,
                 "lead_time_sd_days": s.lead_time_sd_days, "lead_time_set_at": s.lead_time_set_at}
                for s in uow.suppliers.list()
            ],
            "customers": [
                {"name": cu.name, "priority": cu.priority} for cu in uow.customers.list()
            ],
            "items": [
                {"sku": i.sku, "supplier": i.supplier.name, "allow_negative": i.allow_negative,
                 "backorder_limit": i.backorder_limit, "policy": i.policy, "jit": i.jit,
                 "added_at": added.get(i.sku), "vmi_min": i.vmi_min, "vmi_max": i.vmi_max}
                for i in items
            ],
            "supplier_terms": [_terms_row(t) for t in terms],
            "stock": [dict(position_of(uow, i).as_dict()) for i in items],
            "orders": [
                _line_row(o, ln, cancelled_at) for o in queries.orders() for ln in o.lines
            ],
            "purchase_orders": [_po_row(po) for po in uow.purchase_orders.list()],
            "receipts": [
                {"receipt_id": r.id, "po_id": r.po.id, "sku": r.po.item.sku, "qty": r.qty,
                 "at": r.at}
                for r in queries.receipts()
            ],
            "stock_moves": [
                {"sku": sku_of[m.item_id], "qty": m.qty, "kind": str(m.kind), "at": m.at,
                 "ref": m.ref}
                for m in queries.moves()
            ],
            "refusals": [
                {"customer": r.customer, "sku": r.sku, "qty": r.qty, "at": at,
                 "reason": r.reason}
                for at, r in refused
            ],
        }  # fmt: skip


def _terms_row(t: SupplierItem) -> dict[str, Any]:
    return {
        "sku": t.item.sku,
        "supplier": t.supplier.name,
        "unit_price": Decimal(t.unit_price),
        "price_breaks": json.dumps([[q, str(p)] for q, p in t.breaks()]),
        "moq": t.moq,
        "lot_size": t.lot_size,
        "capacity": t.capacity,
        "capacity_period": t.capacity_period,
        "lead_time_days": t.lead_time_days,
        "expedite_lead_time_days": t.expedite_lead_time_days,
        "expedite_cost_per_unit": t.expedite_cost_per_unit,
        "preferred": t.preferred,
    }


def _line_row(
    order: Order, line: OrderLine, cancelled_at: Mapping[int, dt.datetime]
) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "customer": order.customer.name,
        "placed_at": order.placed_at,
        "sku": line.item.sku,
        "qty": line.qty,
        "allocated": line.allocated,
        "backordered": line.backordered,
        "shipped": line.shipped,
        "cancelled": line.cancelled,
        "promised_date": line.promised_date,
        "status": str(line.status),
        "filled_at": line.filled_at,
        "priority": line.priority,
        "served_from_stock": line.served_from_stock,
        "first_promised_date": line.first_promised_date,
        "promise_probability": line.promise_probability,
        "first_promise_probability": line.first_promise_probability,
        "cancelled_at": cancelled_at.get(line.id or 0) if line.cancelled else None,
    }


def _po_row(po: PurchaseOrder) -> dict[str, Any]:
    return {
        "po_id": po.id,
        "sku": po.item.sku,
        "supplier": po.supplier.name,
        "qty": po.qty,
        "received": po.received,
        "status": str(po.status),
        "created_at": po.created_at,
        "sent_at": po.sent_at,
        "expected_date": po.expected_date,
        "unit_price": po.unit_price,
        "reason": po.reason,
        "order_date": po.order_date,
        "due_period": po.due_period,
        "lead_time_days": po.lead_time_days,
        "expedite": po.expedite,
        "source": po.source,
        "first_expected_date": po.first_expected_date,
        "confirmed_at": po.confirmed_at,
    }


# -- import ---------------------------------------------------------------------------


def import_tables(
    tables: Mapping[str, Sequence[Row]],
    *,
    bus: MessageBus,
    reader: ReaderFactory,
    rejected: Sequence[Rejection] = (),
    warnings: Sequence[str] = (),
) -> ImportReport:
    """Validate every row, then apply them all in one transaction (see the module doc).

    ``rejected``: rows the file adapter already refused (bad cells); they are reported
    with the others. ``warnings``: the file adapter's, passed on in the report.

    Raises:
        ImportRejected: any row is invalid, or a use case refused one; nothing written.
    """
    now = bus.clock()
    uow = bus.uow_factory()
    with uow:
        # the file's existing items, locked before their stock is checked: an order
        # placed meanwhile cannot take the units the file allocates (PostgreSQL)
        named = {row["sku"] for rows in tables.values() for row in rows if row["sku"]}
        for sku in sorted(named):  # lock_items' order; a new item (None) has no race
            uow.items.get(sku, lock=True)
        checks = ImportChecks(tables, uow, reader(uow), now)
        plan = checks.run()
        problems = [*rejected, *checks.rejections]
        if problems:
            raise ImportRejected(problems)
        _apply(plan, _OneTransaction(uow), now=now, confidence=bus.promise_confidence)
        uow.commit()
        published = list(uow.published)
    for event in published:
        for subscriber in bus.event_handlers.get(type(event), ()):
            subscriber(event)
    logger.info("import: %s", dict(plan.counts))
    notes = list(warnings)
    if plan.items and "stock_moves" not in tables:
        notes.append(
            "no stock_moves file: each new item's ledger starts with one opening move now, "
            "so the stock figures of `subzero kpis` (OTIF, units shipped, turns, mean on "
            "hand, held unit-days) count only from the import on"
        )
    return ImportReport({k: dict(v) for k, v in plan.counts.items()}, notes)


# -- applying -------------------------------------------------------------------------


class _OneTransaction(UnitOfWork):
    """The import's unit of work as handlers see it: ``commit()`` only flushes (and keeps
    the events), so every handler's changes stay in the import's one transaction."""

    def __init__(self, inner: UnitOfWork) -> None:
        super().__init__()
        self.inner = inner
        self.suppliers, self.customers, self.items = inner.suppliers, inner.customers, inner.items
        self.orders, self.purchase_orders = inner.orders, inner.purchase_orders
        self.events, self.forecasts = inner.events, inner.forecasts

    def record(self, event: DomainEvent, at: dt.datetime) -> None:
        self.inner.record(event, at)

    def commit(self) -> None:
        self.inner.flush()

    def flush(self) -> None:
        self.inner.flush()

    def _commit(self, events: list[tuple[dt.datetime, DomainEvent]]) -> None:
        self.inner.flush()

    def _rollback(self) -> None:
        """The import's own unit of work rolls back; nothing to do here."""


def _apply(plan: ImportPlan, uow: UnitOfWork, *, now: dt.datetime, confidence: float) -> None:
    def run(where: str, cmd: c.Command) -> None:
        handler = handler_for(type(cmd))
        try:
            handler(cmd, uow=uow, ctx=Context(now=now, promise_confidence=confidence))
        except SubzeroError as exc:
            raise ImportRejected([Rejection(where, exc.message)]) from exc

    for row, cmd in plan.commands:
        if isinstance(cmd, c.AddItem):
            _add_item(uow, plan.items[cmd.sku], now)
            continue
        run(row.where, cmd)
        if isinstance(cmd, c.AddSupplier) and cmd.name in plan.lead_time_set_at:
            supplier = uow.suppliers.get(cmd.name)
            assert supplier is not None
            supplier.lead_time_set_at = plan.lead_time_set_at[cmd.name]
    for r in sorted(plan.refusals, key=lambda r: r.at):  # no stock, order or PO changes
        uow.record(DemandRefused(r.sku, r.customer, r.qty, r.reason), r.at)
    pos = {planned.key: _add_purchase_order(uow, planned, now) for planned in plan.purchase_orders}
    for key, qty, at in plan.receipts:
        uow.purchase_orders.add_receipt(Receipt(pos[key], qty, at))
    order_ids = dict(plan.existing_orders)
    for order in sorted(plan.orders, key=lambda o: (o.placed_at, o.key)):
        order_ids[order.key] = _add_order(uow, order, now)
    for move in plan.moves:
        item = uow.items.get(move.sku)
        assert item is not None and item.id is not None
        ref = move.ref
        if move.order_key is not None:
            ref = f"order:{order_ids[move.order_key]}"
        elif move.po_key is not None:
            ref = f"po:{pos[move.po_key].id}"
        item.on_hand += move.qty
        uow.items.add_move(StockMove(item.id, move.qty, move.kind, move.at, ref))
    if plan.touched:  # free stock, drafts and promises as of today
        run("import", c.Replenish(tuple(sorted(plan.touched))))


def _add_item(uow: UnitOfWork, planned: PlannedItem, now: dt.datetime) -> None:
    """``AddItem`` without its replenishment (the final ``Replenish`` does it, once the
    item's purchase orders and orders are in); the ledger is the file's moves, or one
    opening move of the stock file's on hand."""
    cmd = planned.command
    supplier = uow.suppliers.get(cmd.supplier)
    assert supplier is not None  # checked, and added before
    item = Item(
        cmd.sku, supplier, allow_negative=cmd.allow_negative,
        backorder_limit=cmd.backorder_limit, policy=cmd.policy, jit=cmd.jit,
    )  # fmt: skip
    if planned.vmi is not None:
        item.set_vmi(*planned.vmi)
    uow.items.add(item)
    uow.flush()
    assert item.id is not None
    if planned.opening:
        item.on_hand = planned.opening
        uow.items.add_move(StockMove(item.id, planned.opening, MoveKind.OPENING, now, "opening"))
    uow.record(ItemAdded(item.sku, supplier.name, planned.opened_with), planned.added_at or now)
    if planned.vmi is not None:
        uow.record(VmiSet(item.sku, supplier.name, None, None, *planned.vmi), now)


def _add_purchase_order(uow: UnitOfWork, planned: PlannedPO, now: dt.datetime) -> PurchaseOrder:
    """The purchase order as it stands in the file (its receipts are added by the
    caller; they move no stock: on hand comes from the stock file or the ledger)."""
    item, supplier = uow.items.get(planned.sku), uow.suppliers.get(planned.supplier)
    assert item is not None and supplier is not None  # checked, and added before
    sent = planned.sent_at
    lead = planned.lead_time_days
    if lead is None and sent is not None:  # as stated when sent
        lead = ((planned.first_expected_date or planned.expected_date) - sent.date()).days
    po = PurchaseOrder(
        item, supplier, max(planned.qty, 1), now=planned.created_at, reason=planned.reason,
        lead_time_days=lead, unit_price=planned.unit_price, expedite=planned.expedite,
        source=planned.source,
    )  # fmt: skip
    po.qty, po.received, po.status = planned.qty, planned.received, planned.status
    po.sent_at, po.confirmed_at = sent, planned.confirmed_at
    po.expected_date, po.due_period = planned.expected_date, planned.due_period
    po.order_date = planned.order_date or (sent or planned.created_at).date()
    po.first_expected_date = planned.first_expected_date or (
        planned.expected_date if sent is not None else None
    )
    times = sorted(at for _, at in planned.receipts)
    if times:  # a balance without receipts has no time to learn lateness from
        po.first_received_at, po.last_received_at = times[0], times[-1]
    uow.purchase_orders.add(po)
    uow.flush()
    assert po.id is not None
    uow.record(
        PurchaseOrderImported(po.id, item.sku, supplier.name, po.qty, po.received, str(po.status)),
        now,
    )
    return po


def _add_order(uow: UnitOfWork, planned: PlannedOrder, now: dt.datetime) -> int:
    """The order with the state its lines reached (allocated units are the item's on
    hand; a line's cancellation is recorded at its time when the file gives it)."""
    customer = uow.customers.get(planned.customer)
    assert customer is not None
    order = Order(customer, planned.placed_at)
    for p in planned.lines:
        item = uow.items.get(p.sku)
        assert item is not None
        priority = customer.priority if p.priority is None else p.priority
        line = OrderLine(item, p.qty, priority=priority, placed_at=order.placed_at)
        line.allocated, line.shipped, line.cancelled = p.allocated, p.shipped, p.cancelled
        line.served_from_stock, line.filled_at = p.served_from_stock, p.filled_at
        line.promised_date, line.first_promised_date = p.promised_date, p.first_promised_date
        line.promise_probability = p.promise_probability
        line.first_promise_probability = p.first_promise_probability
        order.lines.append(line)
    uow.orders.add(order)
    uow.flush()
    assert order.id is not None
    lines = [
        {"line_id": ln.id, "sku": ln.item.sku, "qty": ln.qty, "allocated": ln.allocated,
         "shipped": ln.shipped, "cancelled": ln.cancelled}
        for ln in order.lines
    ]  # fmt: skip
    uow.record(OrderImported(order.id, customer.name, lines), now)
    for p, line in zip(planned.lines, order.lines, strict=True):
        if line.cancelled and p.cancelled_at is not None:
            assert line.id is not None
            uow.record(LineCancelled(order.id, line.id, p.sku, line.cancelled, 0), p.cancelled_at)
    return order.id
