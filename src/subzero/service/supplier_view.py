"""What a supplier sees: its own items only — the read side of supplier collaboration.

**Scoping** (one rule, here and nowhere else): an item is a supplier's when the supplier
is the item's supplier or has terms for it (``uow.items.terms``). A supplier sees, for
its items only, the stock position, the waiting backorders (units, promised date — never
the customer), the latest stored forecast, and *its own* open purchase orders: another
supplier's orders for a shared item stay hidden. Drafts are our proposals until they
are sent, so a supplier sees sent and partly received orders.

The **VMI report** (``vmi_report``) says how well the vendor of a vendor-managed item
kept the agreement; the measures are defined in ``docs/collaboration.md`` and on
``vmi_report``.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from subzero.domain.errors import InvalidParameter, NotFound
from subzero.domain.items import Item, Supplier
from subzero.domain.orders import OrderLine
from subzero.domain.position import StockPosition
from subzero.domain.purchasing import POStatus, PurchaseOrder
from subzero.service.kpis import line_kpis
from subzero.service.lead_times import supplier_reliability
from subzero.service.rebalance import position_of
from subzero.service.unit_of_work import StoredEvent, UnitOfWork

if TYPE_CHECKING:  # numpy stays out of the CLI's start-up
    from subzero.planning.kpis import ServiceKpis

__all__ = [
    "ForecastDay",
    "SupplierItemView",
    "SupplierOrderView",
    "SupplierView",
    "VmiReportRow",
    "WaitingLineView",
    "owned_items",
    "supplier_view",
    "supplies",
    "vmi_report",
]

_ONE_DAY = dt.timedelta(days=1)
_SUPPLIER_PO_STATUSES = (POStatus.SENT, POStatus.PARTIAL)


def _plain(view: Any) -> dict[str, Any]:
    """A view's fields as JSON-ready values (dates as ISO text)."""
    return {
        f.name: value.isoformat() if isinstance(value, dt.date) else value
        for f in fields(view)
        for value in [getattr(view, f.name)]
    }


def supplies(uow: UnitOfWork, supplier: Supplier, item: Item) -> bool:
    """True when ``item`` is ``supplier``'s: its supplier, or one with terms for it."""
    if item.supplier.name == supplier.name:
        return True
    return any(t.supplier.name == supplier.name for t in uow.items.terms(item))


def owned_items(uow: UnitOfWork, supplier: Supplier) -> list[Item]:
    """The supplier's items, by SKU (see ``supplies``)."""
    with_terms = {t.item.sku for t in uow.items.all_terms() if t.supplier.name == supplier.name}
    return [
        item
        for item in uow.items.list()
        if item.supplier.name == supplier.name or item.sku in with_terms
    ]


@dataclass(frozen=True, slots=True)
class WaitingLineView:
    """A backordered customer line, as a supplier sees it (no customer)."""

    line_id: int
    backordered: int
    placed_on: dt.date
    promised_date: dt.date | None
    promise_probability: float | None
    late: bool

    def as_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True, slots=True)
class ForecastDay:
    day: dt.date
    mean: float
    quantiles: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True, slots=True)
class SupplierOrderView:
    """One of the supplier's own open purchase orders."""

    po_id: int
    sku: str
    qty: int
    received: int
    status: str
    expected_date: dt.date
    confirmed: bool
    source: str

    def as_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True, slots=True)
class SupplierItemView:
    sku: str
    main_supplier: bool  # the item's own supplier (else: the supplier has terms for it)
    vmi_min: int | None
    vmi_max: int | None
    position: StockPosition
    backorders: tuple[WaitingLineView, ...]
    forecast: tuple[ForecastDay, ...]

    @property
    def forecast_total(self) -> float:
        return sum(day.mean for day in self.forecast)

    def _vmi(self) -> dict[str, int] | None:
        """The agreed bounds and the room left: what the vendor may still order."""
        if self.vmi_min is None or self.vmi_max is None:
            return None
        room = max(0, self.vmi_max - self.position.inventory_position)
        return {"min": self.vmi_min, "max": self.vmi_max, "room": room}

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "main_supplier": self.main_supplier,
            "vmi": self._vmi(),
            "position": self.position.as_dict(),
            "backorders": [b.as_dict() for b in self.backorders],
            "forecast_total": round(self.forecast_total, 3),
            "forecast": [f.as_dict() for f in self.forecast],
        }


