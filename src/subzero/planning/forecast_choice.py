"""The per-series model choice: class defaults, ensembles, switching, all from the backtest.

Every decision here rests on the rolling-origin backtest only (never on data after the
last origin), in three steps:

1. **Ensembles.** Per ranking group (demand class), the ``size`` single models with the
   lowest mean backtest score become the members of two extra options: ``ensemble``
   (their median) and ``ensemble_mean`` (their mean). A third, ``ensemble_all``, is the
   median of every single model: a robust combination that needs no ranking (Jose &
   Winkler 2008, IJF 24(1), 163–169). Combining forecasts is usually more accurate than
   choosing one (Bates & Granger 1969; Petropoulos et al. 2022, IJF 38(3), 705–871,
   §2.6), but an ensemble is used only where its backtest score wins.
2. **Class defaults.** Each group's default is chosen by one of two rules. *rank*: the
   option (single or ensemble) with the lowest mean score over the group. *combine*:
   ``ensemble_all`` for every group, whatever ranks first. Ranking pays when the
   backtest's leader stays ahead; with few series or short windows its lead is mostly
   estimation error, and a simple combination does better (the "forecast combination
   puzzle": Smith & Wallis 2009, OBES 71(3), 331–355; Claeskens et al. 2016, IJF 32(3),
   754–762). A class with fewer than ``MIN_CLASS_SERIES`` series is ranked on the pooled
   evidence of all series (group ``"*"``).
3. **Switching.** A series leaves its class default for its own best option only when
   that option's score is lower by the ``switch_margin``.

The rule and the margin are chosen together by a *nested* backtest
(:func:`select_rule_and_margin`): options ranked and chosen on the earlier windows are
scored on the last window, for each rule and each candidate margin (including "never
switch"); the pair with the lowest score there is used with all windows. So an ensemble
becomes a default only where it wins the backtest, and *combine* only where it won the
nested one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from subzero.planning.forecast_backtest import (
    POOLED,
    backtest_window,
    combined_score,
    option_scores,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "COMBINE",
    "ENSEMBLE",
    "ENSEMBLES",
    "ENSEMBLE_ALL",
    "ENSEMBLE_MEAN",
    "NEVER",
    "RANK",
    "RULES",
    "Choice",
    "MarginTrial",
    "add_ensembles",
    "choose",
    "rank_members",
    "select_rule_and_margin",
]

ENSEMBLE = "ensemble"
"""Option: the median of a group's best single models."""

ENSEMBLE_MEAN = "ensemble_mean"
"""Option: the mean of a group's best single models."""

ENSEMBLE_ALL = "ensemble_all"
"""Option: the median of every single model (a robust combination of all candidates)."""

ENSEMBLES = (ENSEMBLE, ENSEMBLE_MEAN, ENSEMBLE_ALL)
"""The combination options, in the order they are added."""

RANK = "rank"
"""Default rule: each group's default is its option with the lowest mean score."""

COMBINE = "combine"
"""Default rule: every group's default is ``ensemble_all``."""

RULES = (RANK, COMBINE)
"""The default rules the nested backtest chooses from; ties go to the first."""

NEVER = math.inf
"""Switch margin that keeps every series on its class default."""


@dataclass(frozen=True, slots=True)
class Choice:
    """The per-series choice and what it rests on.

    Attributes:
        model: per series (indexed by ``unique_id``): the chosen option's name.
        reason: per series: why, in words.
        class_default: per ranking group: the default option.
        group: per series: the ranking group it belongs to.
    """

    model: pd.Series
    reason: pd.Series
    class_default: dict[str, str]
    group: pd.Series


@dataclass(frozen=True, slots=True)
class MarginTrial:
    """One candidate (default rule, switch margin) in the nested backtest.

    Attributes:
        margin: the candidate margin (``inf``: never switch).
        score: mean score on the last window of the options chosen on the earlier ones.
        chosen: this pair was used.
        rule: the candidate default rule.
    """

    margin: float
    score: float
    chosen: bool
    rule: str = RANK


def _group_rows(score: pd.DataFrame, groups: pd.Series, group: str) -> pd.DataFrame:
    """The scores a group is ranked on (all series for the pooled group)."""
    ids = score.index if group == POOLED else groups.index[groups == group]
    return score.loc[score.index.intersection(ids)]


def _group_means(score: pd.DataFrame, groups: pd.Series, group: str) -> pd.Series:
    """Mean score per option over a group (all series for the pooled group)."""
    return _group_rows(score, groups, group).mean()


