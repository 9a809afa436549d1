"""Bad input gives a clear message naming the series and row; short series fall back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from subzero.domain.errors import InvalidParameter
from subzero.planning.forecast import ForecastSettings, forecast
from subzero.planning.forecast_history import prepare_history

CHEAP = ForecastSettings(expensive=False, global_model=False)


def good(n: int = 3) -> pd.DataFrame:
    return pd.DataFrame(
        {"unique_id": ["A"] * n, "ds": [f"2024-01-0{i + 1}" for i in range(n)], "y": [1, 2, 3][:n]}
    )


def test_missing_column() -> None:
    with pytest.raises(
        InvalidParameter, match=r"missing column\(s\) y; expected columns unique_id, ds, y"
    ):
        prepare_history(good().drop(columns="y"))
    renamed = good().rename(columns={"unique_id": "item", "ds": "date", "y": "qty"})
    with pytest.raises(InvalidParameter, match=r"found 'item', 'date', 'qty'$"):
        prepare_history(renamed)


def test_non_numeric_y_names_series_and_row() -> None:
    bad = good()
    bad["y"] = ["1", "x", "3"]
    with pytest.raises(InvalidParameter, match=r"series 'A', row 3: y='x' is not a number"):
        prepare_history(bad, row_base=2)


def test_infinite_y_is_shown_as_written() -> None:
    bad = good()
    bad["y"] = [1.0, np.inf, 3.0]
    with pytest.raises(InvalidParameter, match=r"series 'A', row 1: y=inf is not a number"):
        prepare_history(bad)


def test_negative_y_names_series_and_row() -> None:
    bad = good()
    bad.loc[2, "y"] = -4
    with pytest.raises(InvalidParameter, match=r"series 'A', row 2: y=-4 is negative"):
        prepare_history(bad)


def test_duplicate_period_names_series_and_row() -> None:
    bad = pd.concat([good(), good(1)], ignore_index=True)
    with pytest.raises(
        InvalidParameter,
        match=r"series 'A', row 3: duplicate \(unique_id, ds\) = \('A', 2024-01-01\);",
    ):
        prepare_history(bad)
    periods = pd.DataFrame({"unique_id": ["A", "A"], "ds": [7, 7], "y": [1, 2]})
    with pytest.raises(InvalidParameter, match=r"row 1: duplicate \(unique_id, ds\) = \('A', 7\);"):
        prepare_history(periods)


def test_bad_date() -> None:
    bad = good()
    bad.loc[1, "ds"] = "someday"
    with pytest.raises(
        InvalidParameter, match=r"series 'A', row 1: ds='someday' is neither a date"
    ):
        prepare_history(bad)


def test_bad_arguments() -> None:
    with pytest.raises(InvalidParameter, match="horizon: 0 must be a positive"):
        forecast(good(), 0)
    with pytest.raises(InvalidParameter, match=r"quantiles: 1\.5 is not strictly between 0 and 1"):
        forecast(good(), 2, quantiles=(0.5, 1.5))
    with pytest.raises(InvalidParameter, match="freq: 'Q' is not one of D, W, M"):
        forecast(good(), 2, freq="Q")
    with pytest.raises(InvalidParameter, match=r"switch_margins: \[1\.5\] must be"):
        forecast(good(), 2, settings=ForecastSettings(switch_margins=(1.5,)))
    with pytest.raises(InvalidParameter, match=r"\['best'\] must be .* rank, combine"):
        forecast(good(), 2, settings=ForecastSettings(default_rules=("best",)))
    with pytest.raises(InvalidParameter, match=r"default_rules: \(\) must be non-empty"):
        forecast(good(), 2, settings=ForecastSettings(default_rules=()))


def test_gaps_are_filled_with_zero_demand() -> None:
    history = pd.DataFrame(
        {"unique_id": ["A", "A"], "ds": ["2024-01-01", "2024-01-04"], "y": [2, 5]}
    )
    prepared = prepare_history(history)
    assert prepared.filled_periods == 2
    assert prepared.frame["y"].tolist() == [2, 0, 0, 5]


def test_too_short_series_gets_the_fallback_model_not_a_crash() -> None:
    rng = np.random.default_rng(0)
    long = pd.DataFrame(
        {
            "unique_id": "long",
            "ds": pd.date_range("2024-01-01", periods=120),
            "y": rng.poisson(4, 120).astype(float),
        }
    )
    short = pd.DataFrame(
        {"unique_id": "short", "ds": pd.date_range("2024-04-01", periods=3), "y": [1.0, 0.0, 2.0]}
    )
    result = forecast(pd.concat([long, short]), 7, settings=CHEAP)
    assert result.choices.at["short", "model"] == "mean"
    assert "too short" in result.choices.at["short", "reason"]
    out = result.forecast[result.forecast["unique_id"] == "short"]
    assert out["mean"].to_numpy() == pytest.approx(np.ones(7))
    assert out["ds"].iloc[0] == pd.Timestamp("2024-04-04")
    assert (out["q0.9"] >= out["mean"]).all()


def test_integer_period_index_is_accepted() -> None:
    history = pd.DataFrame({"unique_id": "A", "ds": np.arange(1, 61), "y": np.tile([1.0, 3.0], 30)})
    result = forecast(history, 4, settings=CHEAP)
    assert result.forecast["ds"].tolist() == [61, 62, 63, 64]


def test_day_first_dates_are_refused_not_guessed() -> None:
    """28 days of January written day first: a guess per value read 01/02 … 12/01 month
    first and the rest day first, 336 periods for 28 days. Only ISO dates are read."""
    days = pd.DataFrame(
        {"unique_id": "A", "ds": [f"{d:02d}/01/2024" for d in range(1, 29)], "y": 1.0}
    )
    with pytest.raises(
        InvalidParameter,
        match=r"series 'A', row 2: ds='01/01/2024' is neither a date \(YYYY-MM-DD, optionally "
        r"with a time\) nor an integer period index \(write dates as YYYY-MM-DD",
    ):
        prepare_history(days, row_base=2)
    for written in ("2024/01/05", "Jan 5 2024", "2024-1-5", "5.1.2024"):
        one = pd.DataFrame({"unique_id": ["A"], "ds": [written], "y": [1.0]})
        with pytest.raises(InvalidParameter, match=r"is neither a date"):
            prepare_history(one)


def test_iso_dates_with_a_time_or_an_offset_are_days_in_utc() -> None:
    """A time of day is dropped; an offset is taken to UTC first (23:30 at +02:00 is
    21:30 UTC, the same day), whether or not other rows have one."""
    history = pd.DataFrame(
        {
            "unique_id": "A",
            "ds": ["2024-01-01T23:30:00+02:00", "2024-01-02 08:00", "2024-01-03T00:00Z"],
            "y": [1.0, 2.0, 3.0],
        }
    )
    prepared = prepare_history(history)
    assert prepared.freq == "D"
    assert prepared.frame["ds"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-01",
        "2024-01-02",
        "2024-01-03",
    ]
    with pytest.raises(InvalidParameter, match=r"row 0: ds='2024-02-30' is not a valid date"):
        prepare_history(pd.DataFrame({"unique_id": ["A"], "ds": ["2024-02-30"], "y": [1.0]}))


@pytest.mark.parametrize(
    ("ds", "message"),
    [
        (
            ["2024-01-01", "1"],
            r"row 3: ds='1' is an integer period index, but the history starts with dates "
            r"\(row 2: ds='2024-01-01'\); the file mixes the two",
        ),
        (
            ["1", "2024-01-02"],
            r"row 3: ds='2024-01-02' is a date, but the history starts with integer period "
            r"indexes \(row 2: ds='1'\); the file mixes the two",
        ),
        ([1.0, 1.5], r"row 3: ds=1\.5 is not a whole number; an integer period index"),
        ([1.0, np.nan], r"row 3: ds is empty"),
        (["2024-01-01", " "], r"row 3: ds is empty"),
    ],
    ids=["index-after-dates", "date-after-indexes", "fraction", "empty-index", "blank"],
)
def test_a_ds_that_is_not_a_period_of_the_file_is_named(ds: list[object], message: str) -> None:
    """The file mixes dates and indexes, a fractional index (read before as nanoseconds
    after 1970 and reported as a duplicate of 1970-01-01), an empty cell."""
    history = pd.DataFrame({"unique_id": "A", "ds": pd.Series(ds), "y": [1.0, 2.0]})
    with pytest.raises(InvalidParameter, match=r"history: series 'A', " + message):
        prepare_history(history, row_base=2)


def test_an_empty_y_is_called_empty() -> None:
    bad = good()
    bad["y"] = [1.0, np.nan, 3.0]
    with pytest.raises(
        InvalidParameter, match=r"series 'A', row 3: y is empty \(1 bad row\(s\)\); demand must"
    ):
        prepare_history(bad, row_base=2)


@pytest.mark.parametrize(
    ("freq", "ds", "message"),
    [
        (
            "W",
            ["2024-01-01", "2024-01-08", "2024-01-16"],
            r"series 'B', row 4: ds=2024-01-16 is a Tuesday, but the first row's "
            r"ds=2024-01-01 is a Monday; weekly data must fall on one weekday",
        ),
        (
            "M",
            ["2024-01-01", "2024-02-01", "2024-03-15"],
            r"series 'B', row 4: ds=2024-03-15 is not the first of a month, as the first "
            r"row's ds=2024-01-01 is; monthly dates must all be",
        ),
        (
            "M",
            ["2024-01-31", "2024-02-29", "2024-03-01"],
            r"series 'B', row 4: ds=2024-03-01 is not the last of a month, as the first "
            r"row's ds=2024-01-31 is",
        ),
        (
            "M",
            ["2024-01-15", "2024-02-15", "2024-03-15"],
            r"series 'B', row 2: ds=2024-01-15 is neither the first nor the last of a month",
        ),
    ],
    ids=["weekday", "month-start", "month-end", "mid-month"],
)
def test_calendar_rules_name_the_series_and_row(freq: str, ds: list[str], message: str) -> None:
    history = pd.DataFrame({"unique_id": "B", "ds": ds, "y": [1.0, 2.0, 3.0]})
    with pytest.raises(InvalidParameter, match=r"history: " + message):
        prepare_history(history, freq=freq, row_base=2)
