"""Supplier collaboration on the in-memory unit of work: scoping, ownership, re-promising
on confirm and reschedule (a quantity cut included), VMI bounds and the VMI report."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from tests.unit.conftest import Shop, lull

from subzero.domain import commands as c
from subzero.domain.errors import InvalidParameter, InvalidState, NotFound
from subzero.domain.purchasing import POStatus, PurchaseOrder
from subzero.service.supplier_view import supplier_view, vmi_report
from subzero.service.unit_of_work import ForecastValue
from subzero.service.views import order_view, purchase_orders, stock


def _events(shop: Shop, type_: str, **refs: int | str) -> list[dict[str, object]]:
    return [e.payload for e in shop.uow().events.history(**refs) if e.type == type_]  # type: ignore[arg-type]


def _po(shop: Shop, sku: str = "W", status: str = "draft") -> int:
    (po,) = purchase_orders(shop.uow(), sku=sku, status=status)
    return po.po_id


def _promised(shop: Shop, order_id: int) -> str | None:
    line = order_view(shop.uow(), order_id).as_dict(with_history=False)["lines"][0]
    return line["promised_date"]  # type: ignore[no-any-return]


def _day(shop: Shop, days: int) -> dt.date:
    return shop.clock.current.date() + dt.timedelta(days=days)


def _sent_po_for_backorders(shop: Shop) -> tuple[int, int, int]:
    """bob waits for 2 W, alice for 4; the make-to-order PO of 6 is sent (due day 5)."""
    bob = shop.order("bob", "W", 5)
    alice = shop.order("alice", "W", 4)
    po_id = _po(shop)
    shop.bus.handle(c.SendPurchaseOrders((po_id,)))
    return bob, alice, po_id


@pytest.fixture
def two_suppliers(shop: Shop) -> Shop:
    """BETA (lead time 7 d) supplies B1; S is ACME's item and BETA has terms for it."""
    shop.bus.handle(c.AddSupplier("BETA", 7))
    shop.bus.handle(c.AddItem("B1", "BETA", 0))
    shop.bus.handle(c.AddItem("S", "ACME", 0))
    shop.bus.handle(c.SetSupplierTerms("S", "BETA"))
    return shop


# -- scoping --------------------------------------------------------------------------


def test_a_supplier_sees_only_its_items_and_its_own_orders(two_suppliers: Shop) -> None:
    shop = two_suppliers
    shop.order("bob", "W", 5)  # ACME's W: draft 2
    shop.order("bob", "B1", 3)  # BETA's B1: draft 3
    shop.order("alice", "S", 4)  # S: ACME's make-to-order draft 4
    shop.bus.handle(c.SendPurchaseOrders())
    with shop.uow() as uow:  # a BETA order for the shared item S
        item, beta = uow.items.get("S"), uow.suppliers.get("BETA")
        assert item is not None and beta is not None
        beta_po = PurchaseOrder(item, beta, 2, now=shop.clock.current, reason="test")
        beta_po.send(shop.clock.current)
        uow.purchase_orders.add(beta_po)
    acme = supplier_view(shop.uow(), "ACME", now=shop.clock.current)
    beta_view = supplier_view(shop.uow(), "BETA", now=shop.clock.current)

    assert [i.sku for i in acme.items] == ["S", "W"]
    assert [i.sku for i in beta_view.items] == ["B1", "S"]
    assert {(p.sku, p.qty) for p in acme.purchase_orders} == {("W", 2), ("S", 4)}
    assert [(p.sku, p.qty, p.po_id) for p in beta_view.purchase_orders] == [
        ("B1", 3, _po(shop, "B1", "sent")),
        ("S", 2, beta_po.id),
    ]
    shared = next(i for i in beta_view.items if i.sku == "S")
    assert not shared.main_supplier
    assert [(b.backordered, b.promised_date) for b in shared.backorders] == [(4, _day(shop, 5))]
    text = json.dumps(beta_view.as_dict())
    assert "bob" not in text and "alice" not in text  # customers are not shown
    assert '"W"' not in text  # nor another supplier's item


