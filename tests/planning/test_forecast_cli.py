"""``subzero forecast`` end to end, through the installed console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SUBZERO = Path(sys.executable).parent / "subzero"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SUBZERO), "forecast", *args], capture_output=True, text=True, timeout=120
    )


def test_forecast_csv_and_report(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    days = pd.date_range("2024-01-01", periods=70).strftime("%Y-%m-%d")
    history = pd.concat(
        [
            pd.DataFrame({"unique_id": "A", "ds": days, "y": rng.poisson(5, 70)}),
            pd.DataFrame({"unique_id": "B", "ds": days, "y": np.where(rng.random(70) < 0.2, 3, 0)}),
            pd.DataFrame({"unique_id": "C", "ds": days[-3:], "y": [1, 0, 2]}),
        ]
    )
    source = tmp_path / "history.csv"
    history.to_csv(source, index=False)
    out, report = tmp_path / "forecast.csv", tmp_path / "report.json"
    done = run(
        "--input",
        str(source),
        "--horizon",
        "5",
        "--quantiles",
        "0.5,0.9",
        "--output",
        str(out),
        "--report",
        str(report),
    )
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out, dtype={"unique_id": str})
    assert list(frame.columns) == ["unique_id", "ds", "mean", "q0.5", "q0.9"]
    assert frame.groupby("unique_id").size().to_dict() == {"A": 5, "B": 5, "C": 5}
    assert frame.loc[frame["unique_id"] == "A", "ds"].tolist()[0] == "2024-03-11"
    assert (frame[["mean", "q0.5", "q0.9"]] >= 0).all().all()
    data = json.loads(report.read_text())
    series = {s["unique_id"]: s for s in data["series"]}
    assert series["C"]["model"] == "mean" and "too short" in series["C"]["reason"]
    assert {s["stockout_periods"] for s in series.values()} == {0}
    assert series["B"]["demand_class"] in ("intermittent", "lumpy")
    assert {"croston", "tsb", "ses", "ensemble"} <= set(data["models"])
    assert {t["model"] for t in data["pilot"]} == {"ets", "theta", "arima"}
    # with no time budget the expensive models are not even piloted
    quick = run(
        "--input", str(source), "--horizon", "5", "--output", str(out), "--report", str(report),
        "--expensive-budget", "0",
    )  # fmt: skip
    assert quick.returncode == 0, quick.stderr
    data = json.loads(report.read_text())
    assert data["pilot"] == [] and "skipped" in data["notes"]["expensive"]


NEGATIVE = (
    "error[invalid_parameter]: history: series 'A', row 3: y=-3 is negative "
    "(1 negative row(s)); demand must be >= 0"
)


def test_bad_input_is_one_clear_line_and_exit_1(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("unique_id,ds,y\nA,2024-01-01,1\nA,2024-01-02,-3\n")
    done = run("--input", str(source), "--horizon", "2", "--output", str(tmp_path / "o.csv"))
    assert done.returncode == 1
    assert done.stderr.strip() == NEGATIVE


def test_from_ledger_on_an_empty_ledger_says_so(tmp_path: Path) -> None:
    env = {**os.environ, "SUBZERO_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    init = subprocess.run([str(SUBZERO), "init"], capture_output=True, text=True, env=env)
    assert init.returncode == 0, init.stderr
    done = subprocess.run(
        [str(SUBZERO), "forecast", "--from-ledger", "--horizon", "2", "--output", "o.csv"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().endswith("--from-ledger: the order ledger has no orders to forecast")
    # the ledger holds orders, not sales: nothing to detect, and the command says why
    args = ["forecast", "--from-ledger", "--detect-stockouts", "--horizon", "2"]
    both = subprocess.run(
        [str(SUBZERO), *args, "--output", "o.csv"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert both.returncode == 1
    assert "--detect-stockouts is for sales histories (--input)" in both.stderr


def _two_series(tmp_path: Path) -> Path:
    days = pd.date_range("2024-01-01", periods=60).strftime("%Y-%m-%d")
    rng = np.random.default_rng(1)
    history = pd.concat(
        [
            pd.DataFrame({"unique_id": "A", "ds": days, "y": rng.poisson(5, 60)}),
            pd.DataFrame({"unique_id": "B", "ds": days, "y": rng.poisson(1, 60)}),
        ]
    )
    source = tmp_path / "history.csv"
    history.to_csv(source, index=False)
    return source


def test_plot_draws_the_named_series(tmp_path: Path) -> None:
    source, picture = _two_series(tmp_path), tmp_path / "forecast.png"
    done = run(
        "--input", str(source), "--horizon", "7", "--output", str(tmp_path / "o.csv"),
        "--plot", str(picture), "--plot-series", "B",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"plot of 1 series written to {picture}" in done.stderr
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_mistakes_fail_before_the_run_in_one_line(tmp_path: Path) -> None:
    source, out = _two_series(tmp_path), tmp_path / "o.csv"
    unknown = run(
        "--input", str(source), "--horizon", "7", "--output", str(out),
        "--plot", str(tmp_path / "f.png"), "--plot-series", "A,ZZ",
    )  # fmt: skip
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "error[invalid_parameter]: --plot-series: unknown series ZZ"
    suffix = run(
        "--input", str(source), "--horizon", "7", "--output", str(out),
        "--plot", str(tmp_path / "f.txt"),
    )  # fmt: skip
    assert suffix.returncode == 1
    assert "--plot: f.txt must end in .png, .svg or .pdf" in suffix.stderr
    assert not out.exists()  # nothing was run or written


def test_stockout_column_is_read_and_reported(tmp_path: Path) -> None:
    """A sales history with empty-shelf days marked: the report says what was raised."""
    days = pd.date_range("2024-01-01", periods=60).strftime("%Y-%m-%d")
    empty = (np.arange(60) % 10) >= 7  # out of stock 3 days in 10, nothing sold
    sales = np.where(empty, 0, 6)
    source = tmp_path / "sales.csv"
    pd.DataFrame({"unique_id": "A", "ds": days, "y": sales, "stockout": empty.astype(int)}).to_csv(
        source, index=False
    )
    out, report = tmp_path / "f.csv", tmp_path / "r.json"
    done = run(
        "--input", str(source), "--horizon", "7", "--output", str(out), "--report", str(report)
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(report.read_text())
    notes = data["notes"]
    assert data["series"][0]["stockout_periods"] == 18
    assert notes["stockouts"].startswith("18 stock-out periods in 1 series")
    assert "+108.0 units" in notes["stockouts"]  # 18 days raised from 0 to 6
    assert pd.read_csv(out)["mean"].to_numpy() == pytest.approx(6.0, abs=0.01)
    # without a stockout column, --detect-stockouts takes a run of 8 zeros in a series
    # that otherwise sells 6 every day for an empty shelf (p0 = 8.5 / 61, p0^8 < 0.001);
    # the 3-day runs above, on 30 % of the days, would be chance (0.3^3 = 0.027)
    blind = tmp_path / "blind.csv"
    gap = np.where((np.arange(60) >= 40) & (np.arange(60) < 48), 0, 6)
    pd.DataFrame({"unique_id": "A", "ds": days, "y": gap}).to_csv(blind, index=False)
    done = run(
        "--input", str(blind), "--horizon", "7", "--output", str(out), "--report", str(report),
        "--detect-stockouts",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(report.read_text())
    notes = data["notes"]
    assert data["series"][0]["stockout_periods"] == 8
    assert notes["stockouts"].startswith("8 stock-out periods in 1 series (8 of them detected")
    assert pd.read_csv(out)["mean"].to_numpy() == pytest.approx(6.0, abs=0.01)
    # the picture shades the detected periods as it shades marked ones (#fc9272)
    picture = tmp_path / "f.svg"
    done = run(
        "--input", str(blind), "--horizon", "7", "--output", str(out), "--plot", str(picture),
        "--detect-stockouts", "--expensive-budget", "0",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "#fc9272" in picture.read_text()
    done = run(
        "--input", str(blind), "--horizon", "7", "--output", str(out), "--plot", str(picture),
        "--expensive-budget", "0",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "#fc9272" not in picture.read_text()


def test_the_ledger_runs_summary_names_a_few_biased_items_and_counts_the_rest() -> None:
    from subzero.cli.forecast import _biased

    assert _biased(()) == ""
    assert _biased(("A", "B")) == "; 2 biased: A, B (subzero accuracy)"
    many = tuple(f"S{i:02d}" for i in range(25))
    assert _biased(many) == (f"; 25 biased: {', '.join(many[:10])} and 15 more (subzero accuracy)")


def test_lead_time_demand_is_written_per_series(tmp_path: Path) -> None:
    """--lead-time-output: each series' demand summed over the lead time as a
    distribution (its calibration is tested in test_forecast_quantiles.py: here 60 days
    of two series leave only 6 backtest paths); by default it sums the horizon."""
    source, out, ltd = _two_series(tmp_path), tmp_path / "o.csv", tmp_path / "ltd.csv"
    done = run(
        "--input", str(source), "--horizon", "7", "--output", str(out), "--quantiles", "0.5,0.9",
        "--lead-time-output", str(ltd), "--lead-time", "4", "--expensive-budget", "0",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"lead-time demand of 2 series written to {ltd}" in done.stderr
    frame = pd.read_csv(ltd, dtype={"unique_id": str}).set_index("unique_id")
    assert list(frame.columns) == ["lead_time", "mean", "sd", "q0.5", "q0.9"]
    assert frame["lead_time"].tolist() == [4, 4]
    a = frame.loc["A"]
    assert 10 < a["mean"] < 30 and 0 < a["sd"] < 10  # A orders Poisson(5) a day
    assert a["q0.5"] <= a["q0.9"] and frame.loc["B", "mean"] < a["mean"]
    done = run(
        "--input", str(source), "--horizon", "7", "--output", str(out),
        "--lead-time-output", str(ltd), "--expensive-budget", "0",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert pd.read_csv(ltd)["lead_time"].tolist() == [7, 7]
    # past the horizon the demand is extrapolated, and the run says so
    done = run(
        "--input", str(source), "--horizon", "7", "--output", str(out),
        "--lead-time-output", str(ltd), "--lead-time", "14", "--expensive-budget", "0",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "--lead-time 14 is longer than the horizon 7" in " ".join(done.stderr.split())
    longer = pd.read_csv(ltd, dtype={"unique_id": str}).set_index("unique_id")
    assert longer["lead_time"].tolist() == [14, 14]
    assert 20 < longer.loc["A", "mean"] < 60 and longer.loc["A", "sd"] > a["sd"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lead-time", "3"], "--lead-time needs --lead-time-output FILE"),
        (["--lead-time-output", "{tmp}/missing/l.csv"], "directory {tmp}/missing does not exist"),
        (["--report", "{tmp}"], "--report: {tmp} is a directory; give a file name"),
    ],
)
def test_output_mistakes_fail_before_the_run_in_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    """A file that could not be written is refused before a long run, not after it (and
    not after the forecast CSV was already written)."""
    source, out = _two_series(tmp_path), tmp_path / "o.csv"
    given = [a.format(tmp=tmp_path) for a in args]
    done = run("--input", str(source), "--horizon", "7", "--output", str(out), *given)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and message.format(tmp=tmp_path) in done.stderr
    assert not out.exists()


def test_a_full_disk_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    """/dev/full refuses every write with ENOSPC, as a full disk does."""
    source = _two_series(tmp_path)
    done = run(
        "--input", str(source), "--horizon", "3", "--output", "/dev/full",
        "--expensive-budget", "0",
    )  # fmt: skip
    assert done.returncode == 1
    # exactly one line: the progress bar draws nothing (not even a blank line) when
    # stderr is not a terminal
    assert done.stderr.startswith("error[io]: ") and "No space left on device" in done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.endswith("\n")


@pytest.mark.parametrize(
    ("header", "row"),
    [
        ("unique_id;ds;y", "A;2024-01-{day:02d};{y}"),  # a spreadsheet where 1,5 is a number
        ("unique_id\tds\ty", "A\t2024-01-{day:02d}\t{y}"),
        (" unique_id , ds , y ", "A,2024-01-{day:02d},{y}"),
    ],
    ids=["semicolon", "tab", "spaced-header"],
)
def test_spreadsheet_csv_dialects_are_read(tmp_path: Path, header: str, row: str) -> None:
    source, out = tmp_path / "history.csv", tmp_path / "f.csv"
    lines = [row.format(day=day, y=day % 3) for day in range(1, 29)]
    source.write_text("\n".join([header, *lines]) + "\n")
    done = run(
        "--input", str(source), "--horizon", "2", "--output", str(out), "--expensive-budget", "0"
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out)
    assert frame["unique_id"].tolist() == ["A", "A"]
    assert frame["ds"].tolist() == ["2024-01-29", "2024-01-30"]


def test_a_run_that_fails_while_writing_leaves_the_previous_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills up half-way through the CSV: the last run's forecast and report
    are still there, whole, and nothing half-written lies beside them."""
    from typer.testing import CliRunner

    from subzero.cli.app import app

    source, out, report = _two_series(tmp_path), tmp_path / "f.csv", tmp_path / "r.json"
    out.write_text("unique_id,ds,mean\nA,2024-03-01,5\n")
    report.write_text("{}\n")

    def disk_fills_up(self: pd.DataFrame, path: Path, *args: object, **kwargs: object) -> None:
        Path(path).write_text("unique_id,ds,mean,q0.5\nA,2024-03-01,4.9")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_fills_up)
    done = CliRunner().invoke(
        app,
        ["forecast", "--input", str(source), "--horizon", "3", "--output", str(out),
         "--report", str(report), "--expensive-budget", "0"],
    )  # fmt: skip
    assert isinstance(done.exception, OSError), done.output
    assert out.read_text() == "unique_id,ds,mean\nA,2024-03-01,5\n"
    assert report.read_text() == "{}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.csv", "history.csv", "r.json"]