def rank_members(
    score: pd.DataFrame, groups: pd.Series, singles: list[str], size: int
) -> dict[str, tuple[str, ...]]:
    """The ``size`` single models with the lowest mean score in each group."""
    members = {}
    for g in np.unique(groups.to_numpy()):
        mean = _group_means(score[singles], groups, str(g)).dropna()
        members[str(g)] = tuple(mean.sort_values(kind="stable").index[:size])
    return members


def _median_mean(
    values: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Row-wise median and mean over the non-NaN values (NaN where a row has none)."""
    count = (~np.isnan(values)).sum(axis=1)
    ordered = np.sort(np.where(np.isnan(values), np.inf, values), axis=1)
    at = np.arange(len(ordered))
    lo = ordered[at, np.maximum((count - 1) // 2, 0)]
    hi = ordered[at, np.maximum(count // 2, 0) - (count == 0)]
    median = np.where(count > 0, (lo + hi) / 2.0, np.nan)
    total = np.where(np.isnan(values), 0.0, values).sum(axis=1)
    mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return median, mean


def add_ensembles(
    frame: pd.DataFrame,
    members: dict[str, tuple[str, ...]],
    groups: pd.Series,
    singles: list[str],
) -> None:
    """Add the ``ensemble`` (median), ``ensemble_mean`` and ``ensemble_all`` columns.

    In place. Per row, over its group's members that could forecast it (NaN if none
    could); ``ensemble_all`` is the median over all ``singles``. Member forecasts are
    clipped at zero first.
    """
    every = [name for name in singles if name in frame.columns]
    if every:
        values = np.maximum(frame[every].to_numpy(np.float64), 0.0)
        frame[ENSEMBLE_ALL] = _median_mean(values)[0]
    else:
        frame[ENSEMBLE_ALL] = np.nan
    group = groups.reindex(frame["unique_id"].to_numpy()).to_numpy()
    median = np.full(len(frame), np.nan)
    mean = np.full(len(frame), np.nan)
    for g, names in members.items():
        rows = group == g
        if rows.any() and names:
            values = np.maximum(frame.loc[rows, list(names)].to_numpy(np.float64), 0.0)
            median[rows], mean[rows] = _median_mean(values)
    frame[ENSEMBLE] = median
    frame[ENSEMBLE_MEAN] = mean


def choose(
    score: pd.DataFrame, groups: pd.Series, *, switch_margin: float, rule: str = RANK
) -> Choice:
    """Choose an option per series: the class default unless the series' own backtest wins.

    Args:
        score: per series (rows) and option (columns): backtest score, lower is better.
        groups: ranking group per series.
        switch_margin: relative improvement over the class default a series' own best
            option needs to be chosen instead (0.25 = 25 % lower score; ``inf``: never).
        rule: how the class defaults are chosen, :data:`RANK` or :data:`COMBINE`.
    """
    import pandas as pd

    options = list(score.columns)
    defaults: dict[str, str] = {}
    why: dict[str, str] = {}
    for g in np.unique(groups.to_numpy()):
        g = str(g)
        mean = _group_means(score, groups, g).fillna(np.inf)
        defaults[g] = str(mean.sort_values(kind="stable").index[0])
        who = g if g != POOLED else "all series"
        why[g] = f"class default for {who}: lowest mean backtest score"
        if rule == COMBINE and ENSEMBLE_ALL in options:
            defaults[g] = ENSEMBLE_ALL
            why[g] = (
                f"class default for {who}: the median of all models (in the nested "
                "backtest, combining them scored better than ranking them)"
            )
    group = groups.reindex(score.index)
    values = score.to_numpy(dtype=np.float64)
    rows = np.arange(len(values))
    default_col = np.array([options.index(defaults[g]) for g in group.to_numpy()], dtype=np.int64)
    default_score = values[rows, default_col]
    own_col = np.argmin(np.where(np.isnan(values), np.inf, values), axis=1)
    own_score = values[rows, own_col]
    factor = 0.0 if math.isinf(switch_margin) else 1.0 - switch_margin
    # a series whose default has no score takes its own best, if it has any score at all
    # (none: every backtest period of the series was a stock-out; it keeps the default)
    switch = (own_score < factor * default_score) | (
        np.isnan(default_score) & np.isfinite(own_score)
    )
    chosen = np.where(switch, own_col, default_col)
    model = pd.Series(np.asarray(options)[chosen], index=score.index, name="model")
    reasons = [
        _reason(bool(sw), options[o], float(s), options[d], float(ds), why[str(g)])
        for sw, o, s, d, ds, g in zip(
            switch, own_col, own_score, default_col, default_score, group.to_numpy(), strict=True
        )
    ]
    return Choice(
        model=model,
        reason=pd.Series(reasons, index=score.index, name="reason"),
        class_default=defaults,
        group=group,
    )


def _reason(
    switched: bool, own: str, own_score: float, default: str, default_score: float, why: str
) -> str:
    """Why a series got its option, in words."""
    if switched and math.isfinite(default_score):
        return (
            f"own backtest: {own} score {own_score:.3f} beats class default "
            f"{default} {default_score:.3f} by {1 - own_score / default_score:.0%}"
        )
    if switched:
        return f"own backtest: {own} score {own_score:.3f}; the class default {default} has none"
    if not math.isfinite(own_score):
        return f"{why}; no backtest score of its own (its backtest periods were stock-outs)"
    return why


def _nested_scores(
    cv: pd.DataFrame,
    inner_rows: npt.NDArray[np.bool_],
    outer_rows: npt.NDArray[np.bool_],
    singles: list[str],
    scales: pd.DataFrame,
    groups: pd.Series,
    *,
    levels: tuple[float, ...],
    ensemble_size: int,
    quantile_weight: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores of every option on the inner rows (ensembles ranked there) and the outer."""
    inner, outer = cv[inner_rows].copy(), cv[outer_rows].copy()
    inner_parts = option_scores(inner, singles, scales, groups, levels)
    members = rank_members(
        combined_score(inner_parts, quantile_weight), groups, singles, ensemble_size
    )
    add_ensembles(inner, members, groups, singles)
    add_ensembles(outer, members, groups, singles)
    options = [*singles, *ENSEMBLES]
    inner_score = combined_score(
        option_scores(inner, options, scales, groups, levels), quantile_weight
    )
    outer_score = combined_score(
        option_scores(outer, options, scales, groups, levels), quantile_weight
    )
    return inner_score, outer_score.reindex(inner_score.index)


