"""Early warning: what needs the planner before a customer notices.

One pass over the live state gives the alerts the brief asks for, most urgent first:

* **promise_late** (high) — a waiting line whose current promised date has passed;
* **backorder_ageing** (medium; high at twice the limit) — a line waiting ``age_days``
  days or more whose promise still holds;
* **promise_at_risk** (medium) — a waiting line, not yet late, whose item has a sent
  purchase order overdue: the supply it waits for is late;
* **po_overdue** (high when customers wait for the item, else medium) — a sent purchase
  order with units outstanding past its expected date: a supply delay;
* **supplier_slow** (medium) — a supplier's deliveries of the last ``SLOW_WINDOW_DAYS``
  days (at least ``MIN_DELIVERIES``) took over a day longer on average than its stated
  lead time, beyond three standard errors. Promises already learn from its recent
  deliveries (``domain.promise``), but its orders are expected, and its drafts timed, by
  the stated lead time: restate it (``subzero supplier update``);
* **excess_on_order** (low) — an item whose inventory position exceeds the most its
  policy ever aims for while units are on order (a backorder was cancelled after its PO
  was sent: drafts shrink by themselves, sent POs need the supplier, ``po reschedule``);
* **forecast_bias** (medium) — the last measured forecast of an item is biased (the bias
  test of ``planning.forecast_accuracy``).

A line gets at most one alert, the most severe of the first three.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from subzero.domain.errors import InvalidParameter
from subzero.domain.position import StockPosition
from subzero.domain.purchasing import PurchaseOrder
from subzero.service.unit_of_work import UnitOfWork

__all__ = ["ALERT_KINDS", "SEVERITIES", "SLOW_WINDOW_DAYS", "Alert", "alerts", "excess_on_order"]

ALERT_KINDS = (
    "promise_late",
    "backorder_ageing",
    "promise_at_risk",
    "po_overdue",
    "supplier_slow",
    "excess_on_order",
    "forecast_bias",
)
SEVERITIES = ("high", "medium", "low")
SLOW_WINDOW_DAYS = 56
"""Deliveries received in this many days judge whether a supplier runs slow."""


@dataclass(frozen=True, slots=True)
class Alert:
    """One warning: what, how urgent, about what (an item, a supplier or both), and
    since when."""

    kind: str
    severity: str
    sku: str | None
    message: str
    since: dt.date | None = None
    order_id: int | None = None
    line_id: int | None = None
    po_id: int | None = None
    supplier: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "sku": self.sku,
            "message": self.message,
            "since": None if self.since is None else self.since.isoformat(),
            "order_id": self.order_id,
            "line_id": self.line_id,
            "po_id": self.po_id,
            "supplier": self.supplier,
        }


def alerts(
    uow: UnitOfWork,
    positions: Sequence[StockPosition],
    *,
    now: dt.datetime,
    age_days: float = 7.0,
) -> list[Alert]:
    """Every alert of the module docstring, most severe first, then oldest first.

    Args:
        positions: every item's stock position (``service.stock_view.stock_positions``).
        age_days: a waiting line this old or older is ageing.

    Raises:
        InvalidParameter: ``age_days`` ≤ 0.
    """
    from subzero.service.forecasting import accuracy_report

    if not age_days > 0:
        raise InvalidParameter(f"--age-days {age_days}; must be > 0")
    today = now.date()
    out: list[Alert] = []
    with uow:
        open_pos = uow.purchase_orders.open_all()
        overdue = [
            po
            for po in open_pos
            if po.sent_at is not None and po.qty > po.received and po.expected_date < today
        ]
        late_supply = {po.item.sku: po.id or 0 for po in overdue}
        waiting: dict[str, int] = {}
        for ln in uow.orders.waiting_lines():
            waiting[ln.item.sku] = waiting.get(ln.item.sku, 0) + ln.backordered
            alert = _line_alert(ln, now, age_days, late_supply.get(ln.item.sku))
            if alert is not None:
                out.append(alert)
        for po in overdue:
            outstanding = po.qty - po.received
            late = (today - po.expected_date).days
            short = waiting.get(po.item.sku, 0)
            out.append(
                Alert(
                    "po_overdue",
                    "high" if short else "medium",
                    po.item.sku,
                    f"PO {po.id} to {po.supplier.name}: {outstanding} of {po.qty} units "
                    f"expected {po.expected_date}, {late} day{'s' * (late != 1)} overdue"
                    + (f"; {short} units backordered wait for {po.item.sku}" if short else ""),
                    po.expected_date,
                    po_id=po.id,
                    supplier=po.supplier.name,
                )
            )
        out.extend(_excess(uow, positions, open_pos))
        out.extend(_slow_suppliers(uow, now))
    _, accuracy = accuracy_report(uow)  # its own unit of work
    for row in accuracy:
        if row.get("biased"):
            over = row["bias"] > 0
            out.append(
                Alert(
                    "forecast_bias",
                    "medium",
                    row["sku"],
                    f"the forecast is too {'high' if over else 'low'} by "
                    f"{abs(row['bias']):.2f} units a day on average (tracking signal "
                    f"{row['tracking_signal']:+.1f} over {row['bias_periods']} days): "
                    + ("stock and POs run high" if over else "backorders will follow"),
                )
            )
    rank = {s: k for k, s in enumerate(SEVERITIES)}
    kinds = {k: n for n, k in enumerate(ALERT_KINDS)}
    return sorted(
        out,
        key=lambda a: (rank[a.severity], kinds[a.kind], a.since or today, a.sku or ""),
    )


def _line_alert(ln: Any, now: dt.datetime, age_days: float, late_po: int | None) -> Alert | None:
    today = now.date()
    age = (now - ln.placed_at).total_seconds() / 86400.0
    who = f"order {ln.order.id} line {ln.id} ({ln.order.customer.name})"
    what = f"{ln.backordered} {ln.item.sku} waiting {age:.0f} day{'s' * (round(age) != 1)}"
    ids = {"order_id": ln.order.id, "line_id": ln.id}
    promised = ln.promised_date
    if promised is not None and promised < today:
        late = (today - promised).days
        return Alert(
            "promise_late",
            "high",
            ln.item.sku,
            f"{who}: {what}, promised {promised}, {late} day{'s' * (late != 1)} late",
            promised,
            **ids,
        )
    if age >= age_days:
        return Alert(
            "backorder_ageing",
            "high" if age >= 2 * age_days else "medium",
            ln.item.sku,
            f"{who}: {what}" + (f", promised {promised}" if promised else ", no promise yet"),
            ln.placed_at.date(),
            **ids,
        )
    if late_po is not None:
        return Alert(
            "promise_at_risk",
            "medium",
            ln.item.sku,
            f"{who}: {what}, promised {promised or 'nothing yet'}; PO {late_po} for it is overdue",
            promised,
            **ids,
        )
    return None


def excess_on_order(uow: UnitOfWork, positions: Sequence[StockPosition]) -> list[Alert]:
    """The ``excess_on_order`` alerts of the items of ``positions`` (e.g. right after a
    cancel)."""
    with uow:
        return _excess(uow, positions, uow.purchase_orders.open_all())


def _excess(
    uow: UnitOfWork, positions: Sequence[StockPosition], open_pos: Sequence[PurchaseOrder]
) -> list[Alert]:
    """Items whose position exceeds the most their policy (or VMI maximum) aims for by
    more than a supplier's MOQ or lot explains, while sent POs bring units."""
    from subzero.planning.policies.kinds import policy_from_text, target_level

    sent: dict[str, list[PurchaseOrder]] = {}
    for po in open_pos:
        if po.sent_at is not None and po.qty > po.received:
            sent.setdefault(po.item.sku, []).append(po)
    if not any(pos.sku in sent for pos in positions):
        return []
    items = {item.sku: item for item in uow.items.list()}
    slack: dict[str, int] = {}  # an order rounded up to a supplier's MOQ or lot is not excess
    for t in uow.items.all_terms():
        slack[t.item.sku] = max(slack.get(t.item.sku, 0), max(t.moq, t.lot_size) - 1)
    out = []
    for pos in positions:
        item = items.get(pos.sku)
        if pos.sku not in sent or item is None:
            continue
        aim = max(target_level(policy_from_text(item.policy)), item.vmi_max or 0)
        excess = min(pos.inventory_position - aim, pos.on_order)
        if excess > slack.get(pos.sku, 0):
            ids = ", ".join(str(po.id) for po in sent[pos.sku])
            last = max(sent[pos.sku], key=lambda po: (po.expected_date, po.id or 0))
            out.append(
                Alert(
                    "excess_on_order",
                    "low",
                    pos.sku,
                    f"{excess} units on order beyond need: position {pos.inventory_position}"
                    f" above the policy's {aim} ({item.policy}); sent PO {ids} "
                    "could be cut with the supplier (po reschedule)",
                    po_id=last.id,  # the one due last: the first to cut
                    supplier=last.supplier.name,
                )
            )
    return out


