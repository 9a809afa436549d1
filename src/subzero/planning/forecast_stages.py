"""The stages of the automatic run, one function each (orchestrated by :func:`.forecast`).

plan (classify, who can be backtested) → backtest (cheap models and the global model on
every eligible series) → pilot (expensive models where they pay) → choose (ensembles,
nested switch margin, per-series choice) → forecast (refit what was chosen) → quantiles.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from subzero.planning.demand_class import classify_frame
from subzero.planning.forecast_backtest import (
    CENSORED,
    combined_score,
    observed_rows,
    option_scores,
    ranking_groups,
    series_scales,
)
from subzero.planning.forecast_choice import (
    ENSEMBLE,
    ENSEMBLE_ALL,
    ENSEMBLE_MEAN,
    ENSEMBLES,
    Choice,
    MarginTrial,
    add_ensembles,
    choose,
    rank_members,
    select_rule_and_margin,
)
from subzero.planning.forecast_engine import run_backtest, run_forecast
from subzero.planning.forecast_global import (
    GLOBAL_MODEL,
    GlobalModel,
    global_backtest,
    global_setup,
)
from subzero.planning.forecast_history import in_periods
from subzero.planning.forecast_models import (
    FALLBACK_MODEL,
    Cost,
    candidates,
    fallback_model,
    instantiate,
)
from subzero.planning.forecast_pilot import PilotTrial, run_pilot
from subzero.planning.forecast_quantiles import (
    ResidualBank,
    calibrate,
    conformal_quantiles,
    quantile_columns,
    quantile_name,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Backtest", "Plan", "backtest", "choose_options", "pick", "plan", "point_forecast"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Plan:
    """Who is backtested: the classification and the series long enough for it."""

    frame: pd.DataFrame
    freq: str | int
    season: int
    horizon: int
    step: int
    needed: int
    profile: pd.DataFrame
    eligible_ids: pd.Index
    short_ids: pd.Index
    groups: pd.Series
    scales: pd.DataFrame
    stockout: npt.NDArray[np.bool_] | None = None

    @property
    def eligible(self) -> pd.DataFrame:
        """History of the series that are backtested."""
        return self.frame[self.frame["unique_id"].isin(self.eligible_ids)]


@dataclass(slots=True)
class Backtest:
    """Backtest rows and per-series scores, extended stage by stage."""

    cv: pd.DataFrame
    parts: dict[str, pd.DataFrame]
    singles: list[str]
    quantile_weight: float
    trials: tuple[PilotTrial, ...] = ()
    admitted: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def score(self) -> pd.DataFrame:
        """RMSSE + weight × SPL per series and option."""
        return combined_score(self.parts, self.quantile_weight)

    def add(self, names: list[str], plan: Plan, levels: tuple[float, ...]) -> None:
        """Score more option columns of ``cv`` and add them to ``parts``."""
        import pandas as pd

        more = option_scores(self.cv, names, plan.scales, plan.groups, levels)
        if not self.parts:
            self.parts = more
        else:
            self.parts = {k: pd.concat([v, more[k]], axis=1) for k, v in self.parts.items()}


def plan(
    frame: pd.DataFrame,
    freq: str | int,
    season: int,
    horizon: int,
    settings: Any,
    stockout: npt.NDArray[np.bool_] | None = None,
) -> Plan:
    """Classify the series and split them into backtested and too short.

    ``stockout`` marks the rows of ``frame`` whose demand is a stock-out estimate
    (censored): they are not scored in the backtest nor used for the quantiles.
    """
    import pandas as pd

    profile = classify_frame(frame)
    step = settings.step or horizon
    # enough to fit the seasonal window average (4 weeks, or 2 years) at the first origin
    min_fit = max(season * (4 if season < 12 else 2), horizon, 10)
    needed = horizon + step * (settings.n_windows - 1) + min_fit
    longest = int(profile["periods"].max()) if len(profile) else 0
    if settings.step is None and settings.n_windows > 1 and longest < needed:
        # a young history (90 days for a 28-day horizon, say): overlapping origins,
        # closer than a horizon apart, rather than no backtest at all
        room = (longest - horizon - min_fit) // (settings.n_windows - 1)
        if room >= 1:
            step = room
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
    classes = profile["demand_class"].astype(str)
    groups = (
        ranking_groups(classes.loc[eligible_ids]) if len(eligible_ids) else pd.Series(dtype=str)
    )
    return Plan(
        frame,
        freq,
        season,
        horizon,
        step,
        needed,
        profile,
        eligible_ids,
        short_ids,
        groups,
        series_scales(frame),
        stockout,
    )


def _mark_censored(plan: Plan, cv: pd.DataFrame) -> None:
    """Add the ``censored`` column to backtest rows (in place) if the history has stock-outs."""
    if plan.stockout is None or not plan.stockout.any():
        return
    out = plan.frame.loc[plan.stockout, ["unique_id", "ds"]]
    out = out[out["ds"] >= cv["ds"].min()]  # only the backtest's periods can match
    cv[CENSORED] = in_periods(cv, out)


def backtest(plan: Plan, settings: Any, levels: tuple[float, ...], n_jobs: int) -> Backtest:
    """Backtest every cheap model, and the global model, on every eligible series."""
    cheap = candidates(plan.season, cost=Cost.CHEAP)
    cv = run_backtest(
        plan.eligible,
        instantiate(cheap, plan.season),
        horizon=plan.horizon,
        n_windows=settings.n_windows,
        step=plan.step,
        freq=plan.freq,
        n_jobs=n_jobs,
    )
    _mark_censored(plan, cv)
    result = Backtest(cv, {}, [c.name for c in cheap], settings.quantile_weight)
    result.notes["origins"] = f"{settings.n_windows}, {plan.step} periods apart" + (
        " (overlapping windows: the history is short)" if plan.step < plan.horizon else ""
    )
    if settings.global_model:
        setup = global_setup(
            plan.season,
            plan.freq,
            max_train_rows=settings.global_max_train_rows,
            seed=settings.seed,
        )
        column, note = global_backtest(
            plan.eligible,
            cv,
            setup,
            horizon=plan.horizon,
            n_windows=settings.n_windows,
            step=plan.step,
            freq=plan.freq,
            n_jobs=n_jobs,
        )
        if np.isfinite(column).any():
            cv[GLOBAL_MODEL] = column
            result.singles.append(GLOBAL_MODEL)
        result.notes[GLOBAL_MODEL] = note
    else:
        result.notes[GLOBAL_MODEL] = "skipped: switched off in the settings"
    result.add(result.singles, plan, levels)
    return result


def pilot(plan: Plan, bt: Backtest, settings: Any, levels: tuple[float, ...], n_jobs: int) -> None:
    """Run the expensive models' pilot and add the admitted ones to the backtest."""
    trials, cv_extra, admitted = run_pilot(
        plan.eligible,
        bt.cv,
        bt.score,
        plan.groups,
        plan.scales,
        candidates(plan.season, cost=Cost.EXPENSIVE),
        season=plan.season,
        horizon=plan.horizon,
        step=plan.step,
        freq=plan.freq,
        n_jobs=n_jobs,
        levels=levels,
        settings=settings,
        backtest=run_backtest,
    )
    bt.trials, bt.admitted = trials, admitted
    new = [name for name in cv_extra.columns if name not in bt.cv.columns]
    for name in new:
        bt.cv[name] = cv_extra[name].to_numpy()
    if new:
        bt.add(new, plan, levels)
        bt.singles.extend(new)


