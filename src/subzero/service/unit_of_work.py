"""The unit of work and the repositories it offers, as interfaces.

A use case runs inside ``with uow:``; nothing it changed is kept unless it calls
``uow.commit()`` — an error rolls everything back, so bad input never leaves a
half-written change. Events recorded with ``uow.record`` are stored in the same
transaction (the outbox) and handed to the message bus after the commit.

Locking: ``items.get(sku, lock=True)`` locks the item's row until the end of the
transaction (PostgreSQL ``SELECT … FOR UPDATE``; SQLite serialises writers with
``BEGIN IMMEDIATE``). Every use case that changes stock locks the items it touches,
in SKU order, before reading their lines or purchase orders: two clients racing for the
last units can never both get them.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self

from subzero.domain.events import ChainBreak, DomainEvent
from subzero.domain.items import Customer, Item, Supplier
from subzero.domain.ledger import StockMove
from subzero.domain.orders import Order, OrderLine
from subzero.domain.purchasing import POStatus, PurchaseOrder, Receipt, SupplierItem

__all__ = [
    "CustomerRepository",
    "EventLog",
    "ForecastRun",
    "ForecastStore",
    "ForecastValue",
    "ItemRepository",
    "OrderRepository",
    "PurchaseOrderRepository",
    "StoredEvent",
    "StoredOverride",
    "SupplierRepository",
    "UnitOfWork",
]


@dataclass(frozen=True, slots=True)
class StoredEvent:
    seq: int
    type: str
    at: dt.datetime
    payload: dict[str, Any]
    hash: str


class SupplierRepository(Protocol):
    def get(self, name: str) -> Supplier | None: ...
    def add(self, supplier: Supplier) -> None: ...
    def list(self) -> Sequence[Supplier]: ...


class CustomerRepository(Protocol):
    def get(self, name: str) -> Customer | None: ...
    def add(self, customer: Customer) -> None: ...
    def list(self) -> Sequence[Customer]: ...


class ItemRepository(Protocol):
    def get(self, sku: str, *, lock: bool = False) -> Item | None: ...
    def add(self, item: Item) -> None: ...
    def list(self) -> Sequence[Item]: ...
    def add_move(self, move: StockMove) -> None: ...
    def set_policy(self, item: Item, policy: str) -> None: ...
    def terms(self, item: Item) -> Sequence[SupplierItem]: ...
    def all_terms(self) -> Sequence[SupplierItem]: ...
    def add_terms(self, terms: SupplierItem) -> None: ...
    def ledger_on_hand(self, item: Item) -> int: ...
    def on_hand_total(self) -> int: ...
    def on_hand_before(self, start: dt.datetime) -> dict[int, int]: ...
    def moves_between(self, start: dt.datetime, end: dt.datetime) -> Sequence[StockMove]: ...


class OrderRepository(Protocol):
    def get(self, order_id: int, *, refresh: bool = False) -> Order | None: ...
    def add(self, order: Order) -> None: ...
    def open_lines(self, item: Item) -> Sequence[OrderLine]: ...
    def lines_placed_between(self, start: dt.datetime, end: dt.datetime) -> Sequence[OrderLine]: ...
    def list(
        self, *, customer: str | None = None, sku: str | None = None, open_only: bool = False
    ) -> Sequence[Order]: ...
    def ready_to_ship(self) -> Sequence[int]: ...
    def open_totals(self) -> dict[int, tuple[int, int, dt.date | None]]: ...
    def waiting_lines(self, *, sku: str | None = None) -> Sequence[OrderLine]: ...
    def demand_history(
        self, *, since: dt.datetime | None = None
    ) -> Sequence[tuple[str, dt.date, int]]: ...
    def ordered_by_customer(
        self, skus: Collection[str], *, since: dt.datetime | None = None
    ) -> Sequence[tuple[str, str, dt.date, int]]: ...
    def line_sizes_by_priority(
        self, item: Item, *, since: dt.datetime
    ) -> dict[int, dict[int, int]]: ...
    def backordered_total(self) -> int: ...


class PurchaseOrderRepository(Protocol):
    def get(self, po_id: int, *, refresh: bool = False) -> PurchaseOrder | None: ...
    def add(self, po: PurchaseOrder) -> None: ...
    def open_for(self, item: Item) -> Sequence[PurchaseOrder]: ...
    def list(
        self, *, status: POStatus | None = None, sku: str | None = None, open_only: bool = False
    ) -> Sequence[PurchaseOrder]: ...
    def sent_between(self, start: dt.datetime, end: dt.datetime) -> Sequence[PurchaseOrder]: ...
    def add_receipt(self, receipt: Receipt) -> None: ...
    def open_all(self) -> Sequence[PurchaseOrder]: ...
    def deliveries(
        self, supplier: Supplier
    ) -> Sequence[tuple[dt.datetime, dt.datetime, dt.date | None]]: ...
    def recent_lateness(self, supplier: Supplier, *, latest: int) -> tuple[int, ...]:
        """Days late (received − expected when sent) of the ``latest`` most recent
        deliveries, newest first; negative when early. Only orders sent since
        ``supplier.lead_time_set_at`` count (sent after it)."""
        ...

    def recent_rests(self, supplier: Supplier, *, latest: int) -> tuple[int, ...]:
        """Days from the first receipt to the last of the supplier's ``latest`` most
        recently completed split deliveries (received in more than one part), newest
        first."""
        ...


class EventLog(Protocol):
    def history(
        self, *, order_id: int | None = None, sku: str | None = None, po_id: int | None = None
    ) -> Sequence[StoredEvent]: ...
    def find_break(self) -> ChainBreak | None: ...
    def first_seen(self, event_type: str) -> dict[str, dt.datetime]: ...
    def of_type(
        self, event_type: str, *, since: dt.datetime | None = None
    ) -> Sequence[StoredEvent]: ...


@dataclass(frozen=True, slots=True)
class ForecastRun:
    id: int
    at: dt.datetime
    horizon: int
    quantiles: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class ForecastValue:
    sku: str
    ds: dt.date
    mean: float
    statistical_mean: float
    quantiles: dict[str, float]


@dataclass(frozen=True, slots=True)
class ForecastItem:
    """One item of a stored forecast run: its model and why, and its demand over its
    protection period (lead time + one day) as the forecast's error paths give it.

    ``ltd_days`` etc. are ``None`` for runs stored before migration 0007; for an item
    whose protection period is longer than the run's horizon they are extrapolated past
    the horizon (``planning.forecast_horizon``)."""

    sku: str
    demand_class: str
    model: str
    reason: str
    ltd_days: int | None = None
    ltd_mean: float | None = None
    ltd_sd: float | None = None


@dataclass(frozen=True, slots=True)
class StoredOverride:
    id: int
    sku: str
    ds: dt.date
    value: float
    reason: str
    created_at: dt.datetime
    statistical: float | None
    actual: float | None


class ForecastStore(Protocol):
    """Forecast runs, their values, planner overrides and measured accuracy."""

    def add_run(
        self, at: dt.datetime, horizon: int, quantiles: Sequence[float], series: int, seconds: float
    ) -> int: ...
    def add_values(self, run_id: int, values: Sequence[ForecastValue]) -> None: ...
    def add_items(self, run_id: int, rows: Sequence[ForecastItem]) -> None: ...
    def items(self, run_id: int) -> Sequence[ForecastItem]:
        """The run's items, by SKU."""
        ...

    def latest_run(self, *, before: dt.datetime | None = None) -> ForecastRun | None: ...
    def values(
        self,
        run_id: int,
        *,
        sku: str | None = None,
        since: dt.date | None = None,
        before: dt.date | None = None,
    ) -> Sequence[ForecastValue]:
        """A run's values, by SKU and day; only days in [since, before) when given."""
        ...

    def add_override(
        self, sku: str, ds: dt.date, value: float, reason: str, at: dt.datetime
    ) -> int: ...
    def overrides(
        self, *, sku: str | None = None, pending: bool = False
    ) -> Sequence[StoredOverride]:
        """The overrides by id; only one item's when ``sku`` is given, only those not yet
        scored when ``pending``."""
        ...

    def revise_override(self, override_id: int, value: float, reason: str, at: dt.datetime) -> None:
        """A pending override's new value and reason (its statistical forecast is kept)."""
        ...

    def set_override_statistical(self, override_id: int, statistical: float) -> None: ...
    def score_override(self, override_id: int, actual: float, at: dt.datetime) -> None: ...
    def replace_accuracy(
        self, run_id: int, rows: Sequence[dict[str, Any]], at: dt.datetime
    ) -> None: ...
    def accuracy(self, run_id: int) -> Sequence[dict[str, Any]]: ...
    def accuracy_since(self, since: dt.datetime) -> Sequence[dict[str, Any]]:
        """Per-run error figures (run_id, sku, periods, bias, mae, rmse, forecast_total)
        of every run made at or after ``since``, for the bias test's window."""
        ...

    def accuracy_history(self, sku: str) -> Sequence[dict[str, Any]]:
        """Every measured run's accuracy for ``sku``, oldest run first, with the run's
        time (``run_at``) and the item's model and demand class in that run."""
        ...


