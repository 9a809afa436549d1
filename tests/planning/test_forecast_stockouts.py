"""Stock-out periods in a sales history are unconstrained before the forecast sees them
(``stockout`` column; Weatherford & Pölt 2002's max(observed, mean of uncensored))."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from subzero.domain.errors import InvalidParameter
from subzero.planning.forecast import ForecastSettings, forecast
from subzero.planning.forecast_history import prepare_history, stockout_window, unconstrain

CHEAP = ForecastSettings(expensive=False, global_model=False)


def test_a_stockout_takes_the_mean_of_the_latest_in_stock_periods() -> None:
    y = np.array([1.0, 3.0, 5.0, 0.0, 7.0, 1.0, 9.0])
    hit = np.array([0, 0, 0, 1, 0, 0, 1], dtype=bool)
    # row 3: mean of the 2 latest in-stock (3, 5) = 4; row 6: mean of (7, 1) = 4, but 9 was
    # sold, and sales are a lower bound of demand, so 9 stays
    assert unconstrain(np.array([0]), y, hit, 2).tolist() == [1, 3, 5, 4, 7, 1, 9]


def test_a_series_that_starts_out_of_stock_looks_ahead_and_series_stay_apart() -> None:
    y = np.array([0.0, 0.0, 3.0, 5.0, 10.0, 0.0])
    hit = np.array([1, 1, 0, 0, 0, 1], dtype=bool)
    # two series: rows 0–3 and 4–5; the first starts out of stock: mean of (3, 5) after it;
    # the second's stock-out sees only its own 10, never the first series' values
    got = unconstrain(np.array([0, 4]), y, hit, 8)
    assert got.tolist() == [4, 4, 3, 5, 10, 10]


def test_a_series_always_out_of_stock_keeps_its_sales() -> None:
    y = np.array([1.0, 0.0, 2.0])
    assert unconstrain(np.array([0]), y, np.ones(3, dtype=bool), 8).tolist() == [1, 0, 2]


def test_window_per_frequency() -> None:
    assert (stockout_window(7), stockout_window(52), stockout_window(12)) == (28, 26, 8)
    assert stockout_window(1) == 8


def _censored_sales(seed: int, n: int = 30, days: int = 300, rate: float = 5.0) -> pd.DataFrame:
    """Poisson(rate) demand; on about 30 % of days, in runs, the shelf is empty and
    nothing is sold."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n):
        demand = rng.poisson(rate, days)
        empty = np.zeros(days, dtype=bool)
        day = 0
        while day < days:
            day += int(rng.geometric(1 / 10))  # in stock for ~10 days
            run = int(rng.geometric(1 / 4))  # then out for ~4
            empty[day : day + run] = True
            day += run
        frames.append(
            pd.DataFrame(
                {
                    "unique_id": f"s{i:02d}",
                    "ds": pd.date_range("2024-01-01", periods=days),
                    "y": np.where(empty, 0, demand),
                    "stockout": empty.astype(int),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_marking_stockouts_removes_the_bias_of_censored_sales() -> None:
    """Known answer: demand is Poisson with mean 5 a day. Sales with empty shelves on
    ~30 % of days average ~3.5; with the stock-outs marked the forecast is back at 5."""
    sales = _censored_sales(seed=3)
    share = sales["stockout"].mean()
    assert 0.2 < share < 0.4
    marked = forecast(sales, 14, quantiles=(0.5, 0.9), settings=CHEAP)
    blind = forecast(sales.drop(columns="stockout"), 14, quantiles=(0.5, 0.9), settings=CHEAP)
    assert abs(marked.forecast["mean"].mean() - 5.0) < 0.3
    assert blind.forecast["mean"].mean() < 5.0 * (1 - share) + 0.3
    assert "stock-out periods in 30 series" in marked.notes["stockouts"]
    assert "mean of the nearest 28 in-stock periods" in marked.notes["stockouts"]  # daily
    assert "the backtest does not score them" in marked.notes["stockouts"]
    assert "stockouts" not in blind.notes


def test_bad_stockout_value_names_series_and_row() -> None:
    history = pd.DataFrame(
        {
            "unique_id": ["A", "A", "B"],
            "ds": ["2024-01-01", "2024-01-02", "2024-01-01"],
            "y": [1, 0, 2],
            "stockout": ["no", "yes", "sometimes"],
        }
    )
    with pytest.raises(
        InvalidParameter,
        match=r"series 'B', row 4: stockout='sometimes' is not 1/0, true/false or yes/no",
    ):
        prepare_history(history, row_base=2)


def test_stockout_flags_accept_numbers_words_and_blanks() -> None:
    history = pd.DataFrame(
        {
            "unique_id": ["A"] * 6,
            "ds": pd.date_range("2024-01-01", periods=6),
            "y": [4, 0, 4, 0, 4, 0],
            "stockout": ["0", 1.0, "", "TRUE", None, "Yes"],
        }
    )
    prepared = prepare_history(history)
    assert prepared.frame["y"].tolist() == [4, 4, 4, 4, 4, 4]
    assert prepared.stockout_periods == 3 and prepared.stockout_series == 1
    assert prepared.unconstrained_units == pytest.approx(12.0)


def test_a_missing_period_is_zero_demand_not_a_stockout() -> None:
    history = pd.DataFrame(
        {
            "unique_id": ["A", "A", "A"],
            "ds": ["2024-01-01", "2024-01-02", "2024-01-04"],
            "y": [4, 0, 4],
            "stockout": [0, 1, 0],
        }
    )
    prepared = prepare_history(history)
    assert prepared.frame["y"].tolist() == [4, 4, 0, 4]  # the 2nd raised, the 3rd filled
    assert prepared.filled_periods == 1 and prepared.stockout_periods == 1


def test_stockout_periods_are_flagged_row_by_row() -> None:
    history = pd.DataFrame(
        {
            "unique_id": ["B", "A", "A", "A"],
            "ds": ["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-04"],
            "y": [1, 4, 0, 4],
            "stockout": [1, 0, 1, 0],
        }
    )
    prepared = prepare_history(history)
    # sorted A (3 days and the filled 3rd), then B; the filled gap is in stock
    assert prepared.stockout is not None
    assert prepared.stockout.tolist() == [False, True, False, False, True]
    assert prepare_history(history.drop(columns="stockout")).stockout is None


def test_quantiles_of_censored_sales_cover_true_demand() -> None:
    """Known answer: demand is Poisson(5) a day, so the 90 % quantile of a day's demand
    is 8 (P(D <= 8) = 0.932, P(D <= 7) = 0.867). A stock-out period holds an estimate
    (the local mean), not demand; were its error used to calibrate, the band would be
    too narrow (q0.9 about 7.5, covering about 86 % of demand). The exact coverage of the
    forecast q0.9 under the true law must be near 90 %."""
    from scipy import stats

    sales = _censored_sales(seed=4)
    result = forecast(sales, 14, quantiles=(0.5, 0.9), settings=CHEAP)
    q90 = result.forecast["q0.9"].to_numpy()
    coverage = float(stats.poisson.cdf(np.floor(q90), 5.0).mean())
    assert 0.88 <= coverage <= 0.95
    # a sanity bound on the lead-time demand over 7 days: Poisson(35), whose 90 % quantile
    # is 43 (a forecast mean a little under 5 a day puts it near 42)
    ltd = [
        result.lead_time_demand(f"s{i:02d}", 7, rng=np.random.default_rng(i)).quantiles[0.9]
        for i in range(30)
    ]
    assert 41.0 <= float(np.mean(ltd)) <= 45.0


def test_lead_time_demand_of_censored_sales_covers_true_demand() -> None:
    """Demand over 7 days is Poisson(35); the exact probability that it stays at or below
    each series' lead-time q0.9, averaged over 30 series and 4 seeds, must be near 90 %.
    Imputing a censored error without its window's level (the shared error of the fitted
    level) made the lead-time sum too narrow: 87.2 % on these seeds (89.4 % without
    stock-outs at all, over 12 seeds)."""
    from scipy import stats

    covered = []
    for seed in (3, 4, 5, 6):
        result = forecast(_censored_sales(seed=seed), 14, quantiles=(0.5, 0.9), settings=CHEAP)
        for i in range(30):
            ltd = result.lead_time_demand(f"s{i:02d}", 7, rng=np.random.default_rng(i))
            covered.append(stats.poisson.cdf(np.floor(ltd.quantiles[0.9]), 35.0))
    assert 0.885 <= float(np.mean(covered)) <= 0.95


def test_censored_backtest_periods_are_not_scored() -> None:
    """A model that hits the stock-out estimates exactly gets no credit for them."""
    from subzero.planning.forecast_backtest import CENSORED, option_scores

    cv = pd.DataFrame(
        {
            "unique_id": ["A"] * 4,
            "ds": pd.date_range("2024-01-01", periods=4),
            "cutoff": pd.Timestamp("2023-12-31"),
            "y": [2.0, 4.0, 2.0, 4.0],
            "good": [2.0, 4.0, 2.0, 4.0],
            "lucky": [3.0, 4.0, 3.0, 4.0],
            CENSORED: [False, True, False, True],
        }
    )
    scales = pd.DataFrame({"rms_diff": [1.0], "mean_abs_diff": [1.0]}, index=["A"])
    groups = pd.Series(["*"], index=["A"])
    marked = option_scores(cv, ["good", "lucky"], scales, groups, (0.5,))["rmsse"]
    blind = option_scores(cv.drop(columns=CENSORED), ["good", "lucky"], scales, groups, (0.5,))
    # on the observed rows only, "lucky" is off by 1 each time: RMSSE 1, not sqrt(1/2)
    assert marked.loc["A", "lucky"] == pytest.approx(1.0)
    assert blind["rmsse"].loc["A", "lucky"] == pytest.approx(np.sqrt(0.5))
    assert marked.loc["A", "good"] == pytest.approx(0.0)


def test_censored_errors_leave_the_conformal_quantiles_and_are_imputed_in_paths() -> None:
    from subzero.planning.forecast_quantiles import calibrate

    horizon = 2
    cv = pd.DataFrame(
        {
            "unique_id": ["A"] * 8,
            "y": [1.0, 9.0, 2.0, 9.0, 3.0, 9.0, 4.0, 9.0],
            "f": [0.0] * 8,
        }
    )
    censored = np.array([False, True] * 4)
    scales = pd.Series([1.0], index=["A"])
    groups = pd.Series(["*"], index=["A"])
    bank = calibrate(cv, "f", scales, groups, (0.5,), horizon, censored=censored)
    blind = calibrate(cv, "f", scales, groups, (0.5,), horizon)
    # the 9s are estimates: the pooled median is taken over 1..4 alone
    assert bank.offsets["*"][0, 0] in (2.0, 3.0)
    assert blind.offsets["*"][0, 0] == 9.0
    paths = bank.paths["*"]
    assert not np.isnan(paths).any()
    # the censored step is filled from observed errors, never with the 9s
    assert set(paths[:, 1]) <= {1.0, 2.0, 3.0, 4.0}
    assert paths[:, 0].tolist() == [1.0, 2.0, 3.0, 4.0]


def test_an_imputed_error_keeps_its_windows_level() -> None:
    """Two windows whose errors sit at +5 and -5 (a level missed either way): a censored
    entry of each is imputed at its own window's level, not at the other's."""
    from subzero.planning.forecast_quantiles import _impute

    paths = np.array([[5.0, 6.0, np.nan, 4.0], [-5.0, np.nan, -4.0, -6.0]])
    out = _impute(paths, np.random.default_rng(0))
    assert not np.isnan(out).any()
    assert out[0, 2] > 2.0 and out[1, 1] < -2.0
    # and a window with nothing observed draws whole errors of the same step
    lost = _impute(np.array([[1.0, 2.0], [np.nan, np.nan]]), np.random.default_rng(0))
    assert lost[1].tolist() == [1.0, 2.0]


def test_a_series_never_observed_in_the_backtest_keeps_its_class_default() -> None:
    from subzero.planning.forecast_choice import choose

    score = pd.DataFrame(
        {"a": [0.5, 0.9, np.nan, 0.3], "b": [0.7, 0.2, np.nan, np.nan]},
        index=["x", "y", "z", "w"],
    )
    groups = pd.Series("*", index=score.index)
    choice = choose(score, groups, switch_margin=0.2)
    assert choice.class_default["*"] == "b"  # mean 0.45 against 0.567
    # x switches (0.5 < 0.8 * 0.7); w has no score for b, so it takes its own a
    assert choice.model.tolist() == ["a", "b", "b", "a"]
    assert choice.reason["w"] == "own backtest: a score 0.300; the class default b has none"
    assert choice.reason["x"].startswith("own backtest: a score 0.500 beats class default b")
    assert "no backtest score of its own" in choice.reason["z"]
    assert "no backtest score" not in choice.reason["y"]


def test_a_number_other_than_0_or_1_is_not_a_stockout_flag() -> None:
    history = pd.DataFrame(
        {"unique_id": ["A", "A"], "ds": ["2024-01-01", "2024-01-02"], "y": [1, 0]}
    )
    assert prepare_history(history.assign(stockout=[0.0, 1.0])).stockout_periods == 1
    assert prepare_history(history.assign(stockout=[" no ", "1.0"])).stockout_periods == 1
    with pytest.raises(InvalidParameter, match=r"row 3: stockout=2 is not 1/0"):
        prepare_history(history.assign(stockout=[0, 2]), row_base=2)


def test_a_short_series_takes_its_quantiles_from_its_in_stock_periods() -> None:
    """Too short to backtest, a series' quantiles are order statistics of its own past
    (Vovk et al. 2005); the stock-out periods hold estimates (here 5, the local mean)
    and are left out: the median of 2, 8, 2, 8, 2, 8 by the conformal rank
    ceil(0.5 (6 + 1)) = 4 is 8; with the four 5s counted it would be 5."""
    y = [2, 8, 2, 0, 0, 8, 2, 0, 0, 8]
    out = [0, 0, 0, 1, 1, 0, 0, 1, 1, 0]
    history = pd.DataFrame(
        {
            "unique_id": "A",
            "ds": pd.date_range("2024-01-01", periods=10),
            "y": y,
            "stockout": out,
        }
    )
    result = forecast(history, 3, quantiles=(0.5,), settings=CHEAP)
    assert result.choices.loc["A", "model"] == "mean"
    assert result.forecast["q0.5"].tolist() == [8.0, 8.0, 8.0]


def test_detection_flags_a_long_zero_run_not_a_single_zero() -> None:
    """40 days selling 4 with one zero and one run of 6 zeros: p0 = 7.5 / 47 = 0.16 and
    0.16^6 = 1.6e-5 < 0.001, so the run is flagged; without it p0 = 1.5 / 41 = 0.037,
    and a single zero (probability 0.037) is chance."""
    from subzero.planning.forecast_history import detect_stockouts

    y = np.full(47, 4.0)
    y[10] = 0.0
    y[30:36] = 0.0
    got = detect_stockouts(np.array([0]), y, 0.001)
    assert np.flatnonzero(got).tolist() == list(range(30, 36))
    # a second series of only zeros, or with no zero, is left alone
    two = detect_stockouts(np.array([0, 47, 57]), np.r_[y, np.zeros(10), np.ones(5)], 0.001)
    assert np.flatnonzero(two).tolist() == list(range(30, 36))
    # marked stock-outs are neither flagged again nor counted as chance zeros
    known = np.zeros(47, dtype=bool)
    known[30:36] = True
    assert not detect_stockouts(np.array([0]), y, 0.001, known=known).any()
    with pytest.raises(InvalidParameter, match="strictly between 0 and 1"):
        detect_stockouts(np.array([0]), y, 1.0)


def test_detection_recovers_most_of_the_censored_demand() -> None:
    """The censored Poisson(5) sales of the test above, without the stockout column: the
    detector finds most empty-shelf days (runs of one day, probability 0.7 % under
    Poisson(5), are chance and stay), nearly all it flags are real, and the forecast
    moves most of the way from the sales (3.5) to the demand (5)."""
    from dataclasses import replace

    sales = _censored_sales(seed=3)
    blind = sales.drop(columns="stockout")
    prepared = prepare_history(blind, detect=0.001)
    truth = prepare_history(sales).stockout
    assert truth is not None and prepared.stockout is not None
    found = prepared.stockout
    assert (found & truth).sum() / found.sum() > 0.97  # precision
    assert (found & truth).sum() / truth.sum() > 0.7  # recall
    assert prepared.detected_periods == found.sum()
    settings = replace(CHEAP, detect_stockouts=0.001)
    result = forecast(blind, 14, quantiles=(0.5, 0.9), settings=settings)
    assert 4.4 < result.forecast["mean"].mean() < 5.3
    assert "detected: zero runs with probability below 0.001" in result.notes["stockouts"]


def test_detection_rarely_fires_on_demand_without_stockouts() -> None:
    """Intermittent demand (a sale on 20 % of days) has long zero runs by chance: under
    1 % of its days are flagged and the forecast barely moves; Poisson(5) demand has
    almost none."""
    from dataclasses import replace

    rng = np.random.default_rng(0)
    days = pd.date_range("2022-01-01", periods=730)
    sparse = pd.concat(
        pd.DataFrame(
            {
                "unique_id": f"i{i}",
                "ds": days,
                "y": np.where(rng.random(730) < 0.2, rng.poisson(3, 730) + 1, 0),
            }
        )
        for i in range(100)
    )
    flagged = prepare_history(sparse, detect=0.001).detected_periods
    assert flagged / len(sparse) < 0.01
    steady = pd.concat(
        pd.DataFrame({"unique_id": f"p{i}", "ds": days, "y": rng.poisson(5, 730)})
        for i in range(100)
    )
    assert prepare_history(steady, detect=0.001).detected_periods / len(steady) < 0.001
    plain = forecast(sparse, 14, quantiles=(0.9,), settings=CHEAP)
    found = forecast(sparse, 14, quantiles=(0.9,), settings=replace(CHEAP, detect_stockouts=0.001))
    assert found.forecast["mean"].mean() == pytest.approx(plain.forecast["mean"].mean(), rel=0.03)


def test_detection_level_is_validated() -> None:
    from dataclasses import replace

    with pytest.raises(InvalidParameter, match="detect_stockouts"):
        forecast(_censored_sales(seed=1, n=2), 7, settings=replace(CHEAP, detect_stockouts=1.5))
