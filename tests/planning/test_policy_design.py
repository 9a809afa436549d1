"""design_policy: one entry point that returns the value objects of kinds.py."""

from __future__ import annotations

import pytest

from subzero.domain.errors import InvalidParameter
from subzero.planning.leadtime import LeadTimeDistribution
from subzero.planning.policies.base_stock import base_stock_for_fill_rate, optimal_base_stock
from subzero.planning.policies.demand import NormalDemand, poisson_demand
from subzero.planning.policies.design import design_policy
from subzero.planning.policies.kinds import (
    RQ,
    RS,
    SS,
    BaseStock,
    MakeToOrder,
    MinMax,
    PolicyKind,
    order_quantity,
)
from subzero.planning.policies.r_Q import rq_poisson_exact
from subzero.planning.policies.s_S import ss_exact_poisson

LEAD = LeadTimeDistribution.from_table({3: 0.3, 4: 0.5, 6: 0.2})


@pytest.mark.parametrize("kind", list(PolicyKind))
@pytest.mark.parametrize(
    "demand", [NormalDemand(10, 3), poisson_demand(3)], ids=["normal", "poisson"]
)
@pytest.mark.parametrize(
    "target", [{"backorder_cost": 2.0}, {"service_target": 0.95}], ids=["cost", "service"]
)
def test_contract_every_kind_returns_a_usable_policy(
    kind: PolicyKind, demand: NormalDemand, target: dict[str, float]
) -> None:
    policy = design_policy(
        kind, daily_demand=demand, lead_time=LEAD, holding_cost=0.1, fixed_cost=20, **target
    )
    assert policy.kind is kind
    assert order_quantity(policy, -5) >= 5 or isinstance(policy, RS)
    assert order_quantity(policy, 10_000) == 0


def test_zheng_federgruen_table_1_through_design() -> None:
    # Zheng & Federgruen (1991) Table 1: h=1, p=9, K=64, Poisson(10) -> s=6, S=40
    policy = design_policy(
        PolicyKind.S_S,
        daily_demand=poisson_demand(10),
        lead_time=0,
        holding_cost=1,
        backorder_cost=9,
        fixed_cost=64,
    )
    assert policy == SS(6, 40)
    minmax = design_policy(
        PolicyKind.MIN_MAX,
        daily_demand=poisson_demand(10),
        lead_time=0,
        holding_cost=1,
        backorder_cost=9,
        fixed_cost=64,
    )
    assert minmax == MinMax(7, 40)


def test_base_stock_and_rq_match_the_optimisers() -> None:
    demand = poisson_demand(4)
    bs = design_policy(
        PolicyKind.BASE_STOCK, daily_demand=demand, lead_time=2, holding_cost=1, backorder_cost=9
    )
    assert bs == BaseStock(int(optimal_base_stock(1, 9, demand, 2).base_stock_level))
    served = design_policy(
        PolicyKind.BASE_STOCK, daily_demand=demand, lead_time=2, holding_cost=1, service_target=0.98
    )
    assert served == BaseStock(
        int(base_stock_for_fill_rate(0.98, demand, 2, holding_cost=1).base_stock_level)
    )
    # S&S Example 5.8 in days: h=20, p=150, K=100, lambda=1.5/day, L=2 -> r=3, Q=5
    rq = design_policy(
        PolicyKind.R_Q,
        daily_demand=poisson_demand(1.5),
        lead_time=2,
        holding_cost=20,
        backorder_cost=150,
        fixed_cost=100,
    )
    assert rq == RQ(3, 5)
    assert rq_poisson_exact(20, 150, 100, 1.5, 2).order_quantity == 5


def test_zero_fixed_cost_s_s_is_base_stock() -> None:
    policy = design_policy(
        PolicyKind.S_S,
        daily_demand=poisson_demand(5),
        lead_time=1,
        holding_cost=1,
        backorder_cost=9,
    )
    top = optimal_base_stock(1, 9, poisson_demand(5), 1).base_stock_level
    assert policy == SS(int(top) - 1, int(top))
    assert ss_exact_poisson(1, 9, 1e-9, 5, 1).order_up_to == pytest.approx(top, abs=1)


def test_make_to_order_and_review_period() -> None:
    assert (
        design_policy(
            PolicyKind.MAKE_TO_ORDER, daily_demand=poisson_demand(1), lead_time=1, holding_cost=1
        )
        == MakeToOrder()
    )
    rs = design_policy(
        PolicyKind.R_S,
        daily_demand=NormalDemand(10, 3),
        lead_time=4,
        holding_cost=1,
        backorder_cost=9,
        review_period_days=7,
    )
    assert isinstance(rs, RS) and rs.review_period_days == 7
    # protection interval L + R = 11 days: S = ceil(110 + z_0.9 * 3 * sqrt(11))
    assert rs.order_up_to == 123


def test_invalid_parameters() -> None:
    with pytest.raises(InvalidParameter, match="exactly one"):
        design_policy(
            PolicyKind.BASE_STOCK, daily_demand=poisson_demand(1), lead_time=1, holding_cost=1
        )
    with pytest.raises(InvalidParameter, match="service target"):
        design_policy(
            PolicyKind.BASE_STOCK,
            daily_demand=poisson_demand(1),
            lead_time=1,
            holding_cost=1,
            service_target=1.5,
        )
    with pytest.raises(InvalidParameter, match="fixed cost"):
        design_policy(
            PolicyKind.R_Q,
            daily_demand=poisson_demand(1),
            lead_time=1,
            holding_cost=1,
            backorder_cost=4,
        )
