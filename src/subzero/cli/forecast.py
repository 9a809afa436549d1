"""``subzero forecast``: automatic demand forecast with calibrated quantiles.

::

    subzero forecast --input HISTORY.csv --horizon H [--quantiles 0.5,0.9,0.95]
                     [--freq D|W|M] [--season S] --output FORECAST.csv
                     [--report REPORT.json] [--n-jobs N] [--expensive-budget SECONDS]
                     [--detect-stockouts]
                     [--plot FORECAST.png [--plot-series ID,ID]]
                     [--lead-time-output LTD.csv [--lead-time L]]
    subzero forecast --from-ledger --horizon H ...

pandas and statsforecast are imported inside the command, so ``subzero`` starts fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from subzero.cli.output import check_output_path, parse_float_list
from subzero.domain.errors import InvalidParameter
from subzero.files import csv_delimiter, replacing

if TYPE_CHECKING:
    from subzero.domain.commands import RunForecast

__all__ = ["DETECT_ALPHA", "register"]

DETECT_ALPHA = 0.001
"""Significance level of ``--detect-stockouts``: a zero run rarer than this is a stock-out."""


def _history(input_path: Path | None) -> tuple[Any, int]:
    """The demand history frame from ``--input`` and the row base of its error messages."""
    import pandas as pd

    assert input_path is not None
    if not input_path.exists():
        raise InvalidParameter(f"--input: file {input_path} does not exist")
    try:
        sep = csv_delimiter(input_path)
        frame = pd.read_csv(
            input_path,
            sep=sep,
            dtype={"unique_id": str},
            keep_default_na=False,
            na_values=[""],
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InvalidParameter(f"--input: {input_path} is not a readable CSV file: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]  # " unique_id , ds , y"
    if sep == ";" and "y" in frame.columns:
        frame["y"] = _decimal_commas(frame["y"])
    return frame, 2  # row 2 is the first data line after the header


def _decimal_commas(y: Any) -> Any:
    """A semicolon file's ``y`` with decimal commas read as decimal points (``1,5`` is
    1.5: a spreadsheet saves it so where the decimal mark is a comma); a value with
    more than one comma, or a comma and a point, is left for the check to refuse."""
    if y.dtype != object:
        return y
    text = y.astype("string")
    single = text.str.fullmatch(r"\s*[+-]?\d*,\d+\s*", na=False)
    return y.where(~single.to_numpy(), text.str.replace(",", ".", regex=False))


def forecast_command(
    input_path: Path | None = typer.Option(
        None,
        "--input",
        help="Long CSV unique_id,ds,y; optional column stockout (1/0): empty-shelf periods.",
    ),
    from_ledger: bool = typer.Option(
        False, "--from-ledger", help="Use the order history in the database instead."
    ),
    horizon: int = typer.Option(..., "--horizon", min=1, help="Periods to forecast."),
    quantiles: str = typer.Option("0.5,0.9,0.95", "--quantiles", help="Levels, e.g. 0.5,0.9."),
    freq: str = typer.Option("D", "--freq", help="D, W or M (ignored for integer ds)."),
    season: int | None = typer.Option(None, "--season", min=1, help="Season length."),
    output: Path = typer.Option(..., "--output", help="Forecast CSV to write."),
    report: Path | None = typer.Option(None, "--report", help="JSON report to write."),
    n_jobs: int = typer.Option(1, "--n-jobs", help="Processes (-1: all cores)."),
    expensive_budget: float = typer.Option(
        30.0,
        "--expensive-budget",
        min=0.0,
        help="Seconds the expensive models (ETS, Theta, ARIMA) may take, their pilot "
        "included; they run only where the pilot says they pay. 0: cheap models only.",
    ),
    detect_stockouts: bool = typer.Option(
        False,
        "--detect-stockouts",
        help="Sales history (--input): take zero runs too long to be chance (probability "
        f"below {DETECT_ALPHA:g}) for empty shelves, like a stockout column.",
    ),
    plot: Path | None = typer.Option(
        None,
        "--plot",
        help="Also draw history, mean and quantile band per series (PNG, SVG or PDF).",
    ),
    plot_series: str | None = typer.Option(
        None,
        "--plot-series",
        help="Series to draw, comma-separated (default: the 6 with the most demand).",
    ),
    lead_time_output: Path | None = typer.Option(
        None,
        "--lead-time-output",
        help="Also write each series' demand summed over the lead time, as a "
        "distribution: CSV unique_id,lead_time,mean,sd,q<level>… (what policies use).",
    ),
    lead_time: int | None = typer.Option(
        None,
        "--lead-time",
        min=1,
        help="Periods --lead-time-output sums (default: the horizon). With --from-ledger "
        "each item's own lead time + 1 day is used.",
    ),
) -> None:
    """Forecast demand per series with automatic model choice and quantiles."""
    plot_ids = _plot_ids(plot, plot_series)
    written = (
        (output, "--output"),
        (report, "--report"),
        (plot, "--plot"),
        (lead_time_output, "--lead-time-output"),
    )
    for path, option in written:
        check_output_path(path, option)
    _check_distinct(((input_path, "--input"), *written))
    levels = parse_float_list(quantiles, name="--quantiles")
    if freq.upper() not in ("D", "W", "M"):
        raise InvalidParameter(f"--freq: {freq!r} is not one of D, W, M")
    if from_ledger == (input_path is not None):
        raise InvalidParameter("give exactly one of --input HISTORY.csv or --from-ledger")
    if from_ledger and detect_stockouts:
        raise InvalidParameter(
            "--detect-stockouts is for sales histories (--input); the ledger counts what "
            "customers ordered, so an empty shelf does not hide demand there"
        )
    _check_lead_time(lead_time, lead_time_output, horizon, from_ledger)
    if from_ledger:
        from subzero.domain.commands import RunForecast

        command = RunForecast(
            horizon=horizon,
            quantiles=tuple(levels),
            n_jobs=n_jobs,
            expensive_budget_seconds=expensive_budget,
        )
        if plot_ids:
            _check_ledger_series(command, plot_ids)  # before the run is stored
        summary = _from_ledger(command, output, report, plot, plot_ids)
        if lead_time_output is not None:
            _write_lead_time(summary.lead_time_demand, lead_time_output)
        return
    frame, row_base = _history(input_path)
    if plot_ids and "unique_id" in frame.columns:
        from subzero.planning.forecast_plot import pick_series

        pick_series(frame, plot_ids)  # an unknown id fails now, not after the run

    from subzero.planning.forecast import ForecastSettings, forecast

    with _stage_bar() as advance:
        result = forecast(
            frame,
            horizon,
            quantiles=levels,
            freq=freq,
            season=season,
            n_jobs=n_jobs,
            progress=advance,
            row_base=row_base,
            settings=ForecastSettings(
                expensive_budget_seconds=expensive_budget,
                detect_stockouts=DETECT_ALPHA if detect_stockouts else 0.0,
            ),
        )
    _write(result.forecast, levels, output, report, result.report())
    _warn_no_demand(result.notes)
    if lead_time_output is not None:
        ids = result.choices.index
        ltd = result.lead_time_summary(dict.fromkeys(map(str, ids), lead_time or horizon))
        _write_lead_time(ltd, lead_time_output)
    if plot is not None:
        if detect_stockouts:
            frame = _with_stockouts(frame, result.stockouts)
        _plot(frame, result.forecast, result.choices, plot, plot_ids)


@contextmanager
def _stage_bar() -> Iterator[Callable[[str, int, int], None]]:
    """A bar over the forecast's stages on stderr, naming the stage under way; yields
    the ``progress(stage, done, total)`` callback that moves it."""
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn

    from subzero.cli.output import progress_bar
    from subzero.planning.forecast import STAGES

    with progress_bar(
        TextColumn("forecast {task.description:<10}"), BarColumn(), TimeElapsedColumn()
    ) as bar:
        task = bar.add_task(STAGES[0], total=len(STAGES))

        def advance(stage: str, done: int, total: int) -> None:
            following = STAGES[done] if done < total else "done"
            bar.update(task, completed=done, description=following)

        yield advance


def _with_stockouts(frame: Any, stockouts: Any) -> Any:
    """The input with a ``stockout`` column of the periods the run took for stock-outs
    (marked or detected), so that the plot shades them."""
    from subzero.planning.forecast_history import in_periods, parse_periods

    found = in_periods(frame.assign(ds=parse_periods(frame)), stockouts)
    return frame.assign(stockout=found.astype(int))


def _plot_ids(plot: Path | None, plot_series: str | None) -> list[str] | None:
    """The ``--plot-series`` ids; checks ``--plot``'s suffix before the long run starts."""
    if plot_series is not None and plot is None:
        raise InvalidParameter("--plot-series needs --plot FILE")
    if plot is not None:
        from subzero.planning.forecast_plot import check_plot_path

        check_plot_path(plot)
    if plot_series is None:
        return None
    ids = [part.strip() for part in plot_series.split(",") if part.strip()]
    if not ids:
        raise InvalidParameter("--plot-series: give at least one series id")
    return ids


