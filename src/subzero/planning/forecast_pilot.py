"""Spend expensive models only where they pay: a pilot per demand class.

AutoETS costs about 130–400 ms per daily series and AutoARIMA seconds, against about
0.1 ms for Croston or SES, so the expensive candidates are not backtested on every
series. For each ranking group (demand class) a seeded random sample of at most
``pilot_size`` series is backtested with each expensive model. A model is then run on the
whole group only if

* on the pilot its mean backtest score beats the mean score of the cheap choice of the
  same series by at least ``expensive_gain`` (relative), and
* its estimated cost on the whole group (seconds per series on the pilot × series ×
  (windows + 1) / processes) fits in ``expensive_budget_seconds``.

Before the pilot each model is timed on one series; a model whose pilot alone would
exceed the budget is skipped. Every decision is recorded as a :class:`PilotTrial`, so the
report says why a model was or was not used.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from subzero.planning.forecast_backtest import CENSORED, combined_score, option_scores
from subzero.planning.forecast_choice import choose
from subzero.planning.forecast_models import Candidate, instantiate

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PilotTrial", "run_pilot"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PilotTrial:
    """One expensive model's pilot on one group.

    Attributes:
        model: candidate name.
        group: ranking group (demand class, or ``"*"``).
        pilot_series: series in the pilot (0 if the model was skipped before).
        seconds_per_series: measured backtest time per series (all windows).
        pilot_score: the model's mean backtest score on the pilot.
        cheap_score: the cheap choice's mean score on the same series.
        estimated_seconds: estimated time on the whole group.
        admitted: the model was run on the whole group.
        reason: why, in words.
    """

    model: str
    group: str
    pilot_series: int
    seconds_per_series: float
    pilot_score: float
    cheap_score: float
    estimated_seconds: float
    admitted: bool
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready copy (NaN becomes None)."""
        return {
            k: (None if isinstance(v, float) and not np.isfinite(v) else v)
            for k, v in asdict(self).items()
        }


def _processes(n_jobs: int) -> int:
    return (os.cpu_count() or 1) if n_jobs == -1 else max(n_jobs, 1)