def test_supplier_view_shows_the_latest_forecast_of_its_items_only(two_suppliers: Shop) -> None:
    shop = two_suppliers
    with shop.uow() as uow:
        for at, level in (
            (shop.clock.current - dt.timedelta(days=7), 9.0),
            (shop.clock.current, 2.0),
        ):
            run = uow.forecasts.add_run(at, 2, (0.9,), 3, 0.1)
            uow.forecasts.add_values(
                run,
                [
                    ForecastValue(sku, at.date() + dt.timedelta(days=d), level, level, {"0.9": 5.0})
                    for sku in ("W", "B1", "S")
                    for d in (1, 2)
                ],
            )
    view = supplier_view(shop.uow(), "BETA", now=shop.clock.current)
    assert view.forecast_at == shop.clock.current
    assert {i.sku: i.forecast_total for i in view.items} == {"B1": 4.0, "S": 4.0}
    assert [f.day for f in view.items[0].forecast] == [_day(shop, 1), _day(shop, 2)]


def test_unknown_supplier_is_not_found(shop: Shop) -> None:
    with pytest.raises(NotFound, match="supplier 'NOPE' not found"):
        supplier_view(shop.uow(), "NOPE", now=shop.clock.current)


# -- confirm / reschedule ------------------------------------------------------------


def test_only_the_owner_can_confirm_and_others_learn_nothing(two_suppliers: Shop) -> None:
    shop = two_suppliers
    _, _, po_id = _sent_po_for_backorders(shop)
    with pytest.raises(NotFound) as foreign:
        shop.bus.handle(c.ConfirmPurchaseOrder(po_id, "BETA"))
    with pytest.raises(NotFound) as missing:
        shop.bus.handle(c.ConfirmPurchaseOrder(9999, "BETA"))
    assert str(foreign.value) == f"purchase order {po_id} not found for supplier 'BETA'"
    assert str(missing.value) == "purchase order 9999 not found for supplier 'BETA'"
    with pytest.raises(NotFound):
        shop.bus.handle(c.ReschedulePurchaseOrder(po_id, "BETA", qty=1))
    assert _events(shop, "PurchaseOrderRescheduled", po_id=po_id) == []

    update = shop.bus.handle(c.ConfirmPurchaseOrder(po_id, "ACME"))
    assert update.repromised == ()
    (event,) = _events(shop, "PurchaseOrderConfirmed", po_id=po_id)
    assert event["expected_date"] == event["old_expected_date"] == _day(shop, 5).isoformat()
    (po,) = supplier_view(shop.uow(), "ACME", now=shop.clock.current).purchase_orders
    assert po.confirmed


def test_a_draft_cannot_be_confirmed(shop: Shop) -> None:
    shop.order("bob", "W", 5)
    with pytest.raises(InvalidState, match="only a sent order can be confirmed"):
        shop.bus.handle(c.ConfirmPurchaseOrder(_po(shop), "ACME"))


def test_confirm_with_a_later_date_repromises_at_once(shop: Shop) -> None:
    """alice is promised the new day 8. bob's 2 units fill the PO behind alice's 4 with
    none to spare, and alice's one line of the last 28 days says customers ahead of him
    place λ = 1/28 lines a day (``domain.promise``): a line of hers in the 5 days before
    day 8 (P = 1 - exp(-5/28) = 0.16) would take his units and be re-ordered, so he is
    promised once 5 days have passed without one (``lull``): day 11."""
    bob, alice, po_id = _sent_po_for_backorders(shop)
    update = shop.bus.handle(c.ConfirmPurchaseOrder(po_id, "ACME", _day(shop, 8)))
    assert _promised(shop, alice) == _day(shop, 8).isoformat()
    assert lull(8, 1 / 28)[0] == 11
    assert _promised(shop, bob) == _day(shop, 11).isoformat()
    assert {(r.order_id, r.new_date) for r in update.repromised} == {
        (bob, _day(shop, 11)),
        (alice, _day(shop, 8)),
    }


