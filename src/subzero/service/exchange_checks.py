"""ERP import, step one: check every row before anything is written.

``ImportChecks`` validates the typed rows of every exchange file — duplicates, references
to rows of other files of the same import or to the database, conflicts with existing
rows, the domain's own value rules — collects every rejection with its file and line,
and, when there is none, returns the ``ImportPlan`` that ``service.exchange`` applies.
Master data and refused demand are checked here, history (purchase orders, receipts,
orders, stock moves) in ``service.exchange_history``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from subzero.domain import commands as c
from subzero.domain.items import Customer, Item, Supplier, validate_name, validate_quantity
from subzero.domain.purchasing import SupplierItem
from subzero.planning.policies.kinds import policy_from_text
from subzero.service.demand import refused_requests
from subzero.service.exchange_history import HistoryChecks
from subzero.service.exchange_plan import (
    ExchangeReader,
    ImportPlan,
    PlannedItem,
    PlannedRefusal,
    Row,
)
from subzero.service.supplier_terms import check_terms
from subzero.service.unit_of_work import UnitOfWork

__all__ = ["ImportChecks"]  # the plan's types: service.exchange_plan

_MAX_LEAD_DAYS = 3650


class ImportChecks(HistoryChecks):
    """Every check of every row, against the other files and the database."""

    def __init__(
        self,
        tables: Mapping[str, Sequence[Row]],
        uow: UnitOfWork,
        reader: ExchangeReader,
        now: dt.datetime,
    ) -> None:
        super().__init__(tables, uow, reader, now)
        self.opening: dict[str, int] = {}

    def run(self) -> ImportPlan:
        for entity in self.tables:
            self.plan.counts[entity].update()  # every file present has an entry
        self._suppliers()
        self._customers()
        self._stock()
        self._items()
        self._terms()
        self._moves()  # new items' stock, before the orders that hold some of it
        self._purchase_orders()
        self._orders()
        self._refusals()
        return self.plan

    # master data -------------------------------------------------------------------

    def _suppliers(self) -> None:
        seen: dict[Any, str] = {}
        for row in self.rows("suppliers"):
            name, lead, sd = row["name"], row["lead_time_days"], row["lead_time_sd_days"] or 0.0
            if not row.complete or not self._first(seen, name, row, f"supplier {name!r}"):
                continue
            if not self._valid(row, Supplier, name, lead, sd) or not self._past(
                row, "lead_time_set_at"
            ):
                continue
            restated = row["lead_time_set_at"]
            existing = self.uow.suppliers.get(name)
            if existing is None:
                self.plan.commands.append((row, c.AddSupplier(name, lead, sd)))
                if restated is not None:
                    self.plan.lead_time_set_at[name] = restated
                self.plan.counts["suppliers"]["added"] += 1
            elif (existing.lead_time_days, existing.lead_time_sd_days) == (lead, sd) and (
                restated is None or restated == existing.lead_time_set_at
            ):
                self.plan.counts["suppliers"]["skipped"] += 1
            else:
                self.reject(
                    row,
                    f"supplier {name!r} already exists with lead time "
                    f"{existing.lead_time_days} days (sd {existing.lead_time_sd_days}"
                    f"{_restated(existing.lead_time_set_at)}); the file says {lead} (sd {sd}"
                    f"{_restated(restated)}): an import never changes a supplier",
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
                self.stock_rows[sku] = row
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
            vmi = (row["vmi_min"], row["vmi_max"])
            ok = self._valid(row, validate_name, "SKU", sku)
            ok &= self._supplier(row, supplier)
            ok &= self._valid(row, policy_from_text, cmd.policy)
            if cmd.backorder_limit is not None:
                limit = cmd.backorder_limit
                ok &= self._valid(row, validate_quantity, "backorder_limit", limit, allow_zero=True)
            if vmi != (None, None):  # the domain's own check of the bounds
                probe = Item("probe", Supplier("probe", 0))
                ok &= self._valid(row, probe.set_vmi, *vmi)
            ok &= self._past(row, "added_at")
            if not ok:
                continue
            existing = self.uow.items.get(sku)
            if existing is None:
                opening = self.opening.get(sku, 0)
                bounds = None if vmi == (None, None) else (int(vmi[0]), int(vmi[1]))
                self.plan.items[sku] = PlannedItem(
                    row, cmd, row["added_at"], opening, bounds, opening, opening
                )
                self.plan.commands.append((row, cmd))
                self.plan.touched.add(sku)
                self.plan.counts["items"]["added"] += 1
                continue
            differ = _differences(
                existing.supplier.name, cmd.supplier, "supplier",
                existing.allow_negative, cmd.allow_negative, "allow_negative",
                existing.backorder_limit, cmd.backorder_limit, "backorder_limit",
                existing.policy, cmd.policy, "policy",
                existing.jit, cmd.jit, "jit",
                (existing.vmi_min, existing.vmi_max), vmi, "VMI bounds",
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
            if not ok or breaks is None or not self._terms_bounded(row):
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

    def _terms_bounded(self, row: Row) -> bool:
        """Quantities and days within what is stored (the planning check wants only
        them positive)."""
        ok = True
        for column in ("moq", "lot_size", "capacity"):
            if row[column] is not None:
                ok &= self._valid(row, validate_quantity, column, row[column])
        for column in ("lead_time_days", "expedite_lead_time_days"):
            days = row[column]
            if days is not None and not 0 <= days <= _MAX_LEAD_DAYS:
                self.reject(row, f"{column} {days}; use 0-{_MAX_LEAD_DAYS}")
                ok = False
        return ok

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
        for q, _ in breaks:
            if not self._valid(row, validate_quantity, "price break quantity", q):
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
            ok &= self._past(row, "at")
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


def _restated(at: dt.datetime | None) -> str:
    return "" if at is None else f", restated {at.isoformat()}"


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
