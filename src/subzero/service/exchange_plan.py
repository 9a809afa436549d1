"""ERP import: the rows read, the rejections, and the plan the checks hand to the import.

``Row`` is one typed row of an exchange file and ``Rejection`` one refused row (or file);
``ImportPlan`` is what ``service.exchange_checks`` found valid and ``service.exchange``
applies. ``CheckBase`` holds what every check shares: the tables, the unit of work, the
rejections so far, the names the files define, and helpers that reject a row.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any, Protocol, TypeVar

from subzero.domain import commands as c
from subzero.domain.errors import InvalidParameter
from subzero.domain.ledger import MoveKind, StockMove
from subzero.domain.orders import Order
from subzero.domain.purchasing import POStatus, Receipt
from subzero.service.unit_of_work import UnitOfWork

_E = TypeVar("_E", bound=Enum)

__all__ = [
    "CheckBase",
    "ExchangeReader",
    "ImportPlan",
    "PlannedItem",
    "PlannedLine",
    "PlannedMove",
    "PlannedOrder",
    "PlannedPO",
    "PlannedRefusal",
    "Rejection",
    "Row",
]


@dataclass(frozen=True, slots=True)
class Row:
    """One typed row of an exchange file; ``where`` is ``"items.csv line 7"``.

    ``complete`` is False when a cell was malformed (already reported): the row still
    names its key for references, but is not applied.
    """

    where: str
    values: Mapping[str, Any]
    complete: bool = True

    def __getitem__(self, column: str) -> Any:
        return self.values.get(column)


@dataclass(frozen=True, slots=True)
class Rejection:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class ExchangeReader(Protocol):
    """Read-only queries beyond the repositories (an adapter implements them)."""

    def orders(self) -> Sequence[Order]: ...
    def receipts(self) -> Sequence[Receipt]: ...
    def moves(self) -> Sequence[StockMove]: ...


@dataclass
class PlannedItem:
    """A new item: ``opening`` is its opening stock when the import has no stock
    moves for it (one move at import time), None when its moves come from the file."""

    row: Row
    command: c.AddItem
    added_at: dt.datetime | None
    opening: int | None
    vmi: tuple[int, int] | None
    on_hand: int = 0
    opened_with: int = 0  # the units of its opening move(s): ``ItemAdded.on_hand``


@dataclass
class PlannedPO:
    row: Row
    key: int  # po_id in the file
    sku: str
    supplier: str
    status: POStatus
    qty: int
    received: int
    created_at: dt.datetime
    sent_at: dt.datetime | None
    expected_date: dt.date
    unit_price: Decimal | None
    reason: str
    order_date: dt.date | None
    due_period: dt.date
    lead_time_days: int | None
    expedite: bool
    source: str
    first_expected_date: dt.date | None
    confirmed_at: dt.datetime | None
    receipts: list[tuple[int, dt.datetime]] = field(default_factory=list)


@dataclass
class PlannedLine:
    """One order line as it will be stored (the file's state, defaults filled in)."""

    row: Row
    sku: str
    qty: int
    allocated: int
    shipped: int
    cancelled: int
    priority: int | None  # None: the customer's
    served_from_stock: int
    filled_at: dt.datetime | None
    promised_date: dt.date | None
    first_promised_date: dt.date | None
    promise_probability: float | None
    first_promise_probability: float | None
    cancelled_at: dt.datetime | None

    @property
    def open_qty(self) -> int:
        return self.qty - self.shipped - self.cancelled


@dataclass
class PlannedOrder:
    key: int  # order_id in the file
    customer: str
    placed_at: dt.datetime
    lines: list[PlannedLine]

    @property
    def is_open(self) -> bool:
        return any(line.open_qty > 0 for line in self.lines)


@dataclass
class PlannedMove:
    row: Row
    sku: str
    qty: int
    kind: MoveKind
    at: dt.datetime
    ref: str
    order_key: int | None = None  # ``order:N`` of the file: renumbered on import
    po_key: int | None = None  # ``po:N``


@dataclass
class PlannedRefusal:
    row: Row
    customer: str
    sku: str
    qty: int
    at: dt.datetime
    reason: str


@dataclass
class ImportPlan:
    """What to apply, in this order: ``commands`` (suppliers, customers, items, terms),
    refusals, purchase orders and their receipts (in the file's order), orders, stock
    moves; then replenish ``touched``."""

    commands: list[tuple[Row, c.Command]] = field(default_factory=list)
    items: dict[str, PlannedItem] = field(default_factory=dict)
    lead_time_set_at: dict[str, dt.datetime] = field(default_factory=dict)
    purchase_orders: list[PlannedPO] = field(default_factory=list)
    receipts: list[tuple[int, int, dt.datetime]] = field(default_factory=list)  # po key, qty, at
    orders: list[PlannedOrder] = field(default_factory=list)
    existing_orders: dict[int, int] = field(default_factory=dict)  # file key -> id
    moves: list[PlannedMove] = field(default_factory=list)
    refusals: list[PlannedRefusal] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)
    counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))