def test_reschedule_moves_the_date_and_the_promises_with_it(shop: Shop) -> None:
    bob, _alice, po_id = _sent_po_for_backorders(shop)
    update = shop.bus.handle(c.ReschedulePurchaseOrder(po_id, "ACME", _day(shop, 9)))
    assert update.expected_date == _day(shop, 9) and update.shortfall == 0
    (event,) = _events(shop, "PurchaseOrderRescheduled", po_id=po_id)
    assert (event["old_date"], event["new_date"]) == (
        _day(shop, 5).isoformat(),
        _day(shop, 9).isoformat(),
    )
    assert (event["old_qty"], event["new_qty"]) == (6, 6)
    # bob, behind alice with nothing to spare, was promised day 8 (alice's next line may
    # take the PO, see the confirm test: ``lull`` from day 5); the PO at day 9 moves him
    # to day 12 (``lull`` from day 9)
    assert (lull(5, 1 / 28)[0], lull(9, 1 / 28)[0]) == (8, 12)
    changes = _events(shop, "PromiseChanged", order_id=bob)
    assert (changes[-1]["old_date"], changes[-1]["new_date"]) == (
        _day(shop, 8).isoformat(),
        _day(shop, 12).isoformat(),
    )
    with pytest.raises(InvalidParameter, match="in the past"):
        shop.bus.handle(c.ReschedulePurchaseOrder(po_id, "ACME", _day(shop, -1)))
    with pytest.raises(InvalidParameter, match="give a new date, a new quantity, or both"):
        shop.bus.handle(c.ReschedulePurchaseOrder(po_id, "ACME"))


def test_a_quantity_cut_below_the_backorders_moves_them_to_later_receipts(shop: Shop) -> None:
    bob, alice, po_id = _sent_po_for_backorders(shop)  # 6 waiting, PO of 6 due day 5
    shop.clock.advance(days=2)  # a new order now would arrive day 7
    update = shop.bus.handle(c.ReschedulePurchaseOrder(po_id, "ACME", qty=3))

    assert update.shortfall == 3
    (event,) = _events(shop, "PurchaseOrderRescheduled", po_id=po_id)
    assert (event["old_qty"], event["new_qty"], event["shortfall"]) == (6, 3, 3)
    assert "below the 6 backordered unit(s) it covered" in str(event["note"])
    assert "3 unit(s) wait for the next receipts" in str(event["note"])
    # alice (priority 1) keeps 3 units from the PO and waits for 1 more, from the new
    # draft (day 7); bob's 2 move to that draft too, with nothing to spare behind alice,
    # whose next line would take them: P(none in 5 days) = exp(-5/28) = 0.84, so he
    # waits for 5 days without one (``lull``): 8 days from today; he was promised day 8
    # of the PO's story before (two days ago, by the same rule)
    day7 = _day(shop, 5).isoformat()
    assert lull(5, 1 / 28)[0] == 8
    assert _promised(shop, alice) == day7
    assert _promised(shop, bob) == _day(shop, 8).isoformat()
    last = _events(shop, "PromiseChanged", order_id=alice)[-1]
    assert (last["old_date"], last["new_date"]) == (_day(shop, 3).isoformat(), day7)
    last = _events(shop, "PromiseChanged", order_id=bob)[-1]
    assert (last["old_date"], last["new_date"]) == (
        _day(shop, 6).isoformat(),
        _day(shop, 8).isoformat(),
    )
    assert {r.order_id for r in update.repromised} == {bob, alice}
    # make-to-order covers the cut with a new draft of 3
    assert [(p.qty, p.status) for p in purchase_orders(shop.uow(), sku="W")] == [
        (3, "sent"),
        (3, "draft"),
    ]


def test_a_cut_that_still_covers_the_backorders_moves_nothing(shop: Shop) -> None:
    bob, _alice, po_id = _sent_po_for_backorders(shop)
    raised = shop.bus.handle(c.ReschedulePurchaseOrder(po_id, "ACME", qty=12))
    assert raised.note == "quantity raised 6 -> 12"
    # 10 leaves bob 4 units to spare against alice's lines of 4 (1/28 a day) for 5 days:
    # safe unless two come, P(N <= 1) = exp(-5/28) (1 + 5/28) = 0.986; a cut to 9 (one
    # line takes the 3 to spare: P(N = 0) = 0.84) would move him
    update = shop.bus.handle(c.ReschedulePurchaseOrder(po_id, "ACME", qty=10))
    assert update.shortfall == 0 and update.repromised == ()
    assert update.note == "quantity cut 12 -> 10; waiting backorders stay covered"
    assert _promised(shop, bob) == _day(shop, 5).isoformat()


