"""ERP import, checks of history: purchase orders and their receipts, orders, stock moves.

History must be possible: a purchase order is created before it is sent and received
after it is sent, its status fits its quantities, an order line's units add up and its
times follow its placing, a stock move names a known order or purchase order of its
item, and an item's moves add up to its stock. Rows already in the database are skipped
when they are the same and rejected when they differ (an import never changes what is
there). Every rejection names the file, the line and the field.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from subzero.domain.items import MAX_UNITS, validate_quantity
from subzero.domain.ledger import MoveKind
from subzero.domain.orders import LineStatus
from subzero.domain.purchasing import POStatus, due_period
from subzero.planning.sourcing import MAX_MONEY
from subzero.service.exchange_plan import (
    CheckBase,
    PlannedLine,
    PlannedMove,
    PlannedOrder,
    PlannedPO,
    Row,
)

__all__ = ["PO_SOURCES", "HistoryChecks", "check_money"]

PO_SOURCES = ("replenish", "plan", "vmi", "import")
"""Who made a purchase order: replenishment (its drafts it may reduce), the planning
run, a vendor-managed decision, or an import."""

_MAX_LEAD_DAYS = 3650


def check_money(what: str, value: Decimal) -> str | None:
    """Why ``value`` cannot be stored as an amount (None when it can)."""
    if value < 0 or value > MAX_MONEY or value != value.quantize(Decimal("0.0001")):
        return f"{what} {value}; must be 0 to {MAX_MONEY} with at most 4 decimals"
    return None


class HistoryChecks(CheckBase):
    """The history files' checks (see the module docstring); ``ImportChecks`` runs them
    after master data, so that new items' stock is known."""

    # purchase orders and receipts ----------------------------------------------------

    def _purchase_orders(self) -> None:
        seen: dict[Any, str] = {}
        drafts: dict[Any, str] = {}
        planned: dict[int, PlannedPO] = {}
        state: dict[int, str] = {}  # po_id -> why it is not planned
        existing = {
            (po.item.sku, po.supplier.name, po.created_at) for po in self.uow.purchase_orders.list()
        }
        for po in self.uow.purchase_orders.list(status=POStatus.DRAFT):
            key = (po.item.sku, po.supplier.name, po.due_period, po.expedite)
            drafts[key] = f"purchase order {po.id} in the database"
        for row in self.rows("purchase_orders"):
            po_id = row["po_id"]
            if po_id is not None:
                state[po_id] = "rejected"
            if not row.complete or not self._first(seen, po_id, row, f"po_id {po_id}"):
                continue
            found = self._purchase_order(row)
            if found is None:
                continue
            if (found.sku, found.supplier, found.created_at) in existing:
                self.plan.counts["purchase_orders"]["skipped"] += 1
                state[po_id] = "existing"
                continue
            if found.status is POStatus.DRAFT:
                key = (found.sku, found.supplier, found.due_period, found.expedite)
                what = f"draft for {found.sku!r} from {found.supplier!r} due the week of {key[2]}"
                if not self._first(drafts, key, row, what):
                    continue
            planned[po_id] = found
            self.plan.counts["purchase_orders"]["added"] += 1
        self._receipts(planned, state)

    def _purchase_order(self, row: Row) -> PlannedPO | None:
        """The PO the row describes, or None (rejected)."""
        status = self.choice(row, "status", POStatus)
        if status is None:
            return None
        ok = self._item(row, row["sku"]) & self._supplier(row, row["supplier"])
        qty, received = row["qty"], row["received"] or 0
        cancelled = status is POStatus.CANCELLED
        ok = ok and self._valid(row, validate_quantity, "qty", qty, allow_zero=cancelled)
        ok = ok and self._valid(row, validate_quantity, "received", received, allow_zero=True)
        if not ok:
            return None
        problem = _status_problem(status, qty, received, row["sent_at"]) or self._po_times(row)
        lead = row["lead_time_days"]
        if problem is None and lead is not None and not 0 <= lead <= _MAX_LEAD_DAYS:
            problem = f"lead_time_days {lead}; use 0-{_MAX_LEAD_DAYS}"
        if problem is None and row["unit_price"] is not None:
            problem = check_money("unit_price", row["unit_price"])
        if problem is None and row["source"] is not None and row["source"] not in PO_SOURCES:
            problem = f"source {row['source']!r}; use one of {', '.join(PO_SOURCES)}"
        if problem:
            self.reject(row, problem)
            return None
        return PlannedPO(
            row, row["po_id"], row["sku"], row["supplier"], status, qty, received,
            row["created_at"], row["sent_at"], row["expected_date"], row["unit_price"],
            row["reason"] or "imported", row["order_date"],
            row["due_period"] or due_period(row["expected_date"]), row["lead_time_days"],
            bool(row["expedite"]), row["source"] or "import", row["first_expected_date"],
            row["confirmed_at"],
        )  # fmt: skip

    def _po_times(self, row: Row) -> str | None:
        """Why the PO's times are impossible (None when they are not)."""
        created, sent = row["created_at"], row["sent_at"]
        if created > self.now:
            return f"created_at {created.isoformat()} is in the future"
        if sent is None:
            if row["confirmed_at"] is not None:
                return "confirmed_at is given, but the purchase order was never sent (no sent_at)"
            return None
        if sent > self.now:
            return f"sent_at {sent.isoformat()} is in the future"
        if created > sent:
            return (
                f"created_at {created.isoformat()} is after sent_at {sent.isoformat()}: a "
                "purchase order is sent after it is created"
            )
        for column in ("expected_date", "first_expected_date"):
            day = row[column]
            if day is not None and day < sent.date():
                return f"{column} {day} is before sent_at {sent.date()}"
        confirmed = row["confirmed_at"]
        if confirmed is not None and not sent <= confirmed <= self.now:
            return (
                f"confirmed_at {confirmed.isoformat()} is not between sent_at "
                f"{sent.isoformat()} and now"
            )
        return None

    def _receipts(self, planned: dict[int, PlannedPO], state: dict[int, str]) -> None:
        self.plan.purchase_orders = list(planned.values())
        self.plan.touched.update(po.sku for po in planned.values())
        if "receipts" not in self.tables:
            return
        seen: dict[Any, str] = {}
        for row in self.rows("receipts"):
            po_id, qty, at = row["po_id"], row["qty"], row["at"]
            rid = row["receipt_id"]
            if not row.complete or (
                rid is not None and not self._first(seen, rid, row, f"receipt_id {rid}")
            ):
                continue
            if po_id not in state:
                self.reject(row, f"po_id {po_id} not found in the purchase orders file")
                continue
            if not self._valid(row, validate_quantity, "qty", qty) or not self._past(row, "at"):
                continue
            po = planned.get(po_id)
            if po is None:
                if state[po_id] == "existing":
                    self.plan.counts["receipts"]["skipped"] += 1
                continue
            if po.status in (POStatus.DRAFT, POStatus.CANCELLED):
                self.reject(row, f"purchase order {po_id} is {po.status}: it has no receipts")
            elif row["sku"] is not None and row["sku"] != po.sku:
                self.reject(row, f"SKU {row['sku']!r}; purchase order {po_id} is for {po.sku!r}")
            elif po.sent_at is not None and at < po.sent_at:
                self.reject(
                    row,
                    f"at {at.isoformat()} is before purchase order {po_id} was sent (sent_at "
                    f"{po.sent_at.isoformat()} at {po.row.where})",
                )
            else:
                po.receipts.append((qty, at))
                self.plan.receipts.append((po_id, qty, at))
                self.plan.counts["receipts"]["added"] += 1
        for po in planned.values():
            total = sum(q for q, _ in po.receipts)
            if total != po.received and po.status not in (POStatus.DRAFT, POStatus.CANCELLED):
                self.reject(po.row, f"received {po.received}, but its receipts add up to {total}")

    # orders ------------------------------------------------------------------------

    def _orders(self) -> None:
        groups: dict[int, list[Row]] = defaultdict(list)
        for row in self.rows("orders"):
            if row["order_id"] is not None:
                groups[row["order_id"]].append(row)
        existing: dict[tuple[str, dt.datetime], list[tuple[list[Any], int]]] = defaultdict(list)
        allocated: Counter[str] = Counter()  # held by the database's open lines
        for stored in self.reader.orders():
            content = sorted((ln.item.sku, ln.qty) for ln in stored.lines)
            existing[(stored.customer.name, stored.placed_at)].append((content, stored.id or 0))
            for ln in stored.lines:
                allocated[ln.item.sku] += ln.allocated
        for key, rows in groups.items():
            order = self._order(key, rows)
            if order is None:
                continue
            same_time = existing.get((order.customer, order.placed_at))
            if same_time:
                content = sorted((ln.sku, ln.qty) for ln in order.lines)
                match = next((oid for known, oid in same_time if known == content), None)
                if match is None:
                    self.reject(
                        rows[0],
                        f"order {key}: {order.customer!r} already has an order placed at "
                        f"{order.placed_at.isoformat()} with {_lines(same_time[0][0])}; the "
                        f"file's has {_lines(content)}: an import never changes an order",
                    )
                    continue
                self.plan.existing_orders[key] = match
                self.plan.counts["orders"]["skipped"] += 1
                continue
            self.plan.orders.append(order)
            self.plan.counts["orders"]["open" if order.is_open else "closed"] += 1
            # the names of format 1's counts, kept for scripts that read them
            self.plan.counts["orders"]["placed" if order.is_open else "history"] += 1
            self.plan.touched.update(ln.sku for ln in order.lines if ln.open_qty)
        self._allocations(allocated)

    def _order(self, key: int, rows: list[Row]) -> PlannedOrder | None:
        first = rows[0]
        customer, placed_at = first["customer"], first["placed_at"]
        ok = all(r.complete for r in rows) and self._customer(first, customer)
        ok &= self._past(first, "placed_at")
        lines = []
        for row in rows:
            line = self._order_line(key, first, row)
            ok &= line is not None
            if line is not None:
                lines.append(line)
        return PlannedOrder(key, customer, placed_at, lines) if ok else None

    def _order_line(self, key: int, first: Row, row: Row) -> PlannedLine | None:
        if not row.complete:
            return None
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
        counted = ("allocated", "backordered", "shipped", "cancelled", "served_from_stock")
        for name in counted:
            if row[name] is not None:
                ok &= self._valid(row, validate_quantity, name, row[name], allow_zero=True)
        ok &= self._line_values(row)
        if not ok:
            return None
        allocated = self._allocated(row)
        if allocated is None:
            return None
        shipped, cancelled = row["shipped"] or 0, row["cancelled"] or 0
        backordered = qty - allocated - shipped - cancelled
        placed_at = row["placed_at"]
        filled_at = row["filled_at"]
        if filled_at is None and backordered == 0 and shipped + allocated > 0:
            filled_at = placed_at  # served in full, time unknown: as if at once
        served = row["served_from_stock"]
        if served is None:
            served = shipped + allocated if filled_at == placed_at else 0
        elif served > qty:
            self.reject(row, f"served_from_stock {served} exceeds qty {qty}")
            return None
        promised = row["promised_date"]
        probability = row["promise_probability"]
        return PlannedLine(
            row, row["sku"], qty, allocated, shipped, cancelled, row["priority"], served,
            filled_at, promised, row["first_promised_date"] or promised, probability,
            probability if row["first_promise_probability"] is None
            else row["first_promise_probability"],
            row["cancelled_at"],
        )  # fmt: skip

    def _line_values(self, row: Row) -> bool:
        ok = True
        status = row["status"]
        if status is not None and status not in {s.value for s in LineStatus}:
            valid = ", ".join(s.value for s in LineStatus)
            self.reject(row, f"status {status!r}; use one of {valid}")
            ok = False
        priority = row["priority"]
        if priority is not None and not 1 <= priority <= 9:
            self.reject(row, f"priority {priority}; use 1 (first) to 9")
            ok = False
        for column in ("promise_probability", "first_promise_probability"):
            value = row[column]
            if value is not None and not 0.0 <= value <= 1.0:
                self.reject(row, f"{column} {value}; must lie in 0-1")
                ok = False
        for column in ("filled_at", "cancelled_at"):
            ok &= self._past(row, column, not_before=("placed_at", row["placed_at"]))
        return ok

    def _allocated(self, row: Row) -> int | None:
        """The line's allocated units: as given, or the open units less the backordered
        ones, or none (the import allocates free stock by the rule afterwards)."""
        qty, shipped, cancelled = row["qty"], row["shipped"] or 0, row["cancelled"] or 0
        allocated, backordered = row["allocated"], row["backordered"]
        if shipped + cancelled > qty:
            self.reject(row, f"shipped {shipped} + cancelled {cancelled} exceed qty {qty}")
            return None
        if allocated is not None and backordered is not None:
            total = allocated + backordered + shipped + cancelled
            if total != qty:
                self.reject(
                    row,
                    f"qty {qty} is not allocated + backordered + shipped + cancelled "
                    f"({allocated} + {backordered} + {shipped} + {cancelled} = {total})",
                )
                return None
        elif allocated is None and backordered is not None:
            allocated = qty - shipped - cancelled - backordered
            if allocated < 0:
                self.reject(
                    row,
                    f"backordered {backordered} exceeds the {qty - shipped - cancelled} units "
                    f"neither shipped nor cancelled",
                )
                return None
        elif allocated is None:
            allocated = 0
        elif allocated + shipped + cancelled > qty:
            self.reject(
                row,
                f"allocated {allocated} + shipped {shipped} + cancelled {cancelled} exceed "
                f"qty {qty}",
            )
            return None
        return int(allocated)

    def _allocations(self, held: Counter[str]) -> None:
        """Units allocated to open lines are on hand: per item, the file's new lines may
        hold no more than what its stock leaves free."""
        told: set[str] = set()
        for order in sorted(self.plan.orders, key=lambda o: o.placed_at):
            for line in order.lines:
                if not line.allocated or line.sku in told:
                    continue
                held[line.sku] += line.allocated
                on_hand = self._on_hand(line.sku)
                if held[line.sku] > on_hand:
                    told.add(line.sku)
                    self.reject(
                        line.row,
                        f"allocated {line.allocated}: open lines of {line.sku!r} would hold "
                        f"{held[line.sku]} units, more than its {on_hand} on hand",
                    )

    def _on_hand(self, sku: str) -> int:
        planned = self.plan.items.get(sku)
        if planned is not None:
            return planned.on_hand
        item = self.uow.items.get(sku)
        return item.on_hand if item is not None else 0

    # stock moves -------------------------------------------------------------------

    def _moves(self) -> None:
        """The ledger of new items; an existing item's moves must be in its ledger."""
        if "stock_moves" not in self.tables:
            return
        orders: dict[int, set[str]] = defaultdict(set)
        for row in self.rows("orders"):
            orders[row["order_id"]].add(row["sku"])
        pos = {row["po_id"]: row["sku"] for row in self.rows("purchase_orders")}
        ids = {i.id: i.sku for i in self.uow.items.list()}
        known = Counter((ids.get(m.item_id), m.qty, m.kind, m.at) for m in self.reader.moves())
        totals: Counter[str] = Counter()
        opened: Counter[str] = Counter()
        for row in self.rows("stock_moves"):
            move = self._move(row, orders, pos)
            if move is None:
                continue
            if move.sku not in self.plan.items:  # an existing item: never adjusted
                key = (move.sku, move.qty, move.kind, move.at)
                if known[key] <= 0:
                    self.reject(
                        row,
                        f"SKU {move.sku!r} already exists and its ledger has no such move: "
                        "an import never adjusts stock",
                    )
                    continue
                known[key] -= 1
                self.plan.counts["stock_moves"]["skipped"] += 1
                continue
            self.plan.moves.append(move)
            self.plan.counts["stock_moves"]["added"] += 1
            totals[move.sku] += move.qty
            if move.kind is MoveKind.OPENING:
                opened[move.sku] += move.qty
        for sku, item in self.plan.items.items():
            stock = self.stock_rows.get(sku)
            if stock is not None and stock["on_hand"] != totals[sku]:
                self.reject(
                    stock,
                    f"on_hand {stock['on_hand']}, but the stock moves of {sku!r} add up to "
                    f"{totals[sku]}",
                )
            elif totals[sku] < 0:
                self.reject(item.row, f"the stock moves of {sku!r} add up to {totals[sku]}")
            item.opening, item.on_hand, item.opened_with = None, totals[sku], opened[sku]

    def _move(
        self, row: Row, orders: dict[int, set[str]], pos: dict[int, str]
    ) -> PlannedMove | None:
        if not row.complete or not self._item(row, row["sku"]):
            return None
        sku, qty, ref = row["sku"], row["qty"], row["ref"] or ""
        kind = self.choice(row, "kind", MoveKind)
        if kind is None:
            return None
        if qty == 0 or abs(qty) > MAX_UNITS:
            self.reject(row, f"qty {qty}; a move is 1 to {MAX_UNITS:,} units in or out")
            return None
        if len(ref) > 64:
            self.reject(row, f"ref {ref[:20]!r}… is longer than 64 characters")
            return None
        if not self._past(row, "at"):
            return None
        move = PlannedMove(row, sku, qty, kind, row["at"], ref)
        prefix, _, number = ref.partition(":")
        if prefix == "order" and number.isdigit():
            move.order_key = int(number)
            if sku not in orders.get(move.order_key, ()):
                self.reject(row, f"ref {ref!r}: order {number} of the orders file has no {sku!r}")
                return None
        elif prefix == "po" and number.isdigit():
            move.po_key = int(number)
            if pos.get(move.po_key) != sku:
                self.reject(row, f"ref {ref!r}: no purchase order {number} for {sku!r} in the file")
                return None
        return move


def _status_problem(
    status: POStatus, qty: int, received: int, sent_at: dt.datetime | None
) -> str | None:
    if received > qty:
        return f"received {received} exceeds qty {qty}"
    fits = {
        POStatus.DRAFT: received == 0,
        POStatus.SENT: received == 0,
        POStatus.PARTIAL: 0 < received < qty,
        POStatus.RECEIVED: received == qty,
        POStatus.CANCELLED: received == 0,
    }[status]
    if not fits:
        return f"status {status} does not fit received {received} of qty {qty}"
    if status is POStatus.DRAFT and sent_at is not None:
        return "a draft has not been sent: leave sent_at empty"
    if status in (POStatus.SENT, POStatus.PARTIAL, POStatus.RECEIVED) and sent_at is None:
        return f"sent_at is required for a {status} purchase order"
    return None


def _show(value: Any) -> str:
    return repr(value.isoformat() if isinstance(value, dt.datetime) else value)


def _lines(content: list[Any]) -> str:
    return ", ".join(f"{qty} x {sku}" for sku, qty in content)
