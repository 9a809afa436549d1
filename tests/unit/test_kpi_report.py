"""The live KPI report (``subzero kpis``): the simulator's definitions over the ledger's
order lines, per window and per item, customer or supplier, plus what only the ledger
knows (on time in full, stock turns)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from tests.unit.conftest import Shop

from subzero.domain import commands as c
from subzero.domain.errors import InvalidParameter, InvalidState, NotFound
from subzero.planning.kpis import satisfaction_score
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
