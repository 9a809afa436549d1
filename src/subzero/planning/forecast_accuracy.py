"""Forecast accuracy per item and run, ready to be stored for bias monitoring.

After each run's periods have passed, every item gets its error figures over the
periods with an actual:

* bias = mean(forecast - actual) (positive: over-forecast);
* MAE, RMSE, and MASE / RMSSE scaled by the item's history (see
  :func:`~subzero.planning.forecast_backtest.series_scales`);
* tracking signal = sum(actual - forecast) / MAE (Brown 1959; Trigg 1964);
* the bias test (:func:`bias_test`), which flags an item as *biased* for the
  early-warning alerts.

**Why a test, not "|tracking signal| > 4".** With errors e_t = actual - forecast over
n periods, |sum e| / MAE is at most n: a run measured over the one day before the next
nightly run can never reach 4, so the textbook rule never fires where a planner runs the
forecast every night. And over long windows it fires too often: without any bias the
sum of n errors grows like sqrt(n), so |TS| > 4 holds about half the time at n = 28.
The test instead asks whether the mean error is non-zero beyond chance: z = sum e /
sqrt(max(n s^2, sum forecast)), with s^2 the errors' sample variance, is Student's t
statistic of the mean error, except that the variance of the sum is never taken below
sum forecast, the variance of a Poisson total with that mean. Without that floor a slow
mover's empty month (no sale, every error the same small negative) would look like a
certain over-forecast. For normal errors a false alarm at |t| > 3 has probability
2.4 % with 7 periods and 0.6 % with 28 (t with n - 1 degrees of freedom); the tests
measure it on Poisson demand, smooth and intermittent. An item is
biased when |z| > :data:`BIAS_Z` over at least :data:`MIN_BIAS_PERIODS` periods. The
service pools the errors of every run made in the last :data:`BIAS_WINDOW_DAYS` days,
so nightly runs are judged on four weeks of evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from subzero.domain.errors import InvalidParameter

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BIAS_WINDOW_DAYS",
    "BIAS_Z",
    "MIN_BIAS_PERIODS",
    "BiasTest",
    "ItemAccuracy",
    "accuracy_by_item",
    "bias_test",
]

BIAS_Z = 3.0
"""|z| above this flags a biased forecast (a "three sigma" limit)."""

MIN_BIAS_PERIODS = 7
"""Fewer periods than this are never flagged: a week of evidence at least."""

BIAS_WINDOW_DAYS = 28
"""The service judges an item on the errors of every run made in the last four weeks."""


@dataclass(frozen=True, slots=True)
class BiasTest:
    """Tracking signal, z and the flag for each item (arrays, one entry per item)."""

    tracking_signal: npt.NDArray[np.float64]
    z: npt.NDArray[np.float64]
    biased: npt.NDArray[np.bool_]


def bias_test(
    periods: npt.ArrayLike,
    sum_error: npt.ArrayLike,
    sum_abs_error: npt.ArrayLike,
    sum_squared_error: npt.ArrayLike,
    forecast_total: npt.ArrayLike,
) -> BiasTest:
    """Is each item's mean error non-zero beyond chance? (See the module's text.)

    Args:
        periods: periods measured per item [n].
        sum_error: sum of actual - forecast over them.
        sum_abs_error: sum of |actual - forecast|.
        sum_squared_error: sum of (actual - forecast)^2.
        forecast_total: sum of the forecasts (the Poisson floor of the variance).
    """
    n = np.asarray(periods, dtype=np.float64)
    total = np.asarray(sum_error, dtype=np.float64)
    absolute = np.asarray(sum_abs_error, dtype=np.float64)
    squares = np.asarray(sum_squared_error, dtype=np.float64)
    floor = np.maximum(np.nan_to_num(np.asarray(forecast_total, dtype=np.float64)), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        signal = np.where(absolute > 0, total * n / absolute, 0.0)
        variance = np.where(n > 1, (squares - total * total / n) / (n - 1), 0.0)
        spread = np.sqrt(np.maximum(np.maximum(n * variance, floor), 0.0))
        z = np.where(spread > 0, total / spread, np.where(total == 0, 0.0, np.sign(total) * np.inf))
    return BiasTest(signal, z, (n >= MIN_BIAS_PERIODS) & (np.abs(z) > BIAS_Z))


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
        biased: the bias test flags it (see :func:`bias_test`).
        forecast_total: sum of the forecasts over the periods.
        bias_z: the bias test's z (> 0: under-forecast, like the tracking signal).
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
    forecast_total: float
    bias_z: float


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
        fc = rows["mean"].to_numpy(np.float64)
        err = fc - rows["y"].to_numpy(np.float64)
        fc_total = float(np.maximum(fc, 0.0).sum())
        mae = float(np.abs(err).mean())
        rmse = float(np.sqrt((err * err).mean()))
        mase = rmsse = float("nan")
        if scales is not None and uid in scales.index:
            mase = mae / float(scales.at[uid, "mean_abs_diff"])
            rmsse = rmse / float(scales.at[uid, "rms_diff"])
        test = bias_test(err.size, -err.sum(), np.abs(err).sum(), (err * err).sum(), fc_total)
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
                float(test.tracking_signal),
                bool(test.biased),
                fc_total,
                float(test.z),
            )
        )
    return records
