"""The stock screen's Core read path (``service.stock_view`` on ``adapters.db.stock_reader``)
gives exactly the figures of the ORM path (``service.views.stock``), on SQLite and
PostgreSQL, through every kind of change: allocation, backorders, shipping, cancelling,
draft, sent, partly received and received purchase orders, and an untouched item."""

from __future__ import annotations

from typing import Any

import pytest

from subzero.bootstrap import Runtime
from subzero.domain import commands as c
from subzero.domain.errors import NotFound
from subzero.service.stock_view import stock_position, stock_positions
from subzero.service.views import purchase_orders, stock


def _order(runtime: Runtime, customer: str, *lines: tuple[str, int]) -> int:
    requests = tuple(c.OrderLineRequest(sku, qty) for sku, qty in lines)
    return int(runtime.bus.handle(c.PlaceOrder(customer, requests)))


def _both_paths_agree(runtime: Runtime) -> list[dict[str, Any]]:
    with runtime.uow() as uow:
        skus = [item.sku for item in uow.items.list()]
    orm = [stock(runtime.uow(), sku).as_dict() for sku in skus]
    core = [p.as_dict() for p in stock_positions(runtime.stock)]
    assert core == orm
    for row in orm:
        assert stock_position(runtime.stock, str(row["sku"])).as_dict() == row
    return orm


def test_core_read_path_matches_the_orm_path(runtime: Runtime, clock: Any) -> None:
    bus = runtime.bus
    bus.handle(c.AddSupplier("ACME", 5))
    bus.handle(c.AddSupplier("BETA", 3))
    bus.handle(c.AddCustomer("bob", 5))
    bus.handle(c.AddCustomer("alice", 1))
    bus.handle(c.AddItem("W", "ACME", 3))
    bus.handle(c.AddItem("X", "ACME", 2, allow_negative=False))
    bus.handle(c.AddItem("Y", "BETA", 10))
    bus.handle(c.AddItem("Z", "BETA", 0))  # never ordered: zeros, not missing
    assert [r["sku"] for r in _both_paths_agree(runtime)] == ["W", "X", "Y", "Z"]

    bob = _order(runtime, "bob", ("W", 5), ("Y", 4))  # W: 3 allocated, 2 backordered
    alice = _order(runtime, "alice", ("W", 4), ("X", 2))
    rows = {r["sku"]: r for r in _both_paths_agree(runtime)}
    assert (rows["W"]["allocated"], rows["W"]["backordered"], rows["W"]["on_order"]) == (3, 6, 6)

    bus.handle(c.ShipOrder(bob))  # shipped units leave the open lines
    (draft,) = [p for p in purchase_orders(runtime.uow()) if p.sku == "W"]
    bus.handle(c.SendPurchaseOrders((draft.po_id,)))
    clock.advance(days=2)
    bus.handle(c.ReceivePurchaseOrder(draft.po_id, 2))  # partial: 4 still on order
    _both_paths_agree(runtime)

    bus.handle(c.CancelOrder(alice))  # cancelled lines and shrunk drafts
    _both_paths_agree(runtime)
    for po in purchase_orders(runtime.uow(), status="draft"):
        bus.handle(c.SendPurchaseOrders((po.po_id,)))
    clock.advance(days=6)
    for po in purchase_orders(runtime.uow()):
        if po.status in ("sent", "partial"):
            bus.handle(c.ReceivePurchaseOrder(po.po_id))  # received: off the books
    _order(runtime, "alice", ("W", 9), ("Y", 1))
    rows = {r["sku"]: r for r in _both_paths_agree(runtime)}
    assert rows["W"]["backordered"] > 0 and rows["W"]["available"] < 0
    assert rows["Z"] == {
        "sku": "Z",
        "on_hand": 0,
        "allocated": 0,
        "backordered": 0,
        "on_order": 0,
        "available": 0,
        "inventory_position": 0,
    }


def test_unknown_sku_is_not_found_on_both_paths(runtime: Runtime) -> None:
    with pytest.raises(NotFound, match="'NOPE'"):
        stock(runtime.uow(), "NOPE")
    with pytest.raises(NotFound, match="'NOPE'"):
        stock_position(runtime.stock, "NOPE")
    assert stock_positions(runtime.stock) == []