def select_rule_and_margin(
    cv: pd.DataFrame,
    singles: list[str],
    scales: pd.DataFrame,
    groups: pd.Series,
    *,
    levels: tuple[float, ...],
    horizon: int,
    ensemble_size: int,
    quantile_weight: float,
    margins: tuple[float, ...],
    rules: tuple[str, ...] = RULES,
) -> tuple[float, str, tuple[MarginTrial, ...]]:
    """Choose the default rule and the switch margin by a nested backtest.

    Ensemble members, class defaults and switches are decided on the windows before the
    last one and scored on the last one; the (rule, margin) pair with the lowest mean
    score there wins. Ties go to the earlier rule and the larger (more cautious) margin.
    With a single window there is nothing to nest: the first rule and the largest
    margin are returned. (Scoring on every window after the first, each chosen on the
    ones before it, was tried on the M5 origins before the hold-out and did worse: the
    first window alone is too short to rank on.)
    """
    window = backtest_window(cv, horizon)
    last = int(window.max()) if len(window) else 0
    ordered = sorted(margins, reverse=True)
    grid = [(rule, margin) for rule in rules for margin in ordered]
    if last < 1:
        return (
            ordered[0],
            rules[0],
            tuple(MarginTrial(m, float("nan"), i == 0, r) for i, (r, m) in enumerate(grid)),
        )
    inner_score, outer_score = _nested_scores(
        cv,
        window < last,
        window == last,
        singles,
        scales,
        groups,
        levels=levels,
        ensemble_size=ensemble_size,
        quantile_weight=quantile_weight,
    )
    results = []
    for rule, margin in grid:
        picked = choose(inner_score, groups, switch_margin=margin, rule=rule).model
        cols = [outer_score.columns.get_loc(m) for m in picked]
        values = outer_score.to_numpy()[np.arange(len(cols)), cols]
        results.append(float(np.nanmean(values)) if np.isfinite(values).any() else np.inf)
    best = int(np.argmin(results))
    trials = tuple(
        MarginTrial(m, float(r), i == best, rule)
        for i, ((rule, m), r) in enumerate(zip(grid, results, strict=True))
    )
    return grid[best][1], grid[best][0], trials
