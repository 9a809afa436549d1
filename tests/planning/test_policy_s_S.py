"""(s,S): Zheng & Federgruen (1991) Table 1, Snyder & Shen (2019) chapter 4 examples,
agreement of the numba batch kernel with the plain-Python reference, and Monte-Carlo."""

from __future__ import annotations

import numpy as np
import pytest

from subzero.domain.errors import InvalidParameter
from subzero.planning.leadtime import LeadTimeDistribution
from subzero.planning.policies.demand import poisson_demand
from subzero.planning.policies.s_S import (
    ss_cost,
    ss_exact,
    ss_exact_poisson,
    ss_exact_poisson_batch,
    ss_power_approximation,
)

# Zheng & Federgruen, "Finding optimal (s,S) policies is about as simple as evaluating a
# single policy", Operations Research 39(4), 654-665 (1991), Table 1: h=1, p=9, K=64,
# Poisson demand, no lead time. (Transcribed in stockpyl tests/test_ss.py.)
ZF_MEANS = [*range(10, 80, 5), 21, 22, 23, 24, 51, 52, 59, 61, 63, 64]
ZF_S_LOW = [
    6,
    10,
    14,
    19,
    23,
    28,
    33,
    37,
    42,
    47,
    52,
    56,
    62,
    67,
    15,
    16,
    17,
    18,
    43,
    44,
    51,
    52,
    54,
    55,
]
ZF_S_UP = [
    40,
    49,
    62,
    56,
    66,
    77,
    87,
    97,
    108,
    118,
    129,
    75,
    81,
    86,
    65,
    68,
    52,
    54,
    110,
    112,
    126,
    131,
    73,
    74,
]
ZF_COST = [
    35.022, 42.698, 49.173, 54.262, 57.819, 61.215, 64.512, 67.776, 70.975, 74.149, 77.306,
    78.518, 79.037, 79.554, 50.406, 51.632, 52.757, 53.518, 71.611, 72.246, 76.679, 77.929,
    78.287, 78.402,
]  # fmt: skip


def test_zheng_federgruen_1991_table_1_batch() -> None:
    sol = ss_exact_poisson_batch(1, 9, 64, np.array(ZF_MEANS, dtype=float))
    assert sol.reorder_point.tolist() == ZF_S_LOW
    assert sol.order_up_to.tolist() == ZF_S_UP
    np.testing.assert_allclose(sol.cost, ZF_COST, atol=0.0005)


@pytest.mark.parametrize("index", [0, 5, 10, 14, 17, 23])
def test_zheng_federgruen_1991_table_1_reference(index: int) -> None:
    sol = ss_exact_poisson(1, 9, 64, ZF_MEANS[index])
    assert (sol.reorder_point, sol.order_up_to) == (ZF_S_LOW[index], ZF_S_UP[index])
    assert sol.cost == pytest.approx(ZF_COST[index], abs=0.0005)


def test_example_4_7_ss_exact() -> None:
    # Snyder & Shen 2nd ed., Example 4.7: Poisson(6), h=1, p=4, K=5 -> s=4, S=10, g=8.034
    sol = ss_exact_poisson(1, 4, 5, 6)
    assert (sol.reorder_point, sol.order_up_to) == (4, 10)
    assert sol.cost == pytest.approx(8.034, abs=0.0005)
    # and the cost of another policy in the same example (stockpyl test_ss): g(6,18)=10.194
    assert ss_cost(6, 18, 1, 4, 5, poisson_demand(6)) == pytest.approx(10.194, abs=0.0005)


def test_problem_4_31_ss_exact() -> None:
    # S&S Problem 4.31: Poisson(4), h=40, p=125, K=150 -> s=2, S=7, g=223.57; g(4,10)=262.28
    sol = ss_exact_poisson(40, 125, 150, 4)
    assert (sol.reorder_point, sol.order_up_to) == (2, 7)
    assert sol.cost == pytest.approx(223.57, abs=0.005)
    assert ss_cost(4, 10, 40, 125, 150, poisson_demand(4)) == pytest.approx(262.28, abs=0.005)


