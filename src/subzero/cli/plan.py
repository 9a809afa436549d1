"""``subzero plan``: the planning run (forecast → policy → proposals), optionally applied."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register"]


def plan(
    apply: bool = typer.Option(False, "--apply", help="Release the due proposals as draft POs."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Dask scheduler ADDRESS (tcp://host:8786) to run on."
    ),
    workers: int = typer.Option(
        0, "--workers", min=0, help="Start a local Dask cluster of N processes for the run."
    ),
    horizon: int = typer.Option(28, "--horizon", min=1, max=366, help="Days to plan ahead."),
    forecast_source: str = typer.Option(
        "fresh",
        "--forecast",
        help="fresh: forecast from the order history; stored: use the "
        "latest `subzero forecast --from-ledger` run.",
    ),
    sku: list[str] | None = typer.Option(None, "--sku", help="Only these items (repeat)."),
    partition_size: int = typer.Option(
        2000, "--partition-size", min=1, help="Items per partition (part of the run's result)."
    ),
    output: Path | None = typer.Option(None, "--output", help="Also write the proposals CSV."),
) -> None:
    """For every item: forecast, policy, net requirements over the horizon from on hand,
    allocations, backorders and open POs, then purchase proposals that respect supplier
    terms (MOQ, lots, price breaks, capacity), split across suppliers, expedite promises
    at risk and time JIT items. Running it twice proposes the same; --apply never
    duplicates an open PO (one per item, supplier, due week)."""
    import time

    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn

    from subzero.cli.output import check_output_path, emit_json, print_table, progress_bar
    from subzero.cli.runtime import runtime
    from subzero.domain.commands import ApplyProposals
    from subzero.service.planning_run import plan as run_plan

    check_output_path(output, "--output")
    rt = runtime()
    ctx = rt.bus.context()
    start = time.perf_counter()
    with progress_bar(
        TextColumn("[bold]plan[/] partitions"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    ) as bar:
        task = bar.add_task("plan", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        def local(fn, parts):  # type: ignore[no-untyped-def]
            out = []
            for i, part in enumerate(parts, start=1):
                out.append(fn(part))
                progress(i, len(parts))
            return out

        kwargs = dict(
            horizon_days=horizon,
            skus=tuple(sku or ()),
            forecast_source=forecast_source,
            partition_size=partition_size,
        )
        if scheduler or workers:
            from subzero.adapters.dask.mapper import dask_mapper

            with dask_mapper(scheduler, workers=workers or 2, progress=progress) as mapper:
                result = run_plan(rt.uow(), ctx, mapper=mapper, **kwargs)  # type: ignore[arg-type]
        else:
            result = run_plan(rt.uow(), ctx, mapper=local, **kwargs)  # type: ignore[arg-type]
    applied: list[int] = []
    if apply:
        applied = rt.bus.handle(ApplyProposals(result.proposals))
    seconds = time.perf_counter() - start
    rows = [p.as_dict() for p in result.proposals]
    if output is not None:
        import csv

        from subzero.files import replacing

        with replacing(output) as partial, partial.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["sku"])
            writer.writeheader()
            writer.writerows(rows)
    if as_json:
        emit_json(
            {
                "proposals": rows,
                "items": result.items,
                "seconds": round(seconds, 3),
                "applied_po_ids": applied,
                "unsourced": [{"sku": s, "qty": q} for s, q in result.unsourced],
                "forecast_days_extended": result.forecast_days_extended,
            }
        )
        return
    cols = ["sku", "supplier", "qty", "order_date", "due_date", "unit_price", "expedite", "reason"]
    print_table(
        f"purchase proposals ({len(rows)} for {result.items} items, {seconds:.1f}s)",
        cols,
        [[r[c] for c in cols] for r in rows],
    )
    if result.forecast_days_extended:
        typer.secho(
            f"the stored forecast ends {result.forecast_days_extended} day(s) before the "
            f"{horizon}-day horizon: those days repeat its last week; run `subzero forecast "
            f"--from-ledger --horizon {horizon}` to forecast them",
            err=True,
            fg="yellow",
        )
    if apply:
        typer.echo(
            f"released {len(applied)} purchase order(s) due today: "
            f"{', '.join(map(str, applied)) or '-'}"
        )


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
