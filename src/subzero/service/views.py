"""Read-side queries: what the CLI, the API and the web pages show."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from subzero.domain.errors import InvalidParameter, NotFound
from subzero.domain.events import ChainBreak
from subzero.domain.orders import Order
from subzero.domain.position import StockPosition
from subzero.domain.purchasing import POStatus, PurchaseOrder
from subzero.service.unit_of_work import UnitOfWork

__all__ = [
    "BackorderView",
    "CustomerView",
    "ItemView",
    "LineView",
    "OrderView",
    "PurchaseOrderView",
    "RefusalView",
    "backorders",
    "check_names",
    "customers",
    "items",
    "order_view",
    "orders",
    "purchase_orders",
    "refusals",
    "stock",
    "verify_event_log",
]


@dataclass(frozen=True, slots=True)
class LineView:
    line_id: int
    sku: str
    qty: int
    allocated: int
    backordered: int
    shipped: int
    cancelled: int
    promised_date: dt.date | None
    promise_probability: float | None
    status: str


@dataclass(frozen=True, slots=True)
class OrderView:
    order_id: int
    customer: str
    placed_at: dt.datetime
    status: str
    lines: tuple[LineView, ...]
    history: tuple[dict[str, Any], ...] = ()

    def as_dict(self, *, with_history: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "order_id": self.order_id,
            "customer": self.customer,
            "placed_at": self.placed_at.isoformat(),
            "lines": [
                {
                    "line_id": ln.line_id,
                    "sku": ln.sku,
                    "qty": ln.qty,
                    "allocated": ln.allocated,
                    "backordered": ln.backordered,
                    "shipped": ln.shipped,
                    "cancelled": ln.cancelled,
                    "promised_date": ln.promised_date.isoformat() if ln.promised_date else None,
                    "promise_probability": ln.promise_probability,
                    "status": ln.status,
                }
                for ln in self.lines
            ],
            "status": self.status,
        }
        if with_history:
            out["history"] = list(self.history)
        return out


@dataclass(frozen=True, slots=True)
class PurchaseOrderView:
    po_id: int
    supplier: str
    sku: str
    qty: int
    received: int
    status: str
    expected_date: dt.date
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "po_id": self.po_id,
            "supplier": self.supplier,
            "sku": self.sku,
            "qty": self.qty,
            "received": self.received,
            "status": self.status,
            "expected_date": self.expected_date.isoformat(),
            "reason": self.reason,
        }


def _order_view(uow: UnitOfWork, order: Order, *, with_history: bool) -> OrderView:
    assert order.id is not None
    history: tuple[dict[str, Any], ...] = ()
    if with_history:
        history = tuple(
            {"seq": e.seq, "at": e.at.isoformat(), "event": e.type, **e.payload}
            for e in uow.events.history(order_id=order.id)
        )
    return OrderView(
        order_id=order.id,
        customer=order.customer.name,
        placed_at=order.placed_at,
        status=str(order.status),
        lines=tuple(
            LineView(
                line_id=ln.id or 0,
                sku=ln.item.sku,
                qty=ln.qty,
                allocated=ln.allocated,
                backordered=ln.backordered,
                shipped=ln.shipped,
                cancelled=ln.cancelled,
                promised_date=ln.promised_date,
                promise_probability=ln.promise_probability,
                status=str(ln.status),
            )
            for ln in order.lines
        ),
        history=history,
    )


def order_view(uow: UnitOfWork, order_id: int, *, with_history: bool = True) -> OrderView:
    """An order with its lines, promises and (by default) its whole event history."""
    with uow:
        order = uow.orders.get(order_id)
        if order is None:
            raise NotFound(f"order {order_id} not found")
        return _order_view(uow, order, with_history=with_history)


def check_names(
    uow: UnitOfWork,
    *,
    sku: str | None = None,
    customer: str | None = None,
    supplier: str | None = None,
) -> None:
    """Refuse a filter naming an item, customer or supplier that does not exist (inside
    the caller's ``with uow``).

    Raises:
        NotFound: the first unknown name.
    """
    if sku is not None and uow.items.get(sku) is None:
        raise NotFound(f"SKU {sku!r} not found")
    if customer is not None and uow.customers.get(customer) is None:
        raise NotFound(f"customer {customer!r} not found")
    if supplier is not None and uow.suppliers.get(supplier) is None:
        raise NotFound(f"supplier {supplier!r} not found")


def orders(
    uow: UnitOfWork,
    *,
    customer: str | None = None,
    sku: str | None = None,
    open_only: bool = False,
) -> list[OrderView]:
    """Orders without their histories, oldest first: optionally one customer's, those
    with a line of ``sku``, and only those with units still to ship.

    Raises:
        NotFound: an unknown customer or SKU.
    """
    with uow:
        check_names(uow, sku=sku, customer=customer)
        found = uow.orders.list(customer=customer, sku=sku, open_only=open_only)
        return [_order_view(uow, order, with_history=False) for order in found]


@dataclass(frozen=True, slots=True)
class CustomerView:
    name: str
    priority: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def customers(uow: UnitOfWork) -> list[CustomerView]:
    """Every customer by name, with its priority (1 is served first)."""
    with uow:
        return [CustomerView(c.name, c.priority) for c in uow.customers.list()]


@dataclass(frozen=True, slots=True)
class ItemView:
    sku: str
    supplier: str
    policy: str
    allow_negative: bool
    backorder_limit: int | None
    jit: bool
    vmi_min: int | None
    vmi_max: int | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def items(uow: UnitOfWork) -> list[ItemView]:
    """Every item by SKU with its supplier and rules: replenishment policy, whether it
    may go below zero (and how far), JIT, and the VMI bounds agreed with its supplier."""
    with uow:
        return [
            ItemView(
                sku=i.sku,
                supplier=i.supplier.name,
                policy=i.policy,
                allow_negative=i.allow_negative,
                backorder_limit=i.backorder_limit,
                jit=i.jit,
                vmi_min=i.vmi_min,
                vmi_max=i.vmi_max,
            )
            for i in uow.items.list()
        ]


def stock(uow: UnitOfWork, sku: str) -> StockPosition:
    """The item's stock position (one definition: see ``domain.position``).

    ``subzero stock`` reads the same figures in one query: see ``service.stock_view``.
    """
    from subzero.service.rebalance import position_of  # allocation and promise rules

    with uow:
        item = uow.items.get(sku)
        if item is None:
            raise NotFound(f"SKU {sku!r} not found")
        return position_of(uow, item)


def purchase_orders(
    uow: UnitOfWork,
    *,
    status: str | None = None,
    sku: str | None = None,
    open_only: bool = False,
    supplier: str | None = None,
) -> list[PurchaseOrderView]:
    """Purchase orders, oldest first, optionally by status (draft, sent, …), SKU or
    supplier, or only the open ones (draft, sent, partial).

    Raises:
        InvalidParameter: an unknown status.
        NotFound: an unknown SKU or supplier.
    """
    try:
        wanted = POStatus(status) if status else None
    except ValueError:
        valid = ", ".join(s.value for s in POStatus)
        raise InvalidParameter(f"PO status {status!r}; use one of {valid}") from None
    with uow:
        check_names(uow, sku=sku, supplier=supplier)
        return [
            _po_view(po)
            for po in uow.purchase_orders.list(status=wanted, sku=sku, open_only=open_only)
            if supplier is None or po.supplier.name == supplier
        ]


def _po_view(po: PurchaseOrder) -> PurchaseOrderView:
    return PurchaseOrderView(
        po_id=po.id or 0,
        supplier=po.supplier.name,
        sku=po.item.sku,
        qty=po.qty,
        received=po.received,
        status=str(po.status),
        expected_date=po.expected_date,
        reason=po.reason,
    )


@dataclass(frozen=True, slots=True)
class BackorderView:
    order_id: int
    line_id: int
    customer: str
    priority: int
    sku: str
    backordered: int
    placed_at: dt.datetime
    age_days: float
    promised_date: dt.date | None
    first_promised_date: dt.date | None
    promise_probability: float | None
    late: bool  # the current promise is already past

    def as_dict(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "line_id": self.line_id,
            "customer": self.customer,
            "priority": self.priority,
            "sku": self.sku,
            "backordered": self.backordered,
            "placed_at": self.placed_at.isoformat(),
            "age_days": round(self.age_days, 2),
            "promised_date": self.promised_date.isoformat() if self.promised_date else None,
            "first_promised_date": (
                self.first_promised_date.isoformat() if self.first_promised_date else None
            ),
            "promise_probability": self.promise_probability,
            "late": self.late,
        }


def backorders(
    uow: UnitOfWork,
    *,
    now: dt.datetime,
    sku: str | None = None,
    customer: str | None = None,
    supplier: str | None = None,
) -> list[BackorderView]:
    """Every waiting line, oldest first: the planner's daily worklist; optionally only
    one item's, one customer's or one supplier's items'.

    Raises:
        NotFound: an unknown SKU, customer or supplier.
    """
    with uow:
        check_names(uow, sku=sku, customer=customer, supplier=supplier)
        return [
            BackorderView(
                order_id=ln.order.id or 0,
                line_id=ln.id or 0,
                customer=ln.order.customer.name,
                priority=ln.priority,
                sku=ln.item.sku,
                backordered=ln.backordered,
                placed_at=ln.placed_at,
                age_days=(now - ln.placed_at).total_seconds() / 86400.0,
                promised_date=ln.promised_date,
                first_promised_date=ln.first_promised_date,
                promise_probability=ln.promise_probability,
                late=ln.promised_date is not None and ln.promised_date < now.date(),
            )
            for ln in uow.orders.waiting_lines(sku=sku)
            if (customer is None or ln.order.customer.name == customer)
            and (supplier is None or ln.item.supplier.name == supplier)
        ]


@dataclass(frozen=True, slots=True)
class RefusalView:
    """One item of an order that was turned away (``DemandRefused``)."""

    at: dt.datetime
    customer: str
    sku: str
    qty: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "customer": self.customer,
            "sku": self.sku,
            "qty": self.qty,
            "reason": self.reason,
        }


def refusals(
    uow: UnitOfWork, *, since: dt.date | None = None, sku: str | None = None
) -> list[RefusalView]:
    """Orders turned away because an item may not go (further) below zero, oldest first:
    lost sales unless the customer came back. The demand history counts them.

    Raises:
        NotFound: an unknown SKU.
    """
    from subzero.service.demand import refused_requests

    start = dt.datetime.combine(since, dt.time(0), dt.UTC) if since else None
    with uow:
        check_names(uow, sku=sku)
        requests = refused_requests(uow, since=start)
    return [
        RefusalView(at, r.customer, r.sku, r.qty, r.reason)
        for at, r in requests
        if sku is None or r.sku == sku
    ]


def verify_event_log(uow: UnitOfWork) -> ChainBreak | None:
    """Where the event log stops holding (the seq, and why), or None when it is intact:
    every event chains to the one before, and the head names the last (see
    ``domain.events.find_break``)."""
    with uow:
        return uow.events.find_break()
