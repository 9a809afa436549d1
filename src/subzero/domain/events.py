"""Domain events: every state change is recorded, in the same transaction, as an event.

Events are named in the past tense. They are stored in an append-only, hash-chained log
(the outbox): each stored event carries ``hash = sha256(prev_hash | seq | type | at |
payload)``, so a partner holding any later hash can verify that no earlier event was
rewritten (``verify_chain``). Notifications and partner feeds read the log; nothing is
lost when a channel is down.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = [
    "GENESIS_HASH",
    "CustomerPriorityChanged",
    "DemandRefused",
    "DomainEvent",
    "ItemAdded",
    "ItemChanged",
    "LineAllocated",
    "LineBackordered",
    "LineCancelled",
    "LineShipped",
    "OrderImported",
    "OrderPlaced",
    "PolicyChanged",
    "PromiseChanged",
    "PurchaseOrderChanged",
    "PurchaseOrderConfirmed",
    "PurchaseOrderCreated",
    "PurchaseOrderImported",
    "PurchaseOrderRescheduled",
    "PurchaseOrderSent",
    "StockReceived",
    "SupplierLeadTimeSet",
    "SupplierTermsSet",
    "VmiOrderPlaced",
    "VmiSet",
    "canonical_json",
    "chain_hash",
    "find_break",
]

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Base: ``sku``, ``order_id`` and ``po_id`` index the event for history queries."""

    type: ClassVar[str] = "event"

    def refs(self) -> dict[str, Any]:
        return {k: getattr(self, k, None) for k in ("sku", "order_id", "po_id")}

    def payload(self) -> dict[str, Any]:
        return {
            f.name: (v.isoformat() if isinstance(v, dt.date) else v)
            for f in dataclasses.fields(self)
            for v in [getattr(self, f.name)]
        }


@dataclass(frozen=True, slots=True)
class ItemAdded(DomainEvent):
    type: ClassVar[str] = "ItemAdded"
    sku: str
    supplier: str
    on_hand: int


@dataclass(frozen=True, slots=True)
class ItemChanged(DomainEvent):
    """The item's master data after a change (``item update``)."""

    type: ClassVar[str] = "ItemChanged"
    sku: str
    supplier: str
    allow_negative: bool
    backorder_limit: int | None
    jit: bool


@dataclass(frozen=True, slots=True)
class CustomerPriorityChanged(DomainEvent):
    type: ClassVar[str] = "CustomerPriorityChanged"
    customer: str
    old_priority: int
    new_priority: int
    lines_moved: int


@dataclass(frozen=True, slots=True)
class SupplierLeadTimeSet(DomainEvent):
    type: ClassVar[str] = "SupplierLeadTimeSet"
    supplier: str
    old_days: int
    new_days: int
    old_sd_days: float
    new_sd_days: float


@dataclass(frozen=True, slots=True)
class SupplierTermsSet(DomainEvent):
    type: ClassVar[str] = "SupplierTermsSet"
    sku: str
    supplier: str
    terms: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DemandRefused(DomainEvent):
    """An order was turned away (an item may not go below zero, or its backorder limit
    was reached): nothing was written for the order, but the customer asked for ``qty``
    units of ``sku``. The demand history counts it, so that refusals do not hide demand
    from the forecast (censoring)."""

    type: ClassVar[str] = "DemandRefused"
    sku: str
    customer: str
    qty: int
    reason: str


@dataclass(frozen=True, slots=True)
class OrderImported(DomainEvent):
    """A closed order (shipped or cancelled) was imported as history; stock unchanged."""

    type: ClassVar[str] = "OrderImported"
    order_id: int
    customer: str
    lines: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class PurchaseOrderImported(DomainEvent):
    """A purchase order already with the supplier was imported; stock unchanged."""

    type: ClassVar[str] = "PurchaseOrderImported"
    po_id: int
    sku: str
    supplier: str
    qty: int
    received: int
    status: str


@dataclass(frozen=True, slots=True)
class PolicyChanged(DomainEvent):
    type: ClassVar[str] = "PolicyChanged"
    sku: str
    old_policy: str
    new_policy: str
    reason: str


@dataclass(frozen=True, slots=True)
class OrderPlaced(DomainEvent):
    type: ClassVar[str] = "OrderPlaced"
    order_id: int
    customer: str
    lines: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class LineAllocated(DomainEvent):
    type: ClassVar[str] = "LineAllocated"
    order_id: int
    line_id: int
    sku: str
    units: int
    source: str  # "stock" at placement, "receipt" or "release" later


