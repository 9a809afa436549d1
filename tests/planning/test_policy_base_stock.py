"""Base-stock with lead time: Snyder & Shen (2019) Example 4.4, service targets checked
against the unit normal loss table, and Monte-Carlo cross-checks of cost and fill rate."""

from __future__ import annotations

import numpy as np
import pytest

from subzero.domain.errors import InvalidParameter
from subzero.planning.leadtime import LeadTimeDistribution
from subzero.planning.policies.base_stock import (
    base_stock_cost,
    base_stock_for_fill_rate,
    base_stock_for_in_stock,
    base_stock_lost_sales,
    evaluate_base_stock,
    optimal_base_stock,
)
from subzero.planning.policies.demand import NormalDemand, poisson_demand
from subzero.planning.policies.newsvendor import newsvendor_normal


def test_example_4_4_base_stock_with_lead_time() -> None:
    # Snyder & Shen 2nd ed., Example 4.4: N(50, 8^2) per period, h=0.18, p=0.70, L=4
    # -> S* = 264.77, g* = 4.47 (stockpyl: 264.7669, 4.4668); and g(180) = 49.00
    sol = optimal_base_stock(0.18, 0.70, NormalDemand(50, 8), 4)
    assert sol.base_stock_level == pytest.approx(264.77, abs=0.005)
    assert sol.cost == pytest.approx(4.467, abs=0.0005)
    assert base_stock_cost(180, NormalDemand(50, 8), 4, 0.18, 0.70) == pytest.approx(
        49.00, abs=0.005
    )


def test_zero_lead_time_is_the_newsvendor() -> None:
    # Example 4.3 again through the base-stock entry point
    sol = optimal_base_stock(0.18, 0.70, NormalDemand(50, 8), 0)
    nv = newsvendor_normal(0.18, 0.70, 50, 8)
    assert sol.base_stock_level == pytest.approx(nv.base_stock_level)
    assert sol.cost == pytest.approx(nv.cost)


def test_in_stock_target_equal_to_critical_ratio_gives_the_cost_optimum() -> None:
    # type-1 service alpha = p/(p+h) = 0.7955 reproduces Example 4.4's S* = 264.77
    sol = base_stock_for_in_stock(0.70 / 0.88, NormalDemand(50, 8), 4, holding_cost=0.18)
    assert sol.base_stock_level == pytest.approx(264.77, abs=0.005)
    assert sol.in_stock_probability == pytest.approx(0.70 / 0.88)


def test_fill_rate_target_against_unit_normal_loss_table() -> None:
    # Unit normal loss G(1.00) = 0.0833 (Silver, Pyke & Thomas, 4th ed., Appendix II).
    # With L=0 the fill rate is 1 - sigma G(z)/mu: mu=100, sigma=10, z=1 -> beta = 0.99167,
    # so the target 0.99167 must give S = mu + 1.00 sigma = 110.0.
    sol = base_stock_for_fill_rate(1 - 10 * 0.0833 / 100, NormalDemand(100, 10), 0, holding_cost=1)
    assert sol.base_stock_level == pytest.approx(110.0, abs=0.05)


def _simulate(
    level: int, mean: float, lead_time: int, periods: int, seed: int
) -> tuple[float, float, float]:
    """Periodic-review base-stock, Poisson demand, backorders: (h=1,p=9 cost, fill, in-stock)."""
    rng = np.random.default_rng(seed)
    demand = rng.poisson(mean, periods + lead_time)
    # end-of-period net inventory = S - demand over the last L+1 periods
    window = np.convolve(demand, np.ones(lead_time + 1, dtype=np.int64), mode="valid")
    net = level - window
    # units of this period's demand that wait: backorders now minus those of the L earlier
    # periods' demand that still wait (net inventory before this period's demand)
    prev_back = np.maximum(-(level - (window - demand[lead_time:])), 0)
    new_back = np.maximum(-net, 0) - prev_back
    cost = np.mean(1 * np.maximum(net, 0) + 9 * np.maximum(-net, 0))
    fill = 1 - new_back.sum() / demand[lead_time:].sum()
    return float(cost), float(fill), float(np.mean(net >= 0))