def test_the_shortfall_counts_only_what_this_order_covered(shop: Shop) -> None:
    """Backorders take open orders by arrival: a later order covers only the rest."""
    bob, _alice, _first = _sent_po_for_backorders(shop)  # 6 waiting, first PO 6 due day 5
    shop.clock.advance(days=1)
    shop.order("bob", "W", 2)  # 2 more waiting: a draft of 2, due day 6
    later = _po(shop)
    shop.bus.handle(c.SendPurchaseOrders((later,)))
    update = shop.bus.handle(c.ReschedulePurchaseOrder(later, "ACME", qty=1))
    assert update.shortfall == 1  # it covered 2 of the 8 waiting units; the first PO 6
    # bob's first 2 units fill the first PO (alice's 4 ahead, day 4) with nothing to
    # spare, and alice (priority 1) placed one line of 4 in the last 28 days: P(none in
    # 4 days) = exp(-4/28) = 0.87 < 0.9. By day 5 the cut PO's unit and the new draft
    # for its shortfall bring 2 more, which her next line of 4 would take too, so he
    # waits for 5 days without one of her lines (``lull`` from day 4): day 7
    assert lull(4, 1 / 28)[0] == 7
    assert _promised(shop, bob) == _day(shop, 7).isoformat()
    assert [(p.qty, p.status) for p in purchase_orders(shop.uow(), sku="W")] == [
        (6, "sent"),
        (1, "sent"),
        (1, "draft"),
    ]


# -- VMI ------------------------------------------------------------------------------


def test_vmi_order_must_stay_within_the_agreed_maximum(two_suppliers: Shop) -> None:
    shop = two_suppliers
    shop.bus.handle(c.SetVmi("W", 5, 20))  # W: 3 on hand, position 3
    events_before = len(shop.store.events)
    with pytest.raises(
        InvalidParameter,
        match="raise the inventory position from 3 to 21, above the agreed maximum 20; "
        "order at most 17",
    ):
        shop.bus.handle(c.PlaceVmiOrder("W", "ACME", 18))
    assert len(shop.store.events) == events_before and purchase_orders(shop.uow()) == []

    po_id = shop.bus.handle(c.PlaceVmiOrder("W", "ACME", 17, _day(shop, 4)))
    (po,) = shop.store.pos.values()
    assert (po.id, po.status, po.source, po.expected_date) == (
        po_id,
        POStatus.SENT,
        "vmi",
        _day(shop, 4),
    )
    (decision,) = _events(shop, "VmiOrderPlaced", po_id=po_id)
    assert (decision["position_before"], decision["position_after"]) == (3, 20)
    assert (decision["vmi_min"], decision["vmi_max"]) == (5, 20)
    assert stock(shop.uow(), "W").inventory_position == 20
    with pytest.raises(InvalidParameter, match="order at most 0"):
        shop.bus.handle(c.PlaceVmiOrder("W", "ACME", 1))


def test_vmi_orders_are_the_items_suppliers_decision(two_suppliers: Shop) -> None:
    shop = two_suppliers
    with pytest.raises(InvalidState, match="item W is not under VMI"):
        shop.bus.handle(c.PlaceVmiOrder("W", "ACME", 1))
    shop.bus.handle(c.SetVmi("W", 0, 10))
    shop.bus.handle(c.SetVmi("S", 0, 10))
    with pytest.raises(NotFound, match="SKU 'W' not found for supplier 'BETA'"):
        shop.bus.handle(c.PlaceVmiOrder("W", "BETA", 1))
    with pytest.raises(NotFound, match="SKU 'NOPE' not found for supplier 'ACME'"):
        shop.bus.handle(c.PlaceVmiOrder("NOPE", "ACME", 1))
    with pytest.raises(InvalidState, match="VMI is agreed with its own supplier, not with BETA"):
        shop.bus.handle(c.PlaceVmiOrder("S", "BETA", 1))
    with pytest.raises(InvalidParameter, match="whole number"):
        shop.bus.handle(c.PlaceVmiOrder("W", "ACME", 2.5))  # type: ignore[arg-type]


