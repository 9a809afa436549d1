"""SQLAlchemy repositories behind the service layer's interfaces."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Collection, Sequence

from sqlalchemy import case, cast, exists, func, literal, null, select, union_all
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from subzero.adapters.db import tables
from subzero.domain.errors import InvalidState
from subzero.domain.events import ChainBreak, find_break
from subzero.domain.items import Customer, Item, Supplier
from subzero.domain.ledger import StockMove
from subzero.domain.orders import Order, OrderLine
from subzero.domain.purchasing import (
    OPEN_STATUSES,
    POStatus,
    PurchaseOrder,
    Receipt,
    SupplierItem,
)
from subzero.service.unit_of_work import StoredEvent

__all__ = [
    "SqlCustomers",
    "SqlEventLog",
    "SqlItems",
    "SqlOrders",
    "SqlPurchaseOrders",
    "SqlSuppliers",
]


class SqlSuppliers:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, name: str) -> Supplier | None:
        return self.session.scalars(select(Supplier).filter_by(name=name)).one_or_none()

    def add(self, supplier: Supplier) -> None:
        self.session.add(supplier)

    def list(self) -> Sequence[Supplier]:
        return self.session.scalars(select(Supplier).order_by(tables.suppliers.c.name)).all()


class SqlCustomers:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, name: str) -> Customer | None:
        return self.session.scalars(select(Customer).filter_by(name=name)).one_or_none()

    def add(self, customer: Customer) -> None:
        self.session.add(customer)

    def list(self) -> Sequence[Customer]:
        return self.session.scalars(select(Customer).order_by(tables.customers.c.name)).all()


class SqlItems:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, sku: str, *, lock: bool = False) -> Item | None:
        stmt = select(Item).filter_by(sku=sku)
        if lock:
            # Re-read under the row lock: a value cached before the lock may be stale.
            stmt = stmt.with_for_update(of=tables.items).execution_options(populate_existing=True)
        return self.session.scalars(stmt).unique().one_or_none()

    def add(self, item: Item) -> None:
        self.session.add(item)

    def list(self) -> Sequence[Item]:
        return self.session.scalars(select(Item).order_by(tables.items.c.sku)).unique().all()

    def add_move(self, move: StockMove) -> None:
        self.session.add(move)

    def set_policy(self, item: Item, policy: str) -> None:
        item.policy = policy

    def terms(self, item: Item) -> Sequence[SupplierItem]:
        stmt = select(SupplierItem).where(tables.supplier_items.c.item_id == item.id)
        return self.session.scalars(stmt).unique().all()

    def all_terms(self) -> Sequence[SupplierItem]:
        return self.session.scalars(select(SupplierItem)).unique().all()

    def add_terms(self, terms: SupplierItem) -> None:
        self.session.add(terms)

    def ledger_on_hand(self, item: Item) -> int:
        total = self.session.scalar(
            select(func.coalesce(func.sum(tables.stock_moves.c.qty), 0)).where(
                tables.stock_moves.c.item_id == item.id
            )
        )
        return int(total or 0)

    def on_hand_total(self) -> int:
        return int(
            self.session.scalar(select(func.coalesce(func.sum(tables.items.c.on_hand), 0))) or 0
        )

    def on_hand_before(self, start: dt.datetime) -> dict[int, int]:
        """Each item's on hand just before ``start``, from the ledger (items with moves)."""
        c = tables.stock_moves.c
        rows = self.session.execute(
            select(c.item_id, func.sum(c.qty)).where(c.at < start).group_by(c.item_id)
        )
        return {int(item_id): int(total) for item_id, total in rows}

    def moves_between(self, start: dt.datetime, end: dt.datetime) -> Sequence[StockMove]:
        """The stock moves in [start, end), in the order they were booked."""
        c = tables.stock_moves.c
        stmt = select(StockMove).where(c.at >= start, c.at < end).order_by(c.at, c.id)
        return self.session.scalars(stmt).all()


