"""Benchmark: the whole automatic forecast run on 10,000 daily series × 730 days.

Half the series are smooth (Poisson demand around a level with a weekly pattern), half
intermittent (demand on about one day in five, sizes 1 + Poisson); generated with a
seeded generator. The timed run is :func:`subzero.planning.forecast.forecast` with its
defaults — validation, classification, backtest (cheap models and the global LightGBM
model), expensive-model pilot, choice (with the nested backtest of the switch margin),
final forecast and quantiles — on 2 processes. As a reference in the same run, the most
expensive single model statsforecast would otherwise be asked for (AutoETS) is timed on
a sample of the smooth series; ``autoets_all_series_seconds_est`` is what AutoETS alone
would take on every series, and ``ratio_autoets_est_to_run`` how much the run saves.

    make bench ONLY=forecast
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import numpy as np
import pandas as pd

N_SERIES = 10_000
N_DAYS = 730
HORIZON = 14
SAMPLE = 20


def synthetic(n_series: int = N_SERIES, n_days: int = N_DAYS, seed: int = 7) -> pd.DataFrame:
    """Seeded daily demand: first half smooth, second half intermittent."""
    rng = np.random.default_rng(seed)
    half = n_series // 2
    days = np.arange(n_days)
    level = rng.uniform(3.0, 30.0, size=(half, 1))
    weekly = 1.0 + 0.3 * np.sin(2 * np.pi * (days[None, :] + rng.integers(0, 7, (half, 1))) / 7)
    smooth = rng.poisson(level * weekly)
    rest = n_series - half
    occurs = rng.random((rest, n_days)) < rng.uniform(0.05, 0.4, size=(rest, 1))
    sizes = 1 + rng.poisson(rng.uniform(0.5, 6.0, size=(rest, 1)), size=(rest, n_days))
    intermittent = np.where(occurs, sizes, 0)
    y = np.vstack([smooth, intermittent]).astype(np.float64)
    ids = np.array([f"S{i:05d}" for i in range(n_series)])
    return pd.DataFrame(
        {
            "unique_id": np.repeat(ids, n_days),
            "ds": np.tile(
                pd.date_range("2024-01-01", periods=n_days, freq="D").to_numpy(), n_series
            ),
            "y": y.ravel(),
        }
    )


def _autoets_seconds_per_series(history: pd.DataFrame) -> float:
    from subzero.planning.forecast import run_forecast
    from subzero.planning.forecast_models import candidates, instantiate

    ets = tuple(c for c in candidates(7) if c.name == "ets")
    ids = history["unique_id"].unique()[:SAMPLE]
    sample = history[history["unique_id"].isin(ids)]
    run_forecast(
        sample[sample["unique_id"] == ids[0]],
        instantiate(ets, 7),
        horizon=HORIZON,
        freq="D",
        n_jobs=1,
    )
    start = time.perf_counter()
    run_forecast(sample, instantiate(ets, 7), horizon=HORIZON, freq="D", n_jobs=1)
    return (time.perf_counter() - start) / ids.size


def run() -> dict[str, Any]:
    """Time the automatic run and the AutoETS reference; return the figures."""
    from subzero.planning.forecast import forecast

    n_series = int(os.environ.get("BENCH_FORECAST_SERIES", N_SERIES))
    history = synthetic(n_series)
    n_jobs = min(2, os.cpu_count() or 1)
    start = time.perf_counter()
    result = forecast(
        history,
        HORIZON,
        quantiles=(0.5, 0.9, 0.95),
        freq="D",
        n_jobs=n_jobs,
        progress=lambda stage, done, total: print(
            f"[bench] forecast {stage} {done}/{total}", file=sys.stderr, flush=True
        ),
    )
    seconds = time.perf_counter() - start
    per_series_ets = _autoets_seconds_per_series(history)
    ets_all = per_series_ets * n_series / n_jobs
    chosen = result.choices["model"].value_counts().to_dict()
    return {
        "series": n_series,
        "days": N_DAYS,
        "horizon": HORIZON,
        "n_jobs": n_jobs,
        "run_seconds": round(seconds, 2),
        "series_per_second": round(n_series / seconds, 1),
        "goal_seconds": 120,
        "stage_seconds": {k: round(v, 2) for k, v in result.seconds.items()},
        "autoets_ms_per_series": round(per_series_ets * 1000, 1),
        "autoets_all_series_seconds_est": round(ets_all, 1),
        "ratio_autoets_est_to_run": round(ets_all / seconds, 1),
        "chosen_models": {str(k): int(v) for k, v in chosen.items()},
        "expensive_admitted": [t.model + ":" + t.group for t in result.pilot if t.admitted],
        "backtest_rmsse_auto": round(float(result.choices["backtest_rmsse"].mean()), 4),
        "backtest_rmsse_per_model": {
            str(k): round(float(v), 4) for k, v in result.model_scores["rmsse"].items()
        },
        "notes": result.notes,
    }
