"""The live KPI report (``subzero kpis``): the simulator's definitions over the ledger's
order lines, per window and per item, customer or supplier."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.unit.conftest import Shop

from subzero.domain import commands as c
from subzero.domain.errors import InvalidParameter, NotFound
from subzero.planning.kpis import satisfaction_score
from subzero.service.kpis import kpi_report
from subzero.service.views import purchase_orders


@pytest.fixture
def history(shop: Shop) -> Shop:
    """Monday 2 March: bob orders 5 W (3 on hand: 2 backordered, promised in 5 days) and
    alice 4 V (from stock). Thursday the 2 W arrive for bob (3 days' wait, promise
    kept); at 09:00 alice orders 1 W, which waits."""
    shop.bus.handle(c.AddSupplier("NORD", 2))
    shop.bus.handle(c.AddItem("V", "NORD", 10))
    shop.order("bob", "W", 5)
    shop.order("alice", "V", 4)
    shop.clock.advance(days=3)
    (po,) = purchase_orders(shop.uow(), sku="W")
    shop.bus.handle(c.ReceivePurchaseOrder(po.po_id, None))
    shop.clock.advance(days=1)
    shop.order("alice", "W", 1)
    shop.clock.advance(hours=12)
    return shop


def _report(shop: Shop, **kw: object):  # type: ignore[no-untyped-def]
    args = {"since": dt.date(2026, 3, 2), "until": dt.date(2026, 3, 6), "now": shop.clock.now()}
    return kpi_report(shop.uow(), **{**args, **kw})  # type: ignore[arg-type]


def test_per_customer_kpis_follow_the_definitions(history: Shop) -> None:
    report = _report(history, by="customer")
    groups = dict(report.groups)
    bob, alice = groups["bob"], groups["alice"]
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
    assert [key for key, _ in report.groups] == ["bob", "alice"]  # worst first
    overall = report.overall
    assert (overall.lines, overall.units_ordered, overall.fill_rate) == (3, 10, 0.7)


def test_per_item_and_supplier_and_filters(history: Shop) -> None:
    by_supplier = dict(_report(history, by="supplier").groups)
    assert by_supplier["ACME"].lines == 2 and by_supplier["ACME"].fill_rate == 0.5
    assert by_supplier["NORD"].lines == 1 and by_supplier["NORD"].fill_rate == 1.0
    by_item = dict(_report(history, by="item").groups)
    assert by_item.keys() == {"W", "V"} and by_item["W"].units_ordered == 6
    only = _report(history, customer="alice", by="item")
    assert only.overall.lines == 2 and dict(only.groups)["W"].units_ordered == 1
    assert _report(history, sku="V").overall.units_ordered == 4
    assert _report(history, supplier="NORD", customer="bob").overall.lines == 0


def test_window_counts_lines_by_the_day_they_were_placed(history: Shop) -> None:
    thursday = _report(history, since=dt.date(2026, 3, 5))
    assert (thursday.overall.lines, thursday.overall.units_ordered) == (1, 1)
    monday = _report(history, until=dt.date(2026, 3, 2))
    assert (monday.overall.lines, monday.overall.units_ordered) == (2, 9)
    empty = _report(history, since=dt.date(2026, 3, 3), until=dt.date(2026, 3, 4))
    assert empty.overall.lines == 0 and empty.as_dict()["groups"] == []


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