class CheckBase:
    """State and helpers shared by every check (see the module docstring)."""

    def __init__(
        self,
        tables: Mapping[str, Sequence[Row]],
        uow: UnitOfWork,
        reader: ExchangeReader,
        now: dt.datetime,
    ) -> None:
        self.tables, self.uow, self.reader, self.now = tables, uow, reader, now
        self.rejections: list[Rejection] = []
        self.plan = ImportPlan()
        # keys named in the files (even on a row with a bad cell): references resolve
        self.file_suppliers = {r["name"]: r for r in self.rows("suppliers") if r["name"]}
        self.file_customers = {r["name"] for r in self.rows("customers") if r["name"]}
        self.file_items = {r["sku"] for r in self.rows("items") if r["sku"]}
        self.stock_rows: dict[str, Row] = {}  # new items' rows of the stock file

    def rows(self, entity: str) -> Sequence[Row]:
        return self.tables.get(entity, ())

    def reject(self, row: Row, message: str) -> None:
        self.rejections.append(Rejection(row.where, message))

    def choice(self, row: Row, column: str, kind: type[_E]) -> _E | None:
        """The row's ``column`` as one of ``kind``'s values, or None (rejected)."""
        try:
            return kind(row[column])
        except ValueError:
            valid = ", ".join(str(k.value) for k in kind)
            self.reject(row, f"{column} {row[column]!r}; use one of {valid}")
            return None

    def _supplier(self, row: Row, name: str | None) -> bool:
        if name is None or name in self.file_suppliers or self.uow.suppliers.get(name):
            return True
        self.reject(row, f"supplier {name!r} not found")
        return False

    def _item(self, row: Row, sku: str | None) -> bool:
        if sku is None or sku in self.file_items or self.uow.items.get(sku):
            return True
        self.reject(row, f"SKU {sku!r} not found")
        return False

    def _customer(self, row: Row, name: str | None) -> bool:
        if name is None or name in self.file_customers or self.uow.customers.get(name):
            return True
        self.reject(row, f"customer {name!r} not found")
        return False

    def _first(self, seen: dict[Any, str], key: Any, row: Row, what: str) -> bool:
        """True the first time ``key`` is seen; a duplicate is rejected."""
        if key in seen:
            self.reject(row, f"duplicate {what} (first at {seen[key]})")
            return False
        seen[key] = row.where
        return True

    def _valid(self, row: Row, check: Callable[..., object], *args: Any, **kwargs: Any) -> bool:
        """Run a domain check; its InvalidParameter becomes the row's rejection."""
        try:
            check(*args, **kwargs)
        except InvalidParameter as exc:
            self.reject(row, exc.message)
            return False
        return True

    def _past(self, row: Row, column: str, *, not_before: tuple[str, Any] | None = None) -> bool:
        """The row's time ``column`` (if given) is not in the future, nor before the
        time ``not_before`` names (``("placed_at", value)``)."""
        at = row[column]
        if at is None:
            return True
        if at > self.now:
            self.reject(row, f"{column} {at.isoformat()} is in the future")
            return False
        if not_before is not None and not_before[1] is not None and at < not_before[1]:
            name, start = not_before
            self.reject(row, f"{column} {_iso(at)} is before {name} {_iso(start)}")
            return False
        return True


def _iso(value: dt.datetime | dt.date) -> str:
    return value.isoformat()
