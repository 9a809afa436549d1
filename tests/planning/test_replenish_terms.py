"""Supplier terms on the single-supplier fast path: MOQ, lots, price breaks, capacity,
lead-time timing, and invalid terms rejected with the bad value in the message.

Numbers are computed by hand in the comments (rules: docs/replenishment.md).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import numpy as np
import pytest

from subzero.domain.errors import InvalidParameter
from subzero.planning.leadtime import LeadTimeDistribution
from subzero.planning.policies.kinds import MakeToOrder
from subzero.planning.replenish import ItemPlan, ItemPlanInput, ItemState, OpenOrder, plan_item
from subzero.planning.sourcing import (
    CapacityPeriod,
    ExpediteOption,
    PriceBreak,
    SourcingSettings,
    SupplierTerms,
)

TODAY = dt.date(2026, 11, 23)  # a Monday
DAY = dt.timedelta(days=1)


def mto(
    backordered: int, *suppliers: SupplierTerms, per_day: float = 0.0, **kw: object
) -> ItemPlan:
    settings = kw.pop("settings", None)
    state = ItemState("SKU-1", on_hand=0, backordered=backordered, **kw)  # type: ignore[arg-type]
    item = ItemPlanInput(state, MakeToOrder(), np.full(28, per_day), tuple(suppliers))
    return plan_item(item, today=TODAY, settings=settings)  # type: ignore[arg-type]


def test_moq_raises_a_small_need_to_the_minimum() -> None:
    plan = mto(7, SupplierTerms("acme", 7, D("10"), moq=25))
    assert [p.qty for p in plan.proposals] == [25]


def test_lot_multiples_round_up() -> None:
    plan = mto(31, SupplierTerms("acme", 7, D("10"), lot_size=12))
    assert [p.qty for p in plan.proposals] == [36]


def test_moq_that_is_no_lot_multiple_rounds_to_the_next_lot() -> None:
    # at least 25, a multiple of 10 -> 30
    plan = mto(7, SupplierTerms("acme", 7, D("10"), moq=25, lot_size=10))
    assert [p.qty for p in plan.proposals] == [30]


# Price break at 100 units: 9.00 instead of 10.00. Need 80 -> ordering 100 saves
# 100 x 1.00 = 100.00; holding 20 extra units at h = 0.365/365 = 0.001/day of 9.00 for
# sum_{k=1..20} k/mu days = 210/mu unit-days costs 1.89/mu: breakeven at mu = 0.0189/day.
BREAK = SupplierTerms("acme", 7, D("10.00"), price_breaks=(PriceBreak(100, D("9.00")),))
HOLD = SourcingSettings(holding_rate_per_year=D("0.365"))


def test_price_break_taken_when_the_saving_beats_the_holding() -> None:
    plan = mto(80, BREAK, per_day=0.02, settings=HOLD)  # holding 94.50 < saving 100
    (prop,) = plan.proposals
    assert (prop.qty, prop.unit_price) == (100, D("9.00"))
    assert "price break" in prop.reason and "saves 100.00" in prop.reason


def test_price_break_refused_when_the_holding_costs_more() -> None:
    plan = mto(80, BREAK, per_day=0.018, settings=HOLD)  # holding 105.00 > saving 100
    (prop,) = plan.proposals
    assert (prop.qty, prop.unit_price) == (80, D("10.00"))
    assert "price break" not in prop.reason


def test_capacity_spills_to_the_next_weeks() -> None:
    # 120 needed on Mon 30 Nov (lead 7); 50 a week: 50 + 50 + 20 in three weeks.
    plan = mto(120, SupplierTerms("acme", 7, D("10"), capacity=50))
    got = [(p.qty, p.order_date, p.due_date) for p in plan.proposals]
    assert got == [
        (50, TODAY, TODAY + 7 * DAY),
        (50, TODAY + 7 * DAY, TODAY + 14 * DAY),
        (20, TODAY + 14 * DAY, TODAY + 21 * DAY),
    ]
    assert "late" in plan.proposals[1].reason and "late" not in plan.proposals[0].reason
    assert plan.unsourced == 0


def test_daily_capacity_with_daily_keys_spills_day_by_day() -> None:
    terms = SupplierTerms("acme", 7, D("10"), capacity=30, capacity_period=CapacityPeriod.DAY)
    plan = mto(100, terms, settings=SourcingSettings(period_days=1))
    assert [(p.qty, (p.due_date - TODAY).days) for p in plan.proposals] == [
        (30, 7),
        (30, 8),
        (30, 9),
        (10, 10),
    ]


def test_firm_open_orders_use_capacity_first() -> None:
    # backordered 100, a firm PO of 40 due 30 Nov: 60 to order, 10 free that week.
    firm = OpenOrder("acme", 40, TODAY + 7 * DAY)
    plan = mto(100, SupplierTerms("acme", 7, D("10"), capacity=50), open_orders=(firm,))
    assert [(p.qty, p.due_date) for p in plan.proposals] == [
        (10, TODAY + 7 * DAY),
        (50, TODAY + 14 * DAY),
    ]


def test_order_date_is_need_minus_the_lead_time_quantile() -> None:
    # P(L=5)=0.5, P(L=9)=0.5: the 0.9 quantile is 9 days; a backorder is needed at
    # today + 9, so it is ordered today and due in 9 days; at service level 0.4 in 5.
    lead = LeadTimeDistribution.from_table({5: 0.5, 9: 0.5})
    (prop,) = mto(5, SupplierTerms("acme", lead, D("10"))).proposals
    assert (prop.order_date, prop.due_date) == (TODAY, TODAY + 9 * DAY)
    quick = mto(
        5, SupplierTerms("acme", lead, D("10")), settings=SourcingSettings(service_level=0.4)
    )
    assert quick.proposals[0].due_date == TODAY + 5 * DAY


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"unit_price": D("-1")}, "unit price -1; must be a number ≥ 0"),
        ({"unit_price": 9.5}, "unit price 9.5"),
        ({"unit_price": D("1e20")}, "unit price 1E+20; must be at most 9999999999.9999"),
        (
            {"unit_price": D("0.00001")},
            "unit price 0.00001; must be at most 9999999999.9999 with at most 4 decimals",
        ),
        ({"moq": 0}, "MOQ 0"),
        ({"lot_size": 0}, "lot size 0"),
        ({"lead_time": -2}, "lead time -2"),
        ({"reliability": 1.5}, "reliability 1.5"),
        ({"capacity": 0}, "capacity 0"),
        ({"capacity": 30, "moq": 40, "lot_size": 25}, "capacity 30/week cannot fit one order"),
        (
            {"price_breaks": (PriceBreak(100, D("9")), PriceBreak(50, D("8")))},
            "price break at 50 must come after 100",
        ),
        ({"price_breaks": (PriceBreak(100, D("11")),)}, "price break at 100 (11) is dearer"),
        (
            {"expedite": ExpediteOption(7, D("2"))},
            "expedite lead time 7 days is not shorter than the normal 7 days",
        ),
        ({"expedite": ExpediteOption(3, D("-2"))}, "expedite extra cost -2"),
        ({"supplier": " "}, "supplier name ' '"),
    ],
)
def test_invalid_terms_are_rejected_with_the_bad_value(
    kwargs: dict[str, object], message: str
) -> None:
    base: dict[str, object] = {"supplier": "acme", "lead_time": 7, "unit_price": D("10")}
    with pytest.raises(InvalidParameter) as err:
        SupplierTerms(**{**base, **kwargs})  # type: ignore[arg-type]
    assert message in str(err.value)


def test_item_supplier_lists_are_checked() -> None:
    a = SupplierTerms("a", 7, D("10"), preferred=True)
    b = SupplierTerms("b", 7, D("10"), preferred=True)
    with pytest.raises(InvalidParameter, match="no supplier terms"):
        mto(5)
    with pytest.raises(InvalidParameter, match="supplier listed twice"):
        mto(5, a, SupplierTerms("a", 3, D("10")))
    with pytest.raises(InvalidParameter, match=r"2 suppliers pinned \(\['a', 'b'\]\)"):
        mto(5, a, b)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"service_level": 1.0}, "service level 1.0"),
        ({"period_days": 10}, "period of 10 days"),
        ({"holding_rate_per_year": 0.25}, "holding_rate_per_year=0.25"),
        ({"max_spill_periods": 0}, "max_spill_periods=0"),
    ],
)
def test_invalid_settings_are_rejected(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidParameter) as err:
        SourcingSettings(**kwargs)  # type: ignore[arg-type]
    assert message in str(err.value)
