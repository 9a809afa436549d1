"""Commands: what a user asks the system to do (imperative names).

Each has one name across the layers: ``PlaceOrder`` ↔ ``subzero order place`` ↔
``service.orders.place_order``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "AddCustomer",
    "AddItem",
    "AddSupplier",
    "ApplyPolicy",
    "ApplyProposals",
    "CancelOrder",
    "Command",
    "ConfirmPurchaseOrder",
    "OrderLineRequest",
    "OverrideForecast",
    "PlaceOrder",
    "PlaceVmiOrder",
    "ReceivePurchaseOrder",
    "Replenish",
    "ReschedulePurchaseOrder",
    "RunForecast",
    "SendPurchaseOrders",
    "SetSupplierTerms",
    "SetVmi",
    "ShipOrder",
    "UpdateCustomer",
    "UpdateItem",
    "UpdateSupplier",
]


@dataclass(frozen=True, slots=True)
class Command:
    """Base class of commands."""


@dataclass(frozen=True, slots=True)
class AddSupplier(Command):
    name: str
    lead_time_days: int
    lead_time_sd_days: float = 0.0


@dataclass(frozen=True, slots=True)
class UpdateSupplier(Command):
    """A new stated lead time for ``name`` (None keeps that part as it is)."""

    name: str
    lead_time_days: int | None = None
    lead_time_sd_days: float | None = None


@dataclass(frozen=True, slots=True)
class UpdateCustomer(Command):
    """A new priority for ``name``; its waiting lines take it at once."""

    name: str
    priority: int


@dataclass(frozen=True, slots=True)
class UpdateItem(Command):
    """Change an item's master data; None keeps a field as it is.

    ``remove_backorder_limit`` lifts the cap on waiting units (``backorder_limit`` sets
    one). Orders already accepted stay accepted: the rules judge new orders.
    """

    sku: str
    supplier: str | None = None
    allow_negative: bool | None = None
    backorder_limit: int | None = None
    remove_backorder_limit: bool = False
    jit: bool | None = None


@dataclass(frozen=True, slots=True)
class AddCustomer(Command):
    name: str
    priority: int = 5


@dataclass(frozen=True, slots=True)
class AddItem(Command):
    sku: str
    supplier: str
    on_hand: int = 0
    allow_negative: bool = True
    backorder_limit: int | None = None
    policy: str = "mto"
    jit: bool = False


@dataclass(frozen=True, slots=True)
class OrderLineRequest:
    sku: str
    qty: int


@dataclass(frozen=True, slots=True)
class PlaceOrder(Command):
    customer: str
    lines: tuple[OrderLineRequest, ...]


@dataclass(frozen=True, slots=True)
class CancelOrder(Command):
    """Cancel an order's open units: every line's, or only ``line_ids``; with
    ``backordered_only`` only the units still waiting (the allocated ones stay to ship:
    the customer takes a partial shipment instead of waiting)."""

    order_id: int
    line_ids: tuple[int, ...] = ()
    backordered_only: bool = False


@dataclass(frozen=True, slots=True)
class ShipOrder(Command):
    order_id: int


@dataclass(frozen=True, slots=True)
class ReceivePurchaseOrder(Command):
    po_id: int
    qty: int | None = None  # None: everything outstanding


@dataclass(frozen=True, slots=True)
class SendPurchaseOrders(Command):
    po_ids: tuple[int, ...] = ()  # empty: every draft


@dataclass(frozen=True, slots=True)
class Replenish(Command):
    skus: tuple[str, ...] = ()  # empty: every item


@dataclass(frozen=True, slots=True)
class ApplyPolicy(Command):
    """Compute and set items' stock policies from their demand and lead times.

    ``kind`` None chooses automatically; give ``service_target`` (fill rate) or
    ``backorder_cost``. Empty ``skus``: every item.
    """

    skus: tuple[str, ...] = ()
    kind: str | None = None
    service_target: float | None = 0.95
    backorder_cost: float | None = None
    holding_cost: float = 1.0
    fixed_cost: float = 0.0
    history_days: int = 90


@dataclass(frozen=True, slots=True)
class RunForecast(Command):
    """Forecast every item's daily demand from the order ledger and store the run."""

    horizon: int = 28
    quantiles: tuple[float, ...] = (0.5, 0.9, 0.95)
    history_days: int = 730
    n_jobs: int = 1
    expensive_budget_seconds: float = 30.0
    """Time the expensive models (ETS, Theta, ARIMA) may take, pilot included; 0: none."""


@dataclass(frozen=True, slots=True)
class OverrideForecast(Command):
    """A planner's forecast for one item and day, with a reason (expert opinion).

    With ``until``, the same daily value for every day from ``day`` to ``until``
    (inclusive). A day that already has an override not yet scored gets the new value
    and reason instead of a second override.
    """

    sku: str
    day: dt.date
    value: float
    reason: str
    until: dt.date | None = None


@dataclass(frozen=True, slots=True)
class SetSupplierTerms(Command):
    """What ``supplier`` offers for ``sku`` (creates or replaces the terms).

    ``price_breaks``: all-units discounts ((min_qty, unit_price), ...), increasing
    quantities, non-increasing prices. ``lead_time_days`` None: the supplier's own.
    ``preferred``: this supplier is pinned for the item (takes all it can first).
    """

    sku: str
    supplier: str
    unit_price: Decimal = Decimal(0)
    price_breaks: tuple[tuple[int, Decimal], ...] = ()
    moq: int = 1
    lot_size: int = 1
    capacity: int | None = None
    capacity_period: str = "week"
    lead_time_days: int | None = None
    expedite_lead_time_days: int | None = None
    expedite_cost_per_unit: Decimal | None = None
    preferred: bool = False


@dataclass(frozen=True, slots=True)
class ApplyProposals(Command):
    """Release the planning run's purchase proposals that are due (order date today or
    earlier) as draft purchase orders, one per key (item, supplier, due week,
    expedite): a proposal whose key already has a draft tops it up.

    ``proposals`` are ``subzero.planning.sourcing.Proposal`` values.
    """

    proposals: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class ConfirmPurchaseOrder(Command):
    """``supplier`` confirms its sent order ``po_id`` (optionally with its own date)."""

    po_id: int
    supplier: str
    expected_date: dt.date | None = None


@dataclass(frozen=True, slots=True)
class ReschedulePurchaseOrder(Command):
    """``supplier`` moves its sent order's delivery date and/or changes its quantity;
    the item's waiting lines are re-promised at once."""

    po_id: int
    supplier: str
    expected_date: dt.date | None = None
    qty: int | None = None


@dataclass(frozen=True, slots=True)
class SetVmi(Command):
    """Put ``sku`` under vendor-managed inventory with agreed bounds on its inventory
    position (``minimum`` and ``maximum`` both None: end VMI)."""

    sku: str
    minimum: int | None
    maximum: int | None


@dataclass(frozen=True, slots=True)
class PlaceVmiOrder(Command):
    """The supplier's replenishment decision for a vendor-managed item: a sent purchase
    order of ``qty`` (arriving ``expected_date``, default after its lead time), checked
    against the agreed maximum."""

    sku: str
    supplier: str
    qty: int
    expected_date: dt.date | None = None