def test_example_4_8_power_approximation() -> None:
    # S&S Example 4.8 as instantiated in stockpyl (h=0.18, p=0.70, K=2.5, N(50, 8^2),
    # no lead time) -> s=40.19, S=74.29
    sol = ss_power_approximation(0.18, 0.70, 2.5, 50, 8)
    assert sol.reorder_point == pytest.approx(40.19, abs=0.005)
    assert sol.order_up_to == pytest.approx(74.29, abs=0.005)


def test_numba_batch_agrees_with_python_reference() -> None:
    rng = np.random.default_rng(11)
    means = np.concatenate([rng.uniform(1, 100, 25), [1.0, 0.3, 100.0]])
    for lead_time in (0, 2):
        batch = ss_exact_poisson_batch(1, 9, 64, means, lead_time)
        for i, mean in enumerate(means):
            ref = ss_exact_poisson(1, 9, 64, float(mean), lead_time)
            assert (batch.reorder_point[i], batch.order_up_to[i]) == (
                ref.reorder_point,
                ref.order_up_to,
            ), mean
            assert batch.cost[i] == pytest.approx(ref.cost, rel=1e-9)


def test_exact_is_no_worse_than_neighbouring_policies() -> None:
    demand = poisson_demand(8)
    sol = ss_exact(1, 9, 30, demand, 1)
    s, big = int(sol.reorder_point), int(sol.order_up_to)
    for ds in (-1, 0, 1):
        for dbig in (-2, -1, 0, 1, 2):
            if big + dbig > s + ds:
                assert ss_cost(s + ds, big + dbig, 1, 9, 30, demand, 1) >= sol.cost - 1e-12


def _simulate_ss(
    s: int, big: int, mean: float, h: float, p: float, k: float, lead_time: int, periods: int
) -> float:
    rng = np.random.default_rng(2024)
    demand = rng.poisson(mean, periods)
    position = net = big
    arriving = [0] * (periods + lead_time + 1)
    total = 0.0
    for t in range(periods):
        if position <= s:
            order = big - position
            arriving[t + lead_time] += order
            position += order
            total += k
        net += arriving[t]
        net -= demand[t]
        position -= demand[t]
        total += h * max(net, 0) + p * max(-net, 0)
    return total / periods


@pytest.mark.parametrize(("mean", "lead_time"), [(10.0, 0), (6.0, 2)])
def test_monte_carlo_cost_matches_exact(mean: float, lead_time: int) -> None:
    sol = ss_exact_poisson(1, 9, 64, mean, lead_time)
    simulated = _simulate_ss(
        int(sol.reorder_point), int(sol.order_up_to), mean, 1, 9, 64, lead_time, 200_000
    )
    assert simulated == pytest.approx(sol.cost, rel=0.02)


def test_random_lead_time_uses_the_mixture() -> None:
    fixed = ss_exact(1, 9, 64, poisson_demand(10), LeadTimeDistribution.fixed(2))
    assert (fixed.reorder_point, fixed.order_up_to) == (
        ss_exact_poisson(1, 9, 64, 10, 2).reorder_point,
        ss_exact_poisson(1, 9, 64, 10, 2).order_up_to,
    )
    spread = ss_exact(
        1, 9, 64, poisson_demand(10), LeadTimeDistribution.from_table({1: 0.5, 3: 0.5})
    )
    assert spread.cost > fixed.cost  # lead-time uncertainty costs money


def test_invalid_parameters() -> None:
    with pytest.raises(InvalidParameter, match="fixed cost"):
        ss_exact_poisson(1, 9, 0, 10)
    with pytest.raises(InvalidParameter, match="holding cost"):
        ss_exact_poisson(-1, 9, 64, 10)
    with pytest.raises(InvalidParameter, match="must exceed"):
        ss_cost(5, 5, 1, 9, 64, poisson_demand(3))
    with pytest.raises(InvalidParameter, match="positive"):
        ss_exact_poisson_batch(1, 9, 64, np.array([3.0, -1.0]))
    with pytest.raises(InvalidParameter, match="sd"):
        ss_power_approximation(1, 9, 64, 10, 0)
