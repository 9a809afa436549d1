"""Supplier lead-time distributions: empirical tables, parametric fits, delivery history."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from subzero.domain.errors import InvalidParameter
from subzero.planning.leadtime import (
    LeadTimeDistribution,
    fit_lead_time,
    lead_times_from_deliveries,
)


def test_empirical_table_reproduces_the_history() -> None:
    fit = fit_lead_time([3, 4, 4, 5], family="empirical")
    assert fit.family == "empirical"
    np.testing.assert_allclose(fit.distribution.pmf, [0, 0, 0, 0.25, 0.5, 0.25])
    assert fit.distribution.mean == pytest.approx(4.0)
    assert fit.distribution.quantile(0.75) == 4
    assert fit.distribution.quantile(0.76) == 5


def test_auto_falls_back_to_empirical_for_short_histories() -> None:
    assert fit_lead_time([7, 9], family="auto").family == "empirical"
    assert fit_lead_time([5, 5, 5, 5, 5, 5], family="auto").family == "empirical"


def test_gamma_fit_recovers_a_known_supplier() -> None:
    # 2,000 deliveries from a gamma(shape 9, scale 1) supplier, rounded to days:
    # the fitted gamma has mean ~9 and sd ~3, and its tail matches the data.
    rng = np.random.default_rng(42)
    days = np.rint(rng.gamma(9.0, 1.0, 2000)).astype(int)
    fit = fit_lead_time(days, family="gamma")
    shape, scale = fit.parameters
    assert shape * scale == pytest.approx(9.0, rel=0.03)
    assert fit.distribution.mean == pytest.approx(days.mean(), abs=0.1)
    assert fit.distribution.sd == pytest.approx(days.std(), rel=0.05)
    assert fit.distribution.quantile(0.95) == pytest.approx(np.quantile(days, 0.95), abs=1)


def test_auto_prefers_the_true_family_by_aic() -> None:
    rng = np.random.default_rng(1)
    days = rng.poisson(6.0, 3000)
    assert fit_lead_time(days, family="auto").family == "poisson"
    skewed = np.rint(rng.lognormal(2.0, 0.6, 3000)).astype(int)
    assert fit_lead_time(skewed, family="auto").family == "lognormal"


def test_lead_times_from_delivery_dates() -> None:
    ordered = [dt.date(2026, 1, 1), dt.datetime(2026, 1, 5, 23, 0, tzinfo=dt.UTC)]
    received = [dt.date(2026, 1, 8), dt.datetime(2026, 1, 9, 1, 0, tzinfo=dt.UTC)]
    assert lead_times_from_deliveries(ordered, received).tolist() == [7, 4]


def test_invalid_parameters() -> None:
    with pytest.raises(InvalidParameter, match="no deliveries"):
        fit_lead_time([])
    with pytest.raises(InvalidParameter, match="whole days"):
        fit_lead_time([1, -2])
    with pytest.raises(InvalidParameter, match="family"):
        fit_lead_time([1, 2, 3, 4, 5, 6], family="weibull")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter, match="before their orders"):
        lead_times_from_deliveries([dt.date(2026, 1, 5)], [dt.date(2026, 1, 1)])
    with pytest.raises(InvalidParameter, match="sums to"):
        LeadTimeDistribution(np.array([0.5, 0.2]))
    with pytest.raises(InvalidParameter, match="≥ 0"):
        LeadTimeDistribution.fixed(-1)