def test_the_progress_bar_is_drawn_on_a_terminal(tmp_path: Path) -> None:
    """On a terminal the stage bar shows (and is wiped when done); it is the same run
    that draws nothing into a pipe above."""
    import pty

    source, out = _two_series(tmp_path), tmp_path / "o.csv"
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [str(SUBZERO), "forecast", "--input", str(source), "--horizon", "3",
         "--output", str(out), "--expensive-budget", "0"],
        stdout=subprocess.DEVNULL, stderr=follower,
    )  # fmt: skip
    os.close(follower)  # the child holds the terminal now; read it while the child runs
    drawn = b""
    try:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child has exited and the terminal is drained
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(leader)
    assert proc.wait(timeout=120) == 0
    assert b"forecast validate" in drawn and out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--output", "{source}"], "--output: {source} is also given to --input: writing it "
         "would overwrite the history it reads"),
        (["--output", "{tmp}/o.csv", "--report", "{tmp}/./o.csv"], "--report: {tmp}/o.csv is "
         "also given to --output: writing it would overwrite what --output writes"),
        (["--output", "{tmp}/o.csv", "--lead-time-output", "{tmp}/o.csv"],
         "--lead-time-output: {tmp}/o.csv is also given to --output"),
        (["--output", "{tmp}/o.png", "--plot", "{tmp}/o.png"],
         "--plot: {tmp}/o.png is also given to --output"),
        (["--output", "{tmp}/link.csv"], "--output: {tmp}/link.csv is also given to --input"),
    ],
    ids=["output-is-input", "report-is-output", "lead-time-is-output", "plot-is-output",
         "output-links-to-input"],
)  # fmt: skip
def test_two_options_naming_one_file_are_refused_before_the_run(
    tmp_path: Path, args: list[str], message: str
) -> None:
    """Before, the later write replaced the earlier one without a word (the history
    itself, with --output equal to --input)."""
    source = _two_series(tmp_path)
    (tmp_path / "link.csv").symlink_to(source)
    before = source.read_bytes()
    given = [a.format(tmp=tmp_path, source=source) for a in args]
    done = run("--input", str(source), "--horizon", "7", *given)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert message.format(tmp=tmp_path, source=source) in done.stderr
    assert source.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.csv", "link.csv"]


