"""Invariants of the ledger, allocation and replenishment under random operations.

Any sequence of orders, receipts, cancellations, shipments, sends and replenishment
runs (hypothesis) must keep:

* on hand = sum of the item's stock moves;
* allocated ≤ on hand, and no free stock while a backorder waits;
* for every line: allocated + backordered + shipped + cancelled = ordered, none negative;
* make-to-order: inventory position never below zero; at most one draft PO per key
  (item, supplier, due week, expedite);
* replenishment re-run changes nothing; the event log's hash chain is intact.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.fakes import FakeUnitOfWork, _Store

from subzero.domain import commands as c
from subzero.domain.allocation import allocate, queue_key
from subzero.domain.errors import InsufficientStock, InvalidState
from subzero.domain.purchasing import POStatus
from subzero.service.messagebus import MessageBus
from subzero.service.rebalance import position_of
from subzero.service.views import verify_event_log

SKUS = ("W", "X", "B")
CUSTOMERS = ("alice", "bob", "carol")

ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("order"), st.sampled_from(CUSTOMERS), st.sampled_from(SKUS), st.integers(1, 6)
        ),
        st.tuples(st.just("receive"), st.integers(0, 30), st.integers(0, 6)),
        st.tuples(st.just("cancel"), st.integers(0, 30)),
        st.tuples(st.just("ship"), st.integers(0, 30)),
        st.tuples(st.just("send")),
        st.tuples(st.just("replenish")),
        st.tuples(st.just("tick"), st.integers(0, 3)),
    ),
    max_size=40,
)


class _Clock:
    def __init__(self) -> None:
        self.current = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        return self.current


def _shop() -> tuple[MessageBus, _Store, _Clock]:
    store, clock = _Store(), _Clock()
    bus = MessageBus(lambda: FakeUnitOfWork(store), clock=clock.now)
    bus.handle(c.AddSupplier("ACME", 3))
    bus.handle(c.AddSupplier("SLOW", 8, 2.0))
    bus.handle(c.AddCustomer("alice", 1))
    bus.handle(c.AddCustomer("bob", 5))
    bus.handle(c.AddCustomer("carol", 5))
    bus.handle(c.AddItem("W", "ACME", 3))
    bus.handle(c.AddItem("X", "SLOW", 2, allow_negative=False))
    bus.handle(c.AddItem("B", "SLOW", 1, policy="base-stock:S=6"))
    return bus, store, clock


def _apply(bus: MessageBus, store: _Store, clock: _Clock, op: tuple) -> None:  # type: ignore[type-arg]
    kind = op[0]
    orders = sorted(store.orders)
    pos = sorted(store.pos)
    try:
        if kind == "order":
            bus.handle(c.PlaceOrder(op[1], (c.OrderLineRequest(op[2], op[3]),)))
        elif kind == "receive" and pos:
            po = store.pos[pos[op[1] % len(pos)]]
            if po.outstanding:
                qty = min(po.outstanding, op[2]) or None
                bus.handle(c.ReceivePurchaseOrder(po.id or 0, qty))
        elif kind == "cancel" and orders:
            bus.handle(c.CancelOrder(orders[op[1] % len(orders)]))
        elif kind == "ship" and orders:
            bus.handle(c.ShipOrder(orders[op[1] % len(orders)]))
        elif kind == "send":
            bus.handle(c.SendPurchaseOrders())
        elif kind == "replenish":
            bus.handle(c.Replenish())
        elif kind == "tick":
            clock.current += dt.timedelta(days=op[1], hours=1)
    except (InsufficientStock, InvalidState):
        pass  # refused cleanly: the invariants must still hold


def _check(bus: MessageBus, store: _Store) -> None:
    uow = FakeUnitOfWork(store)
    for item in store.items.values():
        assert item.on_hand == uow.items.ledger_on_hand(item)
        position = position_of(uow, item)
        assert 0 <= position.allocated <= item.on_hand
        if position.backordered > 0:
            assert position.free == 0, "free stock while a backorder waits"
        keys = [
            (po.supplier.name, po.due_period, po.expedite)
            for po in store.pos.values()
            if po.item is item and po.status is POStatus.DRAFT
        ]
        assert len(keys) == len(set(keys)), "two drafts with one key"
        if item.policy == "mto":
            assert position.inventory_position >= 0
        if not item.allow_negative:
            assert position.backordered == 0
    for order in store.orders.values():
        for line in order.lines:
            assert min(line.allocated, line.backordered, line.shipped, line.cancelled) >= 0
            assert line.allocated + line.backordered + line.shipped + line.cancelled == line.qty
            if line.backordered == 0 and line.open_qty > 0:
                assert line.promised_date is not None
    assert bus.handle(c.Replenish()).changes == ()
    assert verify_event_log(uow) is None


@settings(max_examples=300, deadline=None)
@given(ops)
def test_invariants_hold_under_any_sequence(sequence: list[tuple]) -> None:  # type: ignore[type-arg]
    bus, store, clock = _shop()
    for op in sequence:
        _apply(bus, store, clock, op)
        _check(bus, store)


class _L:
    def __init__(self, i: int, p: int, b: int, minute: int) -> None:
        self.id, self.priority, self.backordered = i, p, b
        self.first_promised_date = None
        self.placed_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=minute)


@given(
    st.integers(-5, 60),
    st.lists(st.tuples(st.integers(1, 9), st.integers(0, 8), st.integers(0, 500)), max_size=12),
)
def test_allocation_never_exceeds_free_and_respects_the_queue(
    free: int, raw: list[tuple[int, int, int]]
) -> None:
    lines = [_L(i + 1, p, b, m) for i, (p, b, m) in enumerate(raw)]
    result = allocate(free, lines)
    given_units = {a.line_id: a.units for a in result}
    assert sum(given_units.values()) <= max(free, 0)
    by_id = {ln.id: ln for ln in lines}
    assert all(0 < u <= by_id[i].backordered for i, u in given_units.items())
    queue = sorted((ln for ln in lines if ln.backordered > 0), key=queue_key)
    # a later line gets units only if every earlier line is complete
    short_seen = False
    for ln in queue:
        got = given_units.get(ln.id, 0)
        if short_seen:
            assert got == 0
        if got < ln.backordered:
            short_seen = True
