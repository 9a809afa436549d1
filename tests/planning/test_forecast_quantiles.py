"""Quantile calibration on simulated demand with a known distribution; lead-time demand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from subzero.planning.forecast import ForecastResult, ForecastSettings, forecast
from subzero.planning.forecast_quantiles import conformal_quantiles

CHEAP = ForecastSettings(expensive=False, global_model=False)
LEVELS = (0.5, 0.8, 0.9, 0.95)


GRID = np.arange(200)


def simulate(
    rng: np.random.Generator, n: int, days: int, kind: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """Demand and each series' true CDF on GRID, shape (n, len(GRID))."""
    if kind == "poisson":
        rates = rng.uniform(2, 20, (n, 1))
        y = rng.poisson(rates, (n, days))
        cdf = stats.poisson.cdf(GRID[None, :], rates)
    else:  # intermittent: occurrence with probability 0.2, size 1 + Poisson(3)
        y = np.where(rng.random((n, days)) < 0.2, 1 + rng.poisson(3, (n, days)), 0)
        cdf = np.tile(0.8 + 0.2 * stats.poisson.cdf(GRID - 1, 3), (n, 1))
    return pd.DataFrame(
        {
            "unique_id": np.repeat([f"{kind}{i:03d}" for i in range(n)], days),
            "ds": np.tile(pd.date_range("2024-01-01", periods=days, freq="D").to_numpy(), n),
            "y": y.ravel().astype(float),
        }
    ), cdf


@pytest.fixture(scope="module")
def simulated() -> tuple[pd.DataFrame, pd.DataFrame, ForecastResult, np.ndarray]:
    rng = np.random.default_rng(42)
    (smooth, cdf_s), (sparse, cdf_i) = (
        simulate(rng, 60, 154, "poisson"),
        simulate(rng, 60, 154, "intermittent"),
    )
    data = pd.concat([smooth, sparse])
    test = data.groupby("unique_id").tail(14)
    train = data.drop(test.index)
    return (
        train,
        test,
        forecast(train, 14, quantiles=LEVELS, settings=CHEAP),
        np.vstack([cdf_s, cdf_i]),
    )


def attainable(cdf: np.ndarray, level: float) -> float:
    """Mean over series of F(F^-1(level)): the coverage a perfect integer quantile has."""
    at = (cdf >= level).argmax(axis=1)
    return float(cdf[np.arange(len(cdf)), at].mean())


@pytest.mark.parametrize("level", LEVELS)
def test_quantile_coverage_matches_level_on_simulated_data(simulated, level: float) -> None:
    _, test, result, cdf = simulated
    joined = result.forecast.merge(test, on=["unique_id", "ds"])
    coverage = (joined["y"] <= joined[f"q{level:g}"]).mean()
    # integer demand: the true quantile covers F(F^-1(level)) >= level (0.8 for the median
    # of the intermittent series, whose median is 0); 1680 hold-out days, allow ±4 points
    assert coverage == pytest.approx(attainable(cdf, level), abs=0.04)


def test_quantiles_are_never_negative_and_never_cross(simulated) -> None:
    _, _, result, _ = simulated
    q = result.forecast[[f"q{lv:g}" for lv in LEVELS]].to_numpy()
    assert (q >= 0).all() and (result.forecast["mean"] >= 0).all()
    assert (np.diff(q, axis=1) >= 0).all()


def test_lead_time_demand_of_poisson_series_matches_theory(simulated) -> None:
    train, _, result, _ = simulated
    uid = "poisson000"
    rate = train.loc[train["unique_id"] == uid, "y"].mean()
    ltd = result.lead_time_demand(uid, 7, n_samples=20000, rng=np.random.default_rng(0))
    assert ltd.samples.shape == (20000,) and (ltd.samples >= 0).all()
    assert ltd.mean == pytest.approx(7 * rate, rel=0.1)
    # sum of 7 Poisson(rate) days is Poisson(7 rate); compare the 90% quantile
    assert ltd.quantiles[0.9] == pytest.approx(stats.poisson.ppf(0.9, 7 * rate), rel=0.15)


def test_lead_time_longer_than_horizon_is_refused(simulated) -> None:
    from subzero.domain.errors import InvalidParameter

    _, _, result, _ = simulated
    with pytest.raises(
        InvalidParameter, match="lead_time: 15 must be between 1 and the forecast horizon 14"
    ):
        result.lead_time_demand("poisson000", 15)


def test_conformal_quantile_is_the_ceil_n_plus_1_level_th_smallest() -> None:
    """Vovk, Gammerman & Shafer (2005): with n = 19 errors, level 0.5 is the 10th smallest
    and 0.9 the 18th; 0.95 asks for the 19th (k = 19), 0.99 is capped at the largest."""
    sample = np.arange(19, 0, -1, dtype=float)  # 19 … 1, unsorted on purpose
    assert conformal_quantiles(sample, (0.5, 0.9, 0.95, 0.99)).tolist() == [10, 18, 19, 19]
    assert conformal_quantiles(np.empty(0), (0.5,)).tolist() == [0.0]


