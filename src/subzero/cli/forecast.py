"""``subzero forecast``: automatic demand forecast with calibrated quantiles.

::

    subzero forecast --input HISTORY.csv --horizon H [--quantiles 0.5,0.9,0.95]
                     [--freq D|W|M] [--season S] --output FORECAST.csv
                     [--report REPORT.json] [--n-jobs N]
    subzero forecast --from-ledger --horizon H ...

pandas and statsforecast are imported inside the command, so ``subzero`` starts fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from subzero.cli.output import parse_float_list
from subzero.domain.errors import InvalidParameter

__all__ = ["register"]


def _history(input_path: Path | None, from_ledger: bool) -> tuple[Any, int]:
    """The demand history frame and the row base of its error messages."""
    if from_ledger == (input_path is not None):
        raise InvalidParameter("give exactly one of --input HISTORY.csv or --from-ledger")
    if from_ledger:
        try:
            from subzero.cli.runtime import runtime
            from subzero.service.demand import order_history_frame
        except ImportError:
            raise InvalidParameter(
                "--from-ledger needs the database layer (subzero.service.demand), "
                "which is not installed yet; export the history and use --input"
            ) from None
        frame = order_history_frame(runtime().uow())
        if frame.empty:
            raise InvalidParameter("--from-ledger: the order ledger has no orders to forecast")
        return frame, 0
    import pandas as pd

    assert input_path is not None
    if not input_path.exists():
        raise InvalidParameter(f"--input: file {input_path} does not exist")
    try:
        frame = pd.read_csv(
            input_path, dtype={"unique_id": str}, keep_default_na=False, na_values=[""]
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InvalidParameter(f"--input: {input_path} is not a readable CSV file: {exc}") from None
    return frame, 2  # row 2 is the first data line after the header


def forecast_command(
    input_path: Path | None = typer.Option(None, "--input", help="Long CSV unique_id,ds,y."),
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
) -> None:
    """Forecast demand per series with automatic model choice and quantiles."""
    levels = parse_float_list(quantiles, name="--quantiles")
    if freq.upper() not in ("D", "W", "M"):
        raise InvalidParameter(f"--freq: {freq!r} is not one of D, W, M")
    frame, row_base = _history(input_path, from_ledger)

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from subzero.planning.forecast import STAGES, forecast
    from subzero.planning.forecast_quantiles import quantile_name

    with Progress(
        TextColumn("forecast {task.description:<10}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("validate", total=len(STAGES))

        def advance(stage: str, done: int, total: int) -> None:
            following = STAGES[done] if done < total else "done"
            bar.update(task, completed=done, description=following)

        result = forecast(
            frame,
            horizon,
            quantiles=levels,
            freq=freq,
            season=season,
            n_jobs=n_jobs,
            progress=advance,
            row_base=row_base,
        )
    out = result.forecast
    columns = ["unique_id", "ds", "mean"] + [quantile_name(lv) for lv in sorted(set(levels))]
    out = out[columns].copy()
    if out["ds"].dtype.kind == "M":
        out["ds"] = out["ds"].dt.strftime("%Y-%m-%d")
    out.to_csv(output, index=False, float_format="%.6g")
    if report is not None:
        report.write_text(json.dumps(result.report(), indent=2, default=str) + "\n")


def register(app: typer.Typer) -> None:
    """Add the top-level ``forecast`` command."""
    app.command("forecast")(forecast_command)
