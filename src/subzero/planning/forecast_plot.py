"""A picture of a forecast: recent history, the mean and the quantile band, per series.

A planner checks a forecast faster by eye than from a CSV: does the mean follow the
level, does the band look wide enough, did a seasonal series get a seasonal forecast?
:func:`forecast_figure` draws one small panel per series (the recent history as steps,
the mean forecast, the band between the lowest and the highest requested quantile,
titled with the chosen model and demand class; periods marked ``stockout`` in the history
are shaded, since their sales are not their demand); :func:`plot_forecast` saves it
(PNG, SVG or PDF, by the file's suffix). :func:`accuracy_figure` draws one item's
accuracy run after run: each run's bias, and the bias test's z against its limits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from subzero.domain.errors import InvalidParameter
from subzero.files import save_figure
from subzero.planning.forecast_history import STOCKOUT_COLUMN, stockout_flags

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_PLOT_SERIES",
    "accuracy_figure",
    "check_plot_path",
    "forecast_figure",
    "pick_series",
    "plot_accuracy",
    "plot_forecast",
]

DEFAULT_PLOT_SERIES = 6
"""Series drawn when none are named: the ones with the most demand."""

_SUFFIXES = (".png", ".svg", ".pdf")


def check_plot_path(path: Path) -> None:
    """Refuse a file the picture cannot be saved as (before a long run, too)."""
    if path.suffix.lower() not in _SUFFIXES:
        raise InvalidParameter(f"--plot: {path.name} must end in .png, .svg or .pdf")


def pick_series(
    history: pd.DataFrame, ids: Sequence[str] | None, limit: int = DEFAULT_PLOT_SERIES
) -> list[str]:
    """The series to draw: ``ids`` (each must exist), or the ``limit`` with most demand."""
    known = set(history["unique_id"].astype(str))
    if ids:
        missing = [i for i in ids if i not in known]
        if missing:
            raise InvalidParameter(f"--plot-series: unknown series {', '.join(missing)}")
        return list(dict.fromkeys(ids))
    totals = history.groupby(history["unique_id"].astype(str))["y"].sum()
    ordered = totals.sort_values(ascending=False, kind="stable")
    return [str(i) for i in ordered.index[:limit]]


def forecast_figure(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    choices: pd.DataFrame | None,
    ids: Sequence[str],
    *,
    history_periods: int | None = None,
) -> Any:
    """A matplotlib figure with one panel per series in ``ids``.

    Args:
        history: ``unique_id, ds, y`` as given to the forecast.
        forecast: ``unique_id, ds, mean, q<level>…`` from the run.
        choices: per series ``model`` and ``demand_class`` (for the titles), or None.
        ids: the series to draw.
        history_periods: recent periods of history shown (default: three horizons).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    if forecast["ds"].dtype.kind == "M" and history["ds"].dtype.kind != "M":
        history = history.assign(ds=pd.to_datetime(history["ds"]))
    levels = sorted(
        (float(c[1:]), c) for c in forecast.columns if c.startswith("q") and _is_level(c[1:])
    )
    cols = min(3, max(1, len(ids)))
    rows = max(1, math.ceil(len(ids) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), squeeze=False)
    hist_uid = history["unique_id"].astype(str)
    fc_uid = forecast["unique_id"].astype(str)
    for ax, uid in zip(axes.ravel(), ids, strict=False):
        fc = forecast[fc_uid == uid]
        shown = history_periods or 3 * max(len(fc), 1)
        past = _closed(history[hist_uid == uid].sort_values("ds").tail(shown))
        fc = _closed(fc)
        # a history with a stockout column is sales (censored where the shelf was empty)
        label = "sales" if STOCKOUT_COLUMN in history.columns else "demand"
        ax.step(past["ds"], past["y"], where="post", color="0.45", linewidth=1.0, label=label)
        if STOCKOUT_COLUMN in past.columns:
            _shade_stockouts(ax, past)
        if len(levels) >= 2:
            low, high = levels[0], levels[-1]
            ax.fill_between(
                fc["ds"],
                fc[low[1]],
                fc[high[1]],
                step="post",
                color="#9ecae1",
                alpha=0.6,
                label=f"{low[1]}–{high[1]}",
            )
        elif levels:
            ax.step(fc["ds"], fc[levels[0][1]], where="post", color="#9ecae1", label=levels[0][1])
        ax.step(fc["ds"], fc["mean"], where="post", color="#08519c", linewidth=1.6, label="mean")
        title = uid
        if choices is not None and uid in choices.index:
            row = choices.loc[uid]
            title = f"{uid}: {row['model']} ({row['demand_class']})"
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.tick_params(axis="x", rotation=30)
        ax.set_ylim(bottom=0)
    for ax in axes.ravel()[len(ids) :]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def _shade_stockouts(ax: Any, past: pd.DataFrame) -> None:
    """Shade each run of stock-out periods (the last row is the closing copy)."""
    flags = stockout_flags(past.iloc[:-1]) if len(past) > 1 else np.zeros(0, dtype=bool)
    ds = past["ds"].to_numpy()
    edges = np.diff(np.r_[0, flags.astype(np.int8), 0])
    for n, (start, end) in enumerate(
        zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True)
    ):
        ax.axvspan(
            ds[start],
            ds[end],
            color="#fc9272",
            alpha=0.35,
            linewidth=0,
            label="stock-out" if n == 0 else None,
        )