def _slow_suppliers(uow: UnitOfWork, now: dt.datetime) -> list[Alert]:
    """Suppliers whose recent deliveries run over a day slower than stated, beyond
    three standard errors of their mean."""
    from subzero.planning.leadtime import lead_times_from_deliveries
    from subzero.service.lead_times import MIN_DELIVERIES

    since = now - dt.timedelta(days=SLOW_WINDOW_DAYS)
    out = []
    for supplier in uow.suppliers.list():
        recent = [(s, r) for s, r, _ in uow.purchase_orders.deliveries(supplier) if r >= since]
        if len(recent) < MIN_DELIVERIES:
            continue
        days = lead_times_from_deliveries([s for s, _ in recent], [r for _, r in recent])
        n = len(days)
        mean = float(days.mean())
        excess = mean - supplier.lead_time_days
        se = float(days.std(ddof=1)) / n**0.5
        if excess > 1.0 and excess > 3.0 * se:
            out.append(
                Alert(
                    "supplier_slow",
                    "medium",
                    None,
                    f"{supplier.name} took {mean:.1f} days on average over its {n} deliveries "
                    f"of the last {SLOW_WINDOW_DAYS} days, {excess:.1f} more than the stated "
                    f"{supplier.lead_time_days}: its orders are expected by the stated lead "
                    "time (promises allow for the lateness); restate it: subzero supplier "
                    f"update {supplier.name} --lead-time-days {math.ceil(mean)}",
                    since=since.date(),
                    supplier=supplier.name,
                )
            )
    return out