def choose_options(
    plan: Plan, bt: Backtest, settings: Any, levels: tuple[float, ...]
) -> tuple[Choice, dict[str, tuple[str, ...]], tuple[MarginTrial, ...]]:
    """Build the ensembles, choose the switch margin by nested backtest, choose per series."""
    margin, rule, trials = select_rule_and_margin(
        bt.cv,
        list(bt.singles),
        plan.scales,
        plan.groups,
        levels=levels,
        horizon=plan.horizon,
        ensemble_size=settings.ensemble_size,
        quantile_weight=settings.quantile_weight,
        margins=settings.switch_margins,
        rules=settings.default_rules,
    )
    members = rank_members(bt.score, plan.groups, list(bt.singles), settings.ensemble_size)
    add_ensembles(bt.cv, members, plan.groups, list(bt.singles))
    bt.add(list(ENSEMBLES), plan, levels)
    choice = choose(bt.score, plan.groups, switch_margin=margin, rule=rule)
    bt.notes["switch_margin"] = (
        f"{margin:g} (nested backtest, last-window score per default rule and margin: "
        + ", ".join(f"{t.rule} {t.margin:g}: {t.score:.4f}" for t in trials)
        + ")"
    )
    bt.notes["default_rule"] = f"{rule} (nested backtest)"
    bt.notes["ensembles"] = "; ".join(f"{g}: {'+'.join(m)}" for g, m in members.items())
    bt.notes["class_defaults"] = "; ".join(f"{g}: {m}" for g, m in choice.class_default.items())
    return choice, members, trials


def pick(frame: pd.DataFrame, model: pd.Series) -> npt.NDArray[np.float64]:
    """Per row, the value of the column named by the row's series' chosen model."""
    names = model.reindex(frame["unique_id"].to_numpy()).to_numpy()
    out = np.full(len(frame), np.nan)
    for name in np.unique(names):
        rows = names == name
        if str(name) in frame.columns:
            out[rows] = frame.loc[rows, str(name)].to_numpy(dtype=np.float64)
    return out