def test_series_with_no_backtest_to_borrow_get_quantiles_of_their_own_history() -> None:
    """When every series is too short to backtest there are no errors to calibrate on:
    the band comes from each series' own past (not a band of zero width)."""
    days = pd.date_range("2024-01-01", periods=19)
    history = pd.DataFrame(
        {
            "unique_id": ["A"] * 19 + ["Z"] * 19,
            "ds": list(days) * 2,
            "y": list(range(19, 0, -1)) + [0] * 19,
        }
    )
    result = forecast(history, 28, quantiles=(0.5, 0.9))
    assert set(result.choices["model"]) == {"mean"}
    out = result.forecast.groupby("unique_id").first()
    assert out.loc["A", "mean"] == pytest.approx(10.0)
    assert (out.loc["A", "q0.5"], out.loc["A", "q0.9"]) == (10.0, 18.0)
    assert (out.loc["Z", ["mean", "q0.5", "q0.9"]] == 0.0).all()
    # lead-time demand: 7 independent days drawn from 1..19 (mean 10, variance 30)
    ltd = result.lead_time_demand("A", 7, n_samples=20_000, rng=np.random.default_rng(1))
    assert ltd.mean == pytest.approx(70.0, rel=0.01)
    assert ltd.samples.std() == pytest.approx((7 * 30.0) ** 0.5, rel=0.03)
    assert result.lead_time_demand("Z", 7).quantiles == {0.5: 0.0, 0.9: 0.0}


def test_lead_time_quantile_is_the_conformal_order_statistic_of_the_path_sums() -> None:
    """Each backtest path gives one lead-time demand; with n = 9 paths the 0.9 quantile
    is the ceil(10 × 0.9) = 9th smallest of the 9 sums and the 0.5 quantile the 5th (Vovk
    et al. 2005), exactly, not an estimate from resampling. The mean is the forecast's,
    2 x 10: these errors are all positive, so the sums lie above it."""
    from subzero.planning.forecast_quantiles import sample_lead_time_demand

    errors = np.arange(9, dtype=float)[:, None] * np.ones((9, 3))  # path k: error k each day
    ltd = sample_lead_time_demand(
        np.full(3, 10.0),
        1.0,
        errors,
        lead_time=2,
        levels=(0.5, 0.9),
        n_samples=50,
        rng=np.random.default_rng(0),
    )
    sums = 2 * (10.0 + np.arange(9))  # 20, 22, …, 36
    assert ltd.quantiles == {0.5: sums[4], 0.9: sums[8]}
    assert ltd.mean == 20.0
    assert set(ltd.samples) <= set(sums) and ltd.samples.size == 50


def test_lead_time_summary_are_those_of_the_path_sums() -> None:
    """The vectorised figures, for every series: the forecast's sum over the lead time
    (not the mean of the clipped sums, which errors clipped at zero lift), and the
    standard deviation of the same sums ``sample_lead_time_demand`` draws from."""
    from subzero.planning.forecast_quantiles import lead_time_summary

    rng = np.random.default_rng(5)
    paths = rng.normal(0.0, 1.0, (40, 6))
    means = np.array([[10.0] * 6, [0.5] * 6, [3.0, 0.0, 3.0, 0.0, 3.0, 0.0]])
    scales = np.array([2.0, 1.0, 0.0])
    mean, sd, _ = lead_time_summary(means, scales, paths, lead_time=4)
    sums = np.maximum(means[:, None, :4] + scales[:, None, None] * paths[None, :, :4], 0).sum(2)
    np.testing.assert_allclose(mean, means[:, :4].sum(axis=1))
    assert sums[1].mean() > 1.2 * mean[1]  # 0.5 a day with errors of sd 1: clipping lifts
    np.testing.assert_allclose(sd, sums.std(axis=1))
    assert sd[2] == 0.0 and mean[2] == 6.0  # scale 0: the sum of the means, no spread
    # a group with more paths than max_paths uses a subset: same moments within sampling
    many = rng.normal(0.0, 1.0, (20_000, 6))
    sub_mean, sub_sd, _ = lead_time_summary(means[:1], scales[:1], many, lead_time=4)
    assert sub_mean[0] == pytest.approx(40.0, rel=0.02)
    assert sub_sd[0] == pytest.approx(2.0 * 4**0.5, rel=0.07)  # sd of 4 N(0, 2²) days


def test_lead_time_summary_of_poisson_series_match_theory(simulated) -> None:
    """The sum of L independent Poisson(rate) days is Poisson(L rate): mean L rate and
    standard deviation sqrt(L rate), for each of 60 series at its own lead time."""
    train, _, result, _ = simulated
    uids = [f"poisson{i:03d}" for i in range(60)]
    leads = {uid: 1 + i % 14 for i, uid in enumerate(uids)}
    out = result.lead_time_summary(leads).set_index("unique_id")
    rate = train[train["unique_id"].isin(uids)].groupby("unique_id")["y"].mean()
    theory = rate * pd.Series(leads)
    assert (out["lead_time"] == pd.Series(leads)).all()
    # each series' forecast level carries its own estimation error (~140 days): ±10 %
    assert np.abs(out["mean"] / theory - 1).max() < 0.1
    ratio = out["sd"] / np.sqrt(theory)
    assert ratio.median() == pytest.approx(1.0, abs=0.1)
    assert ratio.between(0.7, 1.4).all()