def _closed(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows plus a copy of the last one a period later, so that a step drawn "post"
    gives the last period its width (instead of ending at its start)."""
    import pandas as pd

    if len(rows) < 2:
        return rows
    last = rows.iloc[[-1]].copy()
    last["ds"] = last["ds"].to_numpy() + (rows["ds"].iloc[-1] - rows["ds"].iloc[-2])
    return pd.concat([rows, last], ignore_index=True)


def _is_level(text: str) -> bool:
    try:
        return 0.0 < float(text) < 1.0
    except ValueError:
        return False


def plot_forecast(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    choices: pd.DataFrame | None,
    path: Path,
    *,
    ids: Sequence[str] | None = None,
    limit: int = DEFAULT_PLOT_SERIES,
) -> list[str]:
    """Save the forecast picture to ``path`` (PNG, SVG or PDF); returns the series drawn."""
    check_plot_path(path)
    chosen = pick_series(history, ids, limit)
    save_figure(forecast_figure(history, forecast, choices, chosen), path, dpi=110)
    return chosen


def accuracy_figure(
    sku: str,
    run_at: Sequence[Any],
    bias: Sequence[float],
    z: Sequence[float | None],
    biased: Sequence[bool],
    *,
    limit: float,
) -> Any:
    """One item's forecast accuracy over its measured runs, in two panels.

    Top: each run's bias, mean(forecast - actual). Bottom: the bias test's z over the
    runs of the last weeks, with the limits +-``limit`` dashed and the runs flagged
    biased in red. Both panels read the same way, above 0 is an over-forecast, so the
    z is drawn with its sign turned (the test's z is > 0 for an under-forecast).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    when = pd.to_datetime(pd.Series(list(run_at)), utc=True).dt.tz_localize(None)
    zs = -np.array([np.nan if v is None else float(v) for v in z], dtype=np.float64)
    flagged = np.asarray(biased, dtype=bool)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 4.8), sharex=True)
    top.bar(when, np.asarray(bias, dtype=np.float64), width=0.8, color="#6baed6")
    top.axhline(0.0, color="0.3", linewidth=0.8)
    top.set_ylabel("bias, units/day\n(> 0: over-forecast)", fontsize=8)
    top.set_title(f"{sku}: forecast accuracy run after run", fontsize=10)
    bottom.plot(when, np.clip(zs, -10, 10), marker="o", color="#08519c", linewidth=1.2)
    for bound in (-limit, limit):
        bottom.axhline(bound, color="#cb181d", linestyle="--", linewidth=0.9)
    if flagged.any():
        bottom.scatter(
            when[flagged], np.clip(zs[flagged], -10, 10), color="#cb181d", zorder=3, label="biased"
        )
        bottom.legend(fontsize=7, loc="upper left")
    bottom.set_ylabel("-bias z, last 28 days\n(> 0: over-forecast)", fontsize=8)
    for ax in (top, bottom):
        ax.tick_params(labelsize=7)
    bottom.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    return fig


def plot_accuracy(path: Path, sku: str, runs: Sequence[dict[str, Any]], *, limit: float) -> None:
    """Save :func:`accuracy_figure` of ``runs`` (``run_at, bias, bias_z, biased`` each)."""
    check_plot_path(path)
    if not runs:
        raise InvalidParameter(f"--plot: {sku} has no measured forecast run to draw")
    fig = accuracy_figure(
        sku,
        [r["run_at"] for r in runs],
        [r["bias"] for r in runs],
        [r["bias_z"] for r in runs],
        [bool(r["biased"]) for r in runs],
        limit=limit,
    )
    save_figure(fig, path, dpi=110)