class SqlOrders:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, order_id: int, *, refresh: bool = False) -> Order | None:
        stmt = select(Order).filter_by(id=order_id)
        if refresh:
            stmt = stmt.execution_options(populate_existing=True)
        return self.session.scalars(stmt).unique().one_or_none()

    def add(self, order: Order) -> None:
        self.session.add(order)

    def open_lines(self, item: Item) -> Sequence[OrderLine]:
        c = tables.order_lines.c
        stmt = (
            select(OrderLine)
            .where(c.item_id == item.id, c.qty > c.shipped + c.cancelled)
            .order_by(c.id)
            .execution_options(populate_existing=True)
        )
        return self.session.scalars(stmt).unique().all()

    def list(
        self, *, customer: str | None = None, sku: str | None = None, open_only: bool = False
    ) -> Sequence[Order]:
        """Orders, oldest first: a customer's, those with a line of ``sku``, or those with
        units neither shipped nor cancelled (of that SKU, when both are given)."""
        o, ln = tables.orders.c, tables.order_lines.c
        stmt = select(Order).order_by(o.id)
        if customer is not None:
            who = select(tables.customers.c.id).where(tables.customers.c.name == customer)
            stmt = stmt.where(o.customer_id == who.scalar_subquery())
        line_filter = []
        if sku is not None:
            what = select(tables.items.c.id).where(tables.items.c.sku == sku)
            line_filter.append(ln.item_id == what.scalar_subquery())
        if open_only:
            line_filter.append(ln.qty > ln.shipped + ln.cancelled)
        if line_filter:
            stmt = stmt.where(exists().where(ln.order_id == o.id, *line_filter))
        return self.session.scalars(stmt).unique().all()

    def lines_placed_between(self, start: dt.datetime, end: dt.datetime) -> Sequence[OrderLine]:
        c = tables.order_lines.c
        stmt = select(OrderLine).where(c.placed_at >= start, c.placed_at < end).order_by(c.id)
        return self.session.scalars(stmt).unique().all()

    def waiting_lines(self, *, sku: str | None = None) -> Sequence[OrderLine]:
        """Every line with backordered units, oldest first."""
        c = tables.order_lines.c
        stmt = (
            select(OrderLine)
            .where(c.qty > c.allocated + c.shipped + c.cancelled)
            .order_by(c.placed_at, c.id)
        )
        if sku is not None:
            stmt = stmt.join(Item, c.item_id == tables.items.c.id).where(tables.items.c.sku == sku)
        return self.session.scalars(stmt).unique().all()

    def open_totals(self) -> dict[int, tuple[int, int, dt.date | None]]:
        """Per item id: (allocated, backordered, earliest promise of a waiting line)."""
        c = tables.order_lines.c
        waiting = c.qty - c.allocated - c.shipped - c.cancelled
        stmt = (
            select(
                c.item_id,
                func.sum(c.allocated),
                func.sum(waiting),
                func.min(case((waiting > 0, c.promised_date), else_=None)),
            )
            .where(c.qty > c.shipped + c.cancelled)
            .group_by(c.item_id)
        )
        return {
            int(item_id): (int(alloc or 0), int(back or 0), promise)
            for item_id, alloc, back, promise in self.session.execute(stmt)
        }

    def ready_to_ship(self) -> Sequence[int]:
        """Orders with allocated units and nothing backordered (the pick list)."""
        c = tables.order_lines.c
        backordered = c.qty - c.allocated - c.shipped - c.cancelled
        stmt = (
            select(c.order_id)
            .group_by(c.order_id)
            .having(func.sum(c.allocated) > 0, func.max(backordered) == 0)
            .order_by(c.order_id)
        )
        return list(self.session.scalars(stmt))

    def demand_history(
        self, *, since: dt.datetime | None = None
    ) -> Sequence[tuple[str, dt.date, int]]:
        """Units ordered per item and order time (not shipped: backorders count)."""
        c = tables.order_lines.c
        stmt = (
            select(tables.items.c.sku, c.placed_at, c.qty)
            .join(tables.items, tables.items.c.id == c.item_id)
            .order_by(tables.items.c.sku, c.placed_at)
        )
        if since is not None:
            stmt = stmt.where(c.placed_at >= since)
        return [(sku, at.date(), int(qty)) for sku, at, qty in self.session.execute(stmt)]

    def ordered_by_customer(
        self, skus: Collection[str], *, since: dt.datetime | None = None
    ) -> Sequence[tuple[str, str, dt.date, int]]:
        """Units ordered of ``skus`` per item, customer and order time."""
        c = tables.order_lines.c
        items, orders, customers = tables.items.c, tables.orders.c, tables.customers.c
        stmt = (
            select(items.sku, customers.name, c.placed_at, c.qty)
            .join(tables.items, items.id == c.item_id)
            .join(tables.orders, orders.id == c.order_id)
            .join(tables.customers, customers.id == orders.customer_id)
            .where(items.sku.in_(sorted(skus)))
        )
        if since is not None:
            stmt = stmt.where(c.placed_at >= since)
        return [
            (sku, name, at.date(), int(qty)) for sku, name, at, qty in self.session.execute(stmt)
        ]

    def line_sizes_by_priority(
        self, item: Item, *, since: dt.datetime
    ) -> dict[int, dict[int, int]]:
        """Lines of ``item`` placed since ``since``: {priority: {units asked: lines}}."""
        c = tables.order_lines.c
        stmt = (
            select(c.priority, c.qty, func.count())
            .where(c.item_id == item.id, c.placed_at >= since)
            .group_by(c.priority, c.qty)
        )
        out: dict[int, dict[int, int]] = {}
        for priority, qty, lines in self.session.execute(stmt):
            out.setdefault(int(priority), {})[int(qty)] = int(lines)
        return out

    def backordered_total(self) -> int:
        c = tables.order_lines.c
        total = self.session.scalar(
            select(func.coalesce(func.sum(c.qty - c.allocated - c.shipped - c.cancelled), 0))
        )
        return int(total or 0)


