"""An in-memory unit of work: service tests run the real use cases without a database."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence
from itertools import count

from subzero.domain.errors import InvalidState
from subzero.domain.events import (
    GENESIS_HASH,
    ChainBreak,
    DomainEvent,
    canonical_json,
    chain_hash,
    find_break,
)
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
from subzero.service.unit_of_work import (
    ForecastItem,
    ForecastRun,
    ForecastValue,
    StoredEvent,
    StoredOverride,
    UnitOfWork,
)


class _Store:
    """What a database would keep between units of work."""

    def __init__(self) -> None:
        self.suppliers: dict[str, Supplier] = {}
        self.customers: dict[str, Customer] = {}
        self.items: dict[str, Item] = {}
        self.moves: list[StockMove] = []
        self.orders: dict[int, Order] = {}
        self.pos: dict[int, PurchaseOrder] = {}
        self.receipts: list[Receipt] = []
        self.events: list[tuple[int, str, dt.datetime, str, str, str, dict[str, object]]] = []
        self.event_head: tuple[int, str] | None = (0, GENESIS_HASH)  # the event_chain row
        self.ids = count(1)
        self.runs: list[ForecastRun] = []
        self.values: dict[int, list[ForecastValue]] = {}
        self.items_by_run: dict[int, list[ForecastItem]] = {}
        self.overrides: dict[int, StoredOverride] = {}
        self.accuracy: dict[int, list[dict[str, object]]] = {}
        self.measured_at: dict[int, dt.datetime] = {}
        self.terms: list[SupplierItem] = []


class _Suppliers:
    def __init__(self, store: _Store) -> None:
        self.store = store

    def get(self, name: str) -> Supplier | None:
        return self.store.suppliers.get(name)

    def add(self, supplier: Supplier) -> None:
        supplier.id = next(self.store.ids)
        self.store.suppliers[supplier.name] = supplier

    def list(self) -> Sequence[Supplier]:
        return sorted(self.store.suppliers.values(), key=lambda s: s.name)


class _Customers:
    def __init__(self, store: _Store) -> None:
        self.store = store

    def get(self, name: str) -> Customer | None:
        return self.store.customers.get(name)

    def add(self, customer: Customer) -> None:
        customer.id = next(self.store.ids)
        self.store.customers[customer.name] = customer

    def list(self) -> Sequence[Customer]:
        return sorted(self.store.customers.values(), key=lambda c: c.name)


class _Items:
    def __init__(self, store: _Store) -> None:
        self.store = store

    def get(self, sku: str, *, lock: bool = False) -> Item | None:
        return self.store.items.get(sku)

    def add(self, item: Item) -> None:
        item.id = next(self.store.ids)
        self.store.items[item.sku] = item

    def list(self) -> Sequence[Item]:
        return sorted(self.store.items.values(), key=lambda i: i.sku)

    def add_move(self, move: StockMove) -> None:
        move.id = next(self.store.ids)
        self.store.moves.append(move)

    def set_policy(self, item: Item, policy: str) -> None:
        item.policy = policy

    def terms(self, item: Item) -> Sequence[SupplierItem]:
        return [t for t in self.store.terms if t.item is item]

    def all_terms(self) -> Sequence[SupplierItem]:
        return list(self.store.terms)

    def add_terms(self, terms: SupplierItem) -> None:
        self.store.terms.append(terms)

    def ledger_on_hand(self, item: Item) -> int:
        return sum(m.qty for m in self.store.moves if m.item_id == item.id)

    def on_hand_total(self) -> int:
        return sum(i.on_hand for i in self.store.items.values())

    def on_hand_before(self, start: dt.datetime) -> dict[int, int]:
        totals: dict[int, int] = {}
        for m in self.store.moves:
            if m.at < start:
                totals[m.item_id] = totals.get(m.item_id, 0) + m.qty
        return totals

    def moves_between(self, start: dt.datetime, end: dt.datetime) -> Sequence[StockMove]:
        return sorted(
            (m for m in self.store.moves if start <= m.at < end), key=lambda m: (m.at, m.id or 0)
        )


class _Orders:
    def __init__(self, store: _Store) -> None:
        self.store = store

    def get(self, order_id: int, *, refresh: bool = False) -> Order | None:
        return self.store.orders.get(order_id)

    def add(self, order: Order) -> None:
        order.id = next(self.store.ids)
        for line in order.lines:
            line.id = next(self.store.ids)
            line.order = order
        self.store.orders[order.id] = order

    def _lines(self) -> list[OrderLine]:
        return [ln for o in self.store.orders.values() for ln in o.lines]

    def open_lines(self, item: Item) -> Sequence[OrderLine]:
        return [ln for ln in self._lines() if ln.item is item and ln.open_qty > 0]

    def list(
        self, *, customer: str | None = None, sku: str | None = None, open_only: bool = False
    ) -> Sequence[Order]:
        return [
            o
            for _, o in sorted(self.store.orders.items())
            if (customer is None or o.customer.name == customer)
            and any(
                (sku is None or ln.item.sku == sku) and (not open_only or ln.open_qty > 0)
                for ln in o.lines
            )
        ]

    def lines_placed_between(self, start: dt.datetime, end: dt.datetime) -> Sequence[OrderLine]:
        return [ln for ln in self._lines() if start <= ln.placed_at < end]

    def waiting_lines(self, *, sku: str | None = None) -> Sequence[OrderLine]:
        lines = [
            ln for ln in self._lines() if ln.backordered > 0 and (sku is None or ln.item.sku == sku)
        ]
        return sorted(lines, key=lambda ln: (ln.placed_at, ln.id or 0))

    def open_totals(self) -> dict[int, tuple[int, int, dt.date | None]]:
        out: dict[int, tuple[int, int, dt.date | None]] = {}
        for ln in self._lines():
            if ln.open_qty == 0:
                continue
            alloc, back, promise = out.get(ln.item.id or 0, (0, 0, None))
            if ln.backordered and ln.promised_date is not None:
                promise = min(filter(None, (promise, ln.promised_date)))
            out[ln.item.id or 0] = (alloc + ln.allocated, back + ln.backordered, promise)
        return out

    def ready_to_ship(self) -> Sequence[int]:
        return [
            oid
            for oid, o in sorted(self.store.orders.items())
            if sum(ln.allocated for ln in o.lines) > 0
            and all(ln.backordered == 0 for ln in o.lines)
        ]

    def demand_history(
        self, *, since: dt.datetime | None = None
    ) -> Sequence[tuple[str, dt.date, int]]:
        rows = [
            (ln.item.sku, ln.placed_at, ln.qty)
            for ln in self._lines()
            if since is None or ln.placed_at >= since
        ]
        return [(sku, at.date(), qty) for sku, at, qty in sorted(rows, key=lambda r: (r[0], r[1]))]

    def ordered_by_customer(
        self, skus: Collection[str], *, since: dt.datetime | None = None
    ) -> Sequence[tuple[str, str, dt.date, int]]:
        return [
            (ln.item.sku, order.customer.name, ln.placed_at.date(), ln.qty)
            for order in self.store.orders.values()
            for ln in order.lines
            if ln.item.sku in skus and (since is None or ln.placed_at >= since)
        ]

    def backordered_total(self) -> int:
        return sum(ln.backordered for ln in self._lines())

    def line_sizes_by_priority(
        self, item: Item, *, since: dt.datetime
    ) -> dict[int, dict[int, int]]:
        out: dict[int, dict[int, int]] = {}
        for ln in self._lines():
            if ln.item is item and ln.placed_at >= since:
                sizes = out.setdefault(ln.priority, {})
                sizes[ln.qty] = sizes.get(ln.qty, 0) + 1
        return out


class _PurchaseOrders:
    def __init__(self, store: _Store) -> None:
        self.store = store

    def get(self, po_id: int, *, refresh: bool = False) -> PurchaseOrder | None:
        return self.store.pos.get(po_id)

    def add(self, po: PurchaseOrder) -> None:
        po.id = next(self.store.ids)
        self.store.pos[po.id] = po

    def open_for(self, item: Item) -> Sequence[PurchaseOrder]:
        return [po for _, po in sorted(self.store.pos.items()) if po.item is item and po.is_open]

    def list(
        self, *, status: POStatus | None = None, sku: str | None = None, open_only: bool = False
    ) -> Sequence[PurchaseOrder]:
        return [
            po
            for _, po in sorted(self.store.pos.items())
            if (status is None or po.status is status)
            and (sku is None or po.item.sku == sku)
            and (not open_only or po.status in OPEN_STATUSES)
        ]

    def sent_between(self, start: dt.datetime, end: dt.datetime) -> Sequence[PurchaseOrder]:
        return [
            po
            for _, po in sorted(self.store.pos.items())
            if po.sent_at is not None and start <= po.sent_at < end
        ]

    def add_receipt(self, receipt: Receipt) -> None:
        self.store.receipts.append(receipt)

    def open_all(self) -> Sequence[PurchaseOrder]:
        return [po for _, po in sorted(self.store.pos.items()) if po.is_open]

    def deliveries(
        self, supplier: Supplier
    ) -> Sequence[tuple[dt.datetime, dt.datetime, dt.date | None]]:
        return [
            (po.sent_at, po.first_received_at, po.first_expected_date)
            for _, po in sorted(self.store.pos.items())
            if po.supplier is supplier
            and po.sent_at is not None
            and po.first_received_at is not None
        ]

    def recent_lateness(self, supplier: Supplier, *, latest: int) -> tuple[int, ...]:
        since = supplier.lead_time_set_at
        delivered = [
            po
            for po in self.store.pos.values()
            if po.supplier is supplier
            and po.first_received_at is not None
            and po.first_expected_date is not None
            and (since is None or (po.sent_at is not None and po.sent_at > since))
        ]
        delivered.sort(key=lambda po: (po.first_received_at, po.id), reverse=True)
        return tuple(
            (po.first_received_at.astimezone(dt.UTC).date() - po.first_expected_date).days  # type: ignore[union-attr,operator]
            for po in delivered[:latest]
        )

    def recent_rests(self, supplier: Supplier, *, latest: int) -> tuple[int, ...]:
        split = [
            po
            for po in self.store.pos.values()
            if po.supplier is supplier
            and po.status is POStatus.RECEIVED
            and po.first_received_at is not None
            and po.last_received_at is not None
            and po.last_received_at > po.first_received_at
        ]
        split.sort(key=lambda po: (po.last_received_at, po.id), reverse=True)
        return tuple(
            (_utc_day(po.last_received_at) - _utc_day(po.first_received_at)).days  # type: ignore[arg-type]
            for po in split[:latest]
        )


def _utc_day(at: dt.datetime) -> dt.date:
    return at.astimezone(dt.UTC).date()


class _Events:
    def __init__(self, store: _Store) -> None:
        self.store = store

    def history(
        self, *, order_id: int | None = None, sku: str | None = None, po_id: int | None = None
    ) -> Sequence[StoredEvent]:
        out = []
        for seq, type_, at, payload, _prev, hash_, refs in self.store.events:
            if order_id is not None and refs.get("order_id") != order_id:
                continue
            if sku is not None and refs.get("sku") != sku:
                continue
            if po_id is not None and refs.get("po_id") != po_id:
                continue
            out.append(StoredEvent(seq, type_, at, json.loads(payload), hash_))
        return out

    def find_break(self) -> ChainBreak | None:
        links = (
            (seq, type_, at, refs["sku"], refs["order_id"], refs["po_id"], payload, prev, hash_)
            for seq, type_, at, payload, prev, hash_, refs in self.store.events
        )
        return find_break(links, self.store.event_head)  # type: ignore[arg-type]

    def of_type(
        self, event_type: str, *, since: dt.datetime | None = None
    ) -> Sequence[StoredEvent]:
        return [
            StoredEvent(seq, type_, at, json.loads(payload), hash_)
            for seq, type_, at, payload, _prev, hash_, _refs in self.store.events
            if type_ == event_type and (since is None or at >= since)
        ]

    def first_seen(self, event_type: str) -> dict[str, dt.datetime]:
        out: dict[str, dt.datetime] = {}
        for _seq, type_, at, _payload, _prev, _hash, refs in self.store.events:
            sku = refs.get("sku")
            if type_ == event_type and isinstance(sku, str):
                out[sku] = min(out.get(sku, at), at)
        return out


class _Forecasts:
    def __init__(self, store: _Store) -> None:
        self.store = store

    def add_run(self, at, horizon, quantiles, series, seconds):  # type: ignore[no-untyped-def]
        run = ForecastRun(next(self.store.ids), at, horizon, tuple(quantiles))
        self.store.runs.append(run)
        return run.id

    def add_values(self, run_id, values):  # type: ignore[no-untyped-def]
        self.store.values.setdefault(run_id, []).extend(values)

    def add_items(self, run_id, rows):  # type: ignore[no-untyped-def]
        self.store.items_by_run.setdefault(run_id, []).extend(rows)

    def items(self, run_id):  # type: ignore[no-untyped-def]
        return sorted(self.store.items_by_run.get(run_id, []), key=lambda i: i.sku)

    def latest_run(self, *, before=None):  # type: ignore[no-untyped-def]
        runs = [r for r in self.store.runs if before is None or r.at < before]
        return max(runs, key=lambda r: (r.at, r.id)) if runs else None

    def values(self, run_id, *, sku=None, since=None, before=None):  # type: ignore[no-untyped-def]
        rows = [
            v
            for v in self.store.values.get(run_id, [])
            if (sku is None or v.sku == sku)
            and (since is None or v.ds >= since)
            and (before is None or v.ds < before)
        ]
        return sorted(rows, key=lambda v: (v.sku, v.ds))

    def add_override(self, sku, ds, value, reason, at):  # type: ignore[no-untyped-def]
        oid = next(self.store.ids)
        self.store.overrides[oid] = StoredOverride(oid, sku, ds, value, reason, at, None, None)
        return oid

    def overrides(self, *, sku=None, pending=False):  # type: ignore[no-untyped-def]
        return [
            o
            for k in sorted(self.store.overrides)
            if (o := self.store.overrides[k])
            and (sku is None or o.sku == sku)
            and not (pending and o.actual is not None)
        ]

    def revise_override(self, override_id, value, reason, at):  # type: ignore[no-untyped-def]
        o = self.store.overrides[override_id]
        self.store.overrides[override_id] = StoredOverride(
            o.id, o.sku, o.ds, value, reason, at, o.statistical, o.actual
        )

    def set_override_statistical(self, override_id, statistical):  # type: ignore[no-untyped-def]
        o = self.store.overrides[override_id]
        self.store.overrides[override_id] = StoredOverride(
            o.id, o.sku, o.ds, o.value, o.reason, o.created_at, statistical, o.actual
        )

    def score_override(self, override_id, actual, at):  # type: ignore[no-untyped-def]
        o = self.store.overrides[override_id]
        self.store.overrides[override_id] = StoredOverride(
            o.id, o.sku, o.ds, o.value, o.reason, o.created_at, o.statistical, actual
        )

    def replace_accuracy(self, run_id, rows, at):  # type: ignore[no-untyped-def]
        self.store.accuracy[run_id] = [dict(r) for r in rows]
        self.store.measured_at[run_id] = at

    def accuracy(self, run_id):  # type: ignore[no-untyped-def]
        return sorted(self.store.accuracy.get(run_id, []), key=lambda r: str(r["sku"]))

    def accuracy_since(self, since):  # type: ignore[no-untyped-def]
        keys = ("periods", "bias", "mae", "rmse", "forecast_total")
        return [
            {"run_id": run.id, "sku": row["sku"], **{k: row.get(k) for k in keys}}
            for run in self.store.runs
            if run.at >= since
            for row in self.store.accuracy.get(run.id, [])
        ]

    def accuracy_history(self, sku):  # type: ignore[no-untyped-def]
        out = []
        for run in sorted(self.store.runs, key=lambda r: (r.at, r.id)):
            items = {i.sku: i for i in self.store.items_by_run.get(run.id, [])}
            for row in self.store.accuracy.get(run.id, []):
                if row["sku"] == sku:
                    item = items.get(sku)
                    extra = {
                        "measured_at": self.store.measured_at[run.id],
                        "model": item and item.model,
                        "demand_class": item and item.demand_class,
                    }
                    out.append({"run_id": run.id, "run_at": run.at, **extra, **row})
        return out


class FakeUnitOfWork(UnitOfWork):
    """Shares one in-memory store across units of work, like one database.

    Note: without a real transaction it cannot undo changes already made to objects,
    so rollback tests belong to the integration suite; it does drop uncommitted events.
    """

    def __init__(self, store: _Store | None = None) -> None:
        super().__init__()
        self.store = store or _Store()
        self.suppliers = _Suppliers(self.store)
        self.customers = _Customers(self.store)
        self.items = _Items(self.store)
        self.orders = _Orders(self.store)
        self.purchase_orders = _PurchaseOrders(self.store)
        self.events = _Events(self.store)
        self.forecasts = _Forecasts(self.store)
        self.commits = 0

    def flush(self) -> None:
        pass

    def _commit(self, events: list[tuple[dt.datetime, DomainEvent]]) -> None:
        if not events:  # as the SQL unit of work: the head is only read to append
            self.commits += 1
            return
        head = self.store.event_head
        if head is None:
            if self.store.events:
                last = self.store.events[-1][0]
                raise InvalidState(
                    f"the event log's head is missing (the log ends at seq {last}): the log "
                    "is broken, nothing was written; run `subzero events verify`"
                )
            head = (0, GENESIS_HASH)
        seq, prev = head
        for at, event in events:
            seq += 1
            payload = canonical_json(event.payload())
            refs = event.refs()
            hash_ = chain_hash(prev, seq, event.type, at, payload, **refs)
            self.store.events.append((seq, event.type, at, payload, prev, hash_, refs))
            prev = hash_
        self.store.event_head = (seq, prev)
        self.commits += 1

    def _rollback(self) -> None:
        pass
