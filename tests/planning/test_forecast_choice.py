"""The choice: ensembles, class defaults, switching, and the nested choice of the margin."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from subzero.planning.forecast_choice import (
    COMBINE,
    ENSEMBLE,
    ENSEMBLE_ALL,
    ENSEMBLE_MEAN,
    NEVER,
    RANK,
    MarginTrial,
    add_ensembles,
    choose,
    rank_members,
    select_rule_and_margin,
)


def test_ensembles_are_median_and_mean_of_the_members_that_could_forecast() -> None:
    frame = pd.DataFrame(
        {"unique_id": ["a", "a", "b"], "m1": [1.0, 2.0, np.nan], "m2": [3.0, np.nan, np.nan]}
    )
    add_ensembles(frame, {"g": ("m1", "m2")}, pd.Series({"a": "g", "b": "g"}), ["m1", "m2"])
    assert frame[ENSEMBLE].to_numpy()[:2] == pytest.approx([2.0, 2.0])
    assert frame[ENSEMBLE_MEAN].to_numpy()[:2] == pytest.approx([2.0, 2.0])
    assert np.isnan(frame[ENSEMBLE].iloc[2]) and np.isnan(frame[ENSEMBLE_MEAN].iloc[2])


def test_ensemble_all_is_the_median_of_every_single_model_whatever_the_group() -> None:
    frame = pd.DataFrame(
        {
            "unique_id": ["a", "a", "b"],
            "m1": [1.0, -2.0, np.nan],
            "m2": [3.0, 4.0, np.nan],
            "m3": [9.0, 5.0, 7.0],
        }
    )
    groups = pd.Series({"a": "g", "b": "h"})
    add_ensembles(frame, {"g": ("m1",), "h": ("m2",)}, groups, ["m1", "m2", "m3"])
    # row 2: -2 is clipped to 0 first; row 3: only m3 could forecast
    assert frame[ENSEMBLE_ALL].to_numpy() == pytest.approx([3.0, 4.0, 7.0])
    assert frame[ENSEMBLE].to_numpy()[:2] == pytest.approx([1.0, 0.0])


def _scores(n: int) -> tuple[pd.DataFrame, pd.Series]:
    """``n`` series on which ``x`` has the lowest mean score, just ahead of the others."""
    ids = pd.Index([f"s{i}" for i in range(n)])
    score = pd.DataFrame({"x": 0.90, "y": 0.95, ENSEMBLE_ALL: 0.93}, index=ids)
    return score, pd.Series("intermittent", index=ids)


def test_the_combine_rule_takes_the_median_of_all_models_instead_of_the_best() -> None:
    score, groups = _scores(10)
    choice = choose(score, groups, switch_margin=NEVER, rule=COMBINE)
    assert choice.class_default == {"intermittent": ENSEMBLE_ALL}
    assert set(choice.model) == {ENSEMBLE_ALL}
    assert "median of all models" in choice.reason.iloc[0]


def test_the_rank_rule_takes_the_lowest_mean_score() -> None:
    score, groups = _scores(10)
    choice = choose(score, groups, switch_margin=NEVER, rule=RANK)
    assert choice.class_default == {"intermittent": "x"}
    assert "lowest mean backtest score" in choice.reason.iloc[0]


def test_class_default_unless_own_option_wins_by_the_margin() -> None:
    score = pd.DataFrame(
        {"x": [1.0, 1.0, 1.0], "y": [1.5, 1.4, 0.4]}, index=pd.Index(["s1", "s2", "s3"])
    )
    groups = pd.Series("smooth", index=score.index)
    choice = choose(score, groups, switch_margin=0.5)
    assert choice.class_default == {"smooth": "x"}
    assert choice.model.tolist() == ["x", "x", "y"]
    assert "beats class default" in choice.reason["s3"]
    assert choose(score, groups, switch_margin=NEVER).model.tolist() == ["x", "x", "x"]


def test_small_class_is_ranked_on_all_series() -> None:
    score = pd.DataFrame({"x": [1.0, 1.0, 5.0], "y": [2.0, 2.0, 1.0]}, index=["a", "b", "c"])
    groups = pd.Series({"a": "smooth", "b": "smooth", "c": "*"})
    # pooled over all series: x has mean 7/3, y 5/3, so the pooled group takes y
    assert rank_members(score, groups, ["x", "y"], 1)["*"] == ("y",)
    assert choose(score, groups, switch_margin=NEVER).class_default["*"] == "y"


def test_nested_margin_prefers_switching_when_series_differ_persistently() -> None:
    """Half the series are always forecast well by x, half by y: switching pays."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(40):
        good = "x" if i % 2 else "y"
        for window in range(3):
            for step in range(4):
                y = 10.0 + rng.normal()
                rows.append(
                    {
                        "unique_id": f"s{i:02d}",
                        "cutoff": window,
                        "ds": window * 4 + step,
                        "y": y,
                        "x": y + (0.1 if good == "x" else 5.0),
                        "y_model": y + (0.1 if good == "y" else 5.0),
                    }
                )
    cv = pd.DataFrame(rows).rename(columns={"y_model": "z"})
    ids = cv["unique_id"].unique()
    scales = pd.DataFrame({"rms_diff": 1.0, "mean_abs_diff": 1.0}, index=pd.Index(ids))
    groups = pd.Series("smooth", index=pd.Index(ids))
    margin, rule, trials = select_rule_and_margin(
        cv,
        ["x", "z"],
        scales,
        groups,
        levels=(0.5, 0.9),
        horizon=4,
        ensemble_size=2,
        quantile_weight=1.0,
        margins=(NEVER, 0.5, 0.2),
    )
    assert not math.isinf(margin)
    assert sum(t.chosen for t in trials) == 1
    assert trials[0].score > min(t.score for t in trials)
    assert rule == RANK


