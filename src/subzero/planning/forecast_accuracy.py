"""Forecast accuracy per item and run, ready to be stored for bias monitoring.

After each run's periods have passed, every item gets its error figures over the
periods with an actual:

* bias = mean(forecast - actual) (positive: over-forecast);
* MAE, RMSE, and MASE / RMSSE scaled by the item's history (see
  :func:`~subzero.planning.forecast_backtest.series_scales`);
* tracking signal = sum(actual - forecast) / MAE (Brown 1959; Trigg 1964): beyond about
  ±4 the forecast is persistently biased, which the early-warning alerts use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from subzero.domain.errors import InvalidParameter

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TRACKING_SIGNAL_LIMIT", "ItemAccuracy", "accuracy_by_item"]

TRACKING_SIGNAL_LIMIT = 4.0
"""|tracking signal| above this flags a biased forecast (Silver, Pyke & Thomas 2017, §4.8)."""


@dataclass(frozen=True, slots=True)
class ItemAccuracy:
    """Accuracy of one item's forecast in one run.

    Attributes:
        run_id: the planning run that made the forecast.
        unique_id: the item.
        periods: periods with both a forecast and an actual.
        bias: mean(forecast - actual); > 0 over-forecasts.
        mae: mean absolute error.
        rmse: root mean squared error.
        mase: MAE / the item's mean absolute one-period change.
        rmsse: RMSE / the item's root mean squared one-period change.
        tracking_signal: sum(actual - forecast) / MAE (0 when MAE is 0).
        biased: |tracking_signal| > TRACKING_SIGNAL_LIMIT.
    """

    run_id: str
    unique_id: str
    periods: int
    bias: float
    mae: float
    rmse: float
    mase: float
    rmsse: float
    tracking_signal: float
    biased: bool


def accuracy_by_item(
    forecast: pd.DataFrame,
    actuals: pd.DataFrame,
    *,
    run_id: str,
    history: pd.DataFrame | None = None,
) -> list[ItemAccuracy]:
    """Error figures per item of one run (items without any actual are left out).

    Args:
        forecast: ``unique_id, ds, mean`` of the run.
        actuals: ``unique_id, ds, y`` of the demand that happened.
        run_id: identifies the run in the stored records.
        history: the history the run was fitted on, for the scaled errors; without it
            MASE and RMSSE are NaN.

    Raises:
        InvalidParameter: a required column is missing.
    """
    from subzero.planning.forecast_backtest import series_scales

    for name, frame, cols in (
        ("forecast", forecast, ("unique_id", "ds", "mean")),
        ("actuals", actuals, ("unique_id", "ds", "y")),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise InvalidParameter(f"{name}: missing column(s) {', '.join(missing)}")
    joined = forecast[["unique_id", "ds", "mean"]].merge(
        actuals[["unique_id", "ds", "y"]], on=["unique_id", "ds"], how="inner"
    )
    scales = (
        series_scales(history.sort_values(["unique_id", "ds"])) if history is not None else None
    )
    records = []
    for uid, rows in joined.groupby("unique_id", sort=True):
        err = rows["mean"].to_numpy(np.float64) - rows["y"].to_numpy(np.float64)
        mae = float(np.abs(err).mean())
        rmse = float(np.sqrt((err * err).mean()))
        mase = rmsse = float("nan")
        if scales is not None and uid in scales.index:
            mase = mae / float(scales.at[uid, "mean_abs_diff"])
            rmsse = rmse / float(scales.at[uid, "rms_diff"])
        signal = float(-err.sum() / mae) if mae > 0 else 0.0
        records.append(
            ItemAccuracy(
                run_id,
                str(uid),
                int(err.size),
                float(err.mean()),
                mae,
                rmse,
                mase,
                rmsse,
                signal,
                abs(signal) > TRACKING_SIGNAL_LIMIT,
            )
        )
    return records
