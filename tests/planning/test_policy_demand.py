"""Demand distributions and lead-time demand (fixed and random lead times)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from subzero.domain.errors import InvalidParameter
from subzero.planning.leadtime import LeadTimeDistribution
from subzero.planning.policies.demand import (
    DiscreteDemand,
    NormalDemand,
    demand_from_pmf,
    demand_from_quantiles,
    discrete_demand_from_quantiles,
    discretised_normal,
    lead_time_demand,
    negative_binomial_demand,
    poisson_demand,
)


def test_poisson_over_a_fixed_lead_time_is_poisson() -> None:
    ltd = lead_time_demand(poisson_demand(2.5), 4)
    assert isinstance(ltd, DiscreteDemand)
    np.testing.assert_allclose(ltd.pmf[:40], stats.poisson.pmf(np.arange(40), 10.0), atol=1e-12)


def test_normal_over_a_fixed_lead_time() -> None:
    ltd = lead_time_demand(NormalDemand(50, 8), 4, extra_periods=1)
    assert isinstance(ltd, NormalDemand)
    assert (ltd.mean, ltd.sd) == pytest.approx((250, 8 * np.sqrt(5)))


def test_random_lead_time_moments() -> None:
    # E[D_L] = E[L] mu, Var[D_L] = E[L] sigma^2 + Var(L) mu^2 (Silver, Pyke & Thomas,
    # 4th ed., §6.10): L in {1, 3} equally likely, so E[L]=2, Var(L)=1.
    lead = LeadTimeDistribution.from_table({1: 0.5, 3: 0.5})
    discrete = lead_time_demand(poisson_demand(4), lead)
    assert discrete.mean == pytest.approx(8)
    assert discrete.sd**2 == pytest.approx(2 * 4 + 1 * 16, rel=1e-9)
    normal = lead_time_demand(NormalDemand(4, 2), lead)
    assert (normal.mean, normal.sd**2) == pytest.approx((8, 2 * 4 + 1 * 16))


def test_pmf_table_and_moments() -> None:
    demand = demand_from_pmf({1: 0.25, 3: 0.75})
    assert demand.mean == pytest.approx(2.5)
    assert demand.cdf([0, 1, 2, 3, 9]).tolist() == pytest.approx([0, 0.25, 0.25, 1, 1])
    # E[(D - 2)+] = 0.75, E[(2 - D)+] = 0.25
    assert float(demand.expected_shortage(2)) == pytest.approx(0.75)
    assert float(demand.expected_leftover(2)) == pytest.approx(0.25)


def test_negative_binomial_moments() -> None:
    demand = negative_binomial_demand(6, 4)
    assert (demand.mean, demand.sd) == pytest.approx((6, 4), rel=1e-6)


def test_quantile_forecasts() -> None:
    levels = [0.1, 0.5, 0.9]
    values = stats.norm.ppf(levels, 40, 6).tolist()
    fit = demand_from_quantiles(levels, values)
    assert (fit.mean, fit.sd) == pytest.approx((40, 6))
    discrete = discrete_demand_from_quantiles(levels, values)
    assert discrete.mean == pytest.approx(40, abs=0.3)
    assert float(discrete.cdf(40)) == pytest.approx(0.5 + stats.norm.pdf(0) / 12, abs=0.03)
    assert discretised_normal(40, 6).sd == pytest.approx(np.sqrt(36 + 1 / 12), rel=1e-3)


def test_invalid_parameters() -> None:
    with pytest.raises(InvalidParameter, match="empty"):
        demand_from_pmf({})
    with pytest.raises(InvalidParameter, match="sum to"):
        demand_from_pmf({1: 0.2})
    with pytest.raises(InvalidParameter, match="levels"):
        demand_from_quantiles([0.5, 0.4], [1, 2])
    with pytest.raises(InvalidParameter, match="not decrease"):
        demand_from_quantiles([0.1, 0.9], [5, 2])
    with pytest.raises(InvalidParameter, match="sd"):
        negative_binomial_demand(6, 2)
    with pytest.raises(InvalidParameter, match="mean"):
        poisson_demand(-1)
