"""Known behaviour of each forecast wrapper and of the automatic run on simple series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from subzero.planning.forecast import ForecastSettings, forecast, run_forecast
from subzero.planning.forecast_models import Cost, candidates, instantiate

CHEAP = ForecastSettings(expensive=False, global_model=False)


def frame(series: dict[str, np.ndarray], start: str = "2024-01-01") -> pd.DataFrame:
    parts = [
        pd.DataFrame(
            {"unique_id": uid, "ds": pd.date_range(start, periods=len(y), freq="D"), "y": y}
        )
        for uid, y in series.items()
    ]
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def cheap_forecasts() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    history = frame(
        {
            "constant": np.full(84, 5.0),
            "zeros": np.zeros(84),
            "intermittent": np.where(rng.random(84) < 0.25, 4.0, 0.0),
        }
    )
    return run_forecast(
        history, instantiate(candidates(7, cost=Cost.CHEAP), 7), horizon=7, freq="D", n_jobs=1
    )


@pytest.mark.parametrize("model", [c.name for c in candidates(7, cost=Cost.CHEAP)])
def test_constant_series_gives_constant_forecast(cheap_forecasts: pd.DataFrame, model: str) -> None:
    values = cheap_forecasts.loc[cheap_forecasts["unique_id"] == "constant", model]
    # SBA debiases Croston by (1 - alpha/2) with alpha = 0.1 (Syntetos & Boylan 2005, eq. 8)
    expected = 5.0 * (1 - 0.1 / 2) if model == "sba" else 5.0
    assert values.to_numpy() == pytest.approx(np.full(7, expected))


@pytest.mark.parametrize("model", [c.name for c in candidates(7, cost=Cost.CHEAP)])
def test_all_zero_series_gives_zeros(cheap_forecasts: pd.DataFrame, model: str) -> None:
    values = cheap_forecasts.loc[cheap_forecasts["unique_id"] == "zeros", model]
    assert np.nan_to_num(values.to_numpy(), nan=1.0) == pytest.approx(np.zeros(7))


@pytest.mark.parametrize("model", ["croston", "sba", "tsb", "adida", "imapa"])
def test_intermittent_models_give_flat_positive_rate_below_demand_size(
    cheap_forecasts: pd.DataFrame, model: str
) -> None:
    values = cheap_forecasts.loc[cheap_forecasts["unique_id"] == "intermittent", model].to_numpy()
    assert np.ptp(values) == pytest.approx(0.0, abs=1e-9)
    assert 0.0 < values[0] < 4.0


def test_expensive_wrappers_on_constant_series() -> None:
    history = frame({"constant": np.full(60, 3.0)})
    models = instantiate(
        tuple(c for c in candidates(7, cost=Cost.EXPENSIVE) if c.name != "arima"), 7
    )
    out = run_forecast(history, models, horizon=3, freq="D", n_jobs=1)
    assert out["ets"].to_numpy() == pytest.approx(np.full(3, 3.0), abs=1e-6)
    assert out["theta"].to_numpy() == pytest.approx(np.full(3, 3.0), abs=1e-6)


def test_automatic_run_forecasts_a_seasonal_series_seasonally() -> None:
    pattern = np.array([10.0, 2, 2, 2, 2, 2, 20])
    rng = np.random.default_rng(3)
    series = {f"s{i}": np.tile(pattern, 16) + rng.integers(0, 2, 112) for i in range(3)}
    result = forecast(frame(series), 7, freq="D", settings=CHEAP)
    for uid in series:
        mean = result.forecast.loc[result.forecast["unique_id"] == uid, "mean"].to_numpy()
        # the forecast peaks on the peak days of the pattern, in the pattern's phase
        assert np.argmax(mean) == np.argmax(pattern)
        assert mean.max() > 3 * mean.min()
    assert set(result.choices["model"]) <= {
        "seasonal_naive",
        "seasonal_window_average",
        "ensemble",
        "ensemble_mean",
    }


def test_automatic_run_all_zero_and_constant_series() -> None:
    result = forecast(
        frame({"zeros": np.zeros(60), "constant": np.full(60, 2.0)}), 5, settings=CHEAP
    )
    out = result.forecast.set_index("unique_id")
    assert out.loc["zeros", ["mean", "q0.5", "q0.9", "q0.95"]].to_numpy() == pytest.approx(0.0)
    assert out.loc["constant", "mean"].to_numpy() == pytest.approx(2.0)


def test_intermittent_series_are_classified_and_get_an_intermittent_method() -> None:
    rng = np.random.default_rng(5)
    series = {
        f"i{i}": np.where(rng.random(200) < 0.2, rng.integers(1, 8, 200), 0).astype(float)
        for i in range(25)
    }
    result = forecast(frame(series), 7, settings=CHEAP)
    assert set(result.choices["demand_class"]) <= {"intermittent", "lumpy"}
    chosen = result.choices["model"]
    assert (chosen != "naive").all()
    assert (result.forecast["mean"] > 0).all()


def test_a_young_history_is_backtested_on_overlapping_origins() -> None:
    """90 days for a 28-day horizon do not fit 3 origins a horizon apart (112 days): the
    origins move closer (17 days apart) instead of sending every series to the fallback."""
    rng = np.random.default_rng(5)
    series = {f"s{i}": rng.poisson(3 + i, 90) for i in range(4)}
    result = forecast(frame(series), 28, settings=CHEAP)
    assert not result.choices["reason"].str.contains("too short").any()
    assert result.notes["origins"].startswith("3, 17 periods apart (overlapping")
    assert (result.forecast["q0.9"] > result.forecast["mean"]).all()
    # a history long enough keeps origins a horizon apart
    long = forecast(frame({k: rng.poisson(3, 120) for k in series}), 28, settings=CHEAP)
    assert long.notes["origins"] == "3, 28 periods apart"