class UnitOfWork(abc.ABC):
    suppliers: SupplierRepository
    customers: CustomerRepository
    items: ItemRepository
    orders: OrderRepository
    purchase_orders: PurchaseOrderRepository
    events: EventLog
    forecasts: ForecastStore

    def __init__(self) -> None:
        self._pending: list[tuple[dt.datetime, DomainEvent]] = []
        self.published: list[DomainEvent] = []

    def __enter__(self) -> Self:
        self._pending = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def record(self, event: DomainEvent, at: dt.datetime) -> None:
        """Keep ``event`` to be stored with this transaction's changes."""
        self._pending.append((at, event))

    def commit(self) -> None:
        self._commit(self._pending)
        self.published.extend(event for _, event in self._pending)
        self._pending = []

    def rollback(self) -> None:
        self._pending = []
        self._rollback()

    @abc.abstractmethod
    def flush(self) -> None:
        """Assign ids to new objects (so events can name them)."""

    @abc.abstractmethod
    def _commit(self, events: list[tuple[dt.datetime, DomainEvent]]) -> None: ...

    @abc.abstractmethod
    def _rollback(self) -> None: ...

    def is_retryable(self, exc: BaseException) -> bool:
        """True for a transient conflict (deadlock, serialisation failure) worth a retry."""
        return False