def _plot(history: Any, forecast: Any, choices: Any, path: Path, ids: list[str] | None) -> None:
    from subzero.planning.forecast_plot import plot_forecast

    drawn = plot_forecast(history, forecast, choices, path, ids=ids)
    typer.echo(f"plot of {len(drawn)} series written to {path}", err=True)


def _write(
    frame: Any, levels: list[float], output: Path, report: Path | None, details: Any
) -> None:
    from subzero.planning.forecast_quantiles import quantile_name

    columns = ["unique_id", "ds", "mean"] + [quantile_name(lv) for lv in sorted(set(levels))]
    out = frame[columns].copy()
    if out["ds"].dtype.kind == "M":
        out["ds"] = out["ds"].dt.strftime("%Y-%m-%d")
    with replacing(output) as path:
        out.to_csv(path, index=False, float_format="%.6g")
    if report is not None:
        with replacing(report) as path:
            path.write_text(json.dumps(details, indent=2, default=str) + "\n")


def _warn_no_demand(notes: dict[str, str]) -> None:
    """Say so when series had no demand at all (the report's ``notes.no_demand``)."""
    if "no_demand" in notes:
        typer.secho(f"note: {notes['no_demand']}", err=True, fg="yellow")


def _check_lead_time(
    lead_time: int | None, output: Path | None, horizon: int, from_ledger: bool
) -> None:
    if lead_time is None:
        return
    if output is None:
        raise InvalidParameter("--lead-time needs --lead-time-output FILE")
    if from_ledger:
        raise InvalidParameter(
            "--lead-time: --from-ledger sums each item's own lead time + 1 day; leave it out"
        )
    if lead_time > horizon:
        typer.secho(
            f"--lead-time {lead_time} is longer than the horizon {horizon}: the demand past "
            f"period {horizon} is extrapolated (docs/forecasting.md); --horizon {lead_time} "
            "forecasts it",
            err=True,
            fg="yellow",
        )