def test_a_new_supplier_ends_the_old_suppliers_vmi_agreement(two_suppliers: Shop) -> None:
    """VMI is agreed with a supplier: when the item goes to another, the agreement ends
    with an event, the new supplier cannot place VMI orders, and the item's own policy
    buys again (found by exploratory testing: the agreement passed to the new supplier
    silently)."""
    shop = two_suppliers
    shop.bus.handle(c.SetVmi("S", 2, 10))
    shop.bus.handle(c.UpdateItem("S", supplier="BETA"))
    ended = [json.loads(row[3]) for row in shop.store.events if row[1] == "VmiSet"][-1]
    assert ended == {
        "sku": "S",
        "supplier": "ACME",
        "old_min": 2,
        "old_max": 10,
        "vmi_min": None,
        "vmi_max": None,
    }
    with pytest.raises(InvalidState, match="item S is not under VMI"):
        shop.bus.handle(c.PlaceVmiOrder("S", "BETA", 1))
    shop.order("bob", "S", 2)  # make-to-order again: a draft from BETA
    assert [(p.supplier, p.qty) for p in purchase_orders(shop.uow(), sku="S")] == [("BETA", 2)]


def test_vmi_bounds_are_validated(shop: Shop) -> None:
    with pytest.raises(InvalidParameter, match="needs both a minimum and a maximum"):
        shop.bus.handle(c.SetVmi("W", 5, None))
    with pytest.raises(InvalidParameter, match="maximum 4 is below the minimum 5"):
        shop.bus.handle(c.SetVmi("W", 5, 4))
    with pytest.raises(NotFound):
        shop.bus.handle(c.SetVmi("NOPE", 1, 2))


def test_under_vmi_we_do_not_replenish_and_promises_use_the_vendors_orders(shop: Shop) -> None:
    shop.order("bob", "W", 5)  # our make-to-order draft of 2
    shop.bus.handle(c.SetVmi("W", 0, 10))
    assert [(p.qty, p.status) for p in purchase_orders(shop.uow(), sku="W")] == [(0, "cancelled")]
    (withdrawn,) = _events(shop, "PurchaseOrderChanged", sku="W")[-1:]
    assert withdrawn["reason"] == "cancelled: the item is now VMI"
    alice = shop.order("alice", "W", 4)  # position -6: still no order of ours
    assert [p.status for p in purchase_orders(shop.uow(), sku="W")] == ["cancelled"]
    shop.bus.handle(c.PlaceVmiOrder("W", "ACME", 10, _day(shop, 3)))
    assert _promised(shop, alice) == _day(shop, 3).isoformat()
    (vmi_set,) = _events(shop, "VmiSet", sku="W")
    assert vmi_set["vmi_min"] == 0 and vmi_set["old_min"] is None

    shop.bus.handle(c.SetVmi("W", None, None))  # VMI ends: our policy again
    assert stock(shop.uow(), "W").inventory_position == 4
    assert _events(shop, "VmiSet", sku="W")[-1]["vmi_max"] is None


def test_vmi_report_on_a_hand_built_history(shop: Shop) -> None:
    """Review points (day closes) and fill rate, worked by hand.

    day 0  VMI 5-10 set; position 3 (3 on hand)           close 3  below
    day 1  vendor orders 6 (due day 6)                     close 9
    day 2  bob orders 2, served from stock                 close 7
    day 3  alice orders 4: 1 from stock, 3 backordered     close 3  below
    day 4  the vendor's 6 arrive (position unchanged)      close 3  below
    day 5  vendor asks 8 (refused: 11 > 10), then orders 7 close 10
    day 6  bob cancels his 2 (released)                    close 12 above
    Lines: bob 2 of 2 from stock, alice 1 of 4: fill rate 3/6.
    """
    start = shop.clock.current
    shop.clock.advance(days=-3)  # three days before VMI: not review days
    shop.bus.handle(c.AddItem("V", "ACME", 3))
    shop.clock.current = start
    shop.bus.handle(c.SetVmi("V", 5, 10))
    shop.clock.advance(days=1)
    first = shop.bus.handle(c.PlaceVmiOrder("V", "ACME", 6))
    shop.clock.advance(days=1)
    bob = shop.order("bob", "V", 2)
    shop.clock.advance(days=1)
    shop.order("alice", "V", 4)
    shop.clock.advance(days=1)
    shop.bus.handle(c.ReceivePurchaseOrder(first))
    shop.clock.advance(days=1)
    with pytest.raises(InvalidParameter):
        shop.bus.handle(c.PlaceVmiOrder("V", "ACME", 8))
    shop.bus.handle(c.PlaceVmiOrder("V", "ACME", 7))
    shop.clock.advance(days=1)
    shop.bus.handle(c.CancelOrder(bob))
    shop.clock.advance(hours=3)
    assert stock(shop.uow(), "V").inventory_position == 12

    (row,) = vmi_report(shop.uow(), now=shop.clock.current, days=10)
    got = row.as_dict()
    assert {k: got[k] for k in ("review_days", "days_below_min", "days_above_max")} == {
        "review_days": 7,
        "days_below_min": 3,
        "days_above_max": 1,
    }
    assert (got["days_in_bounds"], got["lowest_position"], got["highest_position"]) == (3, 3, 12)
    assert (got["vmi_orders"], got["vmi_units"], got["inventory_position"]) == (2, 13, 12)
    assert (got["lines"], got["units_ordered"], got["fill_rate"]) == (2, 6, 0.5)
    assert got["promise_reliability"] == 1.0  # alice was ready on day 4, promised day 6
    assert got["kept"] is False

    (last3,) = vmi_report(shop.uow(), now=shop.clock.current, days=3, sku="V")
    assert (last3.review_days, last3.days_below_min, last3.days_above_max) == (3, 1, 1)
    assert (last3.kpis.lines, last3.vmi_orders) == (0, 1)

    assert vmi_report(shop.uow(), now=shop.clock.current, supplier="ACME")[0].sku == "V"
    with pytest.raises(InvalidParameter, match="item W is not under VMI"):
        vmi_report(shop.uow(), now=shop.clock.current, sku="W")
    with pytest.raises(InvalidParameter, match="window 0 days"):
        vmi_report(shop.uow(), now=shop.clock.current, days=0)


