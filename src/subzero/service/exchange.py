"""ERP exchange: export every entity as rows, and import rows through the live use cases.

**Export** reads one consistent snapshot (one unit of work): suppliers, customers, items,
supplier terms, stock positions, order lines, purchase orders, receipts and refused demand
(the ``DemandRefused`` events).

**Import** is all or nothing:

1. every row is validated first — types (by the file adapter), duplicates, references to
   rows of other files of the same import or to the database, conflicts with existing
   rows — and every rejected row is reported at once (``ImportRejected``); nothing is
   written;
2. only then are the rows applied, in one transaction, through the real use cases:
   ``AddSupplier``, ``AddCustomer``, ``AddItem`` (opening stock from the stock file),
   ``SetSupplierTerms``, ``PlaceOrder`` for open orders (at their original time, so
   allocation, backorders, promises and make-to-order POs follow the live rules) and a
   final ``Replenish`` at import time (drafts and promises refreshed for today).
   Purchase orders with the supplier and closed orders are history the use cases cannot
   create, so they are stored as such (``PurchaseOrderImported``, ``OrderImported``);
   they never move stock. Refused demand is recorded as ``DemandRefused`` at its
   original time (no order, stock or PO changes). Handlers commit themselves: they run
   on a unit of work whose ``commit()`` only flushes, and the import commits once at the
   end. A use case that refuses a row (e.g. an order on a ``--no-negative`` item) rolls
   everything back and is reported against that row.

Existing rows: identical master data is skipped; a conflicting supplier, customer, item
or stock balance is rejected (an import never changes them); supplier terms are set
(replaced) when they differ; an order (customer, placed_at), purchase order (SKU,
supplier, created_at) or refusal (customer, SKU, at, qty) already in the database is
skipped. See ``docs/data-exchange.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from subzero.domain import commands as c
from subzero.domain.errors import InvalidParameter, SubzeroError
from subzero.domain.events import (
    DemandRefused,
    DomainEvent,
    OrderImported,
    PurchaseOrderImported,
)
from subzero.domain.items import Item
from subzero.domain.orders import Order, OrderLine
from subzero.domain.purchasing import PurchaseOrder, Receipt, SupplierItem
from subzero.service.context import Context
from subzero.service.demand import refused_requests
from subzero.service.exchange_checks import (
    ExchangeReader,
    ImportChecks,
    ImportPlan,
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
    """Per entity, how many rows were added, updated or skipped (already there)."""

    counts: dict[str, dict[str, int]]

    def as_dict(self) -> dict[str, Any]:
        return {"imported": True, "counts": self.counts, "rejected": []}


ReaderFactory = Callable[[UnitOfWork], ExchangeReader]


# -- export ---------------------------------------------------------------------------


def export_tables(uow: UnitOfWork, reader: ReaderFactory) -> dict[str, list[dict[str, Any]]]:
    """Every entity's rows, read in one unit of work (the columns of the exchange files)."""
    with uow:
        queries = reader(uow)
        items = uow.items.list()
        terms = sorted(uow.items.all_terms(), key=lambda t: (t.item.sku, t.supplier.name))
        refused = refused_requests(uow)  # oldest first
        return {
            "suppliers": [
                {"name": s.name, "lead_time_days": s.lead_time_days,
                 "lead_time_sd_days": s.lead_time_sd_days}
                for s in uow.suppliers.list()
            ],
            "customers": [
                {"name": cu.name, "priority": cu.priority} for cu in uow.customers.list()
            ],
            "items": [
                {"sku": i.sku, "supplier": i.supplier.name, "allow_negative": i.allow_negative,
                 "backorder_limit": i.backorder_limit, "policy": i.policy, "jit": i.jit}
                for i in items
            ],
            "supplier_terms": [_terms_row(t) for t in terms],
            "stock": [dict(position_of(uow, i).as_dict()) for i in items],
            "orders": [_line_row(o, ln) for o in queries.orders() for ln in o.lines],
            "purchase_orders": [_po_row(po) for po in uow.purchase_orders.list()],
            "receipts": [
                {"receipt_id": r.id, "po_id": r.po.id, "sku": r.po.item.sku, "qty": r.qty,
                 "at": r.at}
                for r in queries.receipts()
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


def _line_row(order: Order, line: OrderLine) -> dict[str, Any]:
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
    }


# -- import ---------------------------------------------------------------------------


def import_tables(
    tables: Mapping[str, Sequence[Row]],
    *,
    bus: MessageBus,
    reader: ReaderFactory,
    rejected: Sequence[Rejection] = (),
) -> ImportReport:
    """Validate every row, then apply them all in one transaction (see the module doc).

    ``rejected``: rows the file adapter already refused (bad cells); they are reported
    with the others.

    Raises:
        ImportRejected: any row is invalid, or a use case refused one; nothing written.
    """
    now = bus.clock()
    uow = bus.uow_factory()
    with uow:
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
    return ImportReport({k: dict(v) for k, v in plan.counts.items()})


# -- validation -----------------------------------------------------------------------


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
    def run(where: str, cmd: c.Command, when: dt.datetime) -> None:
        handler = handler_for(type(cmd))
        try:
            handler(cmd, uow=uow, ctx=Context(now=when, promise_confidence=confidence))
        except SubzeroError as exc:
            raise ImportRejected([Rejection(where, exc.message)]) from exc

    for row, cmd in plan.commands:
        run(row.where, cmd, now)
    for r in sorted(plan.refusals, key=lambda r: r.at):  # no stock, order or PO changes
        uow.record(DemandRefused(r.sku, r.customer, r.qty, r.reason), r.at)
    touched = {po.sku for po in plan.purchase_orders}
    for po in plan.purchase_orders:
        _add_purchase_order(uow, po, now)
    for order in plan.history:
        _add_history_order(uow, order, now)
    for order in sorted(plan.open_orders, key=lambda o: (o.placed_at, o.key)):
        lines = tuple(c.OrderLineRequest(sku, qty) for sku, qty in order.open_lines)
        touched.update(sku for sku, _ in order.open_lines)
        run(order.rows[0].where, c.PlaceOrder(order.customer, lines), order.placed_at)
    if touched:  # drafts and promises as of today, not as of the orders' own times
        run("import", c.Replenish(tuple(sorted(touched))), now)


def _add_purchase_order(uow: UnitOfWork, planned: PlannedPO, now: dt.datetime) -> None:
    item, supplier = uow.items.get(planned.sku), uow.suppliers.get(planned.supplier)
    assert item is not None and supplier is not None  # checked, and added before
    lead = (planned.expected_date - planned.sent_at.date()).days
    po = PurchaseOrder(
        item, supplier, planned.qty, now=planned.created_at, reason=planned.reason,
        lead_time_days=lead, unit_price=planned.unit_price, source="import",
    )  # fmt: skip
    po.send(planned.sent_at)  # expected = sent + lead = the file's expected_date
    for qty, at in sorted(planned.receipts, key=lambda r: r[1]):
        po.receive(qty, at)
        uow.purchase_orders.add_receipt(Receipt(po, qty, at))
    if planned.received and not planned.receipts:  # no receipts file: the balance only
        po.receive(planned.received, planned.sent_at)
        po.first_received_at = po.last_received_at = None  # unknown: nothing to learn
    uow.purchase_orders.add(po)
    uow.flush()
    assert po.id is not None
    uow.record(
        PurchaseOrderImported(po.id, item.sku, supplier.name, po.qty, po.received, str(po.status)),
        now,
    )


def _add_history_order(uow: UnitOfWork, planned: PlannedOrder, now: dt.datetime) -> None:
    customer = uow.customers.get(planned.customer)
    assert customer is not None
    order = Order(customer, planned.placed_at)
    for row in planned.rows:
        item: Item | None = uow.items.get(row["sku"])
        assert item is not None
        line = OrderLine(item, row["qty"], priority=customer.priority, placed_at=order.placed_at)
        line.shipped, line.cancelled = row["shipped"] or 0, row["cancelled"] or 0
        line.promised_date = line.first_promised_date = row["promised_date"]
        line.filled_at = row["filled_at"] or (order.placed_at if line.shipped else None)
        line.served_from_stock = line.shipped if line.filled_at == order.placed_at else 0
        order.lines.append(line)
    uow.orders.add(order)
    uow.flush()
    assert order.id is not None
    lines = [
        {"line_id": ln.id, "sku": ln.item.sku, "qty": ln.qty, "shipped": ln.shipped,
         "cancelled": ln.cancelled}
        for ln in order.lines
    ]  # fmt: skip
    uow.record(OrderImported(order.id, customer.name, lines), now)
