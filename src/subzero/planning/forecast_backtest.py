"""Rolling-origin backtest, scale-free scores and the per-series model choice.

The backtest refits every candidate at ``n_windows`` forecast origins, ``step`` periods
apart, and forecasts ``horizon`` periods from each (Tashman 2000, IJF 16(4), 437–450).
Each series and candidate gets

* RMSSE, the root mean squared scaled error (Hyndman & Koehler 2006, IJF 22(4),
  679–688; the M5 measure): sqrt(mean((y - f)²) / mean((y_t - y_{t-1})²)).
  Squared error is used to choose, not MASE, because the absolute error rewards the
  median, which is zero for most intermittent series (Kolassa 2016, IJF 32(3), 788–803);
  the policies need the mean;
* SPL, the scaled pinball (quantile) loss of the candidate's empirical quantiles,
  averaged over the requested levels, divided by the same scale;
* MASE, for the report.

A backtest period whose actual is censored (column ``censored``: a stock-out, where the
history holds an estimate of demand rather than an observation) is left out of every
score: a model is not judged against a number that was itself estimated.

The choice made from these scores is in :mod:`subzero.planning.forecast_choice`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CENSORED",
    "MIN_CLASS_SERIES",
    "POOLED",
    "backtest_window",
    "combined_score",
    "observed_rows",
    "option_scores",
    "ranking_groups",
    "series_scales",
]

CENSORED = "censored"
"""Backtest column: True where the actual is a stock-out estimate, not an observation."""

MIN_CLASS_SERIES = 20
"""A demand class with fewer backtested series borrows the ranking of all series."""

POOLED = "*"
"""Ranking group of the series whose class is too small to rank on its own."""


def series_scales(history: pd.DataFrame) -> pd.DataFrame:
    """Scale of each series for scale-free errors.

    Returns a frame indexed by ``unique_id`` with ``rms_diff`` = sqrt(mean((y_t -
    y_{t-1})²)) (the RMSSE denominator) and ``mean_abs_diff`` (the MASE denominator). A
    series with no change (constant, or a single period) falls back to its root mean
    square, then to 1, so that no scale is zero.
    """
    import pandas as pd

    uid = history["unique_id"].to_numpy()
    y = history["y"].to_numpy(dtype=np.float64)
    same = np.r_[False, uid[1:] == uid[:-1]]
    diff = np.where(same, y - np.roll(y, 1), np.nan)
    frame = pd.DataFrame({"unique_id": uid, "d2": diff**2, "ad": np.abs(diff), "y2": y * y})
    agg = frame.groupby("unique_id", sort=True).mean()
    rms = np.sqrt(agg["d2"].to_numpy())
    mad = agg["ad"].to_numpy()
    level = np.sqrt(agg["y2"].to_numpy())
    rms = np.where(np.isfinite(rms) & (rms > 0), rms, np.where(level > 0, level, 1.0))
    mad = np.where(np.isfinite(mad) & (mad > 0), mad, np.where(level > 0, level, 1.0))
    return pd.DataFrame({"rms_diff": rms, "mean_abs_diff": mad}, index=agg.index)


def observed_rows(cv: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Per backtest row, True where the actual was observed (not censored)."""
    if CENSORED not in cv.columns:
        return np.ones(len(cv), dtype=bool)
    seen: npt.NDArray[np.bool_] = ~cv[CENSORED].to_numpy(dtype=bool)
    return seen


def _pinball(
    y: npt.NDArray[np.float64], q: npt.NDArray[np.float64], level: float
) -> npt.NDArray[np.float64]:
    diff = y - q
    return np.maximum(level * diff, (level - 1.0) * diff)


def option_scores(
    cv: pd.DataFrame,
    options: list[str],
    scales: pd.DataFrame,
    groups: pd.Series,
    quantiles: tuple[float, ...],
) -> dict[str, pd.DataFrame]:
    """Per-series backtest scores of each option.

    Args:
        cv: backtest rows ``unique_id, ds, cutoff, y``, one column per option, and
            optionally ``censored`` (those rows are not scored).
        options: the option columns to score.
        scales: from :func:`series_scales`.
        groups: ranking group per series (its demand class, or ``"*"``).
        quantiles: levels for the pinball loss; the quantile of an option is its
            forecast plus the scaled residual quantile of the option in the group.

    Returns:
        ``{"rmsse": …, "mase": …, "spl": …}``, each a frame indexed by ``unique_id``
        with one column per option (NaN for a series with no observed backtest period).
    """
    import pandas as pd

    uid = cv["unique_id"].to_numpy()
    seen = observed_rows(cv)
    y = np.where(seen, cv["y"].to_numpy(dtype=np.float64), np.nan)
    rms = scales["rms_diff"].reindex(uid).to_numpy()
    mad = scales["mean_abs_diff"].reindex(uid).to_numpy()
    group = groups.reindex(uid).to_numpy()
    rmsse, mase, spl = {}, {}, {}
    for name in options:
        f = np.maximum(cv[name].to_numpy(dtype=np.float64), 0.0)
        err = y - f
        rmsse[name] = err * err / (rms * rms)
        mase[name] = np.abs(err) / mad
        scaled = err / rms
        loss = np.zeros_like(y)
        for g in np.unique(group):
            rows = group == g
            sample = scaled[rows & seen]
            offsets = np.quantile(sample, quantiles) if sample.size else np.zeros(len(quantiles))
            for level, offset in zip(quantiles, offsets, strict=True):
                qf = np.maximum(f[rows] + offset * rms[rows], 0.0)
                loss[rows] += _pinball(y[rows], qf, level) / rms[rows]
        spl[name] = loss / max(len(quantiles), 1)
    by = pd.Index(uid, name="unique_id")
    return {
        "rmsse": np.sqrt(pd.DataFrame(rmsse, index=by).groupby(level=0, sort=True).mean()),
        "mase": pd.DataFrame(mase, index=by).groupby(level=0, sort=True).mean(),
        "spl": pd.DataFrame(spl, index=by).groupby(level=0, sort=True).mean(),
    }


def ranking_groups(classes: pd.Series) -> pd.Series:
    """Ranking group of each series: its class, or ``"*"`` if the class is too small."""
    counts = classes.value_counts()
    small = counts.index[counts < MIN_CLASS_SERIES]
    return classes.where(~classes.isin(small), POOLED).astype(str)


def combined_score(parts: dict[str, pd.DataFrame], quantile_weight: float) -> pd.DataFrame:
    """The choice score per series and option: RMSSE + ``quantile_weight`` × SPL."""
    return parts["rmsse"] + quantile_weight * parts["spl"]


def backtest_window(cv: pd.DataFrame, horizon: int) -> npt.NDArray[np.int64]:
    """Per backtest row, its window (0 = earliest origin); ``cv`` sorted by series, cutoff, date."""
    position = np.asarray(cv.groupby("unique_id", sort=False).cumcount(), dtype=np.int64)
    out: npt.NDArray[np.int64] = position // horizon
    return out