def _two_model_backtest(
    inner_error: tuple[float, float], last_error: tuple[float, float]
) -> tuple[float, str, tuple[MarginTrial, ...]]:
    """20 series, 3 windows of 4 periods; models x and z off by the given errors.

    The first two windows have ``inner_error`` (x, z), the last ``last_error``.
    """
    rng = np.random.default_rng(1)
    rows = []
    for i in range(20):
        for window in range(3):
            ex, ez = last_error if window == 2 else inner_error
            for step in range(4):
                y = 10.0 + rng.normal(scale=0.1)
                rows.append(
                    {
                        "unique_id": f"s{i:02d}",
                        "cutoff": window,
                        "ds": window * 4 + step,
                        "y": y,
                        "x": y + ex,
                        "z": y + ez,
                    }
                )
    cv = pd.DataFrame(rows)
    ids = pd.Index(cv["unique_id"].unique())
    scales = pd.DataFrame({"rms_diff": 1.0, "mean_abs_diff": 1.0}, index=ids)
    return select_rule_and_margin(
        cv,
        ["x", "z"],
        scales,
        pd.Series("smooth", index=ids),
        levels=(0.5, 0.9),
        horizon=4,
        ensemble_size=1,
        quantile_weight=1.0,
        margins=(NEVER, 0.5),
    )


def test_nested_backtest_combines_when_the_leader_does_not_stay_ahead() -> None:
    """x leads on the earlier windows, z on the last: the median of both beats ranking."""
    _, rule, trials = _two_model_backtest((0.1, 1.0), (2.0, 0.0))
    assert rule == COMBINE
    best = {t.rule: min(s.score for s in trials if s.rule == t.rule) for t in trials}
    assert best[COMBINE] < best[RANK]


def test_nested_backtest_ranks_when_the_leader_stays_ahead() -> None:
    _, rule, trials = _two_model_backtest((0.1, 1.0), (0.1, 1.0))
    assert rule == RANK
    assert [t.rule for t in trials if t.chosen] == [RANK]