@dataclass(frozen=True, slots=True)
class LineBackordered(DomainEvent):
    type: ClassVar[str] = "LineBackordered"
    order_id: int
    line_id: int
    sku: str
    units: int


@dataclass(frozen=True, slots=True)
class PromiseChanged(DomainEvent):
    type: ClassVar[str] = "PromiseChanged"
    order_id: int
    line_id: int
    sku: str
    old_date: dt.date | None
    new_date: dt.date
    probability: float


@dataclass(frozen=True, slots=True)
class LineShipped(DomainEvent):
    type: ClassVar[str] = "LineShipped"
    order_id: int
    line_id: int
    sku: str
    units: int


@dataclass(frozen=True, slots=True)
class LineCancelled(DomainEvent):
    type: ClassVar[str] = "LineCancelled"
    order_id: int
    line_id: int
    sku: str
    units: int
    released: int


@dataclass(frozen=True, slots=True)
class PurchaseOrderCreated(DomainEvent):
    type: ClassVar[str] = "PurchaseOrderCreated"
    po_id: int
    sku: str
    supplier: str
    qty: int
    reason: str


@dataclass(frozen=True, slots=True)
class PurchaseOrderChanged(DomainEvent):
    type: ClassVar[str] = "PurchaseOrderChanged"
    po_id: int
    sku: str
    old_qty: int
    new_qty: int
    reason: str


@dataclass(frozen=True, slots=True)
class PurchaseOrderSent(DomainEvent):
    type: ClassVar[str] = "PurchaseOrderSent"
    po_id: int
    sku: str
    supplier: str
    qty: int
    expected_date: dt.date


@dataclass(frozen=True, slots=True)
class StockReceived(DomainEvent):
    type: ClassVar[str] = "StockReceived"
    po_id: int
    sku: str
    units: int
    on_hand: int


@dataclass(frozen=True, slots=True)
class PurchaseOrderConfirmed(DomainEvent):
    """The supplier confirmed a sent order (``expected_date``: its delivery date now)."""

    type: ClassVar[str] = "PurchaseOrderConfirmed"
    po_id: int
    sku: str
    supplier: str
    qty: int
    old_expected_date: dt.date
    expected_date: dt.date


@dataclass(frozen=True, slots=True)
class PurchaseOrderRescheduled(DomainEvent):
    """The supplier moved a sent order's delivery date and/or changed its quantity.

    ``shortfall`` is the number of waiting backordered units this order covered before
    and no longer covers (a quantity cut): their lines are re-promised to later
    receipts; ``note`` says so in words.
    """

    type: ClassVar[str] = "PurchaseOrderRescheduled"
    po_id: int
    sku: str
    supplier: str
    old_date: dt.date
    new_date: dt.date
    old_qty: int
    new_qty: int
    shortfall: int
    note: str


@dataclass(frozen=True, slots=True)
class VmiSet(DomainEvent):
    """An item's vendor-managed bounds on the inventory position were set (both None:
    VMI ended, replenishment by the item's own policy again)."""

    type: ClassVar[str] = "VmiSet"
    sku: str
    supplier: str
    old_min: int | None
    old_max: int | None
    vmi_min: int | None
    vmi_max: int | None


@dataclass(frozen=True, slots=True)
class VmiOrderPlaced(DomainEvent):
    """A supplier's replenishment decision for a vendor-managed item, checked against
    the agreed bounds (the order itself is ``po_id``, sent, source "vmi")."""

    type: ClassVar[str] = "VmiOrderPlaced"
    po_id: int
    sku: str
    supplier: str
    qty: int
    expected_date: dt.date
    position_before: int
    position_after: int
    vmi_min: int
    vmi_max: int


def chain_hash(prev_hash: str, seq: int, type_: str, at: dt.datetime, payload: str) -> str:
    """The hash of one stored event, chained to the previous one."""
    text = "|".join((prev_hash, str(seq), type_, at.isoformat(), payload))
    return hashlib.sha256(text.encode()).hexdigest()


def canonical_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def find_break(stored: Iterable[tuple[int, str, dt.datetime, str, str, str]]) -> int | None:
    """First ``seq`` whose hash does not follow from its predecessor, or None if intact.

    ``stored`` yields ``(seq, type, at, payload, prev_hash, hash)`` in seq order.
    """
    prev = GENESIS_HASH
    expected_seq = 1
    for seq, type_, at, payload, prev_hash, hash_ in stored:
        if (
            seq != expected_seq
            or prev_hash != prev
            or chain_hash(prev, seq, type_, at, payload) != hash_
        ):
            return seq
        prev, expected_seq = hash_, seq + 1
    return None
