"""The newsvendor (single-period) problem: optimal stock level and expected cost.

One-period cost of stocking y against demand D (Snyder & Shen, *Fundamentals of Supply
Chain Theory*, 2nd ed., 2019, §4.2, eq. (4.3)):

    g(y) = h E[(y − D)⁺] + p E[(D − y)⁺] = h (y − μ) + (h + p) n(y),

with n(y) = E[(D − y)⁺] the first-order loss function. The optimum is the critical
fractile S* = F⁻¹(α), α = p / (p + h) (eq. (4.16)); for discrete demand S* is the
smallest integer with F(S*) ≥ α (§4.2.4). For normal demand g(S*) = (h + p) φ(z_α) σ
(eq. (4.30)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from subzero.domain.errors import InvalidParameter
from subzero.planning.policies.demand import (
    DiscreteDemand,
    demand_from_pmf,
    negative_binomial_demand,
    poisson_demand,
)

__all__ = [
    "NewsvendorSolution",
    "check_costs",
    "critical_ratio",
    "newsvendor_continuous",
    "newsvendor_discrete",
    "newsvendor_negative_binomial",
    "newsvendor_normal",
    "newsvendor_pmf",
    "newsvendor_poisson",
    "normal_cost",
    "normal_loss",
]


@dataclass(frozen=True, slots=True)
class NewsvendorSolution:
    """Optimal base-stock level [S*] and its expected one-period cost [g(S*)]."""

    base_stock_level: float
    cost: float


def check_costs(holding_cost: float, stockout_cost: float) -> None:
    """Raise InvalidParameter unless h > 0 and p > 0 (both finite)."""
    for name, value in (("holding cost", holding_cost), ("backorder cost", stockout_cost)):
        if not math.isfinite(value) or value <= 0:
            raise InvalidParameter(f"{name} {value} must be a positive number")


def critical_ratio(holding_cost: float, stockout_cost: float) -> float:
    """α = p / (p + h)."""
    check_costs(holding_cost, stockout_cost)
    return stockout_cost / (stockout_cost + holding_cost)


def normal_loss(y: float, mean: float, sd: float) -> float:
    """n(y) = E[(D − y)⁺] = σ [φ(z) − z (1 − Φ(z))], z = (y − μ)/σ (S&S eq. (C.22))."""
    from scipy import stats

    z = (y - mean) / sd
    return float(sd * (stats.norm.pdf(z) - z * stats.norm.sf(z)))


def normal_cost(
    y: float, holding_cost: float, stockout_cost: float, mean: float, sd: float
) -> float:
    """g(y) = h (y − μ) + (h + p) n(y) for normal demand."""
    return holding_cost * (y - mean) + (holding_cost + stockout_cost) * normal_loss(y, mean, sd)


def newsvendor_normal(
    holding_cost: float, stockout_cost: float, demand_mean: float, demand_sd: float
) -> NewsvendorSolution:
    """Optimal one-period base-stock level for normally distributed demand.

    S* = μ + z_α σ,   α = p / (p + h);   g* = (h + p) φ(z_α) σ

    Args:
        holding_cost: cost per unit left over at period end [h]; > 0.
        stockout_cost: cost per unit short at period end [p]; > 0.
        demand_mean: mean demand per period [μ]; ≥ 0.
        demand_sd: standard deviation of demand per period [σ]; > 0.

    Raises:
        InvalidParameter: a cost or demand_sd is not positive, or demand_mean is negative.

    References:
        Snyder & Shen, Fundamentals of Supply Chain Theory, 2nd ed., eqs. (4.24), (4.30);
        Example 4.3 (h=0.18, p=0.70, μ=50, σ=8 → S*=56.60, g*=2.00).
    """
    from scipy import stats

    alpha = critical_ratio(holding_cost, stockout_cost)
    if not math.isfinite(demand_sd) or demand_sd <= 0:
        raise InvalidParameter(f"demand sd {demand_sd} must be > 0")
    if not math.isfinite(demand_mean) or demand_mean < 0:
        raise InvalidParameter(f"demand mean {demand_mean} must be ≥ 0 (demand cannot be negative)")
    z = float(stats.norm.ppf(alpha))
    return NewsvendorSolution(
        demand_mean + z * demand_sd,
        (holding_cost + stockout_cost) * float(stats.norm.pdf(z)) * demand_sd,
    )


def newsvendor_continuous(
    holding_cost: float, stockout_cost: float, distribution: Any
) -> NewsvendorSolution:
    """Optimal level for any continuous demand given as a scipy frozen distribution.

    S* = F⁻¹(α);  g(S*) = h (S* − μ) + (h + p) ∫_{S*}^∞ (1 − F(x)) dx (numerical).

    Args:
        holding_cost: [h] > 0.
        stockout_cost: [p] > 0.
        distribution: e.g. ``scipy.stats.gamma(a, scale=θ)`` or ``lognorm(s, scale=e^μ)``.

    References:
        Snyder & Shen, 2nd ed., §4.2, eq. (4.16); Problem 4.8(b) (lognormal μ=6, σ=0.3,
        h=1, p=0.1765 → S*=295.63, g*=29.44).
    """
    from scipy import integrate

    alpha = critical_ratio(holding_cost, stockout_cost)
    if not hasattr(distribution, "ppf") or not hasattr(distribution, "sf"):
        raise InvalidParameter(f"{distribution!r} is not a scipy frozen distribution")
    level = float(distribution.ppf(alpha))
    upper = float(distribution.ppf(1 - 1e-15))
    if not math.isfinite(upper):
        upper = math.inf
    loss, _ = integrate.quad(lambda x: float(distribution.sf(x)), level, upper, limit=200)
    mean = float(distribution.mean())
    return NewsvendorSolution(
        level, holding_cost * (level - mean) + (holding_cost + stockout_cost) * loss
    )


def newsvendor_discrete(
    holding_cost: float, stockout_cost: float, demand: DiscreteDemand
) -> NewsvendorSolution:
    """Optimal integer level for discrete demand: smallest S with F(S) ≥ p/(p+h).

    g(S) = h Σ_{k<S} F(k) + p E[(D − S)⁺]   (exact; Zipkin, *Foundations*, §6.2.2).

    References:
        Snyder & Shen, 2nd ed., §4.2.4; Example 4.7 without K (Poisson(6), h=1, p=4 →
        S*=8); Problem 4.7(b) (pmf table, h=500000, p=1000000 → S*=5, g*=1225000).
    """
    alpha = critical_ratio(holding_cost, stockout_cost)
    level = int(np.searchsorted(np.cumsum(demand.pmf), alpha - 1e-12))
    cost = holding_cost * float(demand.expected_leftover(level)) + stockout_cost * float(
        demand.expected_shortage(level)
    )
    return NewsvendorSolution(float(level), cost)


def newsvendor_poisson(
    holding_cost: float, stockout_cost: float, demand_mean: float
) -> NewsvendorSolution:
    """Newsvendor with Poisson(demand_mean) demand (see ``newsvendor_discrete``)."""
    check_costs(holding_cost, stockout_cost)
    return newsvendor_discrete(holding_cost, stockout_cost, poisson_demand(demand_mean))


def newsvendor_negative_binomial(
    holding_cost: float, stockout_cost: float, demand_mean: float, demand_sd: float
) -> NewsvendorSolution:
    """Newsvendor with negative-binomial demand of the given mean and sd (sd² > mean)."""
    check_costs(holding_cost, stockout_cost)
    return newsvendor_discrete(
        holding_cost, stockout_cost, negative_binomial_demand(demand_mean, demand_sd)
    )


def newsvendor_pmf(
    holding_cost: float, stockout_cost: float, table: dict[int, float]
) -> NewsvendorSolution:
    """Newsvendor with demand given as a pmf table ``{value: probability}``."""
    check_costs(holding_cost, stockout_cost)
    return newsvendor_discrete(holding_cost, stockout_cost, demand_from_pmf(table))