@dataclass(frozen=True, slots=True)
class SupplierView:
    supplier: str
    lead_time_days: int
    on_time_share: float
    deliveries_judged: int
    forecast_run_id: int | None
    forecast_at: dt.datetime | None
    items: tuple[SupplierItemView, ...]
    purchase_orders: tuple[SupplierOrderView, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "supplier": self.supplier,
            "lead_time_days": self.lead_time_days,
            "on_time_share": self.on_time_share,
            "deliveries_judged": self.deliveries_judged,
            "forecast_run": self.forecast_run_id,
            "forecast_at": self.forecast_at.isoformat() if self.forecast_at else None,
            "items": [i.as_dict() for i in self.items],
            "purchase_orders": [p.as_dict() for p in self.purchase_orders],
        }


def supplier_view(uow: UnitOfWork, supplier_name: str, *, now: dt.datetime) -> SupplierView:
    """Everything ``supplier_name`` may see (see the module docstring for the scope)."""
    with uow:
        supplier = uow.suppliers.get(supplier_name)
        if supplier is None:
            raise NotFound(f"supplier {supplier_name!r} not found")
        run = uow.forecasts.latest_run()
        items = owned_items(uow, supplier)
        views = []
        orders: list[SupplierOrderView] = []
        for item in items:
            views.append(_item_view(uow, item, supplier, run_id=run.id if run else None, now=now))
            orders.extend(
                _order_view(po)
                for po in uow.purchase_orders.open_for(item)
                if po.supplier.name == supplier.name and po.status in _SUPPLIER_PO_STATUSES
            )
        on_time, judged = supplier_reliability(uow, supplier)
        return SupplierView(
            supplier=supplier.name,
            lead_time_days=supplier.lead_time_days,
            on_time_share=on_time,
            deliveries_judged=judged,
            forecast_run_id=run.id if run else None,
            forecast_at=run.at if run else None,
            items=tuple(views),
            purchase_orders=tuple(sorted(orders, key=lambda o: (o.expected_date, o.po_id))),
        )


def _item_view(
    uow: UnitOfWork, item: Item, supplier: Supplier, *, run_id: int | None, now: dt.datetime
) -> SupplierItemView:
    waiting = sorted(
        (line for line in uow.orders.open_lines(item) if line.backordered > 0),
        key=lambda line: (line.placed_at, line.id or 0),
    )
    forecast = uow.forecasts.values(run_id, sku=item.sku) if run_id is not None else ()
    return SupplierItemView(
        sku=item.sku,
        main_supplier=item.supplier.name == supplier.name,
        vmi_min=item.vmi_min,
        vmi_max=item.vmi_max,
        position=position_of(uow, item),
        backorders=tuple(
            WaitingLineView(
                line_id=line.id or 0,
                backordered=line.backordered,
                placed_on=line.placed_at.date(),
                promised_date=line.promised_date,
                promise_probability=line.promise_probability,
                late=line.promised_date is not None and line.promised_date < now.date(),
            )
            for line in waiting
        ),
        forecast=tuple(ForecastDay(v.ds, float(v.mean), dict(v.quantiles)) for v in forecast),
    )


def _order_view(po: PurchaseOrder) -> SupplierOrderView:
    return SupplierOrderView(
        po_id=po.id or 0,
        sku=po.item.sku,
        qty=po.qty,
        received=po.received,
        status=str(po.status),
        expected_date=po.expected_date,
        confirmed=po.confirmed_at is not None,
        source=po.source,
    )


# -- VMI: how well the vendor kept the agreement ------------------------------------------