def _needs(choice: Choice, members: dict[str, tuple[str, ...]], singles: list[str]) -> set[str]:
    """The single models the chosen options need (ensembles need their members)."""
    needed = set(choice.model.to_numpy().tolist())
    if ENSEMBLE_ALL in needed:
        needed.update(singles)
    for option, group in zip(choice.model.to_numpy(), choice.group.to_numpy(), strict=True):
        if option in (ENSEMBLE, ENSEMBLE_MEAN):
            needed.update(members.get(str(group), ()))
    return needed


def point_forecast(
    plan: Plan,
    bt: Backtest | None,
    choice: Choice | None,
    members: dict[str, tuple[str, ...]],
    settings: Any,
    n_jobs: int,
) -> pd.DataFrame:
    """Refit the chosen models on the full history; ``unique_id, ds, mean``."""
    import pandas as pd

    points = []
    if bt is not None and choice is not None:
        eligible = plan.eligible
        cheap = candidates(plan.season, cost=Cost.CHEAP)
        fc = run_forecast(
            eligible,
            instantiate(cheap, plan.season),
            horizon=plan.horizon,
            freq=plan.freq,
            n_jobs=n_jobs,
        )
        needed = _needs(choice, members, list(bt.singles))
        if GLOBAL_MODEL in needed:
            setup = global_setup(
                plan.season,
                plan.freq,
                max_train_rows=settings.global_max_train_rows,
                seed=settings.seed,
            )
            model = GlobalModel(setup, freq=plan.freq, n_jobs=n_jobs)
            if model.fit(eligible):
                fc = fc.merge(
                    model.predict(eligible, plan.horizon), on=["unique_id", "ds"], how="left"
                )
        expensive = {c.name: c for c in candidates(plan.season, cost=Cost.EXPENSIVE)}
        for name, ids in bt.admitted.items():
            if name not in needed:
                continue
            fit_on = eligible[eligible["unique_id"].isin(ids)]
            if settings.expensive_input_size:
                fit_on = fit_on.groupby("unique_id", sort=False).tail(settings.expensive_input_size)
            more = run_forecast(
                fit_on,
                instantiate((expensive[name],), plan.season),
                horizon=plan.horizon,
                freq=plan.freq,
                n_jobs=n_jobs,
            )
            fc = fc.merge(more, on=["unique_id", "ds"], how="left")
        for name in bt.singles:
            if name not in fc.columns:
                fc[name] = np.nan
        add_ensembles(fc, members, plan.groups, list(bt.singles))
        mean = pick(fc, choice.model)
        fc["mean"] = np.where(np.isnan(mean), fc[FALLBACK_MODEL].to_numpy(), mean)
        points.append(fc[["unique_id", "ds", "mean"]])
    if len(plan.short_ids):
        short = plan.frame[plan.frame["unique_id"].isin(plan.short_ids)]
        fb = run_forecast(
            short, [fallback_model(plan.season)], horizon=plan.horizon, freq=plan.freq, n_jobs=1
        )
        points.append(fb.rename(columns={FALLBACK_MODEL: "mean"})[["unique_id", "ds", "mean"]])
    point = pd.concat(points, ignore_index=True).sort_values(["unique_id", "ds"], kind="stable")
    return point.reset_index(drop=True)


def quantiles(
    plan: Plan,
    bt: Backtest | None,
    choice: Choice | None,
    point: pd.DataFrame,
    levels: tuple[float, ...],
) -> tuple[pd.DataFrame, ResidualBank, pd.Series, pd.Series, dict[str, npt.NDArray[np.float64]]]:
    """Calibrate the quantiles on the chosen options' backtest errors and add them.

    Returns the forecast with quantile columns, the residual bank, the quantile scale per
    series (0 for a series with no demand), the ranking group per series, and the own
    history of the series that had no backtest errors to borrow.
    """
    profile = plan.profile
    classes = profile["demand_class"].astype(str)
    all_groups = classes.where(classes.isin(set(plan.groups.to_numpy())), "*").astype(str)
    all_groups.loc[plan.groups.index] = plan.groups
    has_demand = profile["demands"] > 0
    spread = has_demand & ~_steady(plan).reindex(profile.index, fill_value=False)
    q_scale = plan.scales["rms_diff"].where(spread.reindex(plan.scales.index), 0.0)
    if bt is not None and choice is not None:
        chosen = pick(bt.cv, choice.model)
        bt.cv["chosen"] = np.where(np.isnan(chosen), bt.cv[FALLBACK_MODEL].to_numpy(), chosen)
        bank = calibrate(
            bt.cv,
            "chosen",
            plan.scales["rms_diff"],
            plan.groups,
            levels,
            plan.horizon,
            censored=~observed_rows(bt.cv),
        )
    else:
        empty = np.zeros((0, plan.horizon))
        bank = ResidualBank(levels, {"*": empty}, {"*": np.zeros((plan.horizon, len(levels)))})
    frame = quantile_columns(point, q_scale, all_groups, bank)
    unbanked = [
        uid
        for uid in plan.short_ids
        if bank.paths[bank.group_of(str(all_groups.get(uid, "*")))].shape[0] == 0
    ]
    own = own_history_quantiles(frame, _observed(plan), unbanked, bank.levels) if unbanked else {}
    return frame, bank, q_scale, all_groups, own