def _write_lead_time(ltd: Any, path: Path) -> None:
    with replacing(path) as partial:
        ltd.to_csv(partial, index=False, float_format="%.6g")
    typer.echo(f"lead-time demand of {len(ltd)} series written to {path}", err=True)


def _check_distinct(paths: tuple[tuple[Path | None, str], ...]) -> None:
    """Refuse two options naming one file before the run starts: the later write would
    replace the earlier one (or the history read) without a word. A file that is not a
    regular one (``/dev/stdout``) is written in place, so it may be named twice."""
    seen: dict[object, str] = {}
    for path, option in paths:
        if path is None:
            continue
        if path.exists():
            if not path.is_file():
                continue
            info = path.stat()
            key: object = (info.st_dev, info.st_ino)  # a link or another spelling too
        else:
            key = path.resolve()
        if key in seen:
            first = seen[key]
            what = "the history it reads" if first == "--input" else f"what {first} writes"
            raise InvalidParameter(
                f"{option}: {path} is also given to {first}: writing it would overwrite {what}; "
                "give each its own file"
            )
        seen[key] = option


def _check_ledger_series(command: RunForecast, ids: list[str]) -> None:
    """``--plot-series`` against the items a ledger run would forecast, before it runs."""
    import pandas as pd

    from subzero.cli.runtime import runtime
    from subzero.planning.forecast_plot import pick_series
    from subzero.service.forecasting import forecast_series

    known = forecast_series(command, uow=runtime().read_uow(), today=runtime().clock().date())
    pick_series(pd.DataFrame({"unique_id": sorted(known), "y": 0.0}), ids)