def test_lead_time_summary_equals_the_lead_time_demand_of_each_series(simulated) -> None:
    """For all series at once, the same figures as ``lead_time_demand`` one series at a
    time: the mean of the path sums and their conformal order statistics, exactly (each
    group here has fewer than 1,000 paths, so none is subsampled)."""
    _, _, result, _ = simulated
    assert max(p.shape[0] for p in result.bank.paths.values()) <= 1000
    leads = {"poisson003": 7, "intermittent005": 3, "intermittent010": 14, "poisson011": 1}
    out = result.lead_time_summary(leads, levels=(0.5, 0.9)).set_index("unique_id")
    assert list(out.columns) == ["lead_time", "mean", "sd", "q0.5", "q0.9"]
    for uid, lead in leads.items():
        one = result.lead_time_demand(uid, lead)
        assert out.loc[uid, "mean"] == pytest.approx(one.mean)
        assert (out.loc[uid, "q0.5"], out.loc[uid, "q0.9"]) == pytest.approx(
            (one.quantiles[0.5], one.quantiles[0.9])
        )
    assert (out["q0.9"] >= out["q0.5"]).all() and (out["q0.5"] >= 0).all()


def test_lead_time_summary_of_own_history_series_are_exact_and_bad_input_refused() -> None:
    """A series forecast by its own past: L independent draws from it, so mean L x̄ and
    variance L s² exactly (days 1..19: mean 10, variance 30)."""
    from subzero.domain.errors import InvalidParameter

    history = pd.DataFrame(
        {
            "unique_id": ["A"] * 19,
            "ds": pd.date_range("2024-01-01", periods=19),
            "y": list(range(19, 0, -1)),
        }
    )
    result = forecast(history, 28, quantiles=(0.9,))
    (row,) = result.lead_time_summary({"A": 7}).to_dict("records")
    assert row["mean"] == pytest.approx(70.0) and row["sd"] == pytest.approx((7 * 30.0) ** 0.5)
    # the 90 % quantile of a sum of 7 such draws: about 70 + 1.28 sqrt(210) = 88.5
    assert row["q0.9"] == pytest.approx(70 + 1.2816 * 210**0.5, abs=1.5)
    with pytest.raises(InvalidParameter, match="unknown series 'B'"):
        result.lead_time_summary({"B": 7})
    # past the 28-day horizon the draws stay independent: exact moments again
    (row,) = result.lead_time_summary({"A": 40}).to_dict("records")
    assert row["mean"] == pytest.approx(400.0) and row["sd"] == pytest.approx(1200.0**0.5)
    with pytest.raises(InvalidParameter, match="lead time 0 must be at least 1"):
        result.lead_time_summary({"A": 0})


def test_a_series_that_never_changed_gets_no_band_beside_noisy_ones() -> None:
    """Series C sells 4 every day for 120 days. Its scale falls back to its level (no
    change to scale by), and the Poisson series' errors times 4 gave it q0.9 = 6.6 and
    q0.95 = 8.6 here (8.2 and 8.9 in the tester's run); forecast alone it got 4, 4, 4.
    Its own backtest errors are all zero, so its quantiles are its forecast, next to
    others or alone. The Poisson series keep their band, and a short constant series
    (too short to backtest: little evidence) still borrows the group's."""
    rng = np.random.default_rng(0)
    days = pd.date_range("2024-01-01", periods=120)
    history = pd.concat(
        [
            pd.DataFrame({"unique_id": "A", "ds": days, "y": rng.poisson(5, 120).astype(float)}),
            pd.DataFrame({"unique_id": "B", "ds": days, "y": rng.poisson(2, 120).astype(float)}),
            pd.DataFrame({"unique_id": "C", "ds": days, "y": 4.0}),
            pd.DataFrame({"unique_id": "S", "ds": days[-5:], "y": 2.0}),
        ]
    )
    levels = (0.5, 0.9, 0.95)
    result = forecast(history, 7, quantiles=levels, settings=ForecastSettings(expensive=False))
    out = result.forecast.set_index("unique_id")
    c = out.loc["C"]
    assert c["mean"].to_numpy() == pytest.approx(4.0, abs=1e-6)
    for name in ("q0.5", "q0.9", "q0.95"):
        assert c[name].to_numpy() == pytest.approx(c["mean"].to_numpy())
    assert (out.loc["A", "q0.95"] > out.loc["A", "mean"] + 2).all()
    assert (out.loc["S", "q0.95"] > out.loc["S", "mean"]).all()
    summary = result.lead_time_summary({"C": 5}).set_index("unique_id")
    assert summary.loc["C", "sd"] == 0.0 and summary.loc["C", "mean"] == pytest.approx(20.0)
    alone = forecast(
        history[history["unique_id"] == "C"],
        7,
        quantiles=levels,
        settings=ForecastSettings(expensive=False),
    )
    assert alone.forecast[["q0.5", "q0.9", "q0.95"]].to_numpy() == pytest.approx(4.0)
