"""Master data that changes after the fact: an item's supplier and below-zero rules, a
customer's priority (``service.catalog``)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from tests.unit.conftest import Shop, lull

from subzero.domain import commands as c
from subzero.domain.errors import InsufficientStock, InvalidParameter, NotFound
from subzero.service.views import items, order_view, purchase_orders


def _events(shop: Shop, kind: str) -> list[dict[str, object]]:
    return [json.loads(row[3]) for row in shop.store.events if row[1] == kind]


def _line(shop: Shop, order_id: int) -> dict[str, object]:
    return order_view(shop.uow(), order_id).as_dict(with_history=False)["lines"][0]


def test_no_negative_refuses_new_orders_and_keeps_accepted_ones(shop: Shop) -> None:
    bob = shop.order("bob", "W", 5)  # 3 from stock, 2 wait
    shop.bus.handle(c.UpdateItem("W", allow_negative=False))
    assert _line(shop, bob)["backordered"] == 2  # accepted before: still waiting
    with pytest.raises(InsufficientStock):
        shop.order("alice", "W", 1)
    shop.bus.handle(c.UpdateItem("W", allow_negative=True, backorder_limit=3))
    shop.order("alice", "W", 1)  # 3 waiting: at the limit
    with pytest.raises(InsufficientStock):
        shop.order("alice", "W", 1)
    shop.bus.handle(c.UpdateItem("W", remove_backorder_limit=True))
    shop.order("alice", "W", 1)
    (w,) = [i for i in items(shop.uow()) if i.sku == "W"]
    assert (w.allow_negative, w.backorder_limit) == (True, None)
    assert [(e["allow_negative"], e["backorder_limit"]) for e in _events(shop, "ItemChanged")] == [
        (False, None),
        (True, 3),
        (True, None),
    ]


def test_a_new_supplier_gets_the_next_orders_and_the_old_drafts_go(shop: Shop) -> None:
    """ACME (5 days) has a draft for bob's 2 waiting units when W moves to FAST (2 days):
    the draft is cancelled, FAST gets a draft for the 2, and bob is re-promised."""
    shop.bus.handle(c.AddSupplier("FAST", 2))
    bob = shop.order("bob", "W", 5)
    today = shop.clock.current.date()
    assert _line(shop, bob)["promised_date"] == (today + dt.timedelta(days=5)).isoformat()
    shop.bus.handle(c.UpdateItem("W", supplier="FAST"))
    pos = [(p.supplier, p.qty, p.status) for p in purchase_orders(shop.uow(), sku="W")]
    assert pos == [("ACME", 0, "cancelled"), ("FAST", 2, "draft")]
    assert _line(shop, bob)["promised_date"] == (today + dt.timedelta(days=2)).isoformat()
    (cancel,) = _events(shop, "PurchaseOrderChanged")
    assert cancel["new_qty"] == 0 and "now bought from FAST" in str(cancel["reason"])


def test_a_sent_order_stays_with_its_supplier(shop: Shop) -> None:
    shop.bus.handle(c.AddSupplier("FAST", 2))
    shop.order("bob", "W", 5)
    shop.bus.handle(c.SendPurchaseOrders())
    shop.bus.handle(c.UpdateItem("W", supplier="FAST"))
    pos = [(p.supplier, p.qty, p.status) for p in purchase_orders(shop.uow(), sku="W")]
    assert pos == [("ACME", 2, "sent")]  # covers the 2 waiting: nothing more to order


def test_item_update_refuses_bad_input_and_writes_nothing(shop: Shop) -> None:
    before = len(shop.store.events)
    with pytest.raises(NotFound, match="SKU 'NOPE'"):
        shop.bus.handle(c.UpdateItem("NOPE", jit=True))
    with pytest.raises(NotFound, match="supplier 'NOBODY'"):
        shop.bus.handle(c.UpdateItem("W", supplier="NOBODY"))
    with pytest.raises(InvalidParameter, match="backorder limit"):
        shop.bus.handle(c.UpdateItem("W", backorder_limit=-1))
    with pytest.raises(InvalidParameter, match="not both"):
        shop.bus.handle(c.UpdateItem("W", backorder_limit=2, remove_backorder_limit=True))
    assert len(shop.store.events) == before


def test_a_customer_raised_to_first_priority_jumps_the_queue(shop: Shop) -> None:
    """bob (priority 5) and carol (5) wait on W; carol ordered later. Raised to priority 1,
    carol takes the first units that arrive and is promised before bob."""
    shop.bus.handle(c.AddCustomer("carol", 5))
    bob = shop.order("bob", "W", 5)  # 3 from stock, 2 wait
    shop.bus.handle(c.SendPurchaseOrders())  # a PO for bob's 2, due in 5 days
    shop.clock.advance(days=1)
    carol = shop.order("carol", "W", 2)  # waits behind bob: a new draft, due in 6 days
    today = shop.clock.current.date()
    assert _line(shop, bob)["promised_date"] == (today + dt.timedelta(days=4)).isoformat()
    assert _line(shop, carol)["promised_date"] == (today + dt.timedelta(days=5)).isoformat()
    assert shop.bus.handle(c.UpdateCustomer("carol", 1)) == 1
    assert _line(shop, carol)["promised_date"] == (today + dt.timedelta(days=4)).isoformat()
    # bob now waits for the draft (day 5) behind a priority-1 customer who placed one
    # line in 28 days: P(none in 5 days) = exp(-5/28) = 0.84 < 0.9, so he waits for 5
    # days without one (``lull``, ``domain.promise``): day 8
    assert lull(5, 1 / 28)[0] == 8
    assert _line(shop, bob)["promised_date"] == (today + dt.timedelta(days=8)).isoformat()
    (sent,) = [p for p in purchase_orders(shop.uow(), sku="W") if p.status == "sent"]
    shop.bus.handle(c.ReceivePurchaseOrder(sent.po_id))
    assert (_line(shop, carol)["allocated"], _line(shop, bob)["allocated"]) == (2, 3)
    assert _events(shop, "CustomerPriorityChanged") == [
        {"customer": "carol", "old_priority": 5, "new_priority": 1, "lines_moved": 1}
    ]
    with pytest.raises(InvalidParameter, match="use 1"):
        shop.bus.handle(c.UpdateCustomer("carol", 0))
    with pytest.raises(NotFound):
        shop.bus.handle(c.UpdateCustomer("nobody", 2))
