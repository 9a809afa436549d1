"""Newsvendor: known answers from Snyder & Shen, Fundamentals of Supply Chain Theory,
2nd ed. (Wiley 2019), as cited by stockpyl's tests (LarrySnyder/stockpyl,
tests/test_newsvendor.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from subzero.domain.errors import InvalidParameter
from subzero.planning.policies.demand import DiscreteDemand
from subzero.planning.policies.newsvendor import (
    newsvendor_continuous,
    newsvendor_discrete,
    newsvendor_negative_binomial,
    newsvendor_normal,
    newsvendor_pmf,
    newsvendor_poisson,
    normal_cost,
)


def test_example_4_3_newsvendor_normal() -> None:
    # Snyder & Shen 2nd ed., Example 4.3: h=0.18, p=0.70, N(50, 8^2) -> S*=56.60, g*=2.00
    sol = newsvendor_normal(0.18, 0.70, 50, 8)
    assert sol.base_stock_level == pytest.approx(56.60, abs=0.005)
    assert sol.cost == pytest.approx(1.998, abs=0.0005)


def test_example_4_3_cost_of_a_given_level() -> None:
    # Example 4.3 data at S=40: g(40) = 7.356 (stockpyl test_example_4_3)
    assert normal_cost(40, 0.18, 0.70, 50, 8) == pytest.approx(7.356, abs=0.0005)


def test_problem_4_1_newsvendor_normal() -> None:
    # S&S Problem 4.1: h=65-22, p=129-65+15, N(900, 60^2) -> S*=922.72, g*=2718.20
    sol = newsvendor_normal(43, 79, 900, 60)
    assert sol.base_stock_level == pytest.approx(922.72, abs=0.005)
    assert sol.cost == pytest.approx(2718.20, abs=0.005)


def test_example_4_7_newsvendor_poisson() -> None:
    # S&S Example 4.7 without K: Poisson(6), h=1, p=4 -> S*=8, g(8)=3.570
    sol = newsvendor_poisson(1, 4, 6)
    assert sol.base_stock_level == 8
    assert sol.cost == pytest.approx(3.570, abs=0.0005)


def test_problem_4_8a_newsvendor_poisson() -> None:
    # S&S Problem 4.8(a): Poisson(18), h=200, p=270 -> S*=19, g*=786.09
    sol = newsvendor_poisson(200, 270, 18)
    assert sol.base_stock_level == 19
    assert sol.cost == pytest.approx(786.09, abs=0.005)


def test_problem_4_7b_newsvendor_pmf_table() -> None:
    # S&S Problem 4.7(b): pmf table, h=500000, p=1000000 -> S*=5, g*=1,225,000
    table = {1: 0.25, 2: 0.05, 3: 0.1, 4: 0.2, 5: 0.15, 6: 0.10, 7: 0.10, 8: 0.05}
    sol = newsvendor_pmf(500000, 1000000, table)
    assert sol.base_stock_level == 5
    assert sol.cost == pytest.approx(1_225_000, abs=0.5)


def test_problem_4_8b_newsvendor_lognormal_any_scipy_distribution() -> None:
    # S&S Problem 4.8(b): lognormal(mu=6, sigma=0.3), h=1, p=0.1765 -> S*=295.63, g*=29.44
    sol = newsvendor_continuous(1, 0.1765, stats.lognorm(0.3, scale=np.exp(6)))
    assert sol.base_stock_level == pytest.approx(295.63, abs=0.005)
    assert sol.cost == pytest.approx(29.44, abs=0.005)


def test_continuous_normal_agrees_with_closed_form() -> None:
    sol = newsvendor_continuous(0.18, 0.70, stats.norm(50, 8))
    assert sol.base_stock_level == pytest.approx(56.604, abs=1e-3)
    assert sol.cost == pytest.approx(1.9976, abs=1e-4)


def test_gamma_newsvendor_is_the_minimum_of_its_cost() -> None:
    dist = stats.gamma(4.0, scale=2.5)
    sol = newsvendor_continuous(1.0, 3.0, dist)
    samples = dist.rvs(size=400_000, random_state=np.random.default_rng(7))

    def cost(y: float) -> float:
        return float(np.mean(1.0 * np.maximum(y - samples, 0) + 3.0 * np.maximum(samples - y, 0)))

    assert sol.base_stock_level == pytest.approx(dist.ppf(0.75))
    assert sol.cost == pytest.approx(cost(sol.base_stock_level), rel=0.01)
    assert cost(sol.base_stock_level) < min(
        cost(sol.base_stock_level - 1), cost(sol.base_stock_level + 1)
    )


def test_negative_binomial_newsvendor_matches_its_pmf_table() -> None:
    n, q = 4.0, 0.4  # mean 6, var 15
    sol = newsvendor_negative_binomial(1, 4, 6, np.sqrt(15))
    table = stats.nbinom.pmf(np.arange(200), n, q)
    ref = newsvendor_discrete(1, 4, DiscreteDemand(table / table.sum()))
    assert sol.base_stock_level == ref.base_stock_level
    assert sol.cost == pytest.approx(ref.cost, rel=1e-9)


@pytest.mark.parametrize(
    ("h", "p", "mean", "sd", "fragment"),
    [(-1, 1, 5, 1, "holding cost"), (1, 0, 5, 1, "backorder cost"), (1, 1, 5, 0, "sd")],
)
def test_invalid_parameters(h: float, p: float, mean: float, sd: float, fragment: str) -> None:
    with pytest.raises(InvalidParameter, match=fragment):
        newsvendor_normal(h, p, mean, sd)


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        ({}, "empty"),
        ({1: 0.5, 2: 0.4}, "sum to"),
        ({-1: 0.5, 2: 0.5}, "≥ 0"),
        ({1: 1.5, 2: -0.5}, "lie in"),
    ],
)
def test_invalid_pmf_tables(table: dict[int, float], fragment: str) -> None:
    with pytest.raises(InvalidParameter, match=fragment):
        newsvendor_pmf(1, 4, table)
