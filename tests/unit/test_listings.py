"""Master-data and order listings: orders (open or all, by customer or item),
customers and items."""

from __future__ import annotations

import pytest
from tests.unit.conftest import Shop

from subzero.domain import commands as c
from subzero.domain.errors import NotFound
from subzero.service.views import customers, items, orders, purchase_orders, refusals


@pytest.fixture
def ledger(shop: Shop) -> tuple[Shop, int, int, int]:
    """bob orders 2 W (from stock, then shipped), alice 3 W (1 from stock, 2 waiting)
    and bob 1 V of a second supplier (from stock, not shipped)."""
    shop.bus.handle(c.AddSupplier("NORD", 2))
    shop.bus.handle(c.AddItem("V", "NORD", 4, allow_negative=False, policy="base-stock:S=4"))
    shipped = shop.order("bob", "W", 2)
    shop.bus.handle(c.ShipOrder(shipped))
    waiting = shop.order("alice", "W", 3)
    ready = shop.order("bob", "V", 1)
    return shop, shipped, waiting, ready


def _ids(views: list[object]) -> list[int]:
    return [v.order_id for v in views]  # type: ignore[attr-defined]


def test_orders_open_or_all_by_customer_and_item(ledger: tuple[Shop, int, int, int]) -> None:
    shop, shipped, waiting, ready = ledger
    uow = shop.uow
    assert _ids(orders(uow())) == [shipped, waiting, ready]
    assert _ids(orders(uow(), open_only=True)) == [waiting, ready]
    assert _ids(orders(uow(), customer="bob")) == [shipped, ready]
    assert _ids(orders(uow(), customer="bob", open_only=True)) == [ready]
    assert _ids(orders(uow(), sku="W")) == [shipped, waiting]
    assert _ids(orders(uow(), sku="V", customer="alice")) == []
    (view,) = orders(uow(), customer="alice")
    (line,) = view.lines
    assert (view.status, line.allocated, line.backordered) == ("backordered", 1, 2)
    # once the 2 arrive and alice's order ships, it is no longer open
    (po,) = [p for p in purchase_orders(uow(), sku="W") if p.status == "draft"]
    shop.bus.handle(c.ReceivePurchaseOrder(po.po_id, None))
    shop.bus.handle(c.ShipOrder(waiting))
    assert _ids(orders(uow(), open_only=True)) == [ready]


def test_unknown_filters_are_named(ledger: tuple[Shop, int, int, int]) -> None:
    shop = ledger[0]
    with pytest.raises(NotFound, match="'carol'"):
        orders(shop.uow(), customer="carol")
    with pytest.raises(NotFound, match="'NOPE'"):
        orders(shop.uow(), sku="NOPE")


def test_customers_and_items(ledger: tuple[Shop, int, int, int]) -> None:
    shop = ledger[0]
    assert [cu.as_dict() for cu in customers(shop.uow())] == [
        {"name": "alice", "priority": 1},
        {"name": "bob", "priority": 5},
    ]
    by_sku = {i.sku: i.as_dict() for i in items(shop.uow())}
    assert by_sku["W"] == {
        "sku": "W",
        "supplier": "ACME",
        "policy": "mto",
        "allow_negative": True,
        "backorder_limit": None,
        "jit": False,
        "vmi_min": None,
        "vmi_max": None,
    }
    assert (by_sku["V"]["supplier"], by_sku["V"]["policy"]) == ("NORD", "base-stock:S=4")
    assert by_sku["V"]["allow_negative"] is False


def test_backorders_and_pos_by_customer_and_supplier(ledger: tuple[Shop, int, int, int]) -> None:
    from subzero.service.views import backorders

    shop, _, waiting, _ = ledger
    shop.bus.handle(c.AddItem("U", "NORD", 0))
    other = shop.order("bob", "U", 2)  # waits for NORD
    now = shop.clock.now()

    def lines(**kw: str) -> list[int]:
        return [b.order_id for b in backorders(shop.uow(), now=now, **kw)]

    assert lines() == [waiting, other]
    assert lines(customer="alice") == [waiting]
    assert lines(supplier="NORD") == [other]
    assert lines(customer="alice", supplier="NORD") == []
    with pytest.raises(NotFound, match="'carol'"):
        lines(customer="carol")
    by_supplier = purchase_orders(shop.uow(), supplier="NORD")
    # V (base-stock S=4) reorders the unit bob took; U orders what bob waits for
    assert [(p.supplier, p.sku) for p in by_supplier] == [("NORD", "V"), ("NORD", "U")]
    assert {p.supplier for p in purchase_orders(shop.uow(), supplier="ACME")} == {"ACME"}
    with pytest.raises(NotFound, match="'ZED'"):
        purchase_orders(shop.uow(), supplier="ZED")
    # a mistyped SKU is an error, not an empty worklist (found by exploratory testing)
    with pytest.raises(NotFound, match="SKU 'NOPE'"):
        lines(sku="NOPE")
    with pytest.raises(NotFound, match="SKU 'NOPE'"):
        purchase_orders(shop.uow(), sku="NOPE")
    with pytest.raises(NotFound, match="SKU 'NOPE'"):
        refusals(shop.uow(), sku="NOPE")
