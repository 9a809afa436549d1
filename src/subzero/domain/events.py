"""Domain events: every state change is recorded, in the same transaction, as an event.

Events are named in the past tense. They are stored in an append-only, hash-chained log
(the outbox): each stored event carries the hash of its own columns and of the event
before it (``chain_hash``), and the log's head (the last seq and its hash) is kept
apart, so ``find_break`` finds an event rewritten, moved to another order, item or
purchase order, removed from the middle or cut off the end, and a head that is missing
or forged. A partner holding any later hash can verify that no earlier event was
rewritten. Notifications and partner feeds read the log; nothing is lost when a channel
is down.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

__all__ = [
    "GENESIS_HASH",
    "HASH_VERSION",
    "ChainBreak",
    "CustomerAdded",
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
    "StoredLink",
    "SupplierAdded",
    "SupplierLeadTimeSet",
    "SupplierTermsSet",
    "VmiOrderPlaced",
    "VmiSet",
    "canonical_json",
    "chain_hash",
    "find_break",
    "plain_utc",
]

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of event 1, and the head's hash while the log is empty."""

HASH_VERSION = 2
"""The rule ``chain_hash`` follows (1, before migration 0011: the reference columns
were not hashed)."""


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
class SupplierAdded(DomainEvent):
    type: ClassVar[str] = "SupplierAdded"
    supplier: str
    lead_time_days: int
    lead_time_sd_days: float


@dataclass(frozen=True, slots=True)
class CustomerAdded(DomainEvent):
    type: ClassVar[str] = "CustomerAdded"
    customer: str
    priority: int


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


def plain_utc(at: dt.datetime) -> dt.datetime:
    """``at`` as a plain ``datetime`` in UTC to the microsecond: what the log stores, and
    so what it must hash (a pandas Timestamp carries nanoseconds the database drops)."""
    utc = at.astimezone(dt.UTC)
    return dt.datetime(*utc.timetuple()[:6], utc.microsecond, tzinfo=dt.UTC)


def chain_hash(
    prev_hash: str,
    seq: int,
    type_: str,
    at: dt.datetime,
    payload: str,
    *,
    sku: str | None,
    order_id: int | None,
    po_id: int | None,
) -> str:
    """The hash of one stored event, chained to the previous one (``HASH_VERSION`` 2).

    hash = sha256(utf8(json([2, prev_hash, seq, type, at, sku, order_id, po_id, payload])))

    The JSON text is compact (``","`` and ``":"`` as separators, ASCII only); ``at`` is
    the UTC time in ISO 8601 as Python writes it (``2026-03-02T09:00:00+00:00``, with
    microseconds when there are any); an absent reference is ``null``. Every column a
    reader relies on is covered: the reference columns put an event in an order's,
    item's or purchase order's history, so moving it to another is a rewrite. A JSON
    array, unlike text joined with a separator, cannot make two different events read
    the same, and the leading version keeps a hash of one rule from passing for another.
    """
    text = json.dumps(
        [HASH_VERSION, prev_hash, seq, type_, at.isoformat(), sku, order_id, po_id, payload],
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode()).hexdigest()


def canonical_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


StoredLink = tuple[int, str, dt.datetime, str | None, int | None, int | None, str, str, str]
"""One stored event as ``find_break`` reads it:
``(seq, type, at, sku, order_id, po_id, payload, prev_hash, hash)``."""


class ChainBreak(int):
    """Where the log stops holding: the first ``seq`` that cannot be trusted, and
    ``reason``, which says why in words.

    It is an ``int`` (that seq), as ``find_break`` returned before it said why.
    """

    reason: str

    def __new__(cls, seq: int, reason: str) -> Self:
        self = super().__new__(cls, seq)
        self.reason = reason
        return self

    def __str__(self) -> str:
        return str(int(self))

    def __repr__(self) -> str:
        return f"ChainBreak({int(self)}, {self.reason!r})"


def find_break(stored: Iterable[StoredLink], head: tuple[int, str] | None) -> ChainBreak | None:
    """The first place where the log does not hold, or None if it is intact.

    ``stored`` yields the events in seq order; ``head`` is the chain head (its seq and
    hash; None when the row is missing). The log holds when its seqs run 1, 2, … with
    no gap, each event's ``prev_hash`` is the hash of the one before (``GENESIS_HASH``
    for the first), each hash is ``chain_hash`` of the event's own columns, and the head
    names the last event and its hash (seq 0 and ``GENESIS_HASH`` while there is none).
    The head is what catches the end of the log cut off, and a tail rewritten with
    hashes made anew: the events alone would still chain.

    The seq returned is the first one that cannot be trusted, and stays where it is as
    new events are appended: the event that does not chain or was changed; the first
    one missing when events were removed (from the middle or the end: with the head
    missing too, the one after the last); the head's seq + 1 when events go on past it;
    the last event when the head's hash is not its hash.
    """
    prev, last = GENESIS_HASH, 0
    for seq, type_, at, sku, order_id, po_id, payload, prev_hash, hash_ in stored:
        if seq != last + 1:
            after = f"event {seq} follows event {last}" if last else f"the log starts at {seq}"
            if seq == last + 2:
                reason = f"event {last + 1} is missing: {after}"
            elif seq > last + 2:
                reason = f"events {last + 1}-{seq - 1} are missing: {after}"
            else:  # only a seq below 1 can come too early
                reason = f"event {seq} is where event {last + 1} should be"
            return ChainBreak(last + 1, reason)
        if prev_hash != prev:
            before = f"event {last}" if last else "the start of the log"
            return ChainBreak(
                seq, f"event {seq} does not chain to {before}: its prev_hash is not that hash"
            )
        made = chain_hash(prev, seq, type_, at, payload, sku=sku, order_id=order_id, po_id=po_id)
        if made != hash_:
            return ChainBreak(
                seq, f"event {seq} does not match its hash: it was changed after it was written"
            )
        prev, last = hash_, seq
    return _head_break(last, prev, head)


def _head_break(last: int, last_hash: str, head: tuple[int, str] | None) -> ChainBreak | None:
    """The head checked against the last event (seq 0 and ``GENESIS_HASH``: none)."""
    if head is None:
        if last == 0:
            return None  # nothing written yet: the first write makes the head
        return ChainBreak(last + 1, f"the log ends at seq {last} but its head is missing")
    head_seq, head_hash = head
    if head_seq > last:
        return ChainBreak(last + 1, f"the log ends at seq {last} but its head says {head_seq}")
    if head_seq < last:
        return ChainBreak(
            head_seq + 1, f"the log goes on to seq {last} but its head says {head_seq}"
        )
    if head_hash != last_hash and last == 0:
        return ChainBreak(1, "the log is empty but its head's hash is not the empty log's")
    if head_hash != last_hash:
        return ChainBreak(
            last,
            f"the head's hash is not the hash of event {last}, the last one: the head "
            "was forged or the log rewritten up to it",
        )
    return None
