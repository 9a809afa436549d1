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

The choice (:func:`choose`) is made in two steps, so that noise in one short backtest
does not decide alone: each demand class gets a default, the option with the lowest mean
score over the class (a single model, or the median of the class's best models — the
``ensemble``); a series leaves its class default only when its own backtest score is
better by ``switch_margin``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ENSEMBLE",
    "MIN_CLASS_SERIES",
    "Choice",
    "add_ensemble",
    "choose",
    "option_scores",
    "rank_members",
    "ranking_groups",
    "series_scales",
]

ENSEMBLE = "ensemble"
"""Name of the option that takes the median of a class's best single models."""

MIN_CLASS_SERIES = 20
"""A demand class with fewer backtested series borrows the ranking of all series."""

_POOLED = "*"


@dataclass(frozen=True, slots=True)
class Choice:
    """The per-series choice and what it rests on.

    Attributes:
        model: per series (indexed by ``unique_id``): the chosen option's name.
        reason: per series: why, in words.
        class_default: per ranking group (a demand class, or ``"*"`` for all series):
            the default option.
        ensemble_members: per ranking group: the single models the ensemble takes the
            median of.
        group: per series: the ranking group it belongs to.
    """

    model: pd.Series
    reason: pd.Series
    class_default: dict[str, str]
    ensemble_members: dict[str, tuple[str, ...]]
    group: pd.Series


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
        cv: backtest rows ``unique_id, ds, cutoff, y`` and one column per option.
        options: the option columns to score.
        scales: from :func:`series_scales`.
        groups: ranking group per series (its demand class, or ``"*"``).
        quantiles: levels for the pinball loss; the quantile of an option is its
            forecast plus the scaled residual quantile of the option in the group.

    Returns:
        ``{"rmsse": …, "mase": …, "spl": …}``, each a frame indexed by ``unique_id``
        with one column per option.
    """
    import pandas as pd

    uid = cv["unique_id"].to_numpy()
    y = cv["y"].to_numpy(dtype=np.float64)
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
            offsets = np.quantile(scaled[rows], quantiles)
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
    return classes.where(~classes.isin(small), _POOLED).astype(str)


def add_ensemble(
    frame: pd.DataFrame,
    members: dict[str, tuple[str, ...]],
    groups: pd.Series,
) -> None:
    """Add the ``ensemble`` column: per row, the median of its group's members (in place)."""
    group = groups.reindex(frame["unique_id"].to_numpy()).to_numpy()
    out = np.full(len(frame), np.nan)
    for g, names in members.items():
        rows = group == g
        if rows.any():
            values = frame.loc[rows, list(names)].to_numpy(np.float64)
            # median of the members that could forecast the row (NaN if none could)
            count = (~np.isnan(values)).sum(axis=1)
            ordered = np.sort(np.where(np.isnan(values), np.inf, values), axis=1)
            at = np.arange(len(ordered))
            lo = ordered[at, np.maximum((count - 1) // 2, 0)]
            hi = ordered[at, count // 2 - (count == 0)]
            median = np.where(count > 0, (lo + hi) / 2.0, np.nan)
            out[rows] = median
    frame[ENSEMBLE] = out


def rank_members(
    score: pd.DataFrame, groups: pd.Series, singles: list[str], size: int
) -> dict[str, tuple[str, ...]]:
    """The ``size`` single models with the lowest mean score in each group."""
    members = {}
    for g in np.unique(groups.to_numpy()):
        mean = score.loc[groups[groups == g].index, singles].mean()
        members[str(g)] = tuple(mean.sort_values(kind="stable").index[:size])
    return members


def choose(
    score: pd.DataFrame,
    groups: pd.Series,
    *,
    switch_margin: float,
) -> Choice:
    """Choose an option per series: the class default unless the series' own backtest wins.

    Args:
        score: per series (rows) and option (columns): backtest score, lower is better
            (RMSSE + SPL); it includes the ``ensemble`` column if one was built.
        groups: ranking group per series (from :func:`ranking_groups`).
        switch_margin: relative improvement over the class default a series' own best
            option needs to be chosen instead (0.25 = 25% lower score).
    """
    import pandas as pd

    options = list(score.columns)
    defaults: dict[str, str] = {}
    for g in np.unique(groups.to_numpy()):
        mean = score.loc[groups[groups == g].index].mean()
        defaults[str(g)] = str(mean.sort_values(kind="stable").index[0])
    group = groups.reindex(score.index)
    default = group.map(defaults)
    values = score.to_numpy(dtype=np.float64)
    default_col = np.array([options.index(d) for d in default.to_numpy()])
    default_score = values[np.arange(len(values)), default_col]
    own_col = np.nanargmin(np.where(np.isnan(values), np.inf, values), axis=1)
    own_score = values[np.arange(len(values)), own_col]
    switch = own_score < (1.0 - switch_margin) * default_score
    chosen = np.where(switch, own_col, default_col)
    model = pd.Series(np.asarray(options)[chosen], index=score.index, name="model")
    reasons = [
        (
            f"own backtest: {options[o]} score {s:.3f} beats class default "
            f"{options[d]} {ds:.3f} by {1 - s / ds:.0%}"
            if sw
            else f"class default for {g if g != _POOLED else 'all series'}: "
            f"lowest mean backtest score"
        )
        for sw, o, s, d, ds, g in zip(
            switch, own_col, own_score, default_col, default_score, group.to_numpy(), strict=True
        )
    ]
    return Choice(
        model=model,
        reason=pd.Series(reasons, index=score.index, name="reason"),
        class_default=defaults,
        ensemble_members={},
        group=group,
    )
