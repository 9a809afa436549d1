"""The global LightGBM model: non-negative, deterministic, weekly pattern, honest backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from subzero.planning.forecast import ForecastSettings, forecast
from subzero.planning.forecast_global import (
    GLOBAL_MODEL,
    GlobalModel,
    global_backtest,
    global_setup,
)


def weekly(n_series: int, days: int, seed: int = 0) -> pd.DataFrame:
    """Poisson demand with a strong day-of-week pattern and a level per series."""
    rng = np.random.default_rng(seed)
    pattern = np.array([1.0, 1.0, 1.0, 1.0, 2.0, 4.0, 0.2])
    level = rng.uniform(1, 20, (n_series, 1))
    y = rng.poisson(level * pattern[np.arange(days) % 7][None, :])
    return pd.DataFrame(
        {
            "unique_id": np.repeat([f"w{i:02d}" for i in range(n_series)], days),
            "ds": np.tile(pd.date_range("2024-01-01", periods=days, freq="D").to_numpy(), n_series),
            "y": y.ravel().astype(float),
        }
    )


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return weekly(40, 200)


def test_setup_uses_day_of_week_and_weekly_lags_on_daily_data() -> None:
    setup = global_setup(7, "D")
    assert setup.date_features == ("dayofweek",)
    assert setup.lags == (1, 2, 3, 4, 5, 6, 7, 14)
    assert setup.windows == (7, 28)


def test_forecast_is_non_negative_and_follows_the_weekly_pattern(history: pd.DataFrame) -> None:
    model = GlobalModel(global_setup(7, "D"), freq="D", n_jobs=1)
    assert model.fit(history) > 0
    out = model.predict(history, 14)
    assert len(out) == 40 * 14 and (out[GLOBAL_MODEL] >= 0).all()
    one = out[out["unique_id"] == "w00"].set_index("ds")[GLOBAL_MODEL]
    # 2024-01-01 is a Monday: Saturday (pattern 4.0) beats Sunday (0.2) clearly
    saturday = one[one.index.dayofweek == 5].mean()
    sunday = one[one.index.dayofweek == 6].mean()
    assert saturday > 4 * sunday


def test_same_seed_gives_the_same_forecast(history: pd.DataFrame) -> None:
    runs = []
    for _ in range(2):
        model = GlobalModel(global_setup(7, "D", seed=3), freq="D", n_jobs=2)
        model.fit(history)
        runs.append(model.predict(history, 7)[GLOBAL_MODEL].to_numpy())
    assert runs[0] == pytest.approx(runs[1])


def test_backtest_does_not_look_ahead(history: pd.DataFrame) -> None:
    """Changing demand after the first origin leaves the first window's forecasts unchanged."""
    from subzero.planning.forecast_engine import run_backtest
    from subzero.planning.forecast_models import candidates, instantiate

    setup = global_setup(7, "D")
    mean_only = instantiate(tuple(c for c in candidates(7) if c.name == "mean"), 7)
    kwargs = {"horizon": 7, "n_windows": 2, "step": 7, "freq": "D", "n_jobs": 1}
    cv = run_backtest(history, mean_only, **kwargs)
    first, _ = global_backtest(history, cv, setup, **kwargs)
    changed = history.copy()
    tail = changed.groupby("unique_id").cumcount(ascending=False) < 14
    changed.loc[tail, "y"] = 1000.0
    again, _ = global_backtest(changed, cv, setup, **kwargs)
    window0 = (cv.groupby("unique_id").cumcount() // 7 == 0).to_numpy()
    assert np.isfinite(first).all()
    assert again[window0] == pytest.approx(first[window0])


def test_run_reports_the_global_model_and_skips_it_on_short_data() -> None:
    settings = ForecastSettings(expensive=False)
    result = forecast(weekly(12, 120), 7, freq="D", settings=settings)
    assert GLOBAL_MODEL in result.model_scores.index
    assert result.notes[GLOBAL_MODEL].startswith("trained once")
    # 52 days: long enough to backtest (49), too short for the lags before the first origin
    short = forecast(weekly(3, 52), 7, freq="D", settings=settings)
    assert GLOBAL_MODEL not in short.model_scores.index
    assert short.notes[GLOBAL_MODEL].startswith("skipped")


def _days(y: np.ndarray, uid: str = "Z", **columns: object) -> pd.DataFrame:
    ds = pd.date_range("2024-01-01", periods=len(y), freq="D")
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": y.astype(float), **columns})


@pytest.mark.parametrize(
    "history",
    [
        _days(np.zeros(100)),
        _days(np.r_[np.zeros(95), np.full(5, 3.0)]),  # a new product: its first orders
        _days(np.zeros(100), stockout=1),  # out of stock every day, nothing sold
    ],
    ids=["all-zero", "new-product", "always-out-of-stock"],
)
def test_no_demand_to_train_on_skips_the_global_model_instead_of_crashing(
    history: pd.DataFrame,
) -> None:
    """LightGBM's Tweedie loss refuses labels that are all zero ("sum of labels is zero",
    a traceback before): the model is skipped with a note and the run goes on."""
    result = forecast(history, 5, freq="D", settings=ForecastSettings(expensive=False))
    assert result.notes[GLOBAL_MODEL] == (
        "skipped: no demand at all to learn from before the backtest"
    )
    assert GLOBAL_MODEL not in result.model_scores.index
    out = result.forecast
    assert len(out) == 5 and (out[["mean", "q0.5", "q0.9", "q0.95"]] >= 0).all().all()
    if history["y"].sum() == 0:
        assert (out[["mean", "q0.5", "q0.9", "q0.95"]] == 0).all().all()
        assert result.notes["no_demand"].startswith(
            "1 of 1 series had no demand in their history (Z)"
        )
    model = GlobalModel(global_setup(7, "D"), freq="D", n_jobs=1)
    assert model.fit(history[["unique_id", "ds", "y"]].iloc[:90]) == 0
    assert model.skipped == "no demand at all to learn from"


def test_a_series_out_of_stock_every_day_is_said_to_keep_its_sales() -> None:
    result = forecast(
        _days(np.zeros(100), stockout=1), 5, freq="D", settings=ForecastSettings(expensive=False)
    )
    assert result.notes["stockouts"].endswith(
        "; 1 series out of stock in every period keep their sales (no in-stock period to "
        "raise them to)"
    )
