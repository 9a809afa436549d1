"""A global gradient-boosted model: one LightGBM fitted across all series (mlforecast).

Local models (Croston, ETS, …) fit one series at a time; a *global* model learns one
mapping from recent demand to the next period's demand from all series at once, which
is how the M5 competition was won (Makridakis, Spiliotis & Assimakopoulos 2022, IJF
38(4), 1346–1364). Features (built by mlforecast, forecast recursively):

* lags ``1 … min(season, 7)`` and ``season`` (and ``2 × season`` for a short season;
  daily: 1–7 and 14; monthly: 1–7 and 12);
* rolling means of lag 1 over a short and a long window (daily: 7 and 28 days);
* the calendar: day of week (daily), week of year (weekly), month (monthly).

Each series is divided by its mean demand over the data the model sees (so one model
fits slow and fast movers) and multiplied back afterwards. The loss is Tweedie (log
link), so forecasts are never negative and zero-heavy demand is modelled as such.

Cost is bounded: the model is trained once per run (on a seeded sample of at most
``max_train_rows`` rows, i.e. of series, each on its last periods), with few trees and
``n_jobs`` threads; the backtest trains it once on the data before the first origin and
predicts every origin from the series' own history up to that origin (no look-ahead).
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["GLOBAL_MODEL", "GlobalModel", "GlobalSetup", "global_setup"]

logger = logging.getLogger(__name__)

GLOBAL_MODEL = "lightgbm"
"""Column and report name of the global gradient-boosted model."""

_DATE_FEATURES = {"D": ["dayofweek"], "W": ["week"], "M": ["month"]}


@dataclass(frozen=True, slots=True)
class GlobalSetup:
    """Features and limits of the global model for one calendar.

    Attributes:
        lags: lagged demand features.
        windows: rolling-mean windows over lag 1.
        date_features: pandas calendar attributes used as features.
        min_periods: periods a series needs before an origin to be trained on.
        cycle: periods in one cycle of the calendar features (the season).
        level_periods: last periods whose mean demand scales a series.
        max_train_rows: rows the model is trained on at most (a seeded sample of series).
        n_estimators: boosting rounds.
        seed: seed of the sample and of LightGBM.
    """

    lags: tuple[int, ...]
    windows: tuple[int, ...]
    date_features: tuple[str, ...]
    min_periods: int
    cycle: int = 1
    level_periods: int = 365
    max_train_rows: int = 150_000
    n_estimators: int = 60
    seed: int = 0

    @property
    def memory(self) -> int:
        """Periods of history the features look back over (what prediction needs)."""
        return max(max(self.lags), max(self.windows) + 1)


def global_setup(
    season: int, freq: str | int, *, max_train_rows: int = 150_000, seed: int = 0
) -> GlobalSetup:
    """Lags, windows and calendar features for a season length and calendar."""
    short = max(min(season, 7), 1)
    lags = sorted({*range(1, short + 1), season, 2 * season if season <= 7 else season})
    windows = sorted({max(short, 3), max(4 * season if season <= 7 else season, 4)})
    letter = "" if isinstance(freq, int) else freq[:1].upper()
    dates = tuple(_DATE_FEATURES.get(letter, []))
    memory = max(max(lags), max(windows) + 1)
    return GlobalSetup(
        lags=tuple(lags),
        windows=tuple(windows),
        date_features=dates,
        min_periods=memory + 8,
        cycle=season,
        level_periods=8 * season if season <= 7 else 2 * season,
        max_train_rows=max_train_rows,
        seed=seed,
    )


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        # LightGBM and sklearn name features differently between fit and predict
        warnings.filterwarnings("ignore", message=".*feature names.*")
        warnings.filterwarnings("ignore", category=FutureWarning)
        # a series shorter than the longest lag has missing features; LightGBM takes NaN
        warnings.filterwarnings("ignore", category=UserWarning, message="Found null values")
        yield


def _scaled(frame: pd.DataFrame, level: pd.Series) -> pd.DataFrame:
    """Each series divided by its level."""
    return frame.assign(y=frame["y"].to_numpy() / level.reindex(frame["unique_id"]).to_numpy())


class GlobalModel:
    """One LightGBM model over all series, trained on a sample, predicting any series."""

    def __init__(self, setup: GlobalSetup, *, freq: str | int, n_jobs: int) -> None:
        self.setup = setup
        self.freq = freq
        self.n_jobs = max(n_jobs, 1)
        self._fitted: Any = None
        self.skipped = ""
        """Why the last :meth:`fit` trained nothing ("" when it trained)."""

    def _sample(self, history: pd.DataFrame) -> pd.DataFrame:
        counts = history.groupby("unique_id", sort=True).size()
        ids = counts.index[counts >= self.setup.min_periods].to_numpy()
        if ids.size == 0:
            return history.iloc[:0]
        per_series = int(counts.loc[ids].median())
        take = max(1, min(ids.size, self.setup.max_train_rows // max(per_series, 1)))
        rng = np.random.default_rng(self.setup.seed)
        keep = np.sort(rng.choice(ids, size=take, replace=False))
        sample = history[history["unique_id"].isin(keep)]
        rows = max(self.setup.max_train_rows // take, self.setup.min_periods)
        return sample.groupby("unique_id", sort=False).tail(rows)

    def _level(self, history: pd.DataFrame) -> pd.Series:
        """Mean demand of each series over its last ``level_periods`` (1 with none)."""
        recent = history[_from_end(history) < self.setup.level_periods]
        level = recent.groupby("unique_id", sort=False)["y"].mean()
        return level.where(level > 0, 1.0)

    def fit(self, history: pd.DataFrame) -> int:
        """Train on a sample of ``history`` (``unique_id, ds, y``); returns rows used (0: none,
        and :attr:`skipped` says why: too short, or no demand at all to learn from)."""
        import lightgbm as lgb
        from mlforecast import MLForecast
        from mlforecast.lag_transforms import RollingMean

        sample = self._sample(history)
        if sample.empty:
            self.skipped = f"no series has {self.setup.min_periods} periods"
            return 0
        if not (sample["y"].to_numpy() > 0).any():
            # the Tweedie loss has no level to learn (LightGBM: "sum of labels is zero")
            self.skipped = "no demand at all to learn from"
            return 0
        self.skipped = ""
        scaled = _scaled(sample, self._level(history))
        # a calendar feature needs two full cycles of training rows, or the model meets
        # months at prediction time that it has never seen
        rows_per_series = int(sample.groupby("unique_id", sort=False).size().median())
        dates = self.setup.date_features
        if rows_per_series - self.setup.memory < 2 * self.setup.cycle:
            dates = ()
        model = lgb.LGBMRegressor(
            objective="tweedie",
            tweedie_variance_power=1.2,
            n_estimators=self.setup.n_estimators,
            learning_rate=0.08,
            num_leaves=31,
            min_child_samples=40,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.8,
            random_state=self.setup.seed,
            deterministic=True,
            force_row_wise=True,
            n_jobs=self.n_jobs,
            verbose=-1,
        )
        self._fitted = MLForecast(
            models={GLOBAL_MODEL: model},
            freq=self.freq,
            lags=list(self.setup.lags),
            lag_transforms={1: [RollingMean(window_size=w) for w in self.setup.windows]},
            date_features=list(dates),
            num_threads=1,
        )
        with _quiet():
            self._fitted.fit(scaled, keep_last_n=self.setup.memory, as_numpy=True)
        return len(sample)

    def predict(self, history: pd.DataFrame, horizon: int) -> pd.DataFrame:
        """Forecast ``horizon`` periods after each series: ``unique_id, ds, lightgbm``.

        ``history`` holds each series' rows together, in time order.
        """
        if self._fitted is None:
            raise RuntimeError("GlobalModel.predict before fit")
        level = self._level(history)
        recent = history[_from_end(history) <= self.setup.memory]
        scaled = _scaled(recent, level)
        with _quiet():
            out = self._fitted.predict(h=horizon, new_df=scaled)
        out["unique_id"] = out["unique_id"].astype(str)
        values = out[GLOBAL_MODEL].to_numpy(dtype=np.float64)
        out[GLOBAL_MODEL] = np.maximum(values, 0.0) * level.reindex(out["unique_id"]).to_numpy()
        return out


def _from_end(history: pd.DataFrame) -> npt.NDArray[np.int64]:
    """Per row, its position counted from the end of its series (0 = last period).

    ``history`` must hold each series' rows together and in time order.
    """
    uid = history["unique_id"].to_numpy()
    n = uid.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, uid[1:] != uid[:-1]])
    ends = np.r_[starts[1:], n]
    out: npt.NDArray[np.int64] = np.repeat(ends, ends - starts) - 1 - np.arange(n)
    return out


def _before(history: pd.DataFrame, periods: int) -> pd.DataFrame:
    """Each series without its last ``periods`` periods."""
    return history[_from_end(history) >= periods]


def global_backtest(
    history: pd.DataFrame,
    cv: pd.DataFrame,
    setup: GlobalSetup,
    *,
    horizon: int,
    n_windows: int,
    step: int,
    freq: str | int,
    n_jobs: int,
) -> tuple[npt.NDArray[np.float64], str]:
    """Backtest the global model on the same windows as ``cv``.

    Trained once on the data before the first origin, it forecasts every origin from each
    series' history up to that origin.

    Returns:
        The forecasts aligned row by row with ``cv`` (sorted by series, cutoff, date;
        NaN where the model could not forecast), and a note saying what was done.
    """
    import pandas as pd

    first = horizon + step * (n_windows - 1)
    model = GlobalModel(setup, freq=freq, n_jobs=n_jobs)
    rows = model.fit(_before(history, first))
    # predicting needs only the last periods before each origin
    from_end = _from_end(history)
    history = history[from_end < first + max(setup.level_periods, setup.memory + 1)]
    column = np.full(len(cv), np.nan)
    if rows == 0:
        return column, f"skipped: {model.skipped} before the backtest"
    parts = []
    for k in range(n_windows):
        origin = _before(history, first - step * k)
        part = model.predict(origin, horizon)
        parts.append(part.assign(window=k))
    pred = pd.concat(parts, ignore_index=True)
    window = cv.groupby("unique_id", sort=False).cumcount().to_numpy() // horizon
    keyed = pd.DataFrame(
        {"unique_id": cv["unique_id"].to_numpy(), "ds": cv["ds"], "window": window}
    )
    merged = keyed.merge(pred, on=["unique_id", "ds", "window"], how="left")
    column[:] = merged[GLOBAL_MODEL].to_numpy(dtype=np.float64)
    return column, f"trained once on {rows} rows before the first origin"
