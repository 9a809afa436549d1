"""Time-phased netting: make-to-order nets exactly the shortfall; base-stock, (s,S),
(r,Q), (R,S) and min/max over a horizon with a known constant forecast give the
textbook number of orders; JIT items are netted lot-for-lot and timed just in time.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import numpy as np
import pytest

from subzero.domain.errors import InvalidParameter
from subzero.planning.policies.kinds import RQ, RS, SS, BaseStock, MakeToOrder, MinMax, Policy
from subzero.planning.replenish import (
    ItemPlanInput,
    ItemState,
    OpenOrder,
    net_requirements,
    plan_item,
)
from subzero.planning.sourcing import PriceBreak, SupplierTerms

TODAY = dt.date(2026, 11, 23)  # a Monday; toordinal() % 7 == 1, so Sundays are (R=7) reviews
DAY = dt.timedelta(days=1)


def test_make_to_order_nets_exactly_the_shortfall() -> None:
    # IP = on hand 5 - allocated 3 - backordered 20 + firm PO 4 = -14; the draft and the
    # (large) forecast do not count.
    state = ItemState(
        "SKU-1",
        on_hand=5,
        allocated=3,
        backordered=20,
        open_orders=(
            OpenOrder("acme", 4, TODAY + 2 * DAY),
            OpenOrder("acme", 10, TODAY + 7 * DAY, draft=True),
        ),
    )
    net = net_requirements(state, MakeToOrder(), np.full(30, 9.0), today=TODAY, lead_time_days=7)
    assert [(r.qty, r.need_date, r.backorder) for r in net.requirements] == [
        (14, TODAY + 7 * DAY, True)
    ]
    item = ItemPlanInput(
        state, MakeToOrder(), np.full(30, 9.0), (SupplierTerms("acme", 7, D("1")),)
    )
    assert [p.qty for p in plan_item(item, today=TODAY).proposals] == [14]


def test_make_to_order_with_no_shortfall_orders_nothing() -> None:
    state = ItemState("SKU-1", on_hand=3, backordered=3)
    net = net_requirements(state, MakeToOrder(), np.full(30, 9.0), today=TODAY, lead_time_days=7)
    assert net.requirements == ()


def _orders(policy: Policy, ip0: int, per_day: float, days: int) -> list[tuple[int, int]]:
    state = ItemState("SKU-1", on_hand=ip0)
    net = net_requirements(state, policy, np.full(days, per_day), today=TODAY, lead_time_days=4)
    # (release day, qty): a policy requirement is needed lead time after its review day
    return [((r.need_date - TODAY).days - 4, r.qty) for r in net.requirements]


def test_base_stock_orders_every_day_what_was_used() -> None:
    # S=40, IP0=30, 2/day over 28 days: 10 at once, then the 2 of each previous day.
    orders = _orders(BaseStock(40), 30, 2.0, 28)
    assert orders == [(0, 10)] + [(t, 2) for t in range(1, 28)]


def test_s_S_orders_once_per_cycle() -> None:
    # (s,S)=(10,50), IP0=50, 5/day: IP hits s=10 after 8 days; 60 days -> t=8,16,...,56
    # (D/(S-s) = 300/40 = 7.5 cycles, 7 of which start inside the horizon), 40 each.
    assert _orders(SS(10, 50), 50, 5.0, 60) == [(t, 40) for t in range(8, 57, 8)]


def test_min_max_is_s_S_with_strict_trigger() -> None:
    # min 10 / max 50: orders when IP < 10, one day later than (s,S): IP 5 at t=9, 18, ...
    assert _orders(MinMax(10, 50), 50, 5.0, 60) == [(t, 45) for t in range(9, 60, 9)]


def test_r_Q_orders_demand_over_Q_times() -> None:
    # (r,Q)=(10,50), IP0=60=r+Q, 5/day over 100 days: an order of Q each 10 days,
    # t=10..90: 9 orders (500 demanded, 450 ordered, IP ends at r).
    assert _orders(RQ(10, 50), 60, 5.0, 100) == [(t, 50) for t in range(10, 100, 10)]


def test_R_S_orders_only_on_review_days() -> None:
    # R=7 reviews when toordinal() % 7 == 0: Sundays, t = 6, 13, 20, 27.
    # IP_6 = 60 - 12 = 48 -> 12; later reviews see 60 - 14 = 46 -> 14.
    assert _orders(RS(7, 60), 60, 2.0, 28) == [(6, 12), (13, 14), (20, 14), (27, 14)]


def test_fractional_forecast_is_rounded_cumulatively() -> None:
    # 0.5/day: the rounded cumulative demand before day t is 0,1,1,2,2,3,... (half up),
    # so base-stock orders 1 every other day: 14 units over 28 days, never 0.5 units.
    orders = _orders(BaseStock(10), 10, 0.5, 28)
    assert sum(q for _, q in orders) == 14 and all(q == 1 for _, q in orders)


def test_backorders_are_split_from_the_stock_part_on_day_0() -> None:
    state = ItemState("SKU-1", on_hand=0, backordered=5, promised_date=TODAY + 3 * DAY)
    net = net_requirements(state, BaseStock(20), np.zeros(5), today=TODAY, lead_time_days=7)
    assert [(r.qty, r.backorder, r.need_date) for r in net.requirements] == [
        (5, True, TODAY + 3 * DAY),  # needed by the promise, before the lead time
        (20, False, TODAY + 7 * DAY),
    ]


def test_projections_follow_the_plan() -> None:
    state = ItemState("SKU-1", on_hand=10, open_orders=(OpenOrder("acme", 6, TODAY + 2 * DAY),))
    net = net_requirements(state, BaseStock(16), np.full(4, 2.0), today=TODAY, lead_time_days=1)
    # IP at each review, before its order: 10 + 6 = 16, then 14 (2 used, 2 re-ordered)
    assert net.inventory_position.tolist() == [16, 14, 14, 14]
    # end of day: 10-2 = 8; 8-2 = 6; +6 PO +2 (day-1 order, lead 1) -2 = 12; +2-2 = 12
    assert net.projected_available.tolist() == [8, 6, 12, 12]


def test_bad_forecast_is_rejected() -> None:
    state = ItemState("SKU-1", on_hand=0)
    with pytest.raises(InvalidParameter, match="forecast must be finite daily means"):
        net_requirements(state, BaseStock(5), np.array([1.0, -1.0]), today=TODAY, lead_time_days=1)
    with pytest.raises(InvalidParameter, match=r"one mean per day of the horizon, got shape"):
        net_requirements(state, MakeToOrder(), np.array([]), today=TODAY, lead_time_days=1)
    with pytest.raises(InvalidParameter, match="lead time -1 days"):
        net_requirements(state, MakeToOrder(), np.ones(3), today=TODAY, lead_time_days=-1)


def test_jit_receipts_arrive_just_before_each_need_in_smallest_lots() -> None:
    # 10 on hand, 2/day, lead 5: projected available goes below 0 on day 5 (Sat 28 Nov).
    # Week of 23 Nov: needs on days 5, 6 = 4 units, due the first need day, ordered 5 days
    # before; every later week 14 units due on its Monday. A price break at 40 that would
    # pay is ignored: JIT takes the smallest allowed lot.
    terms = SupplierTerms("acme", 5, D("10"), price_breaks=(PriceBreak(40, D("5")),))
    item = ItemPlanInput(
        ItemState("SKU-1", on_hand=10), BaseStock(999), np.full(28, 2.0), (terms,), jit=True
    )
    plan = plan_item(item, today=TODAY)
    got = [(p.qty, p.order_date, p.due_date) for p in plan.proposals]
    assert got == [
        (4, TODAY, TODAY + 5 * DAY),
        (14, TODAY + 2 * DAY, TODAY + 7 * DAY),
        (14, TODAY + 9 * DAY, TODAY + 14 * DAY),
        (14, TODAY + 16 * DAY, TODAY + 21 * DAY),
    ]
    assert all(p.due_date - p.order_date == 5 * DAY for p in plan.proposals)


def test_jit_safety_buffer_from_the_lead_time_demand_quantile() -> None:
    # LTD over 5 days: mean 10, 90% quantile 14.2 -> buffer ceil(4.2) = 5 units:
    # needs start one JIT day earlier... on hand 10 - 2(d+1) < 5 first at d=2.
    item = ItemPlanInput(
        ItemState("SKU-1", on_hand=10),
        BaseStock(999),
        np.full(14, 2.0),
        (SupplierTerms("acme", 5, D("10")),),
        jit=True,
        lead_time_demand_quantile=14.2,
    )
    plan = plan_item(item, today=TODAY)
    assert plan.requirements[0].need_date == TODAY + 2 * DAY
    assert plan.requirements[0].qty == 1  # 10 - 6 = 4 -> back to 5
    assert plan.projected_available.min() >= 5
