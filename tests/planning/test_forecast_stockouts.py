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