@dataclass(frozen=True, slots=True)
class VmiReportRow:
    """One vendor-managed item over the report window (see ``vmi_report``)."""

    sku: str
    supplier: str
    vmi_min: int | None
    vmi_max: int | None
    inventory_position: int
    review_days: int
    days_below_min: int
    days_above_max: int
    lowest_position: int | None
    highest_position: int | None
    vmi_orders: int
    vmi_units: int
    kpis: ServiceKpis
    service_target: float

    @property
    def days_in_bounds(self) -> int:
        return self.review_days - self.days_below_min - self.days_above_max

    @property
    def kept(self) -> bool:
        """The agreement was kept: in bounds on every review day, fill rate on target."""
        return (
            self.days_below_min == 0
            and self.days_above_max == 0
            and self.kpis.fill_rate >= self.service_target
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "supplier": self.supplier,
            "vmi_min": self.vmi_min,
            "vmi_max": self.vmi_max,
            "inventory_position": self.inventory_position,
            "review_days": self.review_days,
            "days_below_min": self.days_below_min,
            "days_above_max": self.days_above_max,
            "days_in_bounds": self.days_in_bounds,
            "lowest_position": self.lowest_position,
            "highest_position": self.highest_position,
            "vmi_orders": self.vmi_orders,
            "vmi_units": self.vmi_units,
            "lines": self.kpis.lines,
            "units_ordered": self.kpis.units_ordered,
            "fill_rate": round(self.kpis.fill_rate, 4),
            "backorder_rate": round(self.kpis.backorder_rate, 4),
            "promise_reliability": round(self.kpis.promise_reliability, 4),
            "service_target": self.service_target,
            "kept": self.kept,
        }


def vmi_report(
    uow: UnitOfWork,
    *,
    now: dt.datetime,
    days: int = 28,
    sku: str | None = None,
    supplier: str | None = None,
    service_target: float = 0.95,
) -> list[VmiReportRow]:
    """How well each vendor kept its VMI agreement over the last ``days`` days.

    Items: those under VMI now (or ``sku``, which must be), optionally only the ones
    whose vendor (the item's supplier) is ``supplier``.

    * **Review points**: the close of each of the ``days`` days ending today (midnight
      UTC; today's point is the position now). At each, the inventory position (on hand + on
      order − backordered, ``domain.position``) is rebuilt from the event log, walking
      back from today's exact position, and compared with the bounds agreed at that
      moment (``VmiSet`` events). A day counts only while the item was under VMI.
      ``days_below_min`` / ``days_above_max`` count review points out of bounds.
    * **Service**: the ``planning.kpis`` measures (fill rate β = units served from stock
      at order time / units ordered; promise reliability; ...) over the item's order
      lines placed in the window while it was under VMI, as ``service.kpis`` computes
      them on the ledger.
    * **Kept**: in bounds at every review point and fill rate ≥ ``service_target``.
    """
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3660:
        raise InvalidParameter(f"VMI report window {days!r} days; use 1-3660")
    if not 0.0 <= service_target <= 1.0:
        raise InvalidParameter(f"service target {service_target}; use a fill rate 0-1")
    start = _midnight(now.date() - dt.timedelta(days=days - 1))
    with uow:
        if sku is not None:
            item = uow.items.get(sku)
            if item is None:
                raise NotFound(f"SKU {sku!r} not found")
            if not item.vmi:
                raise InvalidParameter(f"item {sku} is not under VMI; set bounds with `vmi set`")
            items: list[Item] = [item]
        else:
            items = [item for item in uow.items.list() if item.vmi]
        if supplier is not None:
            if uow.suppliers.get(supplier) is None:
                raise NotFound(f"supplier {supplier!r} not found")
            items = [item for item in items if item.supplier.name == supplier]
        window = uow.orders.lines_placed_between(start, _midnight(now.date() + _ONE_DAY))
        return [
            _report_row(uow, item, window, start=start, now=now, target=service_target)
            for item in items
        ]


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)


