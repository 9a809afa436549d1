"""(s, S) policies: the exact optimum for discrete demand and the power approximation.

Periodic review, backorders, lead time L, fixed cost K per order: when the inventory
position falls to s or below, order up to S. With G(y) the one-period newsvendor cost
of position y against demand over L + 1 periods, the long-run cost per period is
(Zheng & Federgruen 1991, eq. (2); Snyder & Shen, 2nd ed., eq. (4.71)–(4.75))

    c(s, S) = [K + Σ_{j=0}^{S−s−1} m(j) G(S − j)] / M(S − s),

with m the renewal mass of one period's demand, m(0) = 1/(1 − p₀),
m(j) = Σ_{l=1}^{j} p_l m(j − l) / (1 − p₀), and M(n) = Σ_{j<n} m(j).

``ss_exact`` is Zheng & Federgruen's algorithm, plain Python, one item at a time (the
reference). ``ss_exact_poisson_batch`` runs the same algorithm for many Poisson items at
once in a numba kernel (``cache=True``, parallel over items); a test checks that both
agree item by item. ``ss_power_approximation`` is Ehrhardt & Mosier's (1984) revised
power approximation for normal demand.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from subzero.domain.errors import InvalidParameter
from subzero.planning.leadtime import LeadTimeDistribution
from subzero.planning.policies.demand import DiscreteDemand, lead_time_demand, poisson_demand
from subzero.planning.policies.newsvendor import check_costs

__all__ = [
    "SSBatch",
    "SSSolution",
    "ss_cost",
    "ss_exact",
    "ss_exact_poisson",
    "ss_exact_poisson_batch",
    "ss_power_approximation",
]


@dataclass(frozen=True, slots=True)
class SSSolution:
    """Reorder point [s], order-up-to level [S] and expected cost per period [g(s,S)]."""

    reorder_point: float
    order_up_to: float
    cost: float


@dataclass(frozen=True, slots=True, eq=False)
class SSBatch:
    """Exact (s, S) for many items: arrays of shape (n_items,)."""

    reorder_point: npt.NDArray[np.int64]
    order_up_to: npt.NDArray[np.int64]
    cost: npt.NDArray[np.float64]


def _check(
    holding_cost: float, stockout_cost: float, fixed_cost: float, lead_time: LeadTime
) -> None:
    check_costs(holding_cost, stockout_cost)
    if not math.isfinite(fixed_cost) or fixed_cost <= 0:
        raise InvalidParameter(f"fixed cost {fixed_cost} must be > 0 (use base-stock for K = 0)")
    if isinstance(lead_time, LeadTimeDistribution):
        return
    if int(lead_time) != lead_time or lead_time < 0:
        raise InvalidParameter(f"lead time {lead_time} must be a whole number of periods ≥ 0")


LeadTime = int | LeadTimeDistribution


class _Model:
    """G(·) and the renewal masses m(·) of one item, computed lazily (plain Python)."""

    def __init__(self, h: float, p: float, demand: DiscreteDemand, lead_time: LeadTime) -> None:
        self.h, self.p = h, p
        self.period = [float(x) for x in demand.pmf]
        if self.period[0] >= 1.0 - 1e-12:
            raise InvalidParameter("(s,S): demand is zero with probability 1")
        ltd = lead_time_demand(demand, lead_time, extra_periods=1)
        assert isinstance(ltd, DiscreteDemand)
        self.leftover = [float(x) for x in ltd.expected_leftover(np.arange(ltd.pmf.size + 1))]
        self.mean = ltd.mean
        self.m: list[float] = [1.0 / (1.0 - self.period[0])]
        self.big_m: list[float] = [0.0, self.m[0]]
        self._g: dict[int, float] = {}

    def g(self, y: int) -> float:
        cached = self._g.get(y)
        if cached is None:
            n = len(self.leftover) - 1
            a = 0.0 if y <= 0 else (self.leftover[y] if y <= n else self.leftover[n] + y - n)
            cached = self.h * a + self.p * (a + self.mean - y)
            self._g[y] = cached
        return cached

    def renewal(self, n: int) -> None:
        m, pmf = self.m, self.period
        while len(m) < n:
            j = len(m)
            total = math.fsum(pmf[lag] * m[j - lag] for lag in range(1, min(j, len(pmf) - 1) + 1))
            m.append(total * m[0])
            self.big_m.append(self.big_m[-1] + m[-1])

    def cost(self, s: int, big_s: int, k: float) -> float:
        n = big_s - s
        self.renewal(n)
        total = k + math.fsum(self.m[j] * self.g(big_s - j) for j in range(n))
        return total / self.big_m[n]


def _zheng_federgruen(
    g: Callable[[int], float], c: Callable[[int, int], float]
) -> tuple[int, int, float]:
    y_star = 0
    while g(y_star + 1) < g(y_star):
        y_star += 1
    big_s, s = y_star, y_star - 1
    while c(s, big_s) > g(s):  # s(S0): largest s below y* with c(s, S0) <= G(s)
        s -= 1
    best = c(s, big_s)
    candidate = big_s + 1
    while g(candidate) <= best:
        if c(s, candidate) < best:
            big_s = candidate
            while c(s, big_s) <= g(s + 1):
                s += 1
            best = c(s, big_s)
        candidate += 1
    return s, big_s, best


def ss_cost(
    reorder_point: int,
    order_up_to: int,
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand: DiscreteDemand,
    lead_time: LeadTime = 0,
) -> float:
    """Exact expected cost per period c(s, S) of an (s, S) policy, discrete demand.

    References:
        Zheng & Federgruen (1991), eq. (2); Snyder & Shen, 2nd ed., eq. (4.71);
        Example 4.7 (Poisson(6), h=1, p=4, K=5: c(4, 10) = 8.034).
    """
    _check(holding_cost, stockout_cost, fixed_cost, lead_time)
    if order_up_to <= reorder_point:
        raise InvalidParameter(f"(s,S): S={order_up_to} must exceed s={reorder_point}")
    model = _Model(holding_cost, stockout_cost, demand, lead_time)
    return model.cost(int(reorder_point), int(order_up_to), fixed_cost)


def ss_exact(
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand: DiscreteDemand,
    lead_time: LeadTime = 0,
) -> SSSolution:
    """Optimal (s, S) for discrete demand by Zheng & Federgruen's algorithm (reference).

    1. y* = argmin G.  2. s from y* down until c(s, y*) ≤ G(s); S⁰ = y*.
    3. For S = S⁰ + 1, … while G(S) ≤ c: if c(s, S) < c, set S⁰ = S and raise s while
       c(s, S⁰) ≤ G(s + 1); c = c(s, S⁰).

    Args:
        holding_cost: [h] > 0 per unit per period; stockout_cost: [p] > 0;
        fixed_cost: [K] > 0 per order; demand: per-period demand; lead_time: [L] ≥ 0
        whole periods, or a ``LeadTimeDistribution`` (G then uses D_{𝓛+1}).

    References:
        Y.-S. Zheng & A. Federgruen, "Finding optimal (s, S) policies is about as simple as
        evaluating a single policy", Operations Research 39(4), 654–665, 1991, Table 1
        (h=1, p=9, K=64, Poisson λ=10 → s=6, S=40, c=35.022). Snyder & Shen, 2nd ed.,
        Algorithm 4.2, Example 4.7 (Poisson(6), h=1, p=4, K=5 → s=4, S=10, c=8.034).
    """
    _check(holding_cost, stockout_cost, fixed_cost, lead_time)
    model = _Model(holding_cost, stockout_cost, demand, lead_time)
    s, big_s, cost = _zheng_federgruen(model.g, lambda a, b: model.cost(a, b, fixed_cost))
    return SSSolution(float(s), float(big_s), cost)


def ss_exact_poisson(
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand_mean: float,
    lead_time: int = 0,
) -> SSSolution:
    """``ss_exact`` for Poisson(demand_mean) demand per period."""
    if not demand_mean > 0:
        raise InvalidParameter(f"poisson mean {demand_mean} must be > 0")
    return ss_exact(holding_cost, stockout_cost, fixed_cost, poisson_demand(demand_mean), lead_time)


_KERNEL: Any = None


def _kernel() -> Any:
    global _KERNEL
    if _KERNEL is None:
        from subzero.planning.policies import _ss_kernel

        _KERNEL = _ss_kernel.solve_poisson_batch
    return _KERNEL


def ss_exact_poisson_batch(
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand_means: npt.ArrayLike,
    lead_time: int = 0,
) -> SSBatch:
    """Optimal (s, S) for many Poisson items at once (numba kernel, parallel over items).

    Same algorithm and answers as ``ss_exact_poisson`` item by item (tested), about three
    orders of magnitude faster: 10,000 items with means 1…100 take well under a second
    on two cores (``make bench ONLY=policies``).

    Args:
        demand_means: Poisson mean demand per period of each item, shape (n_items,); > 0.
    """
    _check(holding_cost, stockout_cost, fixed_cost, lead_time)
    means = np.ascontiguousarray(demand_means, dtype=np.float64)
    if means.ndim != 1 or np.any(~np.isfinite(means)) or np.any(means <= 0):
        raise InvalidParameter("poisson means must be a 1-d array of positive numbers")
    if np.any(means * (lead_time + 1) > 5000):
        raise InvalidParameter("poisson batch: mean × (L + 1) above 5000; use ss_exact")
    s, big_s, cost = _kernel()(
        means, float(holding_cost), float(stockout_cost), float(fixed_cost), int(lead_time)
    )
    return SSBatch(s, big_s, cost)


def ss_power_approximation(
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand_mean: float,
    demand_sd: float,
    lead_time: int = 0,
) -> SSSolution:
    """Revised power approximation for (s, S) with normal demand (an approximation).

    Q = 1.30 μ^0.494 (K/h)^0.506 (1 + σ²_L/μ²)^0.116,   z = √(Q h / (σ_L p)),
    s = 0.973 μ_L + σ_L (0.183/z + 1.063 − 2.192 z),    S = s + Q,
    with μ_L = (L + 1)μ and σ_L = √(L + 1) σ the protection-interval demand. ``cost`` is
    NaN (the approximation has no cost formula; evaluate with ``ss_cost`` on a
    discretised demand).

    References:
        R. Ehrhardt & C. Mosier, "A revision of the power approximation for computing
        (s, S) policies", Management Science 30(5), 618–622, 1984; Snyder & Shen, 2nd ed.,
        eqs. (4.77)–(4.80), Example 4.8 (h=0.18, p=0.70, K=2.5, N(50, 8²), L=0 →
        s=40.19, S=74.29).
    """
    _check(holding_cost, stockout_cost, fixed_cost, lead_time)
    if not (demand_mean > 0 and demand_sd > 0):
        raise InvalidParameter(f"normal demand: mean {demand_mean} and sd {demand_sd} must be > 0")
    mu_l = (lead_time + 1) * demand_mean
    sd_l = math.sqrt(lead_time + 1) * demand_sd
    q = (
        1.30
        * demand_mean**0.494
        * (fixed_cost / holding_cost) ** 0.506
        * (1 + sd_l**2 / demand_mean**2) ** 0.116
    )
    z = math.sqrt(q / sd_l * holding_cost / stockout_cost)
    s = 0.973 * mu_l + sd_l * (0.183 / z + 1.063 - 2.192 * z)
    return SSSolution(s, s + q, math.nan)
