"""``subzero demo``: a shop selling below zero for 90 days, then a summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from subzero.service.demo import DemoReport

__all__ = ["register"]


def demo(
    days: int = typer.Option(90, "--days", min=7, max=730, help="Days of demand to play."),
    items: int = typer.Option(36, "--items", min=6, max=500, help="Items in the catalogue."),
    seed: int = typer.Option(7, "--seed", help="Random seed (same seed, same story)."),
    split_share: float = typer.Option(
        0.0,
        "--split-share",
        min=0.0,
        max=1.0,
        help="Share of deliveries the suppliers split: half comes when due, the rest "
        "1 + Poisson(lead time / 2) days later. Default 0: every delivery whole.",
    ),
    reset: bool = typer.Option(
        False, "--reset", help="Delete the SQLite database first if it exists."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object."),
    svg: str | None = typer.Option(None, "--svg", help="Also save the summary as an SVG picture."),
    plot: str | None = typer.Option(
        None, "--plot", help="Also save a PNG of daily stock and backorder levels."
    ),
) -> None:
    """Build a small catalogue and play DAYS days of orders through the real service
    layer (orders below zero, auto-POs, receipts, shipments), ending yesterday. The
    database is left in place: try `subzero stock`, `subzero po list`, `subzero order
    show 1` on it afterwards."""
    from pathlib import Path

    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn

    from subzero.bootstrap import bootstrap, init_database, utc_now
    from subzero.cli.output import check_output_path, emit_json, progress_bar
    from subzero.config import get_settings
    from subzero.domain.errors import InvalidState
    from subzero.service.demo import DemoClock, DemoConfig, run_demo
    from subzero.service.kpis import kpi_fields

    check_output_path(None if svg is None else Path(svg), "--svg")  # not after 90 days
    check_output_path(None if plot is None else Path(plot), "--plot")
    settings = get_settings()
    _maybe_reset(settings.database_url, reset)
    init_database(settings)
    clock = DemoClock(utc_now())
    rt = bootstrap(settings, clock=clock.now)
    with rt.uow() as uow:
        if uow.items.list():
            raise InvalidState(
                f"{settings.database_url} already holds items: run `subzero demo --reset` "
                "(SQLite) or point SUBZERO_DATABASE_URL at an empty database"
            )
    with progress_bar(
        TextColumn("[bold]demo[/] day {task.completed}/{task.total}"),
        BarColumn(),
        TimeElapsedColumn(),
    ) as bar:
        task = bar.add_task("days", total=days)
        report = run_demo(
            rt.bus,
            rt.uow,
            clock,
            DemoConfig(days=days, items=items, seed=seed, split_share=split_share),
            progress=lambda done, _total: bar.update(task, completed=done),
        )
    rt.dispose()
    summary = {
        "period": {"start": report.start.isoformat(), "end": report.end.isoformat(), "days": days},
        "catalogue": {
            "items": report.items,
            "suppliers": report.suppliers,
            "customers": report.customers,
        },
        "orders": report.orders,
        "cancelled_orders": report.cancelled_orders,
        "purchase_orders": report.purchase_orders,
        **kpi_fields(report.kpis),
        "mean_on_hand_units": round(report.mean_on_hand, 1),
        "mean_backordered_units": round(report.mean_backordered, 1),
        "policies_set_on": report.policy_day.isoformat(),
        "policies_changed": report.policies_set,
        "before_policies": kpi_fields(report.kpis_before),
        "after_policies": {
            "from": report.steady_from.isoformat(),
            **kpi_fields(report.kpis_after),
        },
        "database": settings.database_url,
    }
    if plot is not None:
        _plot_levels(report, plot)
    if as_json:
        emit_json(summary)
        return
    _print_summary(report, days, settings.database_url, svg)


def _print_summary(report: DemoReport, days: int, database: str, svg: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Console(record=svg is not None)
    out.print(
        f"[bold]subzero demo[/] — {report.items} items, {report.suppliers} suppliers, "
        f"{report.customers} customers, {report.start} … {report.end} ({days} days): "
        f"{report.orders} orders ({report.cancelled_orders} cancelled by impatient customers), "
        f"{report.purchase_orders} purchase orders. On {report.policy_day} the planner let "
        f"subzero set every item's policy ({report.policies_set} changed); the steady state "
        f"after it is measured from {report.steady_from}."
    )
    table = Table(show_header=True, header_style="bold")
    table.add_column("")
    for title in (f"before {report.policy_day}", f"from {report.steady_from}", f"all {days} days"):
        table.add_column(title, justify="right")
    rows = [
        ("fill rate from stock", "fill_rate", "{:.1%}"),
        ("orders backordered", "backorder_rate", "{:.1%}"),
        ("backorder wait, mean (days)", "mean_wait_days", "{:.1f}"),
        ("backorder wait, p95 (days)", "p95_wait_days", "{:.1f}"),
        ("promises kept", "promise_reliability", "{:.1%}"),
        ("satisfaction (0-100)", "satisfaction", "{:.1f}"),
    ]
    for label, attr, fmt in rows:
        table.add_row(
            label,
            *(
                fmt.format(getattr(k, attr))
                for k in (report.kpis_before, report.kpis_after, report.kpis)
            ),
        )
    out.print(table)
    out.print(
        f"  stock on hand, daily mean {report.mean_on_hand:.1f} units; "
        f"backordered, daily mean {report.mean_backordered:.1f} units"
    )
    out.print(
        f"Database left at {database}: try `subzero stock`, `subzero backorders`, "
        "`subzero alerts`, `subzero kpis --by supplier --costs`, `subzero plan`, "
        "`subzero order show 1`."
    )
    if svg is not None:
        from subzero.files import replacing

        with replacing(svg) as partial:
            out.save_svg(str(partial), title="subzero demo")


def _plot_levels(report: DemoReport, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    days = np.array([lv.day for lv in report.levels], dtype="datetime64[D]")
    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=110)
    ax.plot(days, [lv.on_hand for lv in report.levels], label="on hand (units)", color="#2b7bba")
    ax.plot(
        days, [lv.backordered for lv in report.levels], label="backordered (units)", color="#d7301f"
    )
    epoch = np.datetime64("1970-01-01", "D")  # matplotlib's date numbers: days since it
    ax.axvline(
        float((np.datetime64(report.policy_day, "D") - epoch).astype(int)),
        color="#555555",
        linestyle="--",
        linewidth=1,
        label="subzero sets every item's policy",
    )
    before, after = report.kpis_before, report.kpis_after
    ax.set_title(
        f"subzero demo — fill rate {before.fill_rate:.0%} → {after.fill_rate:.0%}, "
        f"mean wait {before.mean_wait_days:.1f} → {after.mean_wait_days:.1f} days, "
        f"promises kept {before.promise_reliability:.0%} → {after.promise_reliability:.0%}"
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    fig.autofmt_xdate()
    fig.tight_layout()
    from subzero.files import save_figure

    save_figure(fig, path)


def _maybe_reset(url: str, reset: bool) -> None:
    if not reset:
        return
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from subzero.domain.errors import InvalidParameter

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise InvalidParameter(
            "--reset only deletes SQLite files; empty a PostgreSQL database yourself"
        )
    if parsed.database and parsed.database != ":memory:":
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