def test_a_semicolon_file_reads_decimal_commas(tmp_path: Path) -> None:
    """Semicolons are how a spreadsheet saves a CSV where the decimal mark is a comma:
    1,5 is 1.5 there (a decimal point is read too); two marks in one value are refused."""
    source, out = tmp_path / "history.csv", tmp_path / "f.csv"
    values = ["1,5", " 1,5 ", "1.5", "+1,50"] * 7
    lines = [f"D;2024-01-{day:02d};{y}" for day, y in enumerate(values, start=1)]
    source.write_text("\n".join(["unique_id;ds;y", *lines]) + "\n")
    done = run("--input", str(source), "--horizon", "2", "--output", str(out),
               "--expensive-budget", "0")  # fmt: skip
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out)
    assert frame[["mean", "q0.5", "q0.9", "q0.95"]].to_numpy() == pytest.approx(1.5)
    source.write_text("unique_id;ds;y\nD;2024-01-01;1,5\nD;2024-01-02;1.234,5\n")
    bad = run("--input", str(source), "--horizon", "2", "--output", str(out))
    assert bad.returncode == 1
    assert "series 'D', row 3: y='1.234,5' is not a number" in bad.stderr


def test_a_history_with_no_demand_at_all_is_forecast_as_zero_with_a_note(tmp_path: Path) -> None:
    """Every series zero over the training window: LightGBM crashed the run before (exit
    2 and a traceback); now the forecast is zero and the command says why."""
    source, out = tmp_path / "zero.csv", tmp_path / "o.csv"
    days = pd.date_range("2024-01-01", periods=100).strftime("%Y-%m-%d")
    pd.DataFrame({"unique_id": "Z", "ds": days, "y": 0}).to_csv(source, index=False)
    done = run("--input", str(source), "--horizon", "5", "--output", str(out),
               "--expensive-budget", "0")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "note: 1 of 1 series had no demand in their history (Z)" in done.stderr
    frame = pd.read_csv(out)
    assert len(frame) == 5 and (frame[["mean", "q0.5", "q0.9", "q0.95"]] == 0).all().all()
