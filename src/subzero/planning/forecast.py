"""Automatic demand forecasting: classify, backtest, choose, forecast, calibrate.

:func:`forecast` runs the whole automatic run on a long history ``unique_id, ds, y``
(each stage is a function of :mod:`.forecast_stages`):

1. validate the history and fill missing periods with zeros (:mod:`.forecast_history`);
2. classify each series smooth / erratic / intermittent / lumpy (:mod:`.demand_class`);
3. backtest every cheap candidate on every series over ``n_windows`` rolling origins
   (:mod:`.forecast_engine`, scored by :mod:`.forecast_backtest`), and the global
   LightGBM model trained once across all series (:mod:`.forecast_global`);
4. try each expensive candidate (ETS, Theta, ARIMA) on a pilot sample of each class;
   run it on the whole class only if it beats the cheap choice there by ``expensive_gain``
   and the whole class fits in ``expensive_budget_seconds`` (:mod:`.forecast_pilot`);
5. choose per series (:mod:`.forecast_choice`): ensembles of each class's best models
   and the median of all models, class defaults (ranked, or the median of all models),
   and a switch margin — the rule and the margin chosen by a nested backtest; all on the
   backtest windows only;
6. refit the chosen models on the full history and forecast ``horizon`` periods;
7. add quantiles calibrated on the backtest errors (:mod:`.forecast_quantiles`).

Series too short for the backtest get the historic average (``mean``) and the quantiles
of their class. Forecasts and quantiles are never negative.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from subzero.domain.errors import InvalidParameter
from subzero.planning import forecast_stages as stages
from subzero.planning.forecast_choice import NEVER, RULES
from subzero.planning.forecast_engine import run_backtest, run_forecast
from subzero.planning.forecast_history import PreparedHistory, default_season, prepare_history
from subzero.planning.forecast_result import ForecastResult

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "STAGES",
    "ForecastResult",
    "ForecastSettings",
    "Progress",
    "forecast",
    "run_backtest",
    "run_forecast",
]

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)`` after each stage of the run."""

STAGES = ("validate", "classify", "backtest", "pilot", "choose", "forecast", "quantiles")


@dataclass(frozen=True, slots=True)
class ForecastSettings:
    """Tuning knobs of the automatic run (the defaults are the documented ones).

    Attributes:
        n_windows: rolling backtest origins.
        step: periods between origins (default: the horizon).
        switch_margins: candidate margins (relative score) by which a series' own best
            option must beat its class default to be chosen; the nested backtest picks
            one (``inf``: never switch).
        switch_margin: the margin of the cheap reference choice in the expensive pilot.
        ensemble_size: single models in each class's ensembles (median and mean).
        quantile_weight: weight of the scaled pinball loss in the choice score.
        global_model: backtest the global LightGBM model.
        global_max_train_rows: rows the global model is trained on at most.
        expensive: try the expensive models at all.
        pilot_size: series per class in the pilot of the expensive models.
        expensive_gain: relative improvement over the cheap choice on the pilot an
            expensive model needs to be run on its class.
        expensive_budget_seconds: estimated time an expensive model may take on a class
            (0: none, the same as ``expensive=False``).
        expensive_input_size: last periods an expensive model is fitted on (speed).
        seed: seed of the pilot sample and of the global model.
        default_rules: how class defaults may be chosen, ``"rank"`` (lowest mean score)
            or ``"combine"`` (the median of all models); the nested backtest picks one.
        detect_stockouts: significance level α of the stock-out detection in a sales
            history (a run of k zeros with p0^k < α is taken for an empty shelf); 0: off.
    """

    n_windows: int = 3
    step: int | None = None
    switch_margins: tuple[float, ...] = (NEVER, 0.5, 0.3, 0.15)
    switch_margin: float = 0.5
    ensemble_size: int = 3
    quantile_weight: float = 1.0
    global_model: bool = True
    global_max_train_rows: int = 150_000
    expensive: bool = True
    pilot_size: int = 30
    expensive_gain: float = 0.02
    expensive_budget_seconds: float = 30.0
    expensive_input_size: int | None = 365
    seed: int = 0
    default_rules: tuple[str, ...] = RULES
    detect_stockouts: float = 0.0


def _check(
    horizon: int, quantiles: Sequence[float], n_jobs: int, settings: ForecastSettings
) -> None:
    if horizon < 1:
        raise InvalidParameter(f"horizon: {horizon} must be a positive number of periods")
    for level in quantiles:
        if not 0.0 < level < 1.0:
            raise InvalidParameter(f"quantiles: {level} is not strictly between 0 and 1")
    if n_jobs < 1 and n_jobs != -1:
        raise InvalidParameter(f"n_jobs: {n_jobs} must be >= 1 or -1 (all cores)")
    if settings.n_windows < 1:
        raise InvalidParameter(f"n_windows: {settings.n_windows} must be >= 1")
    bad = [m for m in settings.switch_margins if not (0.0 <= m < 1.0 or math.isinf(m))]
    if bad or not settings.switch_margins:
        raise InvalidParameter(
            f"switch_margins: {bad or '()'} must be non-empty, each in [0, 1) or inf"
        )
    if not 0.0 <= settings.detect_stockouts < 1.0:
        raise InvalidParameter(
            f"detect_stockouts: {settings.detect_stockouts} must be in [0, 1) (0: off)"
        )
    unknown = [r for r in settings.default_rules if r not in RULES]
    if unknown or not settings.default_rules:
        raise InvalidParameter(
            f"default_rules: {unknown or '()'} must be non-empty, each one of {', '.join(RULES)}"
        )


