"""The live KPI report (``subzero kpis``): the simulator's definitions over the ledger's
order lines, per window and per item, customer or supplier, plus what only the ledger
knows (on time in full, stock turns)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from statistics import NormalDist
from typing import Any

import pytest
from tests.unit.conftest import Shop

from subzero.domain import commands as c
from subzero.domain.errors import InsufficientStock, InvalidParameter, InvalidState, NotFound
from subzero.planning.kpis import satisfaction_score
from subzero.service.costs import CostRates
from subzero.service.kpis import GroupKpis, KpiReport, kpi_report
from subzero.service.views import purchase_orders


@pytest.fixture
def history(shop: Shop) -> Shop:
    """Monday 2 March 09:00: bob orders 5 W (3 on hand: 2 backordered, promised in 5
    days) and alice 4 V (10 on hand; ready, promised that day). Tuesday alice's V ships
    (a day after its promise). Thursday the 2 W arrive and bob's 5 ship (3 days' wait,
    before the promise). Friday 09:00 alice orders 1 W, which waits; the report is
    read Friday 21:00."""
    shop.bus.handle(c.AddSupplier("NORD", 2))
    shop.bus.handle(c.AddItem("V", "NORD", 10))
    bob = shop.order("bob", "W", 5)
    alice = shop.order("alice", "V", 4)
    shop.clock.advance(days=1)
    shop.bus.handle(c.ShipOrder(alice))
    shop.clock.advance(days=2)
    (po,) = purchase_orders(shop.uow(), sku="W")
    shop.bus.handle(c.ReceivePurchaseOrder(po.po_id, None))
    shop.bus.handle(c.ShipOrder(bob))
    shop.clock.advance(days=1)
    shop.order("alice", "W", 1)
    shop.clock.advance(hours=12)
    return shop


def _report(shop: Shop, **kw: Any) -> KpiReport:
    args = {"since": dt.date(2026, 3, 2), "until": dt.date(2026, 3, 6), "now": shop.clock.now()}
    return kpi_report(shop.uow(), **{**args, **kw})


def _groups(report: KpiReport) -> dict[str, GroupKpis]:
    return {g.key: g for g in report.groups}


def test_per_customer_kpis_follow_the_definitions(history: Shop) -> None:
    report = _report(history, by="customer")
    bob, alice = _groups(report)["bob"].service, _groups(report)["alice"].service
    # bob: 3 of 5 units from stock, one line backordered 3 days, ready before its promise
    assert (bob.lines, bob.units_ordered, bob.fill_rate) == (1, 5, 0.6)
    assert bob.backorder_rate == 1.0 and bob.mean_wait_days == pytest.approx(3.0)
    assert bob.promise_reliability == 1.0
    assert bob.satisfaction == pytest.approx(
        satisfaction_score(
            fill_rate=0.6, promise_reliability=1.0, mean_wait_all_lines_days=3.0, p95_wait_days=3.0
        )
    )
    # alice: 4 of 5 units from stock; the waiting line counts with its age (12 hours)
    # and is left out of promise reliability (its promised day has not come)
    assert (alice.lines, alice.fill_rate, alice.backorder_rate) == (2, 0.8, 0.5)
    assert alice.mean_wait_days == pytest.approx(0.5)
    assert alice.promise_reliability == 1.0
    assert [g.key for g in report.groups] == ["bob", "alice"]  # worst first
    overall = report.overall.service
    assert (overall.lines, overall.units_ordered, overall.fill_rate) == (3, 10, 0.7)


def test_otif_judges_shipments_against_the_first_promise(history: Shop) -> None:
    groups = _groups(_report(history, by="customer"))
    # bob's line shipped in full on Thursday, promised for Saturday: on time in full
    assert (groups["bob"].ledger.otif, groups["bob"].ledger.otif_lines) == (1.0, 1)
    # alice's V was ready Monday but shipped Tuesday: late; her waiting W is not judged
    assert (groups["alice"].ledger.otif, groups["alice"].ledger.otif_lines) == (0.0, 1)
    # the customer's rows carry no stock figures: the stock is not theirs
    assert groups["alice"].ledger.inventory_turns is None
    assert groups["alice"].ledger.mean_on_hand is None
    later = _report(history, now=history.clock.now() + dt.timedelta(days=10))
    assert (later.overall.ledger.otif_lines, later.overall.ledger.otif) == (3, pytest.approx(1 / 3))


def test_inventory_turns_from_end_of_day_stock(history: Shop) -> None:
    items = _groups(_report(history, by="item"))
    # V: 10 on hand Monday, 6 from Tuesday to Friday; 4 shipped in 5 days
    v = items["V"].ledger
    assert v.units_shipped == 4 and v.mean_on_hand == pytest.approx(34 / 5)
    assert v.inventory_turns == pytest.approx(4 / 5 * 365 / (34 / 5))
    # W: 3 on hand Monday to Wednesday; Thursday 2 arrive and all 5 ship
    w = items["W"].ledger
    assert w.units_shipped == 5 and w.mean_on_hand == pytest.approx(9 / 5)
    suppliers = _groups(_report(history, by="supplier"))
    assert suppliers["NORD"].ledger.inventory_turns == pytest.approx(v.inventory_turns)
    overall = _report(history).overall.ledger
    assert overall.units_shipped == 9 and overall.mean_on_hand == pytest.approx(43 / 5)
    # days after today are not averaged: the window ends at today's stock
    assert _report(history, until=dt.date(2026, 3, 20)).overall.ledger.mean_on_hand == (
        pytest.approx(43 / 5)
    )
    # nor days before the ledger's first move: the shop opened on Monday (found by
    # exploratory testing: --since 1900-01-01 gave a mean of 0.5 and turns of 55)
    early = _report(history, since=dt.date(1900, 1, 1))
    assert early.overall.ledger.mean_on_hand == pytest.approx(43 / 5)
    assert early.overall.ledger.inventory_turns == pytest.approx(overall.inventory_turns)


def test_per_item_and_supplier_and_filters(history: Shop) -> None:
    by_supplier = _groups(_report(history, by="supplier"))
    assert by_supplier["ACME"].service.lines == 2 and by_supplier["ACME"].service.fill_rate == 0.5
    assert by_supplier["NORD"].service.lines == 1 and by_supplier["NORD"].service.fill_rate == 1.0
    by_item = _groups(_report(history, by="item"))
    assert by_item.keys() == {"W", "V"} and by_item["W"].service.units_ordered == 6
    only = _report(history, customer="alice", by="item")
    assert only.overall.service.lines == 2
    assert _groups(only)["W"].service.units_ordered == 1
    assert _groups(only)["W"].ledger.inventory_turns is None  # one customer's view
    assert _report(history, sku="V").overall.service.units_ordered == 4
    assert _report(history, sku="V").overall.ledger.units_shipped == 4
    assert _report(history, supplier="NORD", customer="bob").overall.service.lines == 0


def test_window_counts_lines_by_the_day_they_were_placed(history: Shop) -> None:
    friday = _report(history, since=dt.date(2026, 3, 6))
    assert (friday.overall.service.lines, friday.overall.service.units_ordered) == (1, 1)
    monday = _report(history, until=dt.date(2026, 3, 2))
    assert (monday.overall.service.lines, monday.overall.service.units_ordered) == (2, 9)
    # shipped after the window, still judged for OTIF (bob Thursday, alice Tuesday)
    assert monday.overall.ledger.otif_lines == 2
    empty = _report(history, since=dt.date(2026, 3, 3), until=dt.date(2026, 3, 4))
    assert empty.overall.service.lines == 0 and empty.as_dict()["groups"] == []
    assert empty.overall.ledger.otif is None


def test_bad_requests_name_the_value(history: Shop) -> None:
    with pytest.raises(NotFound, match="'NOPE'"):
        _report(history, sku="NOPE")
    with pytest.raises(NotFound, match="'carol'"):
        _report(history, customer="carol")
    with pytest.raises(NotFound, match="'ZED'"):
        _report(history, supplier="ZED")
    with pytest.raises(InvalidParameter, match="'region'"):
        _report(history, by="region")
    with pytest.raises(InvalidParameter, match="before"):
        _report(history, since=dt.date(2026, 3, 6), until=dt.date(2026, 3, 5))


def test_weeks_in_order_with_their_own_stock_days(history: Shop) -> None:
    history.clock.advance(days=2, hours=12)  # Monday 9 March, 09:00
    history.order("bob", "V", 1)
    report = _report(history, until=dt.date(2026, 3, 9), by="week")
    assert [g.key for g in report.groups] == ["2026-03-02", "2026-03-09"]  # by date
    first, second = report.groups
    assert (first.service.lines, second.service.lines) == (3, 1)
    # the first week's stock, Monday to Sunday: W 3,3,3,0,0,0,0 and V 10,6,6,6,6,6,6
    assert first.ledger.mean_on_hand == pytest.approx(55 / 7)
    assert first.ledger.inventory_turns == pytest.approx(9 / 7 * 365 / (55 / 7))
    assert second.ledger.units_shipped == 0 and second.ledger.mean_on_hand == pytest.approx(6)


def test_weekly_plot_is_drawn_and_an_empty_window_refused(history: Shop, tmp_path: Path) -> None:
    from subzero.cli.kpi_plot import plot_weekly_kpis

    out = tmp_path / "kpis.png"
    plot_weekly_kpis(_report(history, by="week").as_dict(), out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    empty = _report(history, since=dt.date(2026, 3, 3), until=dt.date(2026, 3, 4), by="week")
    with pytest.raises(InvalidState, match="nothing to draw"):
        plot_weekly_kpis(empty.as_dict(), tmp_path / "empty.png")
    assert not (tmp_path / "empty.png").exists()


def test_costs_price_the_simulators_drivers(history: Shop) -> None:
    """The simulator's cost terms over the ledger (docs/simulator.md): h·Σ end-of-day
    stock on hand + p·Σ end-of-day backordered units + K per order."""
    rates = CostRates(holding=0.5, backorder=2.0, fixed=10.0)
    report = _report(history, rates=rates, by="customer")
    costs = report.overall.costs
    # end-of-day stock Monday to Friday: 13, 9, 9, 6, 6 (W 3,3,3,0,0 and V 10,6,6,6,6)
    assert (costs.days, costs.held_unit_days) == (5, 43)
    assert report.overall.ledger.mean_on_hand == pytest.approx(43 / 5)  # all customers: the shop
    # bob's 2 backordered units waited Monday, Tuesday and Wednesday night; alice's W
    # was placed today and has not yet waited a night
    assert costs.backordered_unit_days == 2 * 3
    # W's PO was received (so sent) on Thursday; nothing refused, nothing expedited
    assert (costs.purchase_orders, costs.lost_units, costs.expedited_units) == (1, 0, 0)
    assert (costs.holding, costs.backorder, costs.ordering) == (21.5, 12.0, 10.0)
    assert costs.total == pytest.approx(43.5) and costs.total_per_day == pytest.approx(43.5 / 5)
    # a customer's row has the waits of its lines, not the shop's stock or POs
    bob, alice = _groups(report)["bob"].costs, _groups(report)["alice"].costs
    assert (bob.backordered_unit_days, bob.held_unit_days, bob.purchase_orders) == (6, None, None)
    assert bob.total == 12.0 and alice.backordered_unit_days == 0
    # two nights later alice's unit has waited two nights too
    later = _report(history, rates=rates, now=history.clock.now() + dt.timedelta(days=2))
    assert later.overall.costs.backordered_unit_days == 6 + 2
    # without rates the drivers are there and no money but what prices say
    plain = _report(history).overall.costs
    assert plain.held_unit_days == 43 and plain.holding is None and plain.total is None
    assert plain.as_dict()["expedite_premium"] == 0.0


def test_costs_split_by_item_and_week(history: Shop) -> None:
    rates = CostRates(holding=1.0)
    items = _groups(_report(history, rates=rates, by="item"))
    assert (items["W"].costs.held_unit_days, items["V"].costs.held_unit_days) == (9, 34)
    assert (items["W"].costs.purchase_orders, items["V"].costs.purchase_orders) == (1, 0)
    assert items["W"].costs.total == 9.0  # p and K not given: only holding is priced
    history.clock.advance(days=2, hours=12)  # Monday 9 March, 09:00
    history.order("bob", "V", 1)
    weeks = _report(history, rates=rates, until=dt.date(2026, 3, 9), by="week").groups
    # the first week's stock Monday to Sunday (55 unit-days, as in the turns test); the
    # second week has one day so far
    assert [(w.costs.days, w.costs.held_unit_days) for w in weeks] == [(7, 55), (1, 6)]
    assert [w.costs.purchase_orders for w in weeks] == [1, 0]


def test_refused_units_are_lost_sales(shop: Shop) -> None:
    shop.bus.handle(c.AddItem("X", "ACME", 2, allow_negative=False))
    with pytest.raises(InsufficientStock):
        shop.order("alice", "X", 3)
    shop.order("bob", "X", 2)
    shop.clock.advance(hours=1)
    today = shop.clock.now().date()
    costs = _report(
        shop, since=today, until=today, rates=CostRates(backorder=4.0), sku="X"
    ).overall.costs
    # alice asked for 3 and ordered none: 3 units lost, priced at p each
    assert costs.lost_units == 3 and costs.lost_sales == 12.0 and costs.total == 12.0
    assert _report(shop, since=today, until=today, sku="W").overall.costs.lost_units == 0


def test_expedite_premium_is_the_price_above_the_own_suppliers() -> None:
    from decimal import Decimal

    from subzero.domain.items import Item, Supplier
    from subzero.domain.purchasing import PurchaseOrder, SupplierItem
    from subzero.service.costs import expedite_premium

    acme, fast = Supplier("ACME", 5), Supplier("FAST", 1)
    acme.id, fast.id = 1, 2
    item = Item("W", acme)
    item.id = 7
    own = SupplierItem(item, acme)
    own.unit_price = Decimal("2.00")
    own.set_breaks([(10, Decimal("1.50"))])
    now = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)

    def po(qty: int, price: str | None, *, expedite: bool = True) -> PurchaseOrder:
        return PurchaseOrder(
            item,
            fast,
            qty,
            now=now,
            reason="test",
            unit_price=None if price is None else Decimal(price),
            expedite=expedite,
        )

    terms = {(7, 1): own}
    # 4 units at 2.60 against 2.00; 10 units at 1.80 against the break's 1.50
    assert expedite_premium([po(4, "2.60"), po(10, "1.80")], terms) == (14, pytest.approx(5.4))
    # not expedited: no premium; no price: units but no premium; never below zero
    assert expedite_premium([po(4, "9", expedite=False), po(3, None)], terms) == (3, 0.0)
    assert expedite_premium([po(4, "1.00")], terms) == (4, 0.0)
    with pytest.raises(InvalidParameter, match="--holding"):
        CostRates(holding=-1.0)


def test_lines_cancelled_while_waiting_are_counted_apart(shop: Shop) -> None:
    bob = shop.order("bob", "W", 5)  # 3 from stock, 2 wait
    shop.order("alice", "W", 2)  # all 2 wait
    shop.clock.advance(days=2)
    shop.bus.handle(c.CancelOrder(bob))  # bob gives up
    today = shop.clock.now().date()
    report = _report(shop, since=today - dt.timedelta(days=2), until=today, by="customer")
    # the service KPIs leave bob's line out (line_kpis); the ledger says he gave up
    assert report.overall.service.lines == 1
    assert report.overall.ledger.cancelled_waiting == 1
    groups = _groups(report)
    assert groups["bob"].ledger.cancelled_waiting == 1
    assert groups["alice"].ledger.cancelled_waiting == 0
    assert report.as_dict()["overall"]["cancelled_waiting"] == 1
    # bob's 2 units waited two nights before he gave up, and are charged for them; his
    # cancel freed the units alice's 2 waited for two nights
    assert groups["bob"].costs.backordered_unit_days == 2 * 2
    assert groups["alice"].costs.backordered_unit_days == 2 * 2
    assert report.overall.costs.backordered_unit_days == 8


def test_backorder_promises_set_what_was_told_against_what_happened(shop: Shop) -> None:
    """bob waits for 1 S from SLOW (10 ± 3 days): promised in ceil(10 + 1.2816 · 3) = 14
    days, told P(𝓛 ≤ 14) = Φ(4/3) = 0.9088. W from ACME (exactly 5 days) keeps alice's
    promise, told 1.0. S runs late and is re-promised for day 17 with a new probability;
    the KPI judges the first promise and what was told with it: on day 18, 2 judged,
    1 kept, told (0.9088 + 1.0) / 2. A line ready when placed is not among them."""
    shop.bus.handle(c.AddSupplier("SLOW", 10, 3.0))
    shop.bus.handle(c.AddItem("S", "SLOW", 0))
    start = shop.clock.now().date()
    shop.order("bob", "S", 1)
    shop.order("alice", "W", 5)  # 3 from stock, 2 wait 5 days
    shop.bus.handle(c.SendPurchaseOrders())
    shop.clock.advance(days=5)
    (w_po,) = [p for p in purchase_orders(shop.uow(), sku="W") if p.status == "sent"]
    shop.bus.handle(c.ReceivePurchaseOrder(w_po.po_id, None))
    shop.clock.advance(days=9)
    moved = shop.bus.handle(c.Replenish()).repromised
    assert [(m.old_date, m.new_date) for m in moved] == [
        (start + dt.timedelta(days=14), start + dt.timedelta(days=17))
    ]
    assert moved[0].probability != pytest.approx(0.9088, abs=1e-4)
    shop.clock.advance(days=4)
    report = _report(shop, since=start, until=start)
    ledger = report.overall.ledger
    assert ledger.backorder_promises == 2
    assert ledger.backorder_promises_kept == 0.5
    told = (NormalDist().cdf(4 / 3) + 1.0) / 2
    assert ledger.backorder_promises_told == pytest.approx(told, abs=1e-4)
    assert report.as_dict()["overall"]["backorder_promises_told"] == round(told, 4)
