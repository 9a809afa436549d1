"""The forecast picture: the right series, the run's mean and band, readable titles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb
from matplotlib.dates import date2num

from subzero.domain.errors import InvalidParameter
from subzero.planning.forecast_plot import (
    accuracy_figure,
    forecast_figure,
    pick_series,
    plot_accuracy,
    plot_forecast,
)


def _history() -> pd.DataFrame:
    days = pd.date_range("2024-01-01", periods=30).strftime("%Y-%m-%d")  # as read from CSV
    return pd.concat(
        [
            pd.DataFrame({"unique_id": uid, "ds": days, "y": np.full(30, level)})
            for uid, level in (("low", 1), ("high", 9), ("mid", 4))
        ],
        ignore_index=True,
    )


def _forecast() -> pd.DataFrame:
    ds = pd.date_range("2024-01-31", periods=5)
    rows = []
    for uid, level in (("low", 1.0), ("high", 9.0), ("mid", 4.0)):
        mean = level + np.arange(5) / 10
        rows.append(
            pd.DataFrame(
                {"unique_id": uid, "ds": ds, "mean": mean, "q0.5": mean - 0.5, "q0.9": mean + 2}
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_pick_series_takes_the_most_demand_or_the_named_ones() -> None:
    history = _history()
    assert pick_series(history, None, limit=2) == ["high", "mid"]
    assert pick_series(history, ["low", "low", "mid"]) == ["low", "mid"]
    with pytest.raises(InvalidParameter, match="unknown series nope"):
        pick_series(history, ["low", "nope"])


def test_each_panel_draws_the_series_history_mean_and_band() -> None:
    import matplotlib.pyplot as plt

    choices = pd.DataFrame(
        {"model": ["tsb", "ses"], "demand_class": ["intermittent", "smooth"]},
        index=pd.Index(["low", "high"], name="unique_id"),
    )
    fig = forecast_figure(_history(), _forecast(), choices, ["high", "low"], history_periods=10)
    try:
        panels = [ax for ax in fig.axes if ax.get_visible()]
        assert [ax.get_title() for ax in panels] == [
            "high: ses (smooth)",
            "low: tsb (intermittent)",
        ]
        for ax, level in zip(panels, (9.0, 1.0), strict=True):
            demand, mean = ax.get_lines()
            # the last 10 days; each line repeats its last value a day later, so that the
            # last period of the steps has its width
            assert demand.get_ydata() == pytest.approx(np.full(11, level))
            assert mean.get_ydata() == pytest.approx(level + np.r_[np.arange(5), 4] / 10)
            assert mean.get_xdata()[-1] == pd.Timestamp("2024-02-05")
            band = ax.collections[0].get_paths()[0].vertices[:, 1]
            # the band spans the lowest (q0.5) to the highest (q0.9) quantile
            assert band.min() == pytest.approx(level - 0.5)
            assert band.max() == pytest.approx(level + 0.4 + 2)
    finally:
        plt.close(fig)


def test_plot_forecast_writes_the_file_and_refuses_other_suffixes(tmp_path: Path) -> None:
    path = tmp_path / "forecast.png"
    assert plot_forecast(_history(), _forecast(), None, path, limit=2) == ["high", "mid"]
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "forecast.svg"
    plot_forecast(_history(), _forecast(), None, svg)
    assert "<svg" in svg.read_text()[:500]
    with pytest.raises(InvalidParameter, match="must end in"):
        plot_forecast(_history(), _forecast(), None, tmp_path / "forecast.txt")


def test_stockout_runs_are_shaded_once_per_run() -> None:
    history = _history()
    flags = np.zeros(len(history), dtype=int)
    mid = np.flatnonzero(history["unique_id"] == "mid")
    flags[mid[[20, 21, 22, 26]]] = 1  # two runs in the drawn window: days 21–23 and 27
    history["stockout"] = flags
    fig = forecast_figure(history, _forecast(), None, ["mid", "low"])
    mid_ax, low_ax = fig.axes[:2]

    def spans(ax: Any) -> list[tuple[float, float]]:
        red = to_rgb("#fc9272")
        return sorted(
            (p.get_x(), p.get_x() + p.get_width())
            for p in ax.patches
            if np.allclose(p.get_facecolor()[:3], red)
        )

    got = spans(mid_ax)
    day = date2num(pd.Timestamp("2024-01-21"))
    assert [(round(a - day), round(b - day)) for a, b in got] == [(0, 3), (6, 7)]
    assert [p.get_label() for p in mid_ax.patches].count("stock-out") == 1  # one legend entry
    assert spans(low_ax) == []
    # a history with stock-outs marked is sales, and the line says so
    assert mid_ax.get_lines()[0].get_label() == "sales"
    plain = forecast_figure(_history(), _forecast(), None, ["mid"])
    assert plain.axes[0].get_lines()[0].get_label() == "demand"


def test_accuracy_figure_draws_each_runs_bias_and_the_test_against_its_limits() -> None:
    import matplotlib.pyplot as plt

    runs = ["2026-03-02T09:00:00+00:00", "2026-03-03T09:00:00+00:00", "2026-03-04T09:00:00+00:00"]
    # the third run over-forecasts persistently: its z (> 0 under-forecast) is far below -3
    fig = accuracy_figure(
        "W", runs, [1.5, -0.5, 4.0], [-1.0, 0.5, -4.2], [False, False, True], limit=3.0
    )
    try:
        top, bottom = fig.axes
        assert [bar.get_height() for bar in top.patches] == [1.5, -0.5, 4.0]
        (line,) = bottom.get_lines()[:1]
        # drawn with the sign turned, so that above 0 is an over-forecast in both panels
        assert list(line.get_ydata()) == [1.0, -0.5, 4.2]
        limits = sorted(ln.get_ydata()[0] for ln in bottom.get_lines()[1:])
        assert limits == [-3.0, 3.0]
        (flagged,) = bottom.collections
        assert flagged.get_offsets()[:, 1].tolist() == [4.2]
        assert to_rgb(flagged.get_facecolor()[0][:3]) == to_rgb("#cb181d")
    finally:
        plt.close(fig)


def test_plot_accuracy_refuses_an_item_without_runs_or_a_bad_suffix(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="no measured forecast run"):
        plot_accuracy(tmp_path / "a.png", "W", [], limit=3.0)
    with pytest.raises(InvalidParameter, match=r"must end in \.png, \.svg or \.pdf"):
        plot_accuracy(tmp_path / "a.txt", "W", [], limit=3.0)