def _report_row(
    uow: UnitOfWork,
    item: Item,
    window_lines: Sequence[OrderLine],
    *,
    start: dt.datetime,
    now: dt.datetime,
    target: float,
) -> VmiReportRow:
    history = _History(uow.events.history(sku=item.sku), position_of(uow, item), item)
    below = above = 0
    seen: list[int] = []
    day = start.date()
    while day <= now.date():
        day += _ONE_DAY
        point = _midnight(day)  # the day's close: today's takes every event so far
        low, high = history.bounds_at(point)
        if low is None or high is None:
            continue
        ip = history.position_at(point)
        seen.append(ip)
        below += ip < low
        above += ip > high
    vmi_pos = [e for e in history.events if e.type == "VmiOrderPlaced" and start <= e.at <= now]
    lines = [
        ln
        for ln in window_lines
        if ln.item.sku == item.sku
        and start <= ln.placed_at <= now
        and history.bounds_at(ln.placed_at)[0] is not None
    ]
    return VmiReportRow(
        sku=item.sku,
        supplier=item.supplier.name,
        vmi_min=item.vmi_min,
        vmi_max=item.vmi_max,
        inventory_position=history.now_position,
        review_days=len(seen),
        days_below_min=below,
        days_above_max=above,
        lowest_position=min(seen, default=None),
        highest_position=max(seen, default=None),
        vmi_orders=len(vmi_pos),
        vmi_units=sum(int(e.payload["qty"]) for e in vmi_pos),
        kpis=line_kpis(lines, now=now),
        service_target=target,
    )


class _History:
    """An item's inventory position and VMI bounds at any past moment, from its events.

    The position is anchored at today's exact value and walked back: each event that
    changed it is undone. A customer line lowers the position by its quantity when it is
    placed (``LineBackordered``, and ``LineAllocated`` from stock before any backorder
    of that line); a cancellation raises it by the units cancelled; a purchase order
    raises it by its quantity (``PurchaseOrderCreated``) and by every later change
    (``PurchaseOrderChanged``, ``PurchaseOrderRescheduled``). Receipts and shipments
    leave it unchanged (on hand and on order, or on hand and demand, move together).
    """

    def __init__(self, events: Sequence[StoredEvent], now_position: StockPosition, item: Item):
        self.events = events
        self.now_position = now_position.inventory_position
        self.bounds_now = (item.vmi_min, item.vmi_max)
        deltas = sorted(_position_deltas(events), key=lambda pair: pair[0])
        self.times = [at for at, _ in deltas]
        self.before = list(accumulate((delta for _, delta in deltas), initial=0))
        self.bound_changes = [
            (e.at, (e.payload["old_min"], e.payload["old_max"]))
            for e in events
            if e.type == "VmiSet"
        ]

    def position_at(self, when: dt.datetime) -> int:
        """The position after every event before ``when``."""
        later = self.before[-1] - self.before[bisect_left(self.times, when)]
        return self.now_position - later

    def bounds_at(self, when: dt.datetime) -> tuple[int | None, int | None]:
        """The bounds agreed at ``when`` (undo every later ``VmiSet``)."""
        bounds = self.bounds_now
        for at, old in reversed(self.bound_changes):
            if at < when:
                break
            bounds = old
        return bounds


def _position_deltas(events: Iterable[StoredEvent]) -> Iterable[tuple[dt.datetime, int]]:
    backordered: set[tuple[int, int]] = set()
    for e in events:
        p = e.payload
        if e.type == "LineBackordered":
            backordered.add((p["order_id"], p["line_id"]))
            yield e.at, -int(p["units"])
        elif e.type == "LineAllocated":
            placement = p["source"] == "stock" and (p["order_id"], p["line_id"]) not in backordered
            if placement:
                yield e.at, -int(p["units"])
        elif e.type == "LineCancelled":
            yield e.at, int(p["units"])
        elif e.type == "PurchaseOrderCreated":
            yield e.at, int(p["qty"])
        elif e.type in ("PurchaseOrderChanged", "PurchaseOrderRescheduled"):
            yield e.at, int(p["new_qty"]) - int(p["old_qty"])