class SqlPurchaseOrders:
    def __init__(self, session: Session) -> None:
        self.session = session
        # promises' lateness by (supplier, how many, restated at), until the next receipt
        self._lateness: dict[tuple[int, int, dt.datetime | None], tuple[int, ...]] = {}
        self._rests: dict[tuple[int, int], tuple[int, ...]] = {}

    def get(self, po_id: int, *, refresh: bool = False) -> PurchaseOrder | None:
        stmt = select(PurchaseOrder).filter_by(id=po_id)
        if refresh:
            stmt = stmt.execution_options(populate_existing=True)
        return self.session.scalars(stmt).unique().one_or_none()

    def add(self, po: PurchaseOrder) -> None:
        self.session.add(po)

    def open_for(self, item: Item) -> Sequence[PurchaseOrder]:
        c = tables.purchase_orders.c
        stmt = (
            select(PurchaseOrder)
            .where(c.item_id == item.id, c.status.in_(OPEN_STATUSES))
            .order_by(c.id)
            .execution_options(populate_existing=True)
        )
        return self.session.scalars(stmt).unique().all()

    def list(
        self, *, status: POStatus | None = None, sku: str | None = None, open_only: bool = False
    ) -> Sequence[PurchaseOrder]:
        c = tables.purchase_orders.c
        stmt = select(PurchaseOrder).order_by(c.id)
        if status is not None:
            stmt = stmt.where(c.status == status)
        if open_only:
            stmt = stmt.where(c.status.in_(OPEN_STATUSES))
        if sku is not None:
            stmt = stmt.join(Item, c.item_id == tables.items.c.id).where(tables.items.c.sku == sku)
        return self.session.scalars(stmt).unique().all()

    def sent_between(self, start: dt.datetime, end: dt.datetime) -> Sequence[PurchaseOrder]:
        """The POs sent to their supplier in [start, end), in id order."""
        c = tables.purchase_orders.c
        stmt = select(PurchaseOrder).where(c.sent_at >= start, c.sent_at < end).order_by(c.id)
        return self.session.scalars(stmt).unique().all()

    def add_receipt(self, receipt: Receipt) -> None:
        self.session.add(receipt)
        self._lateness.clear()
        self._rests.clear()

    def open_all(self) -> Sequence[PurchaseOrder]:
        c = tables.purchase_orders.c
        stmt = select(PurchaseOrder).where(c.status.in_(OPEN_STATUSES)).order_by(c.id)
        return self.session.scalars(stmt).unique().all()

    def deliveries(
        self, supplier: Supplier
    ) -> Sequence[tuple[dt.datetime, dt.datetime, dt.date | None]]:
        """(sent, first receipt, expected date when sent) of each delivered PO."""
        po = tables.purchase_orders.c
        stmt = (
            select(po.sent_at, po.first_received_at, po.first_expected_date)
            .where(
                po.supplier_id == supplier.id,
                po.sent_at.is_not(None),
                po.first_received_at.is_not(None),
            )
            .order_by(po.id)
        )
        return [(sent, received, first) for sent, received, first in self.session.execute(stmt)]

    def recent_lateness(self, supplier: Supplier, *, latest: int) -> tuple[int, ...]:
        """Days after the date expected when sent that each of the supplier's ``latest``
        most recent deliveries (first receipts) came, newest first; negative when early.
        Only orders sent after the stated lead time was last set count. An index walk
        (supplier, first receipt): its cost does not grow with the supplier's history."""
        assert supplier.id is not None
        key = (supplier.id, latest, supplier.lead_time_set_at)
        cached = self._lateness.get(key)
        if cached is not None:
            return cached
        po = tables.purchase_orders.c
        stmt = (
            select(po.first_received_at, po.first_expected_date)
            .where(
                po.supplier_id == supplier.id,
                po.first_received_at.is_not(None),
                po.first_expected_date.is_not(None),
            )
            .order_by(po.first_received_at.desc())  # the index order: no sort
            .limit(latest)
        )
        if supplier.lead_time_set_at is not None:  # orders sent under the lead time stated now
            stmt = stmt.where(po.sent_at > supplier.lead_time_set_at)
        rows = self.session.execute(stmt)  # UtcDateTime: aware UTC, so .date() is the UTC day
        lateness = tuple((received.date() - expected).days for received, expected in rows)
        self._lateness[key] = lateness
        return lateness

    def recent_rests(self, supplier: Supplier, *, latest: int) -> tuple[int, ...]:
        """Days from the first receipt to the last of each of the supplier's ``latest``
        most recently completed split deliveries (received in more than one part),
        newest first. An index walk (supplier, last receipt)."""
        assert supplier.id is not None
        key = (supplier.id, latest)
        cached = self._rests.get(key)
        if cached is not None:
            return cached
        po = tables.purchase_orders.c
        stmt = (
            select(po.first_received_at, po.last_received_at)
            .where(
                po.supplier_id == supplier.id,
                po.status == POStatus.RECEIVED,
                po.last_received_at > po.first_received_at,
            )
            .order_by(po.last_received_at.desc())  # the index order: no sort
            .limit(latest)
        )
        rows = self.session.execute(stmt)  # UtcDateTime: aware UTC, so .date() is the UTC day
        rests = tuple((last.date() - first.date()).days for first, last in rows)
        self._rests[key] = rests
        return rests


class SqlEventLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def history(
        self, *, order_id: int | None = None, sku: str | None = None, po_id: int | None = None
    ) -> Sequence[StoredEvent]:
        c = tables.events.c
        stmt = select(c.seq, c.type, c.at, c.payload, c.hash).order_by(c.seq)
        if order_id is not None:
            stmt = stmt.where(c.order_id == order_id)
        if sku is not None:
            stmt = stmt.where(c.sku == sku)
        if po_id is not None:
            stmt = stmt.where(c.po_id == po_id)
        return [
            StoredEvent(seq, type_, at, json.loads(payload), hash_)
            for seq, type_, at, payload, hash_ in self.session.execute(stmt)
        ]

    def first_seen(self, event_type: str) -> dict[str, dt.datetime]:
        """Per SKU, the time of its first event of ``event_type``."""
        c = tables.events.c
        stmt = (
            select(c.sku, func.min(c.at))
            .where(c.type == event_type, c.sku.is_not(None))
            .group_by(c.sku)
        )
        return {str(sku): at for sku, at in self.session.execute(stmt)}

    def of_type(
        self, event_type: str, *, since: dt.datetime | None = None
    ) -> Sequence[StoredEvent]:
        """The events of one type, oldest first (from ``since``)."""
        c = tables.events.c
        stmt = select(c.seq, c.type, c.at, c.payload, c.hash).where(c.type == event_type)
        if since is not None:
            stmt = stmt.where(c.at >= since)
        return [
            StoredEvent(seq, type_, at, json.loads(payload), hash_)
            for seq, type_, at, payload, hash_ in self.session.execute(stmt.order_by(c.seq))
        ]

    def find_break(self) -> ChainBreak | None:
        """``domain.events.find_break`` over the stored log and its head.

        The head and the events are read by one statement (the head first, then the
        events by seq), so they are one snapshot even under PostgreSQL's READ COMMITTED:
        a write committed meanwhile cannot pass for events cut off or added. Rows are
        streamed, never all held. A database that cannot be read (a damaged SQLite
        page, a lost connection) raises ``InvalidState`` naming it.
        """
        c, h = tables.events.c, tables.event_chain.c
        columns = (c.type, c.at, c.sku, c.order_id, c.po_id, c.payload, c.prev_hash)
        head = select(
            literal(0).label("part"), h.seq, *(cast(null(), k.type) for k in columns), h.head_hash
        ).where(h.id == 1)
        stored = select(literal(1), c.seq, *columns, c.hash)
        both = union_all(head, stored)
        stmt = both.order_by(both.selected_columns.part, both.selected_columns.seq)
        try:
            with self.session.execute(stmt, execution_options={"yield_per": 2000}) as result:
                rows = iter(result)
                first = next(rows, None)
                found: tuple[int, str] | None = None
                if first is not None and first[0] == 0:
                    found = (first[1], first[9])
                elif first is not None:
                    rows = itertools.chain([first], rows)
                return find_break((r[1:] for r in rows), found)
        except DBAPIError as exc:
            url = self.session.get_bind().engine.url.render_as_string(hide_password=True)
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise InvalidState(f"cannot use database {url}: {reason}") from None
