"""The foundation's use cases end to end on real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import create_engine, func, select, text
from tests.unit.conftest import lull

from subzero.adapters.db import tables
from subzero.bootstrap import Runtime
from subzero.domain import commands as c
from subzero.domain.errors import InsufficientStock, InvalidParameter, NotFound
from subzero.service.views import order_view, purchase_orders, stock, verify_event_log


def _setup(runtime: Runtime) -> None:
    bus = runtime.bus
    bus.handle(c.AddSupplier("ACME", 5))
    bus.handle(c.AddCustomer("bob", 5))
    bus.handle(c.AddCustomer("alice", 1))
    bus.handle(c.AddItem("W", "ACME", 3))
    bus.handle(c.AddItem("X", "ACME", 2, allow_negative=False))


def _order(runtime: Runtime, customer: str, sku: str, qty: int) -> int:
    return int(runtime.bus.handle(c.PlaceOrder(customer, (c.OrderLineRequest(sku, qty),))))


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return {
                t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0)
                for t in (
                    tables.orders,
                    tables.order_lines,
                    tables.purchase_orders,
                    tables.stock_moves,
                    tables.events,
                )
            }
    finally:
        engine.dispose()


def test_issue_example(runtime: Runtime, clock: object) -> None:
    _setup(runtime)
    bob = _order(runtime, "bob", "W", 5)
    line = order_view(runtime.uow(), bob).lines[0]
    assert (line.allocated, line.backordered) == (3, 2)
    assert line.promised_date == clock.today + dt.timedelta(days=5)  # type: ignore[attr-defined]
    alice = _order(runtime, "alice", "W", 4)
    assert stock(runtime.uow(), "W").as_dict() == {
        "sku": "W",
        "on_hand": 3,
        "allocated": 3,
        "backordered": 6,
        "on_order": 6,
        "available": -6,
        "inventory_position": 0,
    }
    assert runtime.bus.handle(c.Replenish()).changes == ()
    assert runtime.bus.handle(c.Replenish()).changes == ()
    (po,) = [p for p in purchase_orders(runtime.uow()) if p.sku == "W"]
    assert po.qty == 6
    runtime.bus.handle(c.ReceivePurchaseOrder(po.po_id, 3))
    a = order_view(runtime.uow(), alice).lines[0]
    b = order_view(runtime.uow(), bob).lines[0]
    assert (a.allocated, a.backordered, b.allocated, b.backordered) == (3, 1, 3, 2)
    assert verify_event_log(runtime.uow()) is None


def test_refused_order_writes_nothing_but_the_refusal(runtime: Runtime, database_url: str) -> None:
    """No order, line, PO or stock move; a stock refusal adds one ``DemandRefused`` event
    per item of the order (demand the forecast must see), a bad request nothing."""
    _setup(runtime)
    before = _counts(database_url)
    with pytest.raises(InsufficientStock):
        runtime.bus.handle(
            c.PlaceOrder("alice", (c.OrderLineRequest("W", 2), c.OrderLineRequest("X", 3)))
        )
    with pytest.raises(NotFound):
        runtime.bus.handle(
            c.PlaceOrder("alice", (c.OrderLineRequest("W", 2), c.OrderLineRequest("NOPE", 1)))
        )
    with pytest.raises(InvalidParameter):
        runtime.bus.handle(c.PlaceOrder("alice", (c.OrderLineRequest("W", 0),)))
    assert _counts(database_url) == {**before, "events": before["events"] + 2}
    with runtime.read_uow() as uow:
        refused = [(e.payload["sku"], e.payload["qty"]) for e in uow.events.history()[-2:]]
        assert [e.type for e in uow.events.history()[-2:]] == ["DemandRefused"] * 2
    assert refused == [("W", 2), ("X", 3)]
    assert stock(runtime.uow(), "W").allocated == 0
    assert verify_event_log(runtime.uow()) is None


def test_cancel_ship_receive_keep_the_ledger(runtime: Runtime, clock: object) -> None:
    _setup(runtime)
    bob = _order(runtime, "bob", "W", 5)
    alice = _order(runtime, "alice", "W", 4)
    runtime.bus.handle(c.ShipOrder(bob))  # ships bob's 3
    runtime.bus.handle(c.CancelOrder(alice))  # the draft shrinks to bob's 2
    (po,) = [p for p in purchase_orders(runtime.uow()) if p.status == "draft"]
    assert po.qty == 2
    runtime.bus.handle(c.SendPurchaseOrders())
    clock.advance(days=6)  # type: ignore[attr-defined]
    runtime.bus.handle(c.ReceivePurchaseOrder(po.po_id))
    runtime.bus.handle(c.ShipOrder(bob))
    assert order_view(runtime.uow(), bob).status == "shipped"
    with runtime.uow() as uow:
        item = uow.items.get("W")
        assert item is not None
        assert item.on_hand == uow.items.ledger_on_hand(item) == 0
    history = [e["event"] for e in order_view(runtime.uow(), bob).history]
    assert history.count("LineShipped") == 2 and "LineAllocated" in history


def test_event_log_detects_a_rewrite(runtime: Runtime, database_url: str) -> None:
    _setup(runtime)
    _order(runtime, "bob", "W", 5)
    assert verify_event_log(runtime.uow()) is None
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        payload = conn.scalar(text("SELECT payload FROM events WHERE type = 'OrderPlaced'"))
        forged = json.dumps(
            {**json.loads(payload), "customer": "mallory"}, sort_keys=True, separators=(",", ":")
        )
        conn.execute(
            text("UPDATE events SET payload = :p WHERE type = 'OrderPlaced'"), {"p": forged}
        )
        seq = conn.scalar(text("SELECT seq FROM events WHERE type = 'OrderPlaced'"))
    engine.dispose()
    assert verify_event_log(runtime.uow()) == seq


def test_times_come_back_utc_aware(runtime: Runtime, clock: object) -> None:
    _setup(runtime)
    order_id = _order(runtime, "bob", "W", 1)
    view = order_view(runtime.uow(), order_id)
    assert view.placed_at == clock.now  # type: ignore[attr-defined]
    assert view.placed_at.tzinfo is not None and view.placed_at.utcoffset() == dt.timedelta(0)


def test_promises_learn_the_suppliers_lateness_from_the_database(
    runtime: Runtime, clock: object
) -> None:
    """ACME states 5 days and delivers on day 7, in two parts (the first one counts). The
    lateness comes back from the database newest first, and after 10 deliveries a new
    backorder is promised 7 days out (P(𝓛 ≤ 5) = 5/15, P(𝓛 ≤ 7) = 1). The rest of
    each split delivery came 1, 2 or 3 days after its first part, in turn: the rests
    come back too, newest first."""
    _setup(runtime)
    runtime.bus.handle(c.AddItem("L", "ACME", 0))
    for i in range(10):
        _order(runtime, "bob", "L", 2)
        runtime.bus.handle(c.SendPurchaseOrders())
        (po,) = [p for p in purchase_orders(runtime.uow(), sku="L") if p.status == "sent"]
        clock.advance(days=7)  # type: ignore[attr-defined]
        runtime.bus.handle(c.ReceivePurchaseOrder(po.po_id, 1))
        clock.advance(days=1 + i % 3)  # type: ignore[attr-defined]
        runtime.bus.handle(c.ReceivePurchaseOrder(po.po_id, 1))
    with runtime.uow() as uow:
        acme = uow.suppliers.get("ACME")
        assert acme is not None
        assert uow.purchase_orders.recent_lateness(acme, latest=50) == (2,) * 10
        assert uow.purchase_orders.recent_lateness(acme, latest=3) == (2,) * 3
        assert uow.purchase_orders.recent_rests(acme, latest=50) == (1, 3, 2) * 3 + (1,)
        assert uow.purchase_orders.recent_rests(acme, latest=2) == (1, 3)
    alice = _order(runtime, "alice", "L", 1)
    (line,) = order_view(runtime.uow(), alice).lines
    assert line.promised_date == clock.today + dt.timedelta(days=7)  # type: ignore[attr-defined]


def test_lines_ahead_are_read_with_their_sizes_from_the_database(
    runtime: Runtime, clock: object
) -> None:
    """alice (priority 1) ordered W as one line of 4 and one of 1 within 28 days, bob (5)
    two lines of 2; an older line falls out of the window. The read groups lines by
    priority and size, and bob's next line, with nothing to spare on the PO behind
    alice's, waits for 5 days without a line of hers: 2 lines in 28 days, P(none in
    the 5 days to the draft) = exp(-5/14) = 0.70 < 0.9, and the window slides from
    there (the closed form of ``tests.unit.conftest.lull``)."""
    _setup(runtime)
    runtime.bus.handle(c.AddItem("L", "ACME", 0))
    _order(runtime, "alice", "L", 7)
    clock.advance(days=30)  # type: ignore[attr-defined]
    for customer, qty in (("alice", 4), ("bob", 2), ("alice", 1), ("bob", 2)):
        _order(runtime, customer, "L", qty)
    runtime.bus.handle(c.SendPurchaseOrders())
    with runtime.uow() as uow:
        item = uow.items.get("L")
        assert item is not None
        since = clock.now - dt.timedelta(days=28)  # type: ignore[attr-defined]
        assert uow.orders.line_sizes_by_priority(item, since=since) == {
            1: {4: 1, 1: 1},
            5: {2: 2},
        }
    late = _order(runtime, "bob", "L", 1)
    (line,) = order_view(runtime.uow(), late).lines
    day, ready = lull(5, 2 / 28)
    assert day == 12
    assert line.promised_date == clock.today + dt.timedelta(days=day)  # type: ignore[attr-defined]
    assert line.promise_probability == pytest.approx(ready, abs=1e-4)