def run_pilot(
    eligible: pd.DataFrame,
    cv: pd.DataFrame,
    score: pd.DataFrame,
    groups: pd.Series,
    scales: pd.DataFrame,
    expensive: tuple[Candidate, ...],
    *,
    season: int,
    horizon: int,
    step: int,
    freq: str | int,
    n_jobs: int,
    levels: tuple[float, ...],
    settings: Any,
    backtest: Callable[..., pd.DataFrame],
) -> tuple[tuple[PilotTrial, ...], pd.DataFrame, dict[str, list[str]]]:
    """Pilot the expensive candidates; backtest the admitted ones on their groups.

    Returns:
        The trials; a frame aligned row by row with ``cv`` holding one column per
        admitted model (NaN outside its groups); and ``{model: [series ids]}`` of the
        admitted models.
    """
    import pandas as pd

    rng = np.random.default_rng(settings.seed)
    processes = _processes(n_jobs)
    budget = float(settings.expensive_budget_seconds)
    cheap_choice = choose(score, groups, switch_margin=settings.switch_margin)
    values = score.to_numpy(dtype=np.float64)
    cols = [score.columns.get_loc(m) for m in cheap_choice.model.reindex(score.index)]
    cheap_score = pd.Series(values[np.arange(len(values)), cols], index=score.index)
    pilot: dict[str, list[str]] = {}
    for g in np.unique(groups.to_numpy()):
        ids = groups.index[groups == g].to_numpy()
        take = min(settings.pilot_size, ids.size)
        pilot[str(g)] = sorted(rng.choice(ids, size=take, replace=False).tolist())
    pilot_ids = [uid for ids in pilot.values() for uid in ids]
    pilot_frame = eligible[eligible["unique_id"].isin(pilot_ids)]
    keys = ["unique_id", "cutoff", "ds"]
    extra = pd.DataFrame(index=cv.index)
    admitted: dict[str, list[str]] = {}
    trials: list[PilotTrial] = []
    spent = 0.0
    for cand in expensive:
        models = instantiate((cand,), season)
        probe_id = pilot_ids[:1]
        start = time.perf_counter()
        backtest(
            pilot_frame[pilot_frame["unique_id"].isin(probe_id)],
            models,
            horizon=horizon,
            n_windows=1,
            step=step,
            freq=freq,
            n_jobs=1,
            input_size=settings.expensive_input_size,
        )
        probe = (time.perf_counter() - start) * settings.n_windows
        estimate = probe * len(pilot_ids) / processes
        if spent + estimate > budget:
            trials.append(
                PilotTrial(
                    cand.name,
                    "*",
                    0,
                    probe,
                    float("nan"),
                    float("nan"),
                    estimate,
                    False,
                    f"skipped: pilot would take ~{estimate:.0f}s ({probe * 1000:.0f} ms/series), "
                    f"over the {budget:.0f}s budget",
                )
            )
            continue
        start = time.perf_counter()
        pilot_cv = backtest(
            pilot_frame,
            models,
            horizon=horizon,
            n_windows=settings.n_windows,
            step=step,
            freq=freq,
            n_jobs=n_jobs,
            input_size=settings.expensive_input_size,
        )
        elapsed = time.perf_counter() - start
        spent += elapsed
        per_series = elapsed * processes / max(len(pilot_ids), 1)
        # the pilot's rows carry the backtest's censoring marks, so they are scored alike
        carried = [*keys, *([CENSORED] if CENSORED in cv.columns else [])]
        pilot_cv = pilot_cv.merge(cv[carried].reset_index(), on=keys, how="inner")
        parts = option_scores(pilot_cv, [cand.name], scales, groups, levels)
        model_score = combined_score(parts, settings.quantile_weight)[cand.name]
        run_ids: list[str] = []
        column = np.full(len(cv), np.nan)
        column[pilot_cv["index"].to_numpy()] = pilot_cv[cand.name].to_numpy()
        for g, ids in pilot.items():
            mine = model_score.reindex(ids).mean()
            base = cheap_score.reindex(ids).mean()
            members = groups.index[groups == g].to_numpy()
            cost = per_series * members.size / processes
            pays = bool(mine < (1.0 - settings.expensive_gain) * base)
            fits = spent + cost <= budget
            reason = (
                f"pilot score {mine:.3f} vs cheap {base:.3f}: "
                + ("pays" if pays else f"does not pay (needs {settings.expensive_gain:.0%})")
                + (
                    ""
                    if not pays
                    else (
                        f", ~{cost:.0f}s fits the budget"
                        if fits
                        else f", but ~{cost:.0f}s is over the {budget:.0f}s budget"
                    )
                )
            )
            trials.append(
                PilotTrial(
                    cand.name,
                    g,
                    len(ids),
                    per_series,
                    float(mine),
                    float(base),
                    cost,
                    pays and fits,
                    reason,
                )
            )
            logger.info("pilot %s on %s: %s", cand.name, g, reason)
            if pays and fits:
                rest = sorted(set(members) - set(ids))
                if rest:
                    start = time.perf_counter()
                    rest_cv = backtest(
                        eligible[eligible["unique_id"].isin(rest)],
                        models,
                        horizon=horizon,
                        n_windows=settings.n_windows,
                        step=step,
                        freq=freq,
                        n_jobs=n_jobs,
                        input_size=settings.expensive_input_size,
                    )
                    spent += time.perf_counter() - start
                    rest_cv = rest_cv.merge(cv[keys].reset_index(), on=keys, how="inner")
                    column[rest_cv["index"].to_numpy()] = rest_cv[cand.name].to_numpy()
                run_ids.extend(members.tolist())
        if run_ids:
            admitted[cand.name] = run_ids
            extra[cand.name] = column
    return tuple(trials), extra, admitted
