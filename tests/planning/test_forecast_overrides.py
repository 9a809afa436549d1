"""Planner overrides applied and scored; accuracy per item for bias monitoring."""

from __future__ import annotations

import pandas as pd
import pytest

from subzero.domain.errors import InvalidParameter
from subzero.planning.forecast_accuracy import accuracy_by_item
from subzero.planning.forecast_overrides import Override, apply_overrides, score_overrides

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