def test_a_vendor_that_keeps_the_bounds_and_the_fill_rate_kept_the_agreement(shop: Shop) -> None:
    shop.bus.handle(c.SetVmi("W", 1, 10))  # position 3
    shop.clock.advance(days=1)
    shop.order("bob", "W", 1)  # served from stock, position 2
    (row,) = vmi_report(shop.uow(), now=shop.clock.current, days=2)
    assert (row.review_days, row.days_below_min, row.days_above_max) == (2, 0, 0)
    assert row.kpis.fill_rate == 1.0 and row.kept


@pytest.mark.parametrize("seed", range(4))
def test_the_position_rebuilt_from_events_matches_the_live_one(shop: Shop, seed: int) -> None:
    """Every day close of a random history: orders, cancellations, shipments, receipts,
    sends, reschedules, VMI on and off and vendor orders."""
    import random

    from subzero.service.supplier_view import _History

    rng = random.Random(seed)
    closes: list[tuple[dt.datetime, int]] = []
    for _ in range(25):
        step = rng.choice(["order", "order", "cancel", "ship", "receive", "send", "move", "vmi"])
        try:
            if step == "order":
                shop.order(rng.choice(["bob", "alice"]), "W", rng.randint(1, 6))
            elif step in ("cancel", "ship") and shop.store.orders:
                order_id = rng.choice(sorted(shop.store.orders))
                shop.bus.handle((c.CancelOrder if step == "cancel" else c.ShipOrder)(order_id))
            elif step == "receive" and (sent := purchase_orders(shop.uow(), status="sent")):
                shop.bus.handle(c.ReceivePurchaseOrder(sent[0].po_id, 1))
            elif step == "send":
                shop.bus.handle(c.SendPurchaseOrders())
            elif step == "move" and (sent := purchase_orders(shop.uow(), status="sent")):
                shop.bus.handle(
                    c.ReschedulePurchaseOrder(sent[-1].po_id, "ACME", qty=rng.randint(1, 8))
                )
            elif step == "vmi":
                if rng.random() < 0.5:
                    shop.bus.handle(c.SetVmi("W", None, None))
                else:
                    shop.bus.handle(c.SetVmi("W", 0, 30))
                    shop.bus.handle(c.PlaceVmiOrder("W", "ACME", rng.randint(1, 5)))
        except (InvalidParameter, InvalidState):
            pass  # refused: nothing changed
        shop.clock.advance(days=1)
        closes.append((shop.clock.current, stock(shop.uow(), "W").inventory_position))
    with shop.uow() as uow:
        item = uow.items.get("W")
        assert item is not None
        history = _History(uow.events.history(sku="W"), stock(shop.uow(), "W"), item)
    assert [history.position_at(at) for at, _ in closes] == [ip for _, ip in closes]
