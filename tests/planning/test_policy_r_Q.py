"""(r,Q): Snyder & Shen, Fundamentals of Supply Chain Theory, 2nd ed. (2019), chapter 5
(numbers as cited in stockpyl tests/test_rq.py), plus Monte-Carlo cross-checks."""

from __future__ import annotations

import numpy as np
import pytest

from subzero.domain.errors import InvalidParameter
from subzero.planning.policies.r_Q import (
    rq_cost_normal,
    rq_cost_poisson,
    rq_eoqb_approximation,
    rq_loss_function_approximation,
    rq_normal_exact,
    rq_poisson_exact,
)

# Example 5.1: h=0.225, p=7.5, K=8, lambda=1300/yr, tau=150, L=1/12 yr
EX_5_1 = (0.225, 7.5, 8.0, 1300.0, 150.0, 1 / 12)
# Problem 5.3: h=1.5/7, p=40, K=85, lambda=192, tau=17.4, L=3
PR_5_3 = (1.5 / 7, 40.0, 85.0, 192.0, 17.4, 3.0)


def test_example_5_1_rq_cost() -> None:
    # S&S Example 5.1: g(126.8, 328.5) = 78.07; stockpyl also g(100, 250) = 87.35
    assert rq_cost_normal(126.8, 328.5, *EX_5_1) == pytest.approx(78.07, abs=0.005)
    assert rq_cost_normal(100, 250, *EX_5_1) == pytest.approx(87.35, abs=0.005)


def test_example_5_6_loss_function_approximation() -> None:
    # S&S Example 5.6: r=126.87, Q=328.45
    sol = rq_loss_function_approximation(*EX_5_1)
    assert sol.reorder_point == pytest.approx(126.87, abs=0.005)
    assert sol.order_quantity == pytest.approx(328.45, abs=0.005)


def test_example_5_1_exact_optimum() -> None:
    # S&S Example 5.1 quotes the optimum as (126.8, 328.5), g = 78.07 (one decimal); its
    # optimality conditions differ from Example 5.6's loss-function equations only by
    # n(r + Q), which is ~1e-15 here, so the exact optimum is Example 5.6's (126.87, 328.45).
    sol = rq_normal_exact(*EX_5_1)
    assert sol.reorder_point == pytest.approx(126.87, abs=0.005)
    assert sol.order_quantity == pytest.approx(328.45, abs=0.005)
    assert sol.cost == pytest.approx(78.07, abs=0.005)


def test_example_5_4_eoqb_approximation() -> None:
    # S&S Example 5.4: r=128.64, Q=308.57
    sol = rq_eoqb_approximation(*EX_5_1)
    assert sol.reorder_point == pytest.approx(128.64, abs=0.005)
    assert sol.order_quantity == pytest.approx(308.57, abs=0.005)


def test_problem_5_3_approximations() -> None:
    # S&S Problem 5.3(b) EOQB: r=609.03, Q=391.33; 5.3(d) loss function: r=608.54, Q=403.81
    eoqb = rq_eoqb_approximation(*PR_5_3)
    assert (eoqb.reorder_point, eoqb.order_quantity) == pytest.approx((609.03, 391.33), abs=0.005)
    loss = rq_loss_function_approximation(*PR_5_3)
    assert (loss.reorder_point, loss.order_quantity) == pytest.approx((608.54, 403.81), abs=0.005)


def test_example_5_8_poisson_exact() -> None:
    # S&S Example 5.8: h=20, p=150, K=100, lambda=1.5, L=2 -> r=3, Q=5, g=107.92;
    # and g(8, 12) = 242.53
    sol = rq_poisson_exact(20, 150, 100, 1.5, 2)
    assert (sol.reorder_point, sol.order_quantity) == (3, 5)
    assert sol.cost == pytest.approx(107.92, abs=0.005)
    assert rq_cost_poisson(8, 12, 20, 150, 100, 1.5, 2) == pytest.approx(242.53, abs=0.005)


def test_problem_5_2_poisson_exact() -> None:
    # S&S Problem 5.2: h=4, p=28, K=4, lambda=12, L=0.5 -> r=6, Q=7, g=28.24; g(3,9)=34.26
    sol = rq_poisson_exact(4, 28, 4, 12, 0.5)
    assert (sol.reorder_point, sol.order_quantity) == (6, 7)
    assert sol.cost == pytest.approx(28.24, abs=0.005)
    assert rq_cost_poisson(3, 9, 4, 28, 4, 12, 0.5) == pytest.approx(34.26, abs=0.005)


def _simulate_rq_poisson(
    r: int, q: int, h: float, p: float, k: float, rate: float, lead: float, horizon: float
) -> float:
    """Continuous-review (r,Q) with Poisson unit demands; time-average cost."""
    rng = np.random.default_rng(99)
    n = int(rate * horizon * 1.1) + 100
    times = np.cumsum(rng.exponential(1 / rate, n))
    times = times[times < horizon]
    position = net = r + q
    due: list[float] = []
    cost, last = 0.0, 0.0
    events = 0
    for t in times:
        while due and due[0] <= t:  # receipts before this demand
            arrival = due.pop(0)
            cost += (h * max(net, 0) + p * max(-net, 0)) * (arrival - last)
            last, net = arrival, net + q
        cost += (h * max(net, 0) + p * max(-net, 0)) * (t - last)
        last = t
        net -= 1
        position -= 1
        if position <= r:
            position += q
            due.append(t + lead)
            cost += k
            events += 1
    cost += (h * max(net, 0) + p * max(-net, 0)) * (horizon - last)
    return cost / horizon


def test_monte_carlo_poisson_rq_matches_exact() -> None:
    sol = rq_poisson_exact(20, 150, 100, 1.5, 2)
    simulated = _simulate_rq_poisson(3, 5, 20, 150, 100, 1.5, 2, 60_000)
    assert simulated == pytest.approx(sol.cost, rel=0.03)


def test_monte_carlo_normal_rq_cost() -> None:
    # Cost of Example 5.1's optimum under simulated per-day normal demand.
    h, p, k, lam, tau, lead = EX_5_1
    r, q = 126.87, 328.45
    rng = np.random.default_rng(5)
    steps_per_year, years = 360, 400
    dt = 1 / steps_per_year
    lead_steps = round(lead * steps_per_year)
    demand = rng.normal(lam * dt, tau * np.sqrt(dt), steps_per_year * years)
    position = net = r + q
    pipeline = np.zeros(demand.size + lead_steps + 1)
    cost = 0.0
    for t, d in enumerate(demand):
        net += pipeline[t] - d
        position -= d
        while position <= r:
            position += q
            pipeline[t + lead_steps] += q
            cost += k
        cost += (h * max(net, 0) + p * max(-net, 0)) * dt
    warm = 0  # starting at r+Q is close to steady state
    assert cost / (years - warm) == pytest.approx(rq_cost_normal(r, q, *EX_5_1), rel=0.03)


def test_invalid_parameters() -> None:
    with pytest.raises(InvalidParameter, match="fixed cost"):
        rq_poisson_exact(20, 150, 0, 1.5, 2)
    with pytest.raises(InvalidParameter, match="demand sd"):
        rq_normal_exact(0.225, 7.5, 8, 1300, -1, 1 / 12)
    with pytest.raises(InvalidParameter, match="lead time"):
        rq_normal_exact(0.225, 7.5, 8, 1300, 150, -1)
    with pytest.raises(InvalidParameter, match="order quantity"):
        rq_cost_poisson(3, 0, 20, 150, 100, 1.5, 2)
