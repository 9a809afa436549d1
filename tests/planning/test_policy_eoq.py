"""EOQ, EOQB and Wagner–Whitin: Snyder & Shen, Fundamentals of Supply Chain Theory,
2nd ed. (2019), chapter 3 (numbers as in stockpyl tests/test_eoq.py, test_wagner_whitin.py)."""

from __future__ import annotations

import pytest

from subzero.domain.errors import InvalidParameter
from subzero.planning.policies.eoq import (
    economic_order_quantity,
    economic_order_quantity_with_backorders,
    wagner_whitin,
)


def test_example_3_1_eoq() -> None:
    # S&S Example 3.1: K=8, h=0.75*0.3=0.225, lambda=1300 -> Q*=304.05, g*=68.41
    sol = economic_order_quantity(8, 0.225, 1300)
    assert sol.order_quantity == pytest.approx(304.05, abs=0.005)
    assert sol.cost == pytest.approx(68.41, abs=0.005)


def test_problem_3_1_eoq() -> None:
    # S&S Problem 3.1: K=2250, h=275, lambda=500*365 -> Q*=1728.11, g*=475230.21
    sol = economic_order_quantity(2250, 275, 500 * 365)
    assert sol.order_quantity == pytest.approx(1728.11, abs=0.005)
    assert sol.cost == pytest.approx(475230.21, abs=0.005)


def test_example_3_8_eoq_with_backorders() -> None:
    # S&S Example 3.8: K=8, h=0.225, p=5, lambda=1300 -> Q*=310.81, x*=0.0431, g*=66.92
    sol = economic_order_quantity_with_backorders(8, 0.225, 5, 1300)
    assert sol.order_quantity == pytest.approx(310.81, abs=0.005)
    assert sol.backordered_fraction == pytest.approx(0.0431, abs=0.00005)
    assert sol.cost == pytest.approx(66.92, abs=0.005)


def test_problem_3_2b_eoq_with_backorders() -> None:
    # S&S Problem 3.2(b): K=40, h=165*0.17+12, p=60, lambda=40*52 -> Q*=83.24, x*=0.4003
    sol = economic_order_quantity_with_backorders(40, 165 * 0.17 + 12, 60, 40 * 52)
    assert sol.order_quantity == pytest.approx(83.24, abs=0.005)
    assert sol.backordered_fraction == pytest.approx(0.4003, abs=0.00005)
    assert sol.cost == pytest.approx(1999.15, abs=0.005)


def test_example_3_9_wagner_whitin() -> None:
    # S&S Example 3.9: K=500, h=2, d=(90,120,80,70) -> order 210 in 1, 150 in 3; cost 1380
    plan = wagner_whitin(500, 2, [90, 120, 80, 70])
    assert plan.orders == (210, 0, 150, 0)
    assert plan.cost == pytest.approx(1380)


@pytest.mark.parametrize(
    ("k", "h", "demand", "orders", "cost"),
    [
        # S&S Problem 3.27
        (120, 0.8, [150, 100, 80, 200], (150, 180, 0, 200), 424),
        # S&S Problem 3.29
        (100, 0.1, [730, 580, 445, 650, 880], (1310, 0, 1095, 0, 880), 423),
    ],
)
def test_problems_3_27_and_3_29_wagner_whitin(
    k: float, h: float, demand: list[float], orders: tuple[float, ...], cost: float
) -> None:
    plan = wagner_whitin(k, h, demand)
    assert plan.orders == orders
    assert plan.cost == pytest.approx(cost)


def test_wagner_whitin_skips_periods_without_demand() -> None:
    plan = wagner_whitin(100, 1, [0, 0, 5, 0])
    assert plan.orders == (0, 0, 5, 0)
    assert plan.cost == pytest.approx(100)


def test_invalid_parameters() -> None:
    with pytest.raises(InvalidParameter, match="fixed cost"):
        economic_order_quantity(-8, 0.225, 1300)
    with pytest.raises(InvalidParameter, match="backorder cost"):
        economic_order_quantity_with_backorders(8, 0.225, 0, 1300)
    with pytest.raises(InvalidParameter, match="empty"):
        wagner_whitin(1, 1, [])
    with pytest.raises(InvalidParameter, match="demands"):
        wagner_whitin(1, 1, [1, -2])
