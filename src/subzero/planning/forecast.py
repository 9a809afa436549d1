"""Automatic demand forecasting: classify, backtest, choose, forecast, calibrate.

:func:`forecast` runs the whole automatic run on a long history ``unique_id, ds, y``:

1. validate the history and fill missing periods with zeros (:mod:`.forecast_history`);
2. classify each series smooth / erratic / intermittent / lumpy (:mod:`.demand_class`);
3. backtest every cheap candidate on every series over ``n_windows`` rolling origins
   (:mod:`.forecast_backtest`), and add the ``ensemble`` (median of each class's best
   models);
4. try each expensive candidate (ETS, Theta, ARIMA) on a pilot sample of each class;
   run it on the whole class only if it beats the cheap choice there by ``expensive_gain``
   and the whole class fits in ``expensive_budget_seconds`` (:mod:`.forecast_pilot`);
5. choose per series (class default unless the series' own backtest wins clearly);
6. refit the needed models on the full history and forecast ``horizon`` periods;
7. add quantiles calibrated on the backtest errors (:mod:`.forecast_quantiles`).

Series too short for the backtest get the historic average (``mean``) and the quantiles
of their class. Forecasts and quantiles are never negative.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from subzero.domain.errors import InvalidParameter
from subzero.planning.demand_class import classify_frame
from subzero.planning.forecast_backtest import (
    ENSEMBLE,
    Choice,
    add_ensemble,
    choose,
    option_scores,
    rank_members,
    ranking_groups,
    series_scales,
)
from subzero.planning.forecast_history import default_season, prepare_history
from subzero.planning.forecast_models import FALLBACK_MODEL, Cost, candidates, instantiate
from subzero.planning.forecast_pilot import PilotTrial, run_pilot
from subzero.planning.forecast_quantiles import (
    LeadTimeDemand,
    ResidualBank,
    calibrate,
    quantile_columns,
    sample_lead_time_demand,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ForecastResult", "ForecastSettings", "Progress", "forecast"]

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
        switch_margin: how much better (relative score) a series' own best option must be
            than its class default to be chosen.
        ensemble_size: single models in the class ensemble (median).
        quantile_weight: weight of the scaled pinball loss in the choice score.
        expensive: try the expensive models at all.
        pilot_size: series per class in the pilot of the expensive models.
        expensive_gain: relative improvement over the cheap choice on the pilot an
            expensive model needs to be run on its class.
        expensive_budget_seconds: estimated time an expensive model may take on a class.
        expensive_input_size: last periods an expensive model is fitted on (speed).
        seed: seed of the pilot sample.
    """

    n_windows: int = 3
    step: int | None = None
    switch_margin: float = 0.5
    ensemble_size: int = 3
    quantile_weight: float = 1.0
    expensive: bool = True
    pilot_size: int = 30
    expensive_gain: float = 0.02
    expensive_budget_seconds: float = 30.0
    expensive_input_size: int | None = 365
    seed: int = 0


