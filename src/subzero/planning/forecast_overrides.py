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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import numpy as np

from subzero.domain.errors import InvalidParameter

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Override", "OverrideScore", "OverrideSummary", "apply_overrides", "score_overrides"]


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


def _locate(frame: pd.DataFrame, override: Override) -> int:
    rows = np.flatnonzero(
        (frame["unique_id"].to_numpy() == override.unique_id)
        & (frame["ds"].to_numpy() == _key(frame, override))
    )
    if rows.size == 0:
        raise InvalidParameter(
            f"override {override.unique_id!r} {override.ds}: no such series and period in the "
            "forecast"
        )
    return int(rows[0])


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
    qcols = [c for c in out.columns if c.startswith("q")]
    for override in overrides:
        row = _locate(out, override)
        delta = override.value - float(out.at[row, "statistical_mean"])
        out.at[row, "mean"] = override.value
        for col in qcols:
            out.at[row, col] = max(0.0, float(forecast.at[row, col]) + delta)
        out.at[row, "override_reason"] = override.reason
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
    scores = []
    for override in overrides:
        statistical = float(forecast.at[_locate(forecast, override), "mean"])
        hits = np.flatnonzero(
            (actuals["unique_id"].to_numpy() == override.unique_id)
            & (actuals["ds"].to_numpy() == _key(actuals, override))
        )
        if hits.size == 0:
            continue
        actual = float(actuals["y"].iloc[hits[0]])
        stat_err, over_err = abs(actual - statistical), abs(actual - override.value)
        scores.append(
            OverrideScore(override, statistical, actual, stat_err, over_err, over_err < stat_err)
        )
    value_added = float(sum(s.statistical_error - s.override_error for s in scores))
    hit_rate = sum(s.helped for s in scores) / len(scores) if scores else float("nan")
    return OverrideSummary(tuple(scores), value_added, hit_rate)
