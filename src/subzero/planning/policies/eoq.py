"""Deterministic lot sizing: EOQ, EOQ with planned backorders, and Wagner–Whitin.

EOQ (Harris 1913; Snyder & Shen, *Fundamentals of Supply Chain Theory*, 2nd ed., §3.2):
    Q* = √(2Kλ/h),   g* = √(2Kλh).
EOQ with planned backorders (§3.5, eqs. (3.27)–(3.29)):
    Q* = √(2Kλ(h + p)/(hp)),   x* = h/(h + p) (fraction of demand backordered),
    g* = √(2Kλhp/(h + p)).
Wagner–Whitin (1958) dynamic lot sizing (§3.6): with zero-inventory ordering, θ_t is the
cheapest cost of periods t … T, θ_t = min_{j ≥ t} {K + h Σ_{i=t+1}^{j} (i − t) d_i + θ_{j+1}},
holding charged on end-of-period inventory.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from subzero.domain.errors import InvalidParameter

__all__ = [
    "EOQSolution",
    "LotSizingPlan",
    "economic_order_quantity",
    "economic_order_quantity_with_backorders",
    "wagner_whitin",
]


@dataclass(frozen=True, slots=True)
class EOQSolution:
    """Order quantity [Q*], cost per unit time [g*], fraction of demand backordered [x*]."""

    order_quantity: float
    cost: float
    backordered_fraction: float = 0.0


@dataclass(frozen=True, slots=True)
class LotSizingPlan:
    """Quantity ordered in each period (0 when no order) and the total cost."""

    orders: tuple[float, ...]
    cost: float


def _positive(**values: float) -> None:
    for name, value in values.items():
        if not math.isfinite(value) or value <= 0:
            raise InvalidParameter(f"{name.replace('_', ' ')} {value} must be a positive number")


def economic_order_quantity(
    fixed_cost: float, holding_cost: float, demand_rate: float
) -> EOQSolution:
    """Economic order quantity Q* = √(2Kλ/h) and cost g* = √(2Kλh).

    Args:
        fixed_cost: cost per order [K] > 0.
        holding_cost: cost per unit per unit time [h] > 0.
        demand_rate: units per unit time [λ] > 0.

    References:
        Snyder & Shen, 2nd ed., eqs. (3.4)–(3.5); Example 3.1 (K=8, h=0.225, λ=1300 →
        Q*=304.05, g*=68.41).
    """
    _positive(fixed_cost=fixed_cost, holding_cost=holding_cost, demand_rate=demand_rate)
    q = math.sqrt(2 * fixed_cost * demand_rate / holding_cost)
    return EOQSolution(q, q * holding_cost)


def economic_order_quantity_with_backorders(
    fixed_cost: float, holding_cost: float, stockout_cost: float, demand_rate: float
) -> EOQSolution:
    """EOQ with planned backorders (EOQB).

    Q* = √(2Kλ(h + p)/(hp)),  x* = h/(h + p),  g* = √(2Kλhp/(h + p)).

    Args:
        stockout_cost: cost per unit backordered per unit time [p] > 0.

    References:
        Snyder & Shen, 2nd ed., eqs. (3.27)–(3.29); Example 3.8 (K=8, h=0.225, p=5,
        λ=1300 → Q*=310.81, x*=0.0431, g*=66.92).
    """
    _positive(
        fixed_cost=fixed_cost,
        holding_cost=holding_cost,
        backorder_cost=stockout_cost,
        demand_rate=demand_rate,
    )
    h, p = holding_cost, stockout_cost
    q = math.sqrt(2 * fixed_cost * demand_rate * (h + p) / (h * p))
    cost = math.sqrt(2 * fixed_cost * demand_rate * h * p / (h + p))
    return EOQSolution(q, cost, h / (h + p))


def wagner_whitin(
    fixed_cost: float, holding_cost: float, demands: Sequence[float]
) -> LotSizingPlan:
    """Optimal order quantities for known demands per period (Wagner–Whitin DP, O(T²)).

    Args:
        fixed_cost: cost per order [K] ≥ 0.
        holding_cost: cost per unit held at the end of a period [h] ≥ 0.
        demands: demand of periods 1 … T, each ≥ 0.

    References:
        H. M. Wagner & T. M. Whitin, "Dynamic version of the economic lot size model",
        Management Science 5(1), 89–96, 1958; Snyder & Shen, 2nd ed., §3.6, Example 3.9
        (K=500, h=2, d=(90, 120, 80, 70) → orders (210, 0, 150, 0), cost 1380).
    """
    if not demands:
        raise InvalidParameter("wagner-whitin: empty demand list; give one demand per period")
    if not (math.isfinite(fixed_cost) and fixed_cost >= 0):
        raise InvalidParameter(f"fixed cost {fixed_cost} must be ≥ 0")
    if not (math.isfinite(holding_cost) and holding_cost >= 0):
        raise InvalidParameter(f"holding cost {holding_cost} must be ≥ 0")
    d = [float(x) for x in demands]
    if any(not math.isfinite(x) or x < 0 for x in d):
        raise InvalidParameter(f"demands {list(demands)} must all be ≥ 0")
    n = len(d)
    theta = [0.0] * (n + 1)  # theta[t]: optimal cost of periods t..n-1 (0-based), empty stock
    cover = [n] * (n + 1)  # an order in t covers periods t..cover[t]-1; t itself: no order
    for t in range(n - 1, -1, -1):
        best, best_j = (theta[t + 1], t) if d[t] == 0 else (math.inf, n)
        carried = 0.0
        for j in range(t, n):  # order in t covers periods t..j
            carried += holding_cost * (j - t) * d[j]
            cost = fixed_cost + carried + theta[j + 1]
            if cost < best - 1e-12:
                best, best_j = cost, j + 1
        theta[t], cover[t] = best, best_j
    orders = [0.0] * n
    t = 0
    while t < n:
        if cover[t] == t:
            t += 1
            continue
        orders[t] = math.fsum(d[t : cover[t]])
        t = cover[t]
    return LotSizingPlan(tuple(orders), theta[0])