def _steady(plan: Plan) -> pd.Series:
    """Per backtested series, True where its demand never changed (4 every day).

    Its backtest errors are its own evidence of a zero spread; its scale, though, falls
    back to its level (``series_scales``: no change to scale by), and the group's
    errors times that level would give it a band as wide as a series whose demand moves
    by its whole level every period (series C, 4 a day, got q0.95 = 8.9 beside two
    Poisson series). Its quantiles are its forecast instead, as a series with no demand
    gets. Short series keep borrowing the group's spread: a few equal periods are
    little evidence.
    """
    y = plan.eligible.groupby("unique_id", sort=True)["y"]
    steady: pd.Series = y.max() == y.min()
    return steady


def _observed(plan: Plan) -> pd.DataFrame:
    """The history without its stock-out periods (a series out of stock in every period
    keeps them all: its sales are all there is)."""
    if plan.stockout is None:
        return plan.frame
    uid = plan.frame["unique_id"]
    in_stock = ~plan.stockout
    never = ~uid.isin(uid[in_stock]).to_numpy()
    return plan.frame[in_stock | never]


def own_history_quantiles(
    frame: pd.DataFrame, history: pd.DataFrame, ids: list[str], levels: tuple[float, ...]
) -> dict[str, npt.NDArray[np.float64]]:
    """Quantiles of series with no backtest errors to borrow, from their own history.

    In place; returns each such series' past demand (for its lead-time demand). When
    no series could be backtested there are no errors to calibrate on; such a series is
    forecast by its historic mean, and under that model (demand independent from period
    to period) the conformal predictive quantile of the next period is the ceil((n + 1)
    level)-th smallest of its own n past periods (Vovk et al. 2005) — rather than a band
    of zero width.
    """
    past = history[history["unique_id"].isin(ids)].groupby("unique_id", sort=False)["y"]
    own = {str(uid): y.to_numpy(np.float64) for uid, y in past}
    values = {uid: conformal_quantiles(y, levels) for uid, y in own.items()}
    rows = frame["unique_id"].isin(ids).to_numpy()
    # order statistics of demand (>= 0) at ascending levels: never negative, never crossing
    table = np.stack([values[uid] for uid in frame.loc[rows, "unique_id"]])
    for k, level in enumerate(levels):
        frame.loc[rows, quantile_name(level)] = table[:, k]
    return own


def choices_table(
    plan: Plan, bt: Backtest | None, choice: Choice | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per series: class, stock-out periods, chosen model, why, backtest errors; per option:
    mean scores."""
    import pandas as pd

    choices = plan.profile[["demand_class", "adi", "cv2", "periods"]].copy()
    choices["stockout_periods"] = 0
    if plan.stockout is not None:
        counts = pd.Series(plan.stockout).groupby(plan.frame["unique_id"].to_numpy()).sum()
        choices["stockout_periods"] = counts.reindex(choices.index).fillna(0).astype(int)
    choices["model"] = FALLBACK_MODEL
    choices["reason"] = f"shorter than {plan.needed} periods: too short to backtest"
    for key in ("rmsse", "mase", "spl"):
        choices[f"backtest_{key}"] = np.nan
    model_scores = pd.DataFrame(columns=["rmsse", "mase", "spl", "series"])
    if bt is not None and choice is not None:
        ids = choice.model.index
        choices.loc[ids, "model"] = choice.model
        choices.loc[ids, "reason"] = choice.reason
        for key in ("rmsse", "mase", "spl"):
            table = bt.parts[key].loc[ids]
            cols = [table.columns.get_loc(m) for m in choice.model]
            choices.loc[ids, f"backtest_{key}"] = table.to_numpy()[np.arange(len(ids)), cols]
        model_scores = pd.DataFrame(
            {k: bt.parts[k].mean() for k in ("rmsse", "mase", "spl")}
            | {"series": bt.parts["rmsse"].notna().sum()}
        )
    choices.index.name = "unique_id"
    return choices, model_scores