@pytest.mark.parametrize(("mean", "lead_time"), [(4.0, 0), (4.0, 3), (20.0, 2)])
def test_monte_carlo_cost_fill_rate_and_in_stock(mean: float, lead_time: int) -> None:
    sol = optimal_base_stock(1, 9, poisson_demand(mean), lead_time)
    cost, fill, in_stock = _simulate(int(sol.base_stock_level), mean, lead_time, 400_000, 3)
    assert cost == pytest.approx(sol.cost, rel=0.02)
    assert fill == pytest.approx(sol.fill_rate, abs=0.005)
    assert in_stock == pytest.approx(sol.in_stock_probability, abs=0.005)


def test_fill_rate_target_is_met_in_simulation() -> None:
    sol = base_stock_for_fill_rate(0.97, poisson_demand(6), 2, holding_cost=1)
    _, fill, _ = _simulate(int(sol.base_stock_level), 6, 2, 400_000, 8)
    assert fill >= 0.97 - 0.003
    below = evaluate_base_stock(sol.base_stock_level - 1, poisson_demand(6), 2, holding_cost=1)
    assert below.fill_rate < 0.97 <= sol.fill_rate


def test_random_lead_time_widens_the_protection() -> None:
    fixed = optimal_base_stock(1, 9, poisson_demand(5), 2)
    random = optimal_base_stock(
        1, 9, poisson_demand(5), LeadTimeDistribution.from_table({1: 0.5, 3: 0.5})
    )
    assert random.base_stock_level > fixed.base_stock_level
    assert random.cost > fixed.cost


def test_lost_sales_approximation_is_exact_without_lead_time() -> None:
    # With L = 0 lost sales and backorders coincide (the newsvendor).
    assert base_stock_lost_sales(0.18, 0.70, NormalDemand(50, 8), 0).base_stock_level == (
        pytest.approx(56.60, abs=0.005)
    )


def test_lost_sales_approximation_is_near_the_simulated_optimum() -> None:
    # Lost-sales system, Poisson(5), L=2, h=1, p=19: the approximate S costs within 5% of
    # the best S found by simulation (the approximation is documented as such).
    rng = np.random.default_rng(17)
    demand = rng.poisson(5, 100_000)

    def simulate(level: int) -> float:
        # order at the start of a period arrives L=2 periods later, before that demand
        on_hand, pipeline, cost = level, [0, 0], 0.0
        for d in demand:
            pipeline.append(level - on_hand - sum(pipeline))
            on_hand += pipeline.pop(0)
            sold = min(on_hand, d)
            on_hand -= sold
            cost += on_hand + 19 * (d - sold)
        return cost / demand.size

    approx = int(base_stock_lost_sales(1, 19, poisson_demand(5), 2).base_stock_level)
    best = min(simulate(s) for s in range(approx - 4, approx + 2))
    assert simulate(approx) <= 1.05 * best


def test_invalid_parameters() -> None:
    with pytest.raises(InvalidParameter, match="holding cost"):
        optimal_base_stock(-1, 9, NormalDemand(5, 1), 1)
    with pytest.raises(InvalidParameter, match="fill-rate target"):
        base_stock_for_fill_rate(1.2, NormalDemand(5, 1), 1, holding_cost=1)
    with pytest.raises(InvalidParameter, match="in-stock target"):
        base_stock_for_in_stock(0, NormalDemand(5, 1), 1, holding_cost=1)
    with pytest.raises(InvalidParameter, match="lead time"):
        optimal_base_stock(1, 9, NormalDemand(5, 1), -2)
    with pytest.raises(InvalidParameter, match="sd"):
        NormalDemand(5, 0)
