"""ERP import, step one: check every row before anything is written.

``ImportChecks`` validates the typed rows of every exchange file — duplicates, references
to rows of other files of the same import or to the database, conflicts with existing
rows, the domain's own value rules — collects every rejection with its file and line,
and, when there is none, returns the ``ImportPlan`` that ``service.exchange`` applies.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from subzero.domain import commands as c
from subzero.domain.errors import InvalidParameter
from subzero.domain.items import Customer, Supplier, validate_name, validate_quantity
from subzero.domain.orders import LineStatus, Order
from subzero.domain.purchasing import POStatus, Receipt, SupplierItem
from subzero.planning.policies.kinds import policy_from_text
from subzero.service.demand import refused_requests
from subzero.service.supplier_terms import check_terms
from subzero.service.unit_of_work import UnitOfWork

__all__ = [
    "ExchangeReader",
    "ImportChecks",
    "ImportPlan",
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


@dataclass
class PlannedPO:
    row: Row
    sku: str
    supplier: str
    qty: int
    received: int
    created_at: dt.datetime
    sent_at: dt.datetime
    expected_date: dt.date
    unit_price: Decimal | None
    reason: str
    receipts: list[tuple[int, dt.datetime]] = field(default_factory=list)


@dataclass
class PlannedOrder:
    key: int
    customer: str
    placed_at: dt.datetime
    rows: list[Row]

    @property
    def open_lines(self) -> list[tuple[str, int]]:
        return [(r["sku"], _open_qty(r)) for r in self.rows if _open_qty(r) > 0]


@dataclass
class PlannedRefusal:
    row: Row
    customer: str
    sku: str
    qty: int
    at: dt.datetime
    reason: str


def _open_qty(row: Row) -> int:
    return int(row["qty"]) - int(row["shipped"] or 0) - int(row["cancelled"] or 0)


@dataclass
class ImportPlan:
    commands: list[tuple[Row, c.Command]] = field(default_factory=list)
    purchase_orders: list[PlannedPO] = field(default_factory=list)
    history: list[PlannedOrder] = field(default_factory=list)
    open_orders: list[PlannedOrder] = field(default_factory=list)
    refusals: list[PlannedRefusal] = field(default_factory=list)
    counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))


class ImportChecks:
    """Every check of every row, against the other files and the database."""

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
        self.opening: dict[str, int] = {}

    def rows(self, entity: str) -> Sequence[Row]:
        return self.tables.get(entity, ())

    def reject(self, row: Row, message: str) -> None:
        self.rejections.append(Rejection(row.where, message))

    def run(self) -> ImportPlan:
        for entity in self.tables:
            self.plan.counts[entity].update()  # every file present has an entry
        self._suppliers()
        self._customers()
        self._stock()
        self._items()
        self._terms()
        self._purchase_orders()
        self._orders()
        self._refusals()
        return self.plan

    # references --------------------------------------------------------------------

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

    # master data -------------------------------------------------------------------

    def _suppliers(self) -> None:
        seen: dict[Any, str] = {}
        for row in self.rows("suppliers"):
            name, lead, sd = row["name"], row["lead_time_days"], row["lead_time_sd_days"] or 0.0
            if not row.complete or not self._first(seen, name, row, f"supplier {name!r}"):
                continue
            if not self._valid(row, Supplier, name, lead, sd):
                continue
            existing = self.uow.suppliers.get(name)
            if existing is None:
                self.plan.commands.append((row, c.AddSupplier(name, lead, sd)))
                self.plan.counts["suppliers"]["added"] += 1
            elif (existing.lead_time_days, existing.lead_time_sd_days) == (lead, sd):
                self.plan.counts["suppliers"]["skipped"] += 1
            else:
                self.reject(
                    row,
                    f"supplier {name!r} already exists with lead time "
                    f"{existing.lead_time_days} days (sd {existing.lead_time_sd_days}); the "
                    f"file says {lead} (sd {sd}): an import never changes a supplier",
                )

    def _customers(self) -> None:
        seen: dict[Any, str] = {}
        for row in self.rows("customers"):
            name, priority = row["name"], 5 if row["priority"] is None else row["priority"]
            if not row.complete or not self._first(seen, name, row, f"customer {name!r}"):
                continue
            if not self._valid(row, Customer, name, priority):
                continue
            existing = self.uow.customers.get(name)
            if existing is None:
                self.plan.commands.append((row, c.AddCustomer(name, priority)))
                self.plan.counts["customers"]["added"] += 1
            elif existing.priority == priority:
                self.plan.counts["customers"]["skipped"] += 1
            else:
                self.reject(
                    row,
                    f"customer {name!r} already exists with priority {existing.priority}; "
                    f"the file says {priority}: an import never changes a customer",
                )

    def _stock(self) -> None:
        seen: dict[Any, str] = {}
        for row in self.rows("stock"):
            sku, on_hand = row["sku"], row["on_hand"]
            if not row.complete or not self._first(seen, sku, row, f"SKU {sku!r}"):
                continue
            if not self._item(row, sku) or not self._valid(
                row, validate_quantity, "on_hand", on_hand, allow_zero=True
            ):
                continue
            existing = self.uow.items.get(sku)
            if existing is None:
                self.opening[sku] = on_hand
                self.plan.counts["stock"]["added"] += 1
            elif existing.on_hand == on_hand:
                self.plan.counts["stock"]["skipped"] += 1
            else:
                self.reject(
                    row,
                    f"SKU {sku!r} already has {existing.on_hand} on hand; the file says "
                    f"{on_hand}: an import never adjusts stock",
                )

    def _items(self) -> None:
        seen: dict[Any, str] = {}
        for row in self.rows("items"):
            sku, supplier = row["sku"], row["supplier"]
            if not row.complete or not self._first(seen, sku, row, f"SKU {sku!r}"):
                continue
            cmd = c.AddItem(
                sku,
                supplier,
                self.opening.get(sku, 0),
                allow_negative=True if row["allow_negative"] is None else row["allow_negative"],
                backorder_limit=row["backorder_limit"],
                policy=row["policy"] or "mto",
                jit=bool(row["jit"]),
            )
            ok = self._valid(row, validate_name, "SKU", sku)
            ok &= self._supplier(row, supplier)
            ok &= self._valid(row, policy_from_text, cmd.policy)
            if cmd.backorder_limit is not None:
                limit = cmd.backorder_limit
                ok &= self._valid(row, validate_quantity, "backorder_limit", limit, allow_zero=True)
            if not ok:
                continue
            existing = self.uow.items.get(sku)
            if existing is None:
                self.plan.commands.append((row, cmd))
                self.plan.counts["items"]["added"] += 1
                continue
            differ = _differences(
                existing.supplier.name, cmd.supplier, "supplier",
                existing.allow_negative, cmd.allow_negative, "allow_negative",
                existing.backorder_limit, cmd.backorder_limit, "backorder_limit",
                existing.policy, cmd.policy, "policy",
                existing.jit, cmd.jit, "jit",
            )  # fmt: skip
            if differ:
                self.reject(
                    row, f"SKU {sku!r} already exists with {differ}: an import never changes "
                    "an item",
                )  # fmt: skip
            else:
                self.plan.counts["items"]["skipped"] += 1

    def _terms(self) -> None:
        seen: dict[Any, str] = {}
        preferred: dict[Any, str] = {}
        for row in self.rows("supplier_terms"):
            sku, supplier = row["sku"], row["supplier"]
            if not row.complete or not self._first(
                seen, (sku, supplier), row, f"terms for {sku!r} from {supplier!r}"
            ):
                continue
            ok = self._item(row, sku) & self._supplier(row, supplier)
            breaks = self._price_breaks(row)
            if not ok or breaks is None:
                continue
            cmd = c.SetSupplierTerms(
                sku,
                supplier,
                unit_price=row["unit_price"] or Decimal(0),
                price_breaks=breaks,
                moq=1 if row["moq"] is None else row["moq"],
                lot_size=1 if row["lot_size"] is None else row["lot_size"],
                capacity=row["capacity"],
                capacity_period=row["capacity_period"] or "week",
                lead_time_days=row["lead_time_days"],
                expedite_lead_time_days=row["expedite_lead_time_days"],
                expedite_cost_per_unit=row["expedite_cost_per_unit"],
                preferred=bool(row["preferred"]),
            )
            if cmd.preferred and not self._first(
                preferred, sku, row, f"preferred supplier for {sku!r}"
            ):
                continue
            if not self._valid(row, check_terms, cmd, self._lead_time(supplier)):
                continue
            existing = self._existing_terms(sku, supplier)
            if existing is None:
                self.plan.commands.append((row, cmd))
                self.plan.counts["supplier_terms"]["added"] += 1
            elif _terms_key(existing) == _command_key(cmd):
                self.plan.counts["supplier_terms"]["skipped"] += 1
            else:
                self.plan.commands.append((row, cmd))
                self.plan.counts["supplier_terms"]["updated"] += 1

    def _price_breaks(self, row: Row) -> tuple[tuple[int, Decimal], ...] | None:
        text = row["price_breaks"]
        if not text:
            return ()
        try:
            pairs = json.loads(text)
            breaks = tuple((q, Decimal(str(p))) for q, p in pairs)
            if any(isinstance(q, bool) or not isinstance(q, int) for q, _ in breaks):
                raise ValueError(text)
        except (ValueError, TypeError, ArithmeticError):
            self.reject(
                row,
                f'price_breaks {text!r} is not a JSON list of [min_qty, "unit price"] '
                'pairs (e.g. [[10, "9.50"], [50, "9.00"]])',
            )
            return None
        return breaks

    def _lead_time(self, supplier: str) -> int:
        row = self.file_suppliers.get(supplier)
        if row is not None and row["lead_time_days"] is not None:
            return int(row["lead_time_days"])
        found = self.uow.suppliers.get(supplier)
        return found.lead_time_days if found is not None else 0

    def _existing_terms(self, sku: str, supplier: str) -> SupplierItem | None:
        item = self.uow.items.get(sku)
        if item is None:
            return None
        return next((t for t in self.uow.items.terms(item) if t.supplier.name == supplier), None)

    # purchase orders and receipts ----------------------------------------------------

    def _purchase_orders(self) -> None:
        seen: dict[Any, str] = {}
        planned: dict[int, PlannedPO] = {}
        state: dict[int, str] = {}  # po_id -> why it is not planned
        existing = {
            (po.item.sku, po.supplier.name, po.created_at) for po in self.uow.purchase_orders.list()
        }
        for row in self.rows("purchase_orders"):
            po_id = row["po_id"]
            if po_id is not None:
                state[po_id] = "rejected"
            if not row.complete or not self._first(seen, po_id, row, f"po_id {po_id}"):
                continue
            po = self._purchase_order(row, existing)
            if isinstance(po, str):
                state[po_id] = po
            elif po is not None:
                planned[po_id] = po
        self._receipts(planned, state)

    def _purchase_order(self, row: Row, existing: set[Any]) -> PlannedPO | str | None:
        """The PO to import; or why it is skipped ("draft", …); None when rejected."""
        try:
            status = POStatus(row["status"])
        except ValueError:
            valid = ", ".join(s.value for s in POStatus)
            self.reject(row, f"status {row['status']!r}; use one of {valid}")
            return None
        ok = self._item(row, row["sku"]) & self._supplier(row, row["supplier"])
        if not ok:
            return None
        if status in (POStatus.DRAFT, POStatus.CANCELLED):
            self.plan.counts["purchase_orders"]["skipped"] += 1
            return str(status)  # drafts are re-derived by replenishment
        qty, received, sent_at = row["qty"], row["received"] or 0, row["sent_at"]
        if not self._valid(row, validate_quantity, "qty", qty):
            return None
        problem = None
        if not 0 <= received <= qty:
            problem = f"received {received} is not between 0 and qty {qty}"
        elif (status is POStatus.SENT) != (received == 0) or (
            (status is POStatus.RECEIVED) != (received == qty)
        ):
            problem = f"status {status} does not fit received {received} of qty {qty}"
        elif sent_at is None:
            problem = f"sent_at is required for a {status} purchase order"
        elif sent_at > self.now:
            problem = f"sent_at {sent_at.isoformat()} is in the future"
        elif row["expected_date"] < sent_at.date():
            problem = f"expected_date {row['expected_date']} is before sent_at {sent_at.date()}"
        if problem:
            self.reject(row, problem)
            return None
        if (row["sku"], row["supplier"], row["created_at"]) in existing:
            self.plan.counts["purchase_orders"]["skipped"] += 1
            return "existing"
        self.plan.counts["purchase_orders"]["added"] += 1
        return PlannedPO(
            row, row["sku"], row["supplier"], qty, received, row["created_at"], sent_at,
            row["expected_date"], row["unit_price"], row["reason"] or "imported",
        )  # fmt: skip

    def _receipts(self, planned: dict[int, PlannedPO], state: dict[int, str]) -> None:
        if "receipts" not in self.tables:
            return
        seen: dict[Any, str] = {}
        for row in self.rows("receipts"):
            po_id, qty = row["po_id"], row["qty"]
            rid = row["receipt_id"]
            if not row.complete or (
                rid is not None and not self._first(seen, rid, row, f"receipt_id {rid}")
            ):
                continue
            if po_id not in state and po_id not in planned:
                self.reject(row, f"po_id {po_id} not found in the purchase orders file")
                continue
            if not self._valid(row, validate_quantity, "qty", qty):
                continue
            if row["at"] > self.now:
                self.reject(row, f"at {row['at'].isoformat()} is in the future")
                continue
            po = planned.get(po_id)
            why = state.get(po_id)
            if po is None:
                if why in ("draft", "cancelled"):
                    self.reject(row, f"purchase order {po_id} is {why}: it has no receipts")
                elif why == "existing":
                    self.plan.counts["receipts"]["skipped"] += 1
                continue
            if row["sku"] is not None and row["sku"] != po.sku:
                self.reject(row, f"SKU {row['sku']!r}; purchase order {po_id} is for {po.sku!r}")
                continue
            po.receipts.append((qty, row["at"]))
            self.plan.counts["receipts"]["added"] += 1
        for po in planned.values():
            total = sum(q for q, _ in po.receipts)
            if total != po.received:
                self.reject(po.row, f"received {po.received}, but its receipts add up to {total}")
        self.plan.purchase_orders = list(planned.values())

    # orders ------------------------------------------------------------------------

    def _orders(self) -> None:
        groups: dict[int, list[Row]] = defaultdict(list)
        for row in self.rows("orders"):
            if row["order_id"] is not None:
                groups[row["order_id"]].append(row)
        existing = {(o.customer.name, o.placed_at) for o in self.reader.orders()}
        for key, rows in groups.items():
            first = rows[0]
            customer, placed_at = first["customer"], first["placed_at"]
            ok = all(r.complete for r in rows) and self._customer(first, customer)
            if placed_at is not None and placed_at > self.now:
                self.reject(first, f"placed_at {placed_at.isoformat()} is in the future")
                ok = False
            for row in rows:
                ok &= self._order_line(key, first, row)
            if not ok:
                continue
            if (customer, placed_at) in existing:
                self.plan.counts["orders"]["skipped"] += 1
                continue
            order = PlannedOrder(key, customer, placed_at, rows)
            if order.open_lines:
                self.plan.open_orders.append(order)
                self.plan.counts["orders"]["placed"] += 1
            else:
                self.plan.history.append(order)
                self.plan.counts["orders"]["history"] += 1

    def _order_line(self, key: int, first: Row, row: Row) -> bool:
        if not row.complete:
            return False
        ok = True
        for column in ("customer", "placed_at"):
            if row is not first and row[column] != first[column]:
                self.reject(
                    row, f"order {key}: {column} {_show(row[column])} differs from "
                    f"{_show(first[column])} at {first.where}",
                )  # fmt: skip
                ok = False
        ok &= self._item(row, row["sku"])
        qty = row["qty"]
        ok &= self._valid(row, validate_quantity, "qty", qty)
        units = {u: row[u] for u in ("allocated", "backordered", "shipped", "cancelled")}
        for name, value in units.items():
            if value is not None:
                ok &= self._valid(row, validate_quantity, name, value, allow_zero=True)
        if not ok:
            return False
        shipped, cancelled = units["shipped"] or 0, units["cancelled"] or 0
        if shipped + cancelled > qty:
            self.reject(row, f"shipped {shipped} + cancelled {cancelled} exceed qty {qty}")
            return False
        if units["allocated"] is not None and units["backordered"] is not None:
            total = sum(v or 0 for v in units.values())
            if total != qty:
                self.reject(
                    row,
                    f"qty {qty} is not allocated + backordered + shipped + cancelled "
                    f"({units['allocated']} + {units['backordered']} + {shipped} + "
                    f"{cancelled} = {total})",
                )
                return False
        status = row["status"]
        if status is not None and status not in {s.value for s in LineStatus}:
            valid = ", ".join(s.value for s in LineStatus)
            self.reject(row, f"status {status!r}; use one of {valid}")
            return False
        return True

    # refused demand ----------------------------------------------------------------

    def _refusals(self) -> None:
        seen: dict[Any, str] = {}
        existing = {(r.customer, r.sku, at, r.qty) for at, r in refused_requests(self.uow)}
        for row in self.rows("refusals"):
            customer, sku, qty, at = row["customer"], row["sku"], row["qty"], row["at"]
            what = f"refusal of {sku!r} for {customer!r} at {_show(at)}"
            if not row.complete or not self._first(seen, (customer, sku, at), row, what):
                continue
            ok = self._customer(row, customer) & self._item(row, sku)
            ok &= self._valid(row, validate_quantity, "qty", qty)
            if at > self.now:
                self.reject(row, f"at {at.isoformat()} is in the future")
                ok = False
            if not ok:
                continue
            if (customer, sku, at, qty) in existing:
                self.plan.counts["refusals"]["skipped"] += 1
                continue
            self.plan.refusals.append(
                PlannedRefusal(row, customer, sku, qty, at, row["reason"] or "imported")
            )
            self.plan.counts["refusals"]["added"] += 1


def _show(value: Any) -> str:
    return repr(value.isoformat() if isinstance(value, dt.datetime) else value)


def _differences(*triples: Any) -> str:
    """``"policy 'mto' (file: 'base-stock:S=4')"`` for each (old, new, name) that differs."""
    out = []
    for i in range(0, len(triples), 3):
        old, new, name = triples[i : i + 3]
        if old != new:
            out.append(f"{name} {old!r} (file: {new!r})")
    return ", ".join(out)


def _terms_key(t: SupplierItem) -> tuple[Any, ...]:
    cost = t.expedite_cost_per_unit
    return (
        Decimal(t.unit_price), tuple(t.breaks()), t.moq, t.lot_size, t.capacity,
        t.capacity_period, t.lead_time_days, t.expedite_lead_time_days,
        None if cost is None else Decimal(cost), t.preferred,
    )  # fmt: skip


def _command_key(cmd: c.SetSupplierTerms) -> tuple[Any, ...]:
    cost = cmd.expedite_cost_per_unit
    return (
        Decimal(cmd.unit_price), tuple(cmd.price_breaks), cmd.moq, cmd.lot_size, cmd.capacity,
        cmd.capacity_period, cmd.lead_time_days, cmd.expedite_lead_time_days,
        None if cost is None else Decimal(cost), cmd.preferred,
    )  # fmt: skip
