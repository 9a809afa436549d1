"""Early warning (``subzero alerts``): late and ageing backorders, promises at risk,
overdue purchase orders, stock on order beyond need, biased forecasts."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.conftest import Shop

from subzero.domain import commands as c
from subzero.domain.errors import InvalidParameter
from subzero.service.alerts import Alert, alerts
from subzero.service.rebalance import position_of
from subzero.service.views import purchase_orders


def _alerts(shop: Shop, **kw: Any) -> list[Alert]:
    uow = shop.uow()
    with uow:
        positions = [position_of(uow, item) for item in uow.items.list()]
    return alerts(shop.uow(), positions, now=shop.clock.now(), **kw)


def _kinds(found: list[Alert]) -> list[tuple[str, str, str]]:
    return [(a.severity, a.kind, a.sku) for a in found]


def test_a_quiet_shop_has_no_alerts(shop: Shop) -> None:
    shop.order("bob", "W", 2)  # from stock
    assert _alerts(shop) == []


def test_late_supply_makes_late_promises_and_promises_at_risk(shop: Shop) -> None:
    bob = shop.order("bob", "W", 5)  # 3 from stock, 2 wait for ACME (5 days)
    shop.bus.handle(c.SendPurchaseOrders())
    (po,) = purchase_orders(shop.uow(), sku="W")
    assert _alerts(shop, age_days=30) == []  # the promise holds, the PO is not due
    shop.clock.advance(days=7)
    found = _alerts(shop, age_days=30)
    assert _kinds(found) == [
        ("high", "promise_late", "W"),  # bob: promised 5 days out, still waiting
        ("high", "po_overdue", "W"),  # high: a customer waits for W
    ]
    late, overdue = found
    assert (late.order_id, overdue.po_id) == (bob, po.po_id)
    assert late.since is not None and late.since < shop.clock.now().date()
    assert "2 days late" in late.message and "2 of 2 units" in overdue.message
    # alice (priority 1) orders: she is promised the late PO's units, bob is re-promised
    # to a new order; both promises now rest on supply that is late or not yet sent
    alice = shop.order("alice", "W", 1)
    found = _alerts(shop, age_days=30)
    assert _kinds(found) == [
        ("high", "po_overdue", "W"),
        ("medium", "promise_at_risk", "W"),
        ("medium", "promise_at_risk", "W"),
    ]
    assert [a.order_id for a in found[1:]] == [alice, bob]  # earliest promise first
    assert all(f"PO {po.po_id} for it is overdue" in a.message for a in found[1:])
    # once the goods arrive every alert is gone
    shop.bus.handle(c.ReceivePurchaseOrder(po.po_id, None))
    assert _alerts(shop, age_days=30) == []


def test_a_line_waiting_long_is_ageing_twice_as_long_is_urgent(shop: Shop) -> None:
    shop.bus.handle(c.AddSupplier("SLOW", 30))
    shop.bus.handle(c.AddItem("S", "SLOW", 0))
    shop.order("bob", "S", 1)  # promised in 30 days
    shop.bus.handle(c.SendPurchaseOrders())
    shop.clock.advance(days=4)
    assert _kinds(_alerts(shop, age_days=3)) == [("medium", "backorder_ageing", "S")]
    shop.clock.advance(days=3)
    (ageing,) = _alerts(shop, age_days=3)
    assert (ageing.severity, ageing.kind) == ("high", "backorder_ageing")
    assert "waiting 7 days" in ageing.message
    assert _alerts(shop, age_days=8) == []  # a week old is not old at 8 days


def test_a_cancel_after_the_po_was_sent_leaves_excess_on_order(shop: Shop) -> None:
    bob = shop.order("bob", "W", 5)
    shop.bus.handle(c.SendPurchaseOrders())
    shop.bus.handle(c.CancelOrder(bob))
    (excess,) = _alerts(shop)
    assert (excess.severity, excess.kind, excess.sku) == ("low", "excess_on_order", "W")
    # W is make-to-order: nothing should be on order once nobody waits
    assert excess.message.startswith("2 units on order beyond need")
    # rounding up to the supplier's lot is not excess
    shop.bus.handle(c.SetSupplierTerms("W", "ACME", lot_size=5))
    assert _alerts(shop) == []


def test_excess_on_order_names_the_po_to_cut_and_a_cut_to_nothing_cancels_it(
    shop: Shop,
) -> None:
    """Found by exploratory testing: the alert's ``po_id`` and ``supplier`` were empty,
    and a sent order could be cut to 1 unit but no further, so the alert stayed."""
    bob = shop.order("bob", "W", 5)
    shop.bus.handle(c.SendPurchaseOrders())
    shop.bus.handle(c.CancelOrder(bob))
    (excess,) = _alerts(shop)
    (po,) = [p for p in purchase_orders(shop.uow(), sku="W") if p.status == "sent"]
    assert (excess.po_id, excess.supplier) == (po.po_id, "ACME")
    shop.bus.handle(c.ReschedulePurchaseOrder(po.po_id, "ACME", qty=0))
    assert _alerts(shop) == []
    (after,) = purchase_orders(shop.uow(), sku="W")
    assert (after.status, after.qty) == ("cancelled", 0)


def test_a_biased_forecast_is_an_alert(shop: Shop) -> None:
    uow = shop.uow()
    with uow:
        run = uow.forecasts.add_run(shop.clock.now(), 28, (0.9,), 1, 0.1)
        rows = [
            {"sku": "W", "biased": True, "bias": -1.5, "tracking_signal": 6.2, "bias_periods": 21},
            {"sku": "V", "biased": False, "bias": 0.1, "tracking_signal": 0.4, "bias_periods": 21},
        ]
        uow.forecasts.replace_accuracy(run, rows, shop.clock.now())
        uow.commit()
    (bias,) = _alerts(shop)
    assert (bias.kind, bias.sku, bias.severity) == ("forecast_bias", "W", "medium")
    assert "too low by 1.50 units a day" in bias.message


def test_a_bad_age_is_refused(shop: Shop) -> None:
    with pytest.raises(InvalidParameter, match="--age-days"):
        _alerts(shop, age_days=0)


def test_a_supplier_slower_than_stated_is_an_alert(shop: Shop) -> None:
    from subzero.service.alerts import SLOW_WINDOW_DAYS

    shop.bus.handle(c.AddSupplier("NORD", 2))  # stated: 2 days
    shop.bus.handle(c.AddItem("V", "NORD", 0))
    for days in (5, 5, 4, 5, 6):  # delivers in 5 days on average
        shop.order("bob", "V", 1)
        shop.bus.handle(c.SendPurchaseOrders())
        shop.clock.advance(days=days)
        for po in purchase_orders(shop.uow(), sku="V", status="sent"):
            shop.bus.handle(c.ReceivePurchaseOrder(po.po_id, None))
    (slow,) = [a for a in _alerts(shop) if a.kind == "supplier_slow"]
    assert (slow.supplier, slow.sku, slow.severity) == ("NORD", None, "medium")
    assert "took 5.0 days on average over its 5 deliveries" in slow.message
    assert "3.0 more than the stated 2" in slow.message
    assert slow.message.endswith("subzero supplier update NORD --lead-time-days 5")
    shop.bus.handle(c.UpdateSupplier("NORD", lead_time_days=5))  # as the alert says
    assert [a for a in _alerts(shop) if a.kind == "supplier_slow"] == []
    shop.bus.handle(c.UpdateSupplier("NORD", lead_time_days=2))
    # ACME delivered nothing: nothing to judge; and old deliveries stop counting
    shop.clock.advance(days=SLOW_WINDOW_DAYS)
    assert [a for a in _alerts(shop) if a.kind == "supplier_slow"] == []


def test_a_supplier_on_its_stated_time_is_not_an_alert(shop: Shop) -> None:
    shop.bus.handle(c.AddSupplier("NORD", 3))
    shop.bus.handle(c.AddItem("V", "NORD", 0))
    for days in (3, 4, 2, 3, 4, 3):  # 3.2 days on average: within a day of the stated 3
        shop.order("bob", "V", 1)
        shop.bus.handle(c.SendPurchaseOrders())
        shop.clock.advance(days=days)
        for po in purchase_orders(shop.uow(), sku="V", status="sent"):
            shop.bus.handle(c.ReceivePurchaseOrder(po.po_id, None))
    uow = shop.uow()
    with uow:
        nord = uow.suppliers.get("NORD")
        assert nord is not None and len(uow.purchase_orders.deliveries(nord)) == 6
    assert [a for a in _alerts(shop) if a.kind == "supplier_slow"] == []
