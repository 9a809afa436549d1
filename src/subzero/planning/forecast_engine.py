"""The statsforecast calls of the automatic run: rolling-origin backtest and forecast.

Both return frames sorted by series (then cutoff) and date, with ``unique_id`` as
``str``, one column per model alias. Only the numpy and statsforecast warnings that the
run handles itself are silenced (see :func:`quiet`).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["quiet", "run_backtest", "run_forecast"]


def _statsforecast(models: list[Any], freq: str | int, n_jobs: int) -> Any:
    from statsforecast import StatsForecast

    return StatsForecast(models=models, freq=freq, n_jobs=n_jobs)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence the warnings the run handles itself."""
    with warnings.catch_warnings():
        # Croston-family models divide by zero on an all-zero window and return 0
        # (correct); silence only that numpy RuntimeWarning
        warnings.filterwarnings(
            "ignore", category=RuntimeWarning, message=".*(divide|invalid value)"
        )
        # seasonal models on a series shorter than a season return NaN, which the run
        # replaces by the fallback model; the warning adds nothing
        warnings.filterwarnings(
            "ignore", category=UserWarning, message="Historical data .* shorter than season"
        )
        yield


def run_backtest(
    history: pd.DataFrame,
    models: list[Any],
    *,
    horizon: int,
    n_windows: int,
    step: int,
    freq: str | int,
    n_jobs: int,
    input_size: int | None = None,
) -> pd.DataFrame:
    """statsforecast rolling-origin backtest, sorted by series, cutoff, date."""
    with quiet():
        cv = _statsforecast(models, freq, n_jobs).cross_validation(
            df=history, h=horizon, n_windows=n_windows, step_size=step, input_size=input_size
        )
    cv["unique_id"] = cv["unique_id"].astype(str)
    return cv.sort_values(["unique_id", "cutoff", "ds"], kind="stable").reset_index(drop=True)


def run_forecast(
    history: pd.DataFrame, models: list[Any], *, horizon: int, freq: str | int, n_jobs: int
) -> pd.DataFrame:
    """statsforecast forecast of ``horizon`` periods, sorted by series, date."""
    with quiet():
        fc = _statsforecast(models, freq, n_jobs).forecast(df=history, h=horizon)
    fc["unique_id"] = fc["unique_id"].astype(str)
    return fc.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