class _Clock:
    """Seconds per stage, and the progress callback after each."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def done(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = now - self._last
        self._last = now
        if self.progress is not None:
            self.progress(stage, STAGES.index(stage) + 1, len(STAGES))


def _never_in_stock(prepared: PreparedHistory) -> str:
    """The stock-out note's word on series out of stock in every period (their sales
    are kept: there is no in-stock period to raise them to)."""
    if prepared.stockout is None:
        return ""
    import pandas as pd

    always = pd.Series(prepared.stockout).groupby(prepared.frame["unique_id"].to_numpy()).all()
    count = int(always.sum())
    if not count:
        return ""
    return (
        f"; {count} series out of stock in every period keep their sales (no in-stock "
        "period to raise them to)"
    )


def forecast(
    history: pd.DataFrame,
    horizon: int,
    *,
    quantiles: Sequence[float] = (0.5, 0.9, 0.95),
    freq: str | None = None,
    season: int | None = None,
    n_jobs: int = 1,
    progress: Progress | None = None,
    settings: ForecastSettings | None = None,
    row_base: int = 0,
) -> ForecastResult:
    """Forecast every series of a history automatically, with calibrated quantiles.

    Args:
        history: long frame ``unique_id, ds, y`` (``ds`` a date or an integer index).
        horizon: periods to forecast [H].
        quantiles: levels in (0, 1) to add as ``q<level>`` columns.
        freq: ``"D"``, ``"W"`` or ``"M"`` (default ``"D"``; ignored for integer ``ds``).
        season: season length (default 7 daily, 52 weekly, 12 monthly, 1 integer).
        n_jobs: processes for statsforecast and threads for LightGBM (-1: all cores).
        progress: called after each stage (see :data:`Progress`).
        settings: tuning knobs (see :class:`ForecastSettings`).
        row_base: offset of row numbers in error messages (2 = CSV line numbers).

    Raises:
        InvalidParameter: bad history (naming series and row) or a bad argument.
    """
    settings = settings or ForecastSettings()
    _check(horizon, quantiles, n_jobs, settings)
    levels = tuple(sorted({float(q) for q in quantiles}))
    clock = _Clock(progress)
    prepared = prepare_history(
        history,
        freq=freq,
        row_base=row_base,
        season=season,
        detect=settings.detect_stockouts,
    )
    season = season if season is not None else default_season(prepared.freq)
    if season < 1:
        raise InvalidParameter(f"season: {season} must be >= 1")
    clock.done("validate")

    plan = stages.plan(prepared.frame, prepared.freq, season, horizon, settings, prepared.stockout)
    clock.done("classify")
    backtested = len(plan.eligible_ids) > 0
    bt = stages.backtest(plan, settings, levels, n_jobs) if backtested else None
    clock.done("backtest")
    if bt is not None and settings.expensive and settings.expensive_budget_seconds > 0:
        stages.pilot(plan, bt, settings, levels, n_jobs)
    elif bt is not None:
        bt.notes["expensive"] = "skipped: switched off (no time budget for ETS, Theta, ARIMA)"
    clock.done("pilot")
    choice = None
    members: dict[str, tuple[str, ...]] = {}
    if bt is not None:
        choice, members, _ = stages.choose_options(plan, bt, settings, levels)
    clock.done("choose")
    point = stages.point_forecast(plan, bt, choice, members, settings, n_jobs)
    clock.done("forecast")
    frame, bank, q_scale, all_groups, own = stages.quantiles(plan, bt, choice, point, levels)
    clock.done("quantiles")

    choices, model_scores = stages.choices_table(plan, bt, choice)
    notes = dict(bt.notes) if bt is not None else {"all": "no series long enough to backtest"}
    if prepared.stockout_periods:
        found = (
            f" ({prepared.detected_periods} of them detected: zero runs with probability "
            f"below {settings.detect_stockouts:g} for their series)"
            if settings.detect_stockouts
            else ""
        )
        notes["stockouts"] = (
            f"{prepared.stockout_periods} stock-out periods in {prepared.stockout_series} "
            f"series{found}: demand there raised to the mean of the nearest "
            f"{prepared.stockout_window} in-stock periods, "
            f"+{prepared.unconstrained_units:.1f} units in all; those periods are "
            "estimates, so the backtest does not score them and the quantiles do not "
            "learn from them" + _never_in_stock(prepared)
        )
    idle = plan.profile.index[plan.profile["demands"] <= 0]
    if len(idle):
        shown = ", ".join(map(str, idle[:5])) + (
            f" and {len(idle) - 5} more" if len(idle) > 5 else ""
        )
        notes["no_demand"] = (
            f"{len(idle)} of {len(plan.profile)} series had no demand in their history "
            f"({shown}): nothing to learn a spread from, so their quantiles are their "
            "forecast"
        )
    logger.info(
        "forecast %d series x %d periods in %.1fs (%s)",
        len(plan.profile),
        horizon,
        sum(clock.seconds.values()),
        ", ".join(f"{k} {v:.1f}s" for k, v in clock.seconds.items()),
    )
    return ForecastResult(
        forecast=frame,
        choices=choices,
        model_scores=model_scores,
        pilot=bt.trials if bt is not None else (),
        bank=bank,
        scales=q_scale,
        groups=all_groups,
        horizon=horizon,
        freq=prepared.freq,
        season=season,
        seconds=clock.seconds,
        notes=notes,
        own_history=own,
        stockouts=(
            prepared.frame.loc[prepared.stockout, ["unique_id", "ds"]].reset_index(drop=True)
            if prepared.stockout is not None
            else prepared.frame.iloc[:0][["unique_id", "ds"]]
        ),
    )
