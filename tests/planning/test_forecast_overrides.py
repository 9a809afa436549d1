"""Planner overrides applied and scored; accuracy per item for bias monitoring."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from subzero.domain.errors import InvalidParameter
from subzero.planning.forecast_accuracy import accuracy_by_item, bias_test
from subzero.planning.forecast_overrides import (
    Override,
    apply_overrides,
    locate,
    score_overrides,
)

DAYS = pd.date_range("2025-03-01", periods=3)
FORECAST = pd.DataFrame(
    {
        "unique_id": ["A"] * 3 + ["B"] * 3,
        "ds": list(DAYS) * 2,
        "mean": [10.0] * 3 + [2.0] * 3,
        "q0.9": [14.0] * 3 + [4.0] * 3,
    }
)


def test_override_replaces_mean_and_shifts_quantiles_never_below_zero() -> None:
    out = apply_overrides(
        FORECAST,
        [Override("A", DAYS[1], 30.0, "promotion"), Override("B", DAYS[0], 0.0, "customer lost")],
    )
    a = out[out["unique_id"] == "A"]
    assert a["mean"].tolist() == [10.0, 30.0, 10.0]
    assert a["q0.9"].tolist() == [14.0, 34.0, 14.0]
    assert a["override_reason"].tolist() == ["", "promotion", ""]
    assert a["statistical_mean"].tolist() == [10.0] * 3
    b0 = out[(out["unique_id"] == "B") & (out["ds"] == DAYS[0])].iloc[0]
    assert (b0["mean"], b0["q0.9"]) == (0.0, 2.0)


def test_a_later_override_wins_and_periods_may_be_timestamps_dates_or_indices() -> None:
    twice = [Override("A", DAYS[1], 30.0, "promotion"), Override("A", DAYS[1], 20.0, "revised")]
    a = apply_overrides(FORECAST, twice).iloc[1]
    assert (a["mean"], a["q0.9"], a["override_reason"]) == (20.0, 24.0, "revised")
    # the ledger forecast keys days as dates; a history may key periods as integers
    as_dates = FORECAST.assign(ds=FORECAST["ds"].dt.date)
    day = DAYS[2].date()
    out = apply_overrides(as_dates, [Override("B", day, 7.0, "x")])
    assert out.loc[(out["unique_id"] == "B") & (out["ds"] == day), "mean"].tolist() == [7.0]
    indexed = FORECAST.assign(ds=[0, 1, 2] * 2)
    assert locate(indexed, [Override("B", 2, 1.0, "x"), Override("B", 3, 1.0, "x")]).tolist() == [
        5,
        -1,
    ]
    assert locate(FORECAST, [Override("A", DAYS[0], 1.0, "x")]).tolist() == [0]


def test_override_of_unknown_period_or_bad_value_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="no such series and period"):
        apply_overrides(FORECAST, [Override("C", DAYS[0], 1.0, "x")])
    with pytest.raises(InvalidParameter, match=r"value -1\.0 must be a number >= 0"):
        Override("A", DAYS[0], -1.0, "x")
    with pytest.raises(InvalidParameter, match="a reason is required"):
        Override("A", DAYS[0], 1.0, " ")


def test_overrides_are_scored_against_actuals() -> None:
    overrides = [
        Override("A", DAYS[1], 30.0, "promotion"),
        Override("B", DAYS[0], 0.0, "lost"),
        Override("B", DAYS[2], 5.0, "no actual yet"),
    ]
    actuals = pd.DataFrame({"unique_id": ["A", "B"], "ds": [DAYS[1], DAYS[0]], "y": [26.0, 3.0]})
    summary = score_overrides(FORECAST, overrides, actuals)
    assert len(summary.scores) == 2
    promo, lost = summary.scores
    assert (promo.statistical_error, promo.override_error, promo.helped) == (16.0, 4.0, True)
    assert (lost.statistical_error, lost.override_error, lost.helped) == (1.0, 3.0, False)
    assert summary.value_added == pytest.approx(16 - 4 + 1 - 3)
    assert summary.hit_rate == 0.5


def test_accuracy_by_item_bias_and_tracking_signal() -> None:
    actuals = pd.DataFrame(
        {
            "unique_id": ["A"] * 3 + ["B"] * 3,
            "ds": list(DAYS) * 2,
            "y": [4.0, 4.0, 4.0, 1.0, 3.0, 2.0],
        }
    )
    history = pd.DataFrame(
        {
            "unique_id": ["A"] * 3 + ["B"] * 3,
            "ds": list(range(3)) * 2,
            "y": [2.0, 4.0, 6.0, 1.0, 1.0, 3.0],
        }
    )
    records = {
        r.unique_id: r for r in accuracy_by_item(FORECAST, actuals, run_id="run-1", history=history)
    }
    a, b = records["A"], records["B"]
    assert (a.bias, a.mae, a.rmse, a.periods) == (6.0, 6.0, 6.0, 3)
    assert a.tracking_signal == pytest.approx(-3.0) and not a.biased
    assert a.mase == pytest.approx(6.0 / 2.0)  # mean |change| of 2, 4, 6 is 2
    assert b.bias == pytest.approx(0.0) and b.tracking_signal == pytest.approx(0.0)
    assert a.run_id == "run-1"


def _poisson_test(rng: np.random.Generator, demand: float, forecast: float, days: int) -> Any:
    """The bias test on 4,000 items with Poisson(demand) over ``days`` and a flat forecast."""
    actual = rng.poisson(demand, size=(4000, days)).astype(float)
    err = actual - forecast
    return bias_test(
        np.full(4000, days),
        err.sum(axis=1),
        np.abs(err).sum(axis=1),
        (err * err).sum(axis=1),
        np.full(4000, forecast * days),
    )


@pytest.mark.parametrize(("demand", "days"), [(5.0, 28), (5.0, 7), (0.2, 28), (0.05, 28)])
def test_bias_test_rarely_flags_an_unbiased_forecast(demand: float, days: int) -> None:
    # the forecast is the true mean: every flag is a false alarm. For normal errors the
    # t statistic crosses 3 with probability 2.4 % at 7 periods and 0.6 % at 28; slow
    # movers (0.05 a day: most months have no sale at all) rest on the Poisson floor
    test = _poisson_test(np.random.default_rng(11), demand, demand, days)
    assert test.biased.mean() < 0.03


def test_the_textbook_rule_fires_on_a_single_day_never_and_on_four_weeks_by_chance() -> None:
    # why the flag is a test: |sum e| / MAE <= n, and for an unbiased forecast over 28
    # days |TS| > 4 holds about half the time (normal errors: 2 P(Z > 4 / (sqrt(28) /
    # sqrt(2 / pi))) = 55 %)
    rng = np.random.default_rng(12)
    one_day = _poisson_test(rng, 5.0, 5.0, 1)
    assert np.abs(one_day.tracking_signal).max() <= 1.0 and not one_day.biased.any()
    month = _poisson_test(rng, 5.0, 5.0, 28)
    assert 0.45 < (np.abs(month.tracking_signal) > 4).mean() < 0.65
    assert month.biased.mean() < 0.03


@pytest.mark.parametrize(("forecast", "sign"), [(7.5, -1), (3.0, 1)])
def test_bias_test_finds_a_persistent_bias_within_four_weeks(forecast: float, sign: int) -> None:
    # demand 5 a day forecast at 7.5 (over) or 3 (under): flagged nearly always, with
    # the sign of the tracking signal (> 0: under-forecast)
    test = _poisson_test(np.random.default_rng(13), 5.0, forecast, 28)
    assert test.biased.mean() > 0.95
    assert (np.sign(test.z[test.biased]) == sign).all()


def test_bias_test_edge_cases() -> None:
    test = bias_test(
        [28, 28, 6, 28],
        [-1.4, 28.0, -60.0, 0.0],
        [1.4, 28.0, 60.0, 0.0],
        [0.07, 28.0, 600.0, 0.0],
        [1.4, 0.0, 60.0, 0.0],
    )
    # a slow mover with no sale in 28 days, forecast 0.05 a day: every error is -0.05,
    # the sample variance is 0, the Poisson floor keeps z at -1.4 / sqrt(1.4) = -1.18
    assert test.z[0] == pytest.approx(-1.4 / np.sqrt(1.4)) and not test.biased[0]
    # forecast 0 and demand 1 every day: no spread at all, certainly under-forecast
    assert test.z[1] == np.inf and test.biased[1]
    # under a week of evidence is never flagged, however large the error
    assert not test.biased[2]
    # no error at all
    assert test.z[3] == 0.0 and test.tracking_signal[3] == 0.0 and not test.biased[3]