def _from_ledger(
    command: RunForecast,
    output: Path,
    report: Path | None,
    plot: Path | None,
    plot_ids: list[str] | None,
) -> Any:
    """Daily forecast of every item from the database's orders, stored as a run (with
    overrides applied, the previous run's accuracy measured and due overrides scored)."""
    from rich.console import Console

    from subzero.cli.runtime import runtime

    with _stage_bar() as advance:
        try:
            summary = runtime().bus.handle(command, progress=advance)
        except InvalidParameter as exc:
            raise InvalidParameter(f"--from-ledger: {exc.message}") from None
    levels = list(command.quantiles)
    horizon = command.horizon
    _write(summary.forecast, levels, output, report, summary.report)
    _warn_no_demand(summary.report.get("notes", {}))
    Console(stderr=True).print(
        f"forecast run {summary.run_id}: {summary.series} items x {horizon} days stored; "
        f"{summary.overrides_applied} override(s) applied, {summary.overrides_scored} scored"
        + _biased(summary.biased_items)
    )
    if summary.beyond_horizon:
        longest = max(summary.beyond_horizon.values())
        Console(stderr=True).print(
            f"[yellow]{len(summary.beyond_horizon)} item(s) wait longer than {horizon} days "
            f"for their supplier (lead time + 1 day, up to {longest}): their lead-time "
            f"demand past day {horizon} is extrapolated; --horizon {longest} forecasts "
            "it[/yellow]"
        )
    if plot is not None:
        import pandas as pd

        choices = pd.DataFrame(summary.report["series"]).set_index("unique_id")
        _plot(summary.history, summary.forecast, choices, plot, plot_ids)
    return summary


def _biased(skus: tuple[str, ...], shown: int = 10) -> str:
    """The run summary's word on biased items: the first few, and how many more."""
    if not skus:
        return ""
    more = f" and {len(skus) - shown} more" if len(skus) > shown else ""
    return f"; {len(skus)} biased: {', '.join(skus[:shown])}{more} (subzero accuracy)"


override_app = typer.Typer(
    help="Planner overrides of the forecast (expert opinion), stored and scored.",
    no_args_is_help=True,
)


