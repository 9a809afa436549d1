"""Cancelling part of an order: one line, or only the units still waiting (the customer
takes a partial shipment instead of waiting)."""

from __future__ import annotations

import pytest
from tests.unit.conftest import Shop

from subzero.domain import commands as c
from subzero.domain.errors import InvalidState, NotFound
from subzero.service.views import order_view, purchase_orders, stock


def _lines(shop: Shop, order_id: int) -> dict[str, tuple[int, int, int]]:
    """sku -> (allocated, backordered, cancelled)"""
    view = order_view(shop.uow(), order_id, with_history=False)
    return {ln.sku: (ln.allocated, ln.backordered, ln.cancelled) for ln in view.lines}


def _drafts(shop: Shop, sku: str = "W") -> list[int]:
    return [p.qty for p in purchase_orders(shop.uow(), sku=sku) if p.status == "draft"]


@pytest.fixture
def two_lines(shop: Shop) -> tuple[Shop, int]:
    """alice orders 5 W (3 on hand: 3 allocated, 2 backordered) and 1 V (from stock)."""
    shop.bus.handle(c.AddItem("V", "ACME", 4))
    order = int(
        shop.bus.handle(
            c.PlaceOrder("alice", (c.OrderLineRequest("W", 5), c.OrderLineRequest("V", 1)))
        )
    )
    return shop, order


def test_backordered_only_keeps_what_is_allocated_and_shrinks_the_draft(
    two_lines: tuple[Shop, int],
) -> None:
    shop, order = two_lines
    assert _drafts(shop) == [2]
    shop.bus.handle(c.CancelOrder(order, backordered_only=True))
    assert _lines(shop, order) == {"W": (3, 0, 2), "V": (1, 0, 0)}
    assert _drafts(shop) == []  # the 2 units it alone caused are no longer ordered
    assert stock(shop.uow(), "W").as_dict()["allocated"] == 3
    shop.bus.handle(c.ShipOrder(order))  # the partial shipment
    assert order_view(shop.uow(), order).status == "shipped"
    history = [
        e["event"] for e in order_view(shop.uow(), order).as_dict(with_history=True)["history"]
    ]
    assert "LineCancelled" in history


def test_one_line_releases_its_stock_to_the_next_waiting(two_lines: tuple[Shop, int]) -> None:
    shop, order = two_lines
    bob = shop.order("bob", "W", 2)  # waits behind alice
    w_line = next(ln.line_id for ln in order_view(shop.uow(), order).lines if ln.sku == "W")
    shop.bus.handle(c.CancelOrder(order, (w_line,)))
    assert _lines(shop, order) == {"W": (0, 0, 5), "V": (1, 0, 0)}  # V untouched
    assert _lines(shop, bob) == {"W": (2, 0, 0)}  # bob gets 2 of alice's 3
    assert _drafts(shop) == []


def test_bad_partial_cancels_change_nothing(two_lines: tuple[Shop, int]) -> None:
    shop, order = two_lines
    v_line = next(ln.line_id for ln in order_view(shop.uow(), order).lines if ln.sku == "V")
    with pytest.raises(NotFound, match=f"line 999 is not on order {order}"):
        shop.bus.handle(c.CancelOrder(order, (999,)))
    with pytest.raises(InvalidState, match="no backordered units"):
        shop.bus.handle(c.CancelOrder(order, (v_line,), backordered_only=True))
    assert _lines(shop, order) == {"W": (3, 2, 0), "V": (1, 0, 0)}
    assert _drafts(shop) == [2]