@dataclass(frozen=True, slots=True)
class ForecastResult:
    """The output of an automatic run.

    Attributes:
        forecast: ``unique_id, ds, mean, q<level>…``, ``horizon`` rows per series.
        choices: per series (index ``unique_id``): ``demand_class, adi, cv2, periods,
            model, reason, backtest_rmsse, backtest_mase, backtest_spl``.
        model_scores: per option (index): mean backtest ``rmsse, mase, spl`` and the
            number of ``series`` it was scored on.
        pilot: the expensive models' pilot trials.
        bank: backtest error paths and conformal offsets.
        scales: quantile scale per series (0 for a series with no demand).
        groups: ranking group per series.
        horizon: periods forecast.
        freq: the calendar used.
        season: season length used.
        seconds: time per stage.
    """

    forecast: pd.DataFrame
    choices: pd.DataFrame
    model_scores: pd.DataFrame
    pilot: tuple[PilotTrial, ...]
    bank: ResidualBank
    scales: pd.Series
    groups: pd.Series
    horizon: int
    freq: str | int
    season: int
    seconds: dict[str, float] = field(default_factory=dict)

    def lead_time_demand(
        self,
        unique_id: str,
        lead_time: int,
        *,
        n_samples: int = 4000,
        rng: np.random.Generator | None = None,
    ) -> LeadTimeDemand:
        """Distribution of the series' demand summed over the next ``lead_time`` periods."""
        rows = self.forecast[self.forecast["unique_id"] == unique_id]
        if rows.empty:
            raise InvalidParameter(f"lead-time demand: unknown series {unique_id!r}")
        group = self.bank.group_of(str(self.groups.get(unique_id, "*")))
        return sample_lead_time_demand(
            rows["mean"].to_numpy(dtype=np.float64),
            float(self.scales.get(unique_id, 0.0)),
            self.bank.paths[group],
            lead_time=lead_time,
            levels=self.bank.levels,
            n_samples=n_samples,
            rng=rng if rng is not None else np.random.default_rng(0),
        )

    def report(self) -> dict[str, Any]:
        """A JSON-ready summary: per series and per candidate model."""

        def clean(value: Any) -> Any:
            if isinstance(value, float | np.floating):
                return None if not np.isfinite(value) else round(float(value), 6)
            if isinstance(value, np.integer):
                return int(value)
            return value

        series = [
            {"unique_id": uid, **{k: clean(v) for k, v in row.items()}}
            for uid, row in self.choices.to_dict(orient="index").items()
        ]
        models = {
            name: {k: clean(v) for k, v in row.items()}
            for name, row in self.model_scores.to_dict(orient="index").items()
        }
        return {
            "horizon": self.horizon,
            "freq": str(self.freq),
            "season": self.season,
            "quantiles": list(self.bank.levels),
            "models": models,
            "pilot": [trial.as_dict() for trial in self.pilot],
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "series": series,
        }


def _statsforecast(models: list[Any], freq: str | int, n_jobs: int) -> Any:
    from statsforecast import StatsForecast

    return StatsForecast(models=models, freq=freq, n_jobs=n_jobs)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    # Croston-family models divide by zero on an all-zero window and return 0 (correct);
    # silence only that numpy RuntimeWarning.
    with warnings.catch_warnings():
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
    with _quiet():
        cv = _statsforecast(models, freq, n_jobs).cross_validation(
            df=history, h=horizon, n_windows=n_windows, step_size=step, input_size=input_size
        )
    cv["unique_id"] = cv["unique_id"].astype(str)
    return cv.sort_values(["unique_id", "cutoff", "ds"], kind="stable").reset_index(drop=True)


def run_forecast(
    history: pd.DataFrame, models: list[Any], *, horizon: int, freq: str | int, n_jobs: int
) -> pd.DataFrame:
    """statsforecast forecast of ``horizon`` periods, sorted by series, date."""
    with _quiet():
        fc = _statsforecast(models, freq, n_jobs).forecast(df=history, h=horizon)
    fc["unique_id"] = fc["unique_id"].astype(str)
    return fc.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


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


