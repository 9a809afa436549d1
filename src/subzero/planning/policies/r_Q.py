"""Continuous-review (r, Q) policies with fixed order cost K and backorders.

When the inventory position reaches r, order Q. With the position uniform on
(r, r + Q] and g(y) the newsvendor cost of position y against lead-time demand, the cost
per unit time is (Snyder & Shen, *Fundamentals of Supply Chain Theory*, 2nd ed., §5.2,
eqs. (5.7) and (5.48); Zipkin, *Foundations of Inventory Management*, §6.5)

    continuous demand:  g(r, Q) = [Kλ + ∫_r^{r+Q} g(y) dy] / Q
    Poisson demand:     g(r, Q) = [Kλ + Σ_{y=r+1}^{r+Q} g(y)] / Q

For normal lead-time demand ∫ g has a closed form with the second-order loss function
n⁽²⁾(x) = ½ E[((D − x)⁺)²]. ``rq_normal_exact`` minimises g(r, Q) numerically (it is
jointly convex); ``rq_eoqb_approximation`` and ``rq_loss_function_approximation`` are the
textbook approximations; ``rq_poisson_exact`` is Federgruen & Zheng's (1992) algorithm.
Times are in one unit (e.g. years or days) for λ, its sd τ, h, p and L.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from subzero.domain.errors import InvalidParameter
from subzero.planning.policies.demand import DiscreteDemand, poisson_demand
from subzero.planning.policies.eoq import (
    economic_order_quantity,
    economic_order_quantity_with_backorders,
)
from subzero.planning.policies.newsvendor import check_costs, normal_cost, normal_loss

__all__ = [
    "RQSolution",
    "rq_cost_normal",
    "rq_cost_poisson",
    "rq_discrete_exact",
    "rq_eoqb_approximation",
    "rq_loss_function_approximation",
    "rq_normal_exact",
    "rq_normal_lead_time_demand",
    "rq_poisson_exact",
]


@dataclass(frozen=True, slots=True)
class RQSolution:
    """Reorder point [r], order quantity [Q] and expected cost per unit time [g(r, Q)]."""

    reorder_point: float
    order_quantity: float
    cost: float


def _check(h: float, p: float, k: float, rate: float, lead_time: float) -> None:
    check_costs(h, p)
    if not (math.isfinite(k) and k > 0):
        raise InvalidParameter(f"fixed cost {k} must be > 0")
    if not (math.isfinite(rate) and rate > 0):
        raise InvalidParameter(f"demand rate {rate} must be > 0")
    if not (math.isfinite(lead_time) and lead_time >= 0):
        raise InvalidParameter(f"lead time {lead_time} must be ≥ 0")


def _ltd(rate: float, rate_sd: float, lead_time: float) -> tuple[float, float]:
    if not (math.isfinite(rate_sd) and rate_sd > 0):
        raise InvalidParameter(f"demand sd {rate_sd} must be > 0")
    if lead_time <= 0:
        raise InvalidParameter("normal (r,Q): lead time must be > 0 (lead-time demand sd > 0)")
    return rate * lead_time, rate_sd * math.sqrt(lead_time)


def _second_loss(x: float, mean: float, sd: float) -> float:
    """n⁽²⁾(x) = ½ σ² [(z² + 1)(1 − Φ(z)) − z φ(z)] (S&S eq. (C.23))."""
    from scipy import stats

    z = (x - mean) / sd
    return 0.5 * sd * sd * ((z * z + 1) * float(stats.norm.sf(z)) - z * float(stats.norm.pdf(z)))


def _integral_g(r: float, q: float, h: float, p: float, mean: float, sd: float) -> float:
    hold = 0.5 * h * ((r + q - mean) ** 2 - (r - mean) ** 2)
    return hold + (h + p) * (_second_loss(r, mean, sd) - _second_loss(r + q, mean, sd))


def rq_cost_normal(
    reorder_point: float,
    order_quantity: float,
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand_rate: float,
    demand_sd: float,
    lead_time: float,
) -> float:
    """Exact g(r, Q) for normal demand (rate λ, sd τ per unit time; LTD N(λL, τ²L)).

    References:
        Snyder & Shen, 2nd ed., eq. (5.7); Example 5.1 (h=0.225, p=7.5, K=8, λ=1300,
        τ=150, L=1/12: g(126.8, 328.5) = 78.07).
    """
    _check(holding_cost, stockout_cost, fixed_cost, demand_rate, lead_time)
    if order_quantity <= 0:
        raise InvalidParameter(f"order quantity {order_quantity} must be > 0")
    mean, sd = _ltd(demand_rate, demand_sd, lead_time)
    integral = _integral_g(reorder_point, order_quantity, holding_cost, stockout_cost, mean, sd)
    return (fixed_cost * demand_rate + integral) / order_quantity


def _r_for_q(q: float, h: float, p: float, mean: float, sd: float) -> float:
    """r(Q): the root of g(r) = g(r + Q) (S&S eq. (5.9))."""
    from scipy import optimize

    def gap(r: float) -> float:
        return normal_cost(r, h, p, mean, sd) - normal_cost(r + q, h, p, mean, sd)

    lo, hi = mean - 12 * sd - q, mean + 12 * sd
    return float(optimize.brentq(gap, lo, hi, xtol=1e-10))


def rq_normal_exact(
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand_rate: float,
    demand_sd: float,
    lead_time: float,
) -> RQSolution:
    """Optimal (r, Q) for normal demand: minimise g(r(Q), Q) over Q (convex; brent).

    References:
        Zipkin, Foundations, §6.5.2 (joint convexity); Snyder & Shen, 2nd ed.,
        Examples 5.1/5.6 (optimum r ≈ 126.8, Q ≈ 328.5, g ≈ 78.07).
    """
    _check(holding_cost, stockout_cost, fixed_cost, demand_rate, lead_time)
    mean, sd = _ltd(demand_rate, demand_sd, lead_time)
    return rq_normal_lead_time_demand(
        holding_cost, stockout_cost, fixed_cost, demand_rate, mean, sd
    )


def rq_normal_lead_time_demand(
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand_rate: float,
    lead_time_demand_mean: float,
    lead_time_demand_sd: float,
) -> RQSolution:
    """``rq_normal_exact`` given the lead-time demand N(mean, sd²) directly (e.g. for a
    random lead time, from ``lead_time_demand``)."""
    from scipy import optimize

    _check(holding_cost, stockout_cost, fixed_cost, demand_rate, 0.0)
    mean, sd = lead_time_demand_mean, lead_time_demand_sd
    if not (math.isfinite(sd) and sd > 0):
        raise InvalidParameter(f"lead-time demand sd {sd} must be > 0")
    h, p = holding_cost, stockout_cost

    def cost(q: float) -> float:
        r = _r_for_q(q, h, p, mean, sd)
        return (fixed_cost * demand_rate + _integral_g(r, q, h, p, mean, sd)) / q

    start = economic_order_quantity_with_backorders(fixed_cost, h, p, demand_rate).order_quantity
    hi = max(4 * start, start + 8 * sd)
    res = optimize.minimize_scalar(
        cost, bounds=(1e-6 * start, hi), method="bounded", options={"xatol": 1e-7 * start}
    )
    q = float(res.x)
    return RQSolution(_r_for_q(q, h, p, mean, sd), q, float(res.fun))


def rq_eoqb_approximation(
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand_rate: float,
    demand_sd: float,
    lead_time: float,
) -> RQSolution:
    """EOQB approximation: Q = √(2Kλ(h + p)/(hp)), r = r(Q) from g(r) = g(r + Q).

    References:
        Y.-S. Zheng, "On properties of stochastic inventory systems", Management Science
        38(1), 87–103, 1992; Snyder & Shen, 2nd ed., §5.3.3, Example 5.4 (data of
        Example 5.1 → r=128.64, Q=308.57).
    """
    _check(holding_cost, stockout_cost, fixed_cost, demand_rate, lead_time)
    mean, sd = _ltd(demand_rate, demand_sd, lead_time)
    q = economic_order_quantity_with_backorders(
        fixed_cost, holding_cost, stockout_cost, demand_rate
    ).order_quantity
    r = _r_for_q(q, holding_cost, stockout_cost, mean, sd)
    cost = (fixed_cost * demand_rate + _integral_g(r, q, holding_cost, stockout_cost, mean, sd)) / q
    return RQSolution(r, q, cost)


def rq_loss_function_approximation(
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand_rate: float,
    demand_sd: float,
    lead_time: float,
    *,
    tolerance: float = 1e-8,
) -> RQSolution:
    """Loss-function approximation (Hadley & Whitin 1963), iterated to a fixed point:

    n(r) = hQ/(h + p),   Q = √(2[Kλ + (h + p) n⁽²⁾(r)]/h),   starting at the EOQ.

    References:
        G. Hadley & T. M. Whitin, Analysis of Inventory Systems, Prentice-Hall, 1963;
        Snyder & Shen, 2nd ed., eqs. (5.28)–(5.29), Example 5.6 (data of Example 5.1 →
        r=126.87, Q=328.45).
    """
    from scipy import optimize

    _check(holding_cost, stockout_cost, fixed_cost, demand_rate, lead_time)
    mean, sd = _ltd(demand_rate, demand_sd, lead_time)
    h, p = holding_cost, stockout_cost
    q = economic_order_quantity(fixed_cost, h, demand_rate).order_quantity
    r = mean
    for _ in range(500):
        target = h * q / (h + p)
        if target >= normal_loss(mean - 40 * sd, mean, sd):
            raise InvalidParameter("loss-function approximation: no reorder point fits Q")
        r_new = float(
            optimize.brentq(
                lambda y, t=target: normal_loss(y, mean, sd) - t, mean - 40 * sd, mean + 40 * sd
            )
        )
        q_new = math.sqrt(
            2 * (fixed_cost * demand_rate + (h + p) * _second_loss(r_new, mean, sd)) / h
        )
        done = abs(q_new - q) < tolerance and abs(r_new - r) < tolerance
        r, q = r_new, q_new
        if done:
            break
    cost = (fixed_cost * demand_rate + _integral_g(r, q, h, p, mean, sd)) / q
    return RQSolution(r, q, cost)


def rq_cost_poisson(
    reorder_point: int,
    order_quantity: int,
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand_rate: float,
    lead_time: float,
) -> float:
    """Exact g(r, Q) for Poisson demand (rate λ; lead-time demand Poisson(λL)).

    References:
        Snyder & Shen, 2nd ed., eq. (5.48); Example 5.8 (h=20, p=150, K=100, λ=1.5, L=2:
        g(3, 5) = 107.92).
    """
    _check(holding_cost, stockout_cost, fixed_cost, demand_rate, lead_time)
    if int(order_quantity) != order_quantity or order_quantity <= 0:
        raise InvalidParameter(f"order quantity {order_quantity} must be a positive integer")
    ltd = poisson_demand(demand_rate * lead_time)
    ys = np.arange(int(reorder_point) + 1, int(reorder_point) + int(order_quantity) + 1)
    g = holding_cost * ltd.expected_leftover(ys) + stockout_cost * ltd.expected_shortage(ys)
    return float((fixed_cost * demand_rate + g.sum()) / order_quantity)


def rq_poisson_exact(
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand_rate: float,
    lead_time: float,
) -> RQSolution:
    """Optimal integer (r, Q) for Poisson demand (Federgruen & Zheng 1992).

    The best Q positions {r + 1, …, r + Q} are the Q consecutive integers with the
    smallest g; going from Q to Q + 1 adds the cheaper of the two neighbours. Stop when
    the cost per unit time rises (it is unimodal in Q).

    References:
        A. Federgruen & Y.-S. Zheng, "An efficient algorithm for computing an optimal
        (r, Q) policy in continuous review stochastic inventory systems", Operations
        Research 40(4), 808–813, 1992; Snyder & Shen, 2nd ed., §5.6, Example 5.8 (h=20,
        p=150, K=100, λ=1.5, L=2 → r=3, Q=5, g=107.92).
    """
    _check(holding_cost, stockout_cost, fixed_cost, demand_rate, lead_time)
    return rq_discrete_exact(
        holding_cost,
        stockout_cost,
        fixed_cost,
        demand_rate,
        poisson_demand(demand_rate * lead_time),
    )


def rq_discrete_exact(
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand_rate: float,
    lead_time_demand: DiscreteDemand,
) -> RQSolution:
    """Federgruen–Zheng search on g(r, Q) = [Kλ + Σ_{y=r+1}^{r+Q} g(y)] / Q for any
    integer lead-time demand (exact for unit-sized demands, e.g. Poisson; for batch
    demands an approximation since the position is then not exactly uniform)."""
    _check(holding_cost, stockout_cost, fixed_cost, demand_rate, 0.0)
    ltd = lead_time_demand

    def g(y: int) -> float:
        return holding_cost * float(ltd.expected_leftover(y)) + stockout_cost * float(
            ltd.expected_shortage(y)
        )

    y_star = 0
    while g(y_star + 1) < g(y_star):
        y_star += 1
    r, q, total = y_star - 1, 1, g(y_star)
    cost = (fixed_cost * demand_rate + total) / q
    while True:
        left, right = g(r), g(r + q + 1)
        new_total = total + min(left, right)
        new_cost = (fixed_cost * demand_rate + new_total) / (q + 1)
        if new_cost > cost:
            return RQSolution(float(r), float(q), cost)
        if left < right:
            r -= 1
        total, q, cost = new_total, q + 1, new_cost
