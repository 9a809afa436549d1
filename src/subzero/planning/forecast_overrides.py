"""Planner overrides of a forecast: apply them, and score them against the actuals.

A planner who knows something the history does not (a promotion, a lost customer) may
replace the forecast of an item for a period, with a reason. The override is applied to
the mean and shifts the quantiles by the same amount (never below zero). Afterwards each
override is scored against the actual demand: did it reduce the absolute error of the
statistical forecast? The sum over overrides is the *forecast value added* of judgement
(Gilliland 2013, *Foresight* 29; Fildes, Goodwin, Lawrence & Nikolopoulos 2009, IJF
25(1), 3–23, who found small adjustments often hurt and large, informed ones help).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from subzero.domain.errors import InvalidParameter

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Override",
    "OverrideScore",
    "OverrideSummary",
    "apply_overrides",
    "locate",
    "score_overrides",
]


@dataclass(frozen=True, slots=True)
class Override:
    """A planner's forecast for one series and period, replacing the statistical one.

    Attributes:
        unique_id: the series (item).
        ds: the period (a date, or an integer period index).
        value: the planner's forecast of the mean demand; >= 0.
        reason: why, in words (stored with the override).
    """

    unique_id: str
    ds: date | datetime | int
    value: float
    reason: str

    def __post_init__(self) -> None:
        if not math.isfinite(self.value) or self.value < 0:
            raise InvalidParameter(
                f"override {self.unique_id!r} {self.ds}: value {self.value} must be a number >= 0"
            )
        if not self.reason.strip():
            raise InvalidParameter(f"override {self.unique_id!r} {self.ds}: a reason is required")


@dataclass(frozen=True, slots=True)
class OverrideScore:
    """One override scored against the actual demand.

    Attributes:
        override: the override.
        statistical: the statistical forecast it replaced.
        actual: the demand that happened.
        statistical_error: |actual - statistical|.
        override_error: |actual - override value|.
        helped: the override's error is smaller.
    """

    override: Override
    statistical: float
    actual: float
    statistical_error: float
    override_error: float
    helped: bool


@dataclass(frozen=True, slots=True)
class OverrideSummary:
    """All scored overrides.

    Attributes:
        scores: one per override with an actual.
        value_added: sum of (statistical error - override error); > 0 means the
            overrides helped overall.
        hit_rate: share of overrides that helped.
    """

    scores: tuple[OverrideScore, ...]
    value_added: float
    hit_rate: float


def _key(frame: pd.DataFrame, override: Override) -> object:
    import pandas as pd

    if frame["ds"].dtype.kind == "M":
        return pd.Timestamp(override.ds)
    return override.ds


def locate(frame: pd.DataFrame, overrides: Sequence[Override]) -> npt.NDArray[np.int64]:
    """Row of ``frame`` (``unique_id, ds``) of each override's series and period, -1 where
    the frame has none (the first row where the frame repeats a key). One join, so it
    stays fast for thousands of overrides on a forecast of every item."""
    import pandas as pd

    if not overrides:
        return np.empty(0, dtype=np.int64)
    table = frame[["unique_id", "ds"]].assign(_row=np.arange(len(frame)))
    table = table.drop_duplicates(["unique_id", "ds"], keep="first")
    wanted = pd.DataFrame(
        {
            "unique_id": [o.unique_id for o in overrides],
            "ds": [_key(frame, o) for o in overrides],
        }
    )
    if frame["ds"].dtype.kind == "M":
        wanted["ds"] = pd.to_datetime(wanted["ds"]).astype(frame["ds"].dtype)
    found = wanted.merge(table, on=["unique_id", "ds"], how="left", sort=False)["_row"]
    rows: npt.NDArray[np.int64] = found.fillna(-1).to_numpy(np.int64)
    return rows


def _located(frame: pd.DataFrame, overrides: Sequence[Override]) -> npt.NDArray[np.int64]:
    rows = locate(frame, overrides)
    missing = np.flatnonzero(rows < 0)
    if missing.size:
        first = overrides[int(missing[0])]
        raise InvalidParameter(
            f"override {first.unique_id!r} {first.ds}: no such series and period in the forecast"
        )
    return rows


def apply_overrides(forecast: pd.DataFrame, overrides: Iterable[Override]) -> pd.DataFrame:
    """Apply overrides to a forecast frame; returns a new frame.

    The new frame keeps the statistical mean in ``statistical_mean``, sets ``mean`` to
    the override, shifts every ``q…`` column by (override - statistical) clipped at zero,
    and names the reason in ``override_reason`` (empty where not overridden). A later
    override of the same series and period wins.

    Raises:
        InvalidParameter: an override names a series or period not in the forecast.
    """
    out = forecast.copy()
    out["statistical_mean"] = out["mean"]
    out["override_reason"] = ""
    latest = list({(o.unique_id, _key(out, o)): o for o in overrides}.values())
    rows = _located(out, latest)
    if rows.size == 0:
        return out
    values = np.array([o.value for o in latest], dtype=np.float64)
    delta = values - out["statistical_mean"].to_numpy(np.float64)[rows]
    mean = out["mean"].to_numpy(np.float64, copy=True)
    mean[rows] = values
    out["mean"] = mean
    for col in [c for c in out.columns if c.startswith("q")]:
        column = forecast[col].to_numpy(np.float64, copy=True)
        column[rows] = np.maximum(0.0, column[rows] + delta)
        out[col] = column
    reason = out["override_reason"].to_numpy(object, copy=True)
    reason[rows] = [o.reason for o in latest]
    out["override_reason"] = reason
    return out


def score_overrides(
    forecast: pd.DataFrame, overrides: Iterable[Override], actuals: pd.DataFrame
) -> OverrideSummary:
    """Score overrides against actual demand (``unique_id, ds, y``).

    Args:
        forecast: the statistical forecast (``unique_id, ds, mean``), before overrides.
        overrides: the overrides that were applied.
        actuals: the demand that happened; overrides of periods without an actual yet
            are left out.
    """
    given = list(overrides)
    statistical = forecast["mean"].to_numpy(np.float64)[_located(forecast, given)]
    hits = locate(actuals, given)
    y = actuals["y"].to_numpy(np.float64)
    scores = []
    for override, stat, hit in zip(given, statistical, hits, strict=True):
        if hit < 0:
            continue
        actual = float(y[hit])
        stat_err, over_err = abs(actual - float(stat)), abs(actual - override.value)
        scores.append(
            OverrideScore(override, float(stat), actual, stat_err, over_err, over_err < stat_err)
        )
    value_added = float(sum(s.statistical_error - s.override_error for s in scores))
    hit_rate = sum(s.helped for s in scores) / len(scores) if scores else float("nan")
    return OverrideSummary(tuple(scores), value_added, hit_rate)