def _pick(frame: pd.DataFrame, model: pd.Series) -> npt.NDArray[np.float64]:
    """Per row, the value of the column named by the row's series' chosen model."""
    names = model.reindex(frame["unique_id"].to_numpy()).to_numpy()
    out = np.full(len(frame), np.nan)
    for name in np.unique(names):
        rows = names == name
        out[rows] = frame.loc[rows, str(name)].to_numpy(dtype=np.float64)
    return out


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
        n_jobs: processes for statsforecast (-1: all cores).
        progress: called after each stage (see :data:`Progress`).
        settings: tuning knobs (see :class:`ForecastSettings`).
        row_base: offset of row numbers in error messages (2 = CSV line numbers).

    Raises:
        InvalidParameter: bad history (naming series and row) or a bad argument.
    """
    import pandas as pd

    settings = settings or ForecastSettings()
    _check(horizon, quantiles, n_jobs, settings)
    levels = tuple(sorted({float(q) for q in quantiles}))
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def done(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = now - clock
        clock = now
        if progress is not None:
            progress(stage, STAGES.index(stage) + 1, len(STAGES))

    prepared = prepare_history(history, freq=freq, row_base=row_base)
    frame, cal = prepared.frame, prepared.freq
    season = season if season is not None else default_season(cal)
    if season < 1:
        raise InvalidParameter(f"season: {season} must be >= 1")
    done("validate")

    profile = classify_frame(frame)
    classes = profile["demand_class"].astype(str)
    step = settings.step or horizon
    # enough to fit the seasonal window average (4 weeks, or 2 years) at the first origin
    min_fit = max(season * (4 if season < 12 else 2), horizon, 10)
    needed = horizon + step * (settings.n_windows - 1) + min_fit
    eligible_ids = profile.index[profile["periods"] >= needed]
    short_ids = profile.index[profile["periods"] < needed]
    if len(short_ids):
        logger.info(
            "%d series shorter than %d periods get the %s model",
            len(short_ids),
            needed,
            FALLBACK_MODEL,
        )
    done("classify")

    cheap = candidates(season, cost=Cost.CHEAP)
    scales = series_scales(frame)
    groups = (
        ranking_groups(classes.loc[eligible_ids]) if len(eligible_ids) else pd.Series(dtype=str)
    )
    eligible = frame[frame["unique_id"].isin(eligible_ids)]
    cv = pd.DataFrame()
    score = pd.DataFrame()
    members: dict[str, tuple[str, ...]] = {}
    if len(eligible_ids):
        cv = run_backtest(
            eligible,
            instantiate(cheap, season),
            horizon=horizon,
            n_windows=settings.n_windows,
            step=step,
            freq=cal,
            n_jobs=n_jobs,
        )
        singles = [c.name for c in cheap]
        parts = option_scores(cv, singles, scales, groups, levels)
        score = parts["rmsse"] + settings.quantile_weight * parts["spl"]
        members = rank_members(score, groups, singles, settings.ensemble_size)
        add_ensemble(cv, members, groups)
        extra = option_scores(cv, [ENSEMBLE], scales, groups, levels)
        parts = {k: pd.concat([v, extra[k]], axis=1) for k, v in parts.items()}
        score = parts["rmsse"] + settings.quantile_weight * parts["spl"]
    done("backtest")

    trials: tuple[PilotTrial, ...] = ()
    admitted: dict[str, list[str]] = {}
    if settings.expensive and len(eligible_ids):
        trials, cv_extra, admitted = run_pilot(
            eligible,
            cv,
            score,
            groups,
            scales,
            candidates(season, cost=Cost.EXPENSIVE),
            season=season,
            horizon=horizon,
            step=step,
            freq=cal,
            n_jobs=n_jobs,
            levels=levels,
            settings=settings,
            backtest=run_backtest,
        )
        if admitted:
            for name in cv_extra.columns.difference(cv.columns):
                cv[name] = cv_extra[name].to_numpy()
            more = option_scores(
                cv, list(cv_extra.columns.difference(score.columns)), scales, groups, levels
            )
            parts = {k: pd.concat([v, more[k]], axis=1) for k, v in parts.items()}
            score = parts["rmsse"] + settings.quantile_weight * parts["spl"]
    done("pilot")

    choice: Choice | None = None
    if len(eligible_ids):
        choice = choose(score, groups, switch_margin=settings.switch_margin)
    done("choose")

    points = []
    if len(eligible_ids):
        fc = run_forecast(
            eligible, instantiate(cheap, season), horizon=horizon, freq=cal, n_jobs=n_jobs
        )
        add_ensemble(fc, members, groups)
        expensive = {c.name: c for c in candidates(season, cost=Cost.EXPENSIVE)}
        for name, ids in admitted.items():
            fit_on = eligible[eligible["unique_id"].isin(ids)]
            if settings.expensive_input_size:
                fit_on = fit_on.groupby("unique_id", sort=False).tail(settings.expensive_input_size)
            more_fc = run_forecast(
                fit_on,
                instantiate((expensive[name],), season),
                horizon=horizon,
                freq=cal,
                n_jobs=n_jobs,
            )
            fc = fc.merge(more_fc, on=["unique_id", "ds"], how="left")
        assert choice is not None
        mean = _pick(fc, choice.model)
        fc["mean"] = np.where(np.isnan(mean), fc[FALLBACK_MODEL].to_numpy(), mean)
        points.append(fc[["unique_id", "ds", "mean"]])
    if len(short_ids):
        from subzero.planning.forecast_models import fallback_model

        short = frame[frame["unique_id"].isin(short_ids)]
        fb = run_forecast(short, [fallback_model(season)], horizon=horizon, freq=cal, n_jobs=1)
        points.append(fb.rename(columns={FALLBACK_MODEL: "mean"})[["unique_id", "ds", "mean"]])
    point = pd.concat(points, ignore_index=True).sort_values(["unique_id", "ds"], kind="stable")
    point = point.reset_index(drop=True)
    done("forecast")

    all_groups = classes.where(classes.isin(set(groups.to_numpy())), "*").astype(str)
    all_groups.loc[groups.index] = groups
    has_demand = profile["demands"] > 0
    q_scale = scales["rms_diff"].where(has_demand.reindex(scales.index), 0.0)
    if len(eligible_ids):
        assert choice is not None
        chosen = _pick(cv, choice.model)
        cv["chosen"] = np.where(np.isnan(chosen), cv[FALLBACK_MODEL].to_numpy(), chosen)
        bank = calibrate(cv, "chosen", scales["rms_diff"], groups, levels, horizon)
    else:
        empty = np.zeros((0, horizon))
        bank = ResidualBank(levels, {"*": empty}, {"*": np.zeros((horizon, len(levels)))})
    result_frame = quantile_columns(point, q_scale, all_groups, bank)
    done("quantiles")

    choices = profile[["demand_class", "adi", "cv2", "periods"]].copy()
    choices["model"] = FALLBACK_MODEL
    choices["reason"] = f"shorter than {needed} periods: too short to backtest"
    choices["backtest_rmsse"] = np.nan
    choices["backtest_mase"] = np.nan
    choices["backtest_spl"] = np.nan
    model_scores = pd.DataFrame(columns=["rmsse", "mase", "spl", "series"])
    if choice is not None:
        ids = choice.model.index
        choices.loc[ids, "model"] = choice.model
        choices.loc[ids, "reason"] = choice.reason
        for key in ("rmsse", "mase", "spl"):
            table = parts[key].loc[ids]
            choices.loc[ids, f"backtest_{key}"] = table.to_numpy()[
                np.arange(len(ids)), [table.columns.get_loc(m) for m in choice.model]
            ]
        model_scores = pd.DataFrame(
            {k: parts[k].mean() for k in ("rmsse", "mase", "spl")}
            | {"series": parts["rmsse"].notna().sum()}
        )
        ensemble_note = {g: "+".join(m) for g, m in members.items()}
        logger.info("ensemble members per class: %s", ensemble_note)
    choices.index.name = "unique_id"
    logger.info(
        "forecast %d series x %d periods in %.1fs (%s)",
        len(profile),
        horizon,
        sum(seconds.values()),
        ", ".join(f"{k} {v:.1f}s" for k, v in seconds.items()),
    )
    return ForecastResult(
        forecast=result_frame,
        choices=choices,
        model_scores=model_scores,
        pilot=trials,
        bank=bank,
        scales=q_scale,
        groups=all_groups,
        horizon=horizon,
        freq=cal,
        season=season,
        seconds=seconds,
    )