@override_app.command("add")
def override_add(
    sku: str = typer.Argument(..., help="Item SKU."),
    day: str = typer.Argument(..., help="Day to override, YYYY-MM-DD (today or later)."),
    value: float = typer.Argument(..., help="Your forecast of that day's demand (units)."),
    reason: str = typer.Option(..., "--reason", help="Why (stored with the override)."),
    until: str | None = typer.Option(
        None, "--until", help="Last day, YYYY-MM-DD: the same daily value for every day."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON value."),
) -> None:
    """Override the forecast of an item for a day (or each day to --until); applied by
    the next ledger forecast and scored against the actual demand once the day has
    passed. A day's override not yet scored is revised, not doubled."""
    from subzero.cli.output import emit_json
    from subzero.cli.runtime import runtime
    from subzero.domain.commands import OverrideForecast

    first = _date(day, "day")
    last = _date(until, "--until") if until is not None else None
    ids = runtime().bus.handle(OverrideForecast(sku, first, value, reason, until=last))
    if as_json:
        emit_json({"override_id": ids[0], "override_ids": list(ids)})
    elif len(ids) == 1:
        typer.echo(f"override {ids[0]}: {sku} on {first} = {value:g} ({reason})")
    else:
        typer.echo(
            f"{len(ids)} overrides ({', '.join(map(str, ids))}): {sku} from {first} to "
            f"{last}, {value:g} a day ({reason})"
        )


def _date(text: str, name: str) -> Any:
    from subzero.cli.output import parse_day

    return parse_day(text, name)


@override_app.command("list")
def override_list(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON value."),
) -> None:
    """Every override; once scored, whether it beat the statistical forecast, and the
    value added by each reason (a campaign over many days and items is judged as one)."""
    from subzero.cli.output import emit_json, print_table
    from subzero.cli.runtime import runtime
    from subzero.service.forecasting import override_report

    data = override_report(runtime().read_uow())
    if as_json:
        emit_json(data)
        return
    cols = ["id", "sku", "day", "value", "statistical", "actual", "helped", "reason"]
    print_table(
        "forecast overrides", cols, [[_cell(r.get(c)) for c in cols] for r in data["overrides"]]
    )
    if data["scored"]:
        typer.echo(
            f"{data['scored']} scored: hit rate {data['hit_rate']:.0%}, "
            f"value added {data['value_added']:+.2f} units of absolute error"
        )
    if len(data["by_reason"]) > 1:
        print_table(
            "value added per reason (worst first)",
            ["reason", "scored", "hit_rate", "value_added"],
            [
                [r["reason"], r["scored"], f"{r['hit_rate']:.0%}", f"{r['value_added']:+.2f}"]
                for r in data["by_reason"]
            ],
        )


def accuracy(
    sku: str | None = typer.Option(
        None, "--sku", help="One item's accuracy over time: every measured run, oldest first."
    ),
    plot: Path | None = typer.Option(
        None, "--plot", help="With --sku: draw its bias and bias z run after run (PNG, SVG, PDF)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON value."),
) -> None:
    """Forecast accuracy per item of the last measured run: bias, MAE, RMSE, scaled
    errors, the tracking signal, and whether the item's forecast is biased (its mean
    error over the runs of the last 28 days is non-zero beyond chance). With --sku, that
    item's accuracy in every measured run, with the model it had."""
    from subzero.cli.output import emit_json, print_table
    from subzero.cli.runtime import runtime
    from subzero.service.forecasting import accuracy_history, accuracy_report

    if plot is not None and sku is None:
        raise InvalidParameter("--plot needs --sku SKU")
    if plot is not None:
        from subzero.planning.forecast_plot import check_plot_path

        check_plot_path(plot)
        check_output_path(plot, "--plot")
    if sku is not None:
        runs = accuracy_history(runtime().read_uow(), sku)
        if plot is not None:
            from subzero.planning.forecast_accuracy import BIAS_Z
            from subzero.planning.forecast_plot import plot_accuracy

            plot_accuracy(plot, sku, runs, limit=BIAS_Z)
            typer.echo(f"plot of {len(runs)} runs written to {plot}", err=True)
        if as_json:
            emit_json({"sku": sku, "runs": runs})
            return
        if not runs:
            typer.echo(f"{sku}: no measured forecast run yet")
            return
        cols = [
            *("run_id", "run_at", "model", "periods", "bias", "mae", "rmsse"),
            *("bias_periods", "tracking_signal", "bias_z"),
        ]
        print_table(
            f"forecast accuracy of {sku} over time",
            [*cols, "biased"],
            [[_cell(r[c]) for c in cols] + ["yes" if r["biased"] else ""] for r in runs],
        )
        typer.echo(_SIGNS)
        return
    run_id, rows = accuracy_report(runtime().read_uow())
    if as_json:
        emit_json({"run_id": run_id, "items": rows})
        return
    if run_id is None:
        typer.echo(
            "no forecast run measured yet: run `subzero forecast --from-ledger` twice, "
            "some days apart"
        )
        return
    cols = [
        *("sku", "periods", "bias", "mae", "rmse", "rmsse"),
        *("bias_periods", "tracking_signal", "bias_z", "biased"),
    ]
    print_table(
        f"accuracy of forecast run {run_id}",
        cols,
        [[_cell(r[c]) for c in cols] for r in rows],
    )
    typer.echo(_SIGNS)


_SIGNS = (
    "bias = mean(forecast - actual) of the run, > 0 over-forecasts. Over the bias_periods "
    "days of the item's runs of the last 28 days: tracking signal = sum(actual - forecast) "
    "/ MAE, and bias_z its t statistic; biased when |bias_z| > 3 and bias_periods >= 7."
)


def _cell(value: Any) -> Any:
    """A table cell: floats to 3 decimals, times to the minute."""
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, str) and len(value) > 16 and value[10:11] == "T":
        return value[:16].replace("T", " ")
    return value


def register(app: typer.Typer) -> None:
    """Add ``forecast``, ``override`` and ``accuracy``."""
    app.command("forecast")(forecast_command)
    app.add_typer(override_app, name="override")
    app.command("accuracy")(accuracy)
