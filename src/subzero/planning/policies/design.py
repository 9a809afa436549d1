"""Parameterise an item's stock policy from its demand, lead time and costs or service.

``design_policy`` is the one entry point the service layer calls (``subzero policy
apply``): it takes the item's daily demand (a distribution, or one built from forecast
quantiles with ``demand.demand_from_quantiles``), its supplier's lead time (days or a
fitted ``LeadTimeDistribution``) and either a backorder cost or a service target, and
returns one of the value objects of ``kinds.py`` with integer parameters.

Rules (all quantities per day, costs per unit per day, K per order):

* ``mto`` → ``MakeToOrder()``.
* ``base-stock`` → cost-optimal S (``optimal_base_stock``) or the smallest S meeting the
  service target (fill rate β by default, or in-stock α).
* ``RS`` → the same with protection interval L + R (``review_period_days``).
* ``sS`` / ``minmax`` → exact Zheng–Federgruen for discrete demand (normal demand is
  first rounded to integers with ``discretised_normal``); minmax reports (s + 1, S).
  With a service target instead of a backorder cost, p is the cost implied by the
  critical ratio, p = h β / (1 − β) (a heuristic; Snyder & Shen, 2nd ed., §4.3.3).
  With K = 0 the optimum is base-stock: s = S − 1.
* ``rQ`` → Federgruen–Zheng for discrete demand, the exact normal optimum otherwise;
  r is rounded to the nearest integer, Q up (≥ 1). Needs K > 0.
"""

from __future__ import annotations

import math
from typing import Literal

from subzero.domain.errors import InvalidParameter
from subzero.planning.leadtime import LeadTimeDistribution
from subzero.planning.policies.base_stock import (
    BaseStockSolution,
    base_stock_for_fill_rate,
    base_stock_for_in_stock,
    optimal_base_stock,
)
from subzero.planning.policies.demand import (
    Demand,
    DiscreteDemand,
    NormalDemand,
    discretised_normal,
    lead_time_demand,
)
from subzero.planning.policies.kinds import (
    RQ,
    RS,
    SS,
    BaseStock,
    MakeToOrder,
    MinMax,
    Policy,
    PolicyKind,
)
from subzero.planning.policies.r_Q import rq_discrete_exact, rq_normal_lead_time_demand
from subzero.planning.policies.s_S import ss_exact

__all__ = ["ServiceMeasure", "design_policy"]

ServiceMeasure = Literal["fill_rate", "in_stock"]


def _level(solution: BaseStockSolution) -> int:
    return math.ceil(solution.base_stock_level - 1e-9)


def _order_up_to(
    demand: Demand,
    lead_time: int | LeadTimeDistribution,
    holding_cost: float,
    backorder_cost: float | None,
    service_target: float | None,
    service_measure: ServiceMeasure,
    review: int,
) -> int:
    if service_target is not None:
        if service_measure == "fill_rate":
            sol = base_stock_for_fill_rate(
                service_target, demand, lead_time, holding_cost=holding_cost, review_period=review
            )
        else:
            sol = base_stock_for_in_stock(
                service_target, demand, lead_time, holding_cost=holding_cost, review_period=review
            )
    else:
        assert backorder_cost is not None
        sol = optimal_base_stock(
            holding_cost, backorder_cost, demand, lead_time, review_period=review
        )
    return _level(sol)


def design_policy(
    kind: PolicyKind,
    *,
    daily_demand: Demand,
    lead_time: int | LeadTimeDistribution,
    holding_cost: float,
    backorder_cost: float | None = None,
    service_target: float | None = None,
    service_measure: ServiceMeasure = "fill_rate",
    fixed_cost: float = 0.0,
    review_period_days: int = 7,
) -> Policy:
    """Compute the parameters of a policy of ``kind`` for one item.

    Args:
        kind: the policy family to parameterise.
        daily_demand: demand per day (``NormalDemand`` or ``DiscreteDemand``).
        lead_time: supplier lead time in whole days, or its distribution.
        holding_cost: [h] > 0 per unit per day.
        backorder_cost: [p] > 0 per unit backordered per day; or give ``service_target``.
        service_target: target in (0, 1) for ``service_measure`` (fill rate β or
            in-stock probability α); or give ``backorder_cost``.
        fixed_cost: [K] ≥ 0 per order (needed > 0 for rQ).
        review_period_days: [R] for ``RS``.

    Raises:
        InvalidParameter: neither or both of backorder_cost / service_target, a
            non-positive holding cost, or a kind that needs K > 0 without it.
    """
    if kind is PolicyKind.MAKE_TO_ORDER:
        return MakeToOrder()
    if (backorder_cost is None) == (service_target is None):
        raise InvalidParameter(
            "design_policy: give exactly one of backorder_cost or service_target "
            f"(got {backorder_cost!r} and {service_target!r})"
        )
    if not (math.isfinite(holding_cost) and holding_cost > 0):
        raise InvalidParameter(f"holding cost {holding_cost} must be > 0")
    if service_target is not None and not 0.0 < service_target < 1.0:
        raise InvalidParameter(f"service target {service_target} must lie strictly in (0, 1)")
    if fixed_cost < 0 or not math.isfinite(fixed_cost):
        raise InvalidParameter(f"fixed cost {fixed_cost} must be ≥ 0")

    if kind is PolicyKind.BASE_STOCK:
        level = _order_up_to(
            daily_demand,
            lead_time,
            holding_cost,
            backorder_cost,
            service_target,
            service_measure,
            1,
        )
        return BaseStock(level)
    if kind is PolicyKind.R_S:
        level = _order_up_to(
            daily_demand,
            lead_time,
            holding_cost,
            backorder_cost,
            service_target,
            service_measure,
            review_period_days,
        )
        return RS(review_period_days, level)

    p = backorder_cost
    if p is None:
        assert service_target is not None
        p = holding_cost * service_target / (1.0 - service_target)

    if kind in (PolicyKind.S_S, PolicyKind.MIN_MAX):
        if fixed_cost == 0:
            top = _order_up_to(daily_demand, lead_time, holding_cost, p, None, "fill_rate", 1)
            s, big_s = top - 1, top
        else:
            discrete = (
                daily_demand
                if isinstance(daily_demand, DiscreteDemand)
                else discretised_normal(max(daily_demand.mean, 0.0), daily_demand.sd)
            )
            sol = ss_exact(holding_cost, p, fixed_cost, discrete, lead_time)
            s, big_s = int(sol.reorder_point), int(sol.order_up_to)
        return SS(s, big_s) if kind is PolicyKind.S_S else MinMax(s + 1, big_s)

    if kind is PolicyKind.R_Q:
        if fixed_cost <= 0:
            raise InvalidParameter(
                "rQ: fixed cost per order must be > 0 (use base-stock for K = 0)"
            )
        rate = daily_demand.mean
        if rate <= 0:
            raise InvalidParameter(f"rQ: mean daily demand {rate} must be > 0")
        ltd = lead_time_demand(daily_demand, lead_time)
        if isinstance(ltd, DiscreteDemand):
            rq = rq_discrete_exact(holding_cost, p, fixed_cost, rate, ltd)
        else:
            assert isinstance(ltd, NormalDemand)
            rq = rq_normal_lead_time_demand(holding_cost, p, fixed_cost, rate, ltd.mean, ltd.sd)
        return RQ(round(rq.reorder_point), max(1, math.ceil(rq.order_quantity - 1e-9)))
    raise InvalidParameter(f"design_policy: unknown policy kind {kind!r}")
