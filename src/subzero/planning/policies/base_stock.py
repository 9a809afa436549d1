"""Periodic-review base-stock policies with lead time L: cost-optimal or for a service target.

Timing (Snyder & Shen, *Fundamentals of Supply Chain Theory*, 2nd ed., §4.3.2): every
period the inventory position is raised to S; an order placed in period t arrives L
periods later; costs are charged at the end of each period on the net inventory. The
end-of-period net inventory is S − D_{L+1}, D_{L+1} the demand over L + 1 periods, so the
expected cost per period is the newsvendor cost g(S) for D_{L+1} and S* = F⁻¹_{L+1}(α).
A random lead time 𝓛 (independent, orders not crossing) replaces D_{L+1} by D_{𝓛+1}.

Service measures at level S, with B_k(S) = E[(D_k − S)⁺]:

* type 1 (in-stock probability) α(S) = P(D_{L+1} ≤ S);
* type 2 (fill rate) β(S) = 1 − (B_{L+1}(S) − B_L(S)) / E[D]: the units of one
  period's demand that are backordered are (X + D − S)⁺ − (X − S)⁺ with X the demand
  of the L previous periods (exact under backordering; Zipkin, *Foundations of
  Inventory Management*, §6.4; Axsäter, *Inventory Control*, 3rd ed., §5.8).

Lost sales (``base_stock_lost_sales``) is an APPROXIMATION: it applies the backorder
critical fractile to D_{L+1} with the lost-sales penalty as p. It is exact for L = 0 and
asymptotically optimal as p/h → ∞ (Huh, Janakiraman, Muckstadt & Rusmevichientong,
*Management Science* 55(3), 2009); with long lead times and low p it overstocks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from subzero.domain.errors import InvalidParameter
from subzero.planning.leadtime import LeadTimeDistribution
from subzero.planning.policies.demand import (
    Demand,
    DiscreteDemand,
    NormalDemand,
    lead_time_demand,
)
from subzero.planning.policies.newsvendor import check_costs, critical_ratio, normal_loss

__all__ = [
    "BaseStockSolution",
    "base_stock_cost",
    "base_stock_for_fill_rate",
    "base_stock_for_in_stock",
    "base_stock_lost_sales",
    "evaluate_base_stock",
    "optimal_base_stock",
]

LeadTime = int | LeadTimeDistribution


@dataclass(frozen=True, slots=True)
class BaseStockSolution:
    """A base-stock level [S] with its expected cost per period [g(S)] and service.

    ``cost`` is h E[(S − D_{L+1})⁺] + p E[(D_{L+1} − S)⁺] (p = 0 when no backorder
    cost was given). ``fill_rate`` is type 2 [β], ``in_stock_probability`` type 1 [α].
    """

    base_stock_level: float
    cost: float
    fill_rate: float
    in_stock_probability: float


def _shortage(demand: Demand, level: float) -> float:
    if isinstance(demand, NormalDemand):
        return normal_loss(level, demand.mean, demand.sd)
    return float(demand.expected_shortage(math.floor(level)))


def _cdf(demand: Demand, level: float) -> float:
    from scipy import stats

    if isinstance(demand, NormalDemand):
        return float(stats.norm.cdf(level, demand.mean, demand.sd))
    return float(demand.cdf(math.floor(level)))


def _protection(
    demand: Demand, lead_time: LeadTime, review: int = 1
) -> tuple[Demand, Demand | None]:
    """(D_{L+R}, D_L); D_L is None when it is identically zero (L = 0)."""
    if int(review) != review or review < 1:
        raise InvalidParameter(f"review period {review} must be a whole number of periods ≥ 1")
    over = lead_time_demand(demand, lead_time, extra_periods=review)
    no_lead = lead_time == 0 if isinstance(lead_time, int) else lead_time.pmf.size == 1
    if no_lead:
        return over, None
    return over, lead_time_demand(demand, lead_time)


def evaluate_base_stock(
    level: float,
    demand: Demand,
    lead_time: LeadTime = 0,
    *,
    holding_cost: float,
    backorder_cost: float = 0.0,
    review_period: int = 1,
) -> BaseStockSolution:
    """Expected cost per period, fill rate and in-stock probability of base-stock level S.

    With ``review_period`` R > 1 this is the (R, S) policy: the protection interval is
    L + R periods, the fill rate 1 − (B_{L+R}(S) − B_L(S)) / (R E[D]), and ``cost`` is
    the end-of-cycle cost h E[(S − D_{L+R})⁺] + p E[(D_{L+R} − S)⁺] (the standard
    approximation; Silver, Pyke & Thomas, 4th ed., §6.9).

    Args:
        level: base-stock level [S] (integer for discrete demand).
        demand: demand per period.
        lead_time: [L] in periods, or a ``LeadTimeDistribution``.
        holding_cost: [h] ≥ 0 per unit per period.
        backorder_cost: [p] ≥ 0 per unit backordered per period.
    """
    if holding_cost < 0 or backorder_cost < 0:
        raise InvalidParameter(
            f"costs must be ≥ 0: holding {holding_cost}, backorder {backorder_cost}"
        )
    over, during = _protection(demand, lead_time, review_period)
    short = _shortage(over, level)
    leftover = short + level - over.mean
    per_period = demand.mean * review_period
    if per_period > 0:
        new_short = short - (_shortage(during, level) if during is not None else max(0.0, -level))
        fill = min(1.0, max(0.0, 1.0 - new_short / per_period))
    else:
        fill = 1.0
    return BaseStockSolution(
        float(level),
        holding_cost * leftover + backorder_cost * short,
        fill,
        _cdf(over, level),
    )


def base_stock_cost(
    level: float, demand: Demand, lead_time: LeadTime, holding_cost: float, backorder_cost: float
) -> float:
    """g(S) = h E[(S − D_{L+1})⁺] + p E[(D_{L+1} − S)⁺]."""
    return evaluate_base_stock(
        level, demand, lead_time, holding_cost=holding_cost, backorder_cost=backorder_cost
    ).cost


def _quantile(demand: Demand, level: float) -> float:
    from scipy import stats

    if isinstance(demand, NormalDemand):
        return float(stats.norm.ppf(level, demand.mean, demand.sd))
    return float(np.searchsorted(np.cumsum(demand.pmf), level - 1e-12))


def optimal_base_stock(
    holding_cost: float,
    backorder_cost: float,
    demand: Demand,
    lead_time: LeadTime = 0,
    *,
    review_period: int = 1,
) -> BaseStockSolution:
    """Cost-optimal base-stock level: S* = F⁻¹_{L+1}(p / (p + h)).

    Args:
        holding_cost: [h] > 0 per unit per period.
        backorder_cost: [p] > 0 per unit backordered per period.
        demand: demand per period (``NormalDemand`` or ``DiscreteDemand``).
        lead_time: [L] whole periods ≥ 0 or a ``LeadTimeDistribution``.

    References:
        Snyder & Shen, 2nd ed., §4.3.2, eq. (4.35); Example 4.4 (N(50, 8²), h=0.18,
        p=0.70, L=4 → S*=264.77, g*=4.47).
    """
    alpha = critical_ratio(holding_cost, backorder_cost)
    return _at_quantile(alpha, demand, lead_time, holding_cost, backorder_cost, review_period)


def _at_quantile(
    level: float,
    demand: Demand,
    lead_time: LeadTime,
    holding_cost: float,
    backorder_cost: float,
    review_period: int,
) -> BaseStockSolution:
    """S = the ``level`` quantile of demand over the protection interval, evaluated."""
    over, _ = _protection(demand, lead_time, review_period)
    return evaluate_base_stock(
        _quantile(over, level),
        demand,
        lead_time,
        holding_cost=holding_cost,
        backorder_cost=backorder_cost,
        review_period=review_period,
    )


def base_stock_for_in_stock(
    target: float,
    demand: Demand,
    lead_time: LeadTime = 0,
    *,
    holding_cost: float,
    backorder_cost: float = 0.0,
    review_period: int = 1,
) -> BaseStockSolution:
    """Smallest S with type-1 service P(D_{L+1} ≤ S) ≥ target (S = F⁻¹_{L+1}(α)).

    References:
        Snyder & Shen, 2nd ed., §4.3.3 (type-1 service constraint).
    """
    if not 0.0 < target < 1.0:
        raise InvalidParameter(f"in-stock target {target} must lie strictly between 0 and 1")
    return _at_quantile(target, demand, lead_time, holding_cost, backorder_cost, review_period)


def base_stock_for_fill_rate(
    target: float,
    demand: Demand,
    lead_time: LeadTime = 0,
    *,
    holding_cost: float,
    backorder_cost: float = 0.0,
    review_period: int = 1,
) -> BaseStockSolution:
    """Smallest S whose type-2 fill rate β(S) reaches ``target`` (β is increasing in S).

    Discrete demand: integer search; normal demand: root of β(S) = target (brentq).

    References:
        Zipkin, Foundations of Inventory Management, §6.4; Silver, Pyke & Thomas, 4th ed.,
        §6.7 (fill rate with the unit normal loss function G_u).
    """
    from scipy import optimize

    if not 0.0 < target < 1.0:
        raise InvalidParameter(f"fill-rate target {target} must lie strictly between 0 and 1")
    if demand.mean <= 0:
        raise InvalidParameter("fill rate: mean demand per period must be > 0")

    def beta(level: float) -> float:
        return evaluate_base_stock(
            level, demand, lead_time, holding_cost=0.0, review_period=review_period
        ).fill_rate

    over, _ = _protection(demand, lead_time, review_period)
    if isinstance(demand, DiscreteDemand):
        lo, hi = -1, int(_quantile(over, 1 - 1e-9)) + 1
        while hi - lo > 1:  # invariant: beta(lo) < target <= beta(hi)
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if beta(mid) >= target else (mid, hi)
        level = float(hi)
    else:
        lo_f, hi_f = over.mean - 10 * over.sd, over.mean + 10 * over.sd
        level = float(optimize.brentq(lambda s: beta(s) - target, lo_f, hi_f, xtol=1e-10))
    return evaluate_base_stock(
        level,
        demand,
        lead_time,
        holding_cost=holding_cost,
        backorder_cost=backorder_cost,
        review_period=review_period,
    )


def base_stock_lost_sales(
    holding_cost: float, lost_sale_cost: float, demand: Demand, lead_time: LeadTime = 0
) -> BaseStockSolution:
    """APPROXIMATE base-stock level when customers who find no stock are lost.

    S ≈ F⁻¹_{L+1}(p / (p + h)) with p the cost per lost sale (lost margin plus
    goodwill). Exact for L = 0; for L > 0 an approximation, asymptotically optimal as
    p/h → ∞ (Huh et al. 2009). Cost and service are reported with the backorder
    formulas, which under-state the on-hand stock of a lost-sales system.

    References:
        Huh, Janakiraman, Muckstadt & Rusmevichientong, "Asymptotic optimality of
        order-up-to policies in lost sales inventory systems", Management Science 55(3),
        404–420, 2009; Zipkin, Foundations, §9.7 (lost sales).
    """
    check_costs(holding_cost, lost_sale_cost)
    return optimal_base_stock(holding_cost, lost_sale_cost, demand, lead_time)
