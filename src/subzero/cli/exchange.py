"""``export DIR`` and ``import DIR``: the ERP exchange files (see docs/data-exchange.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from subzero.cli.output import emit_json, print_table

__all__ = ["register"]

_JSON = typer.Option(False, "--json", help="Print one JSON value on stdout.")


def export(
    directory: Path = typer.Argument(..., help="Directory to write (created if missing)."),
    fmt: str = typer.Option("csv", "--format", help="csv or parquet."),
    as_json: bool = _JSON,
) -> None:
    """Write items, suppliers, supplier terms, customers, stock, orders, purchase orders,
    receipts, stock moves and refused demand: one file per entity plus manifest.json
    (the other format's files of the same names are removed)."""
    from subzero.adapters.io.files import FORMATS, write_directory
    from subzero.adapters.io.reader import exchange_reader
    from subzero.cli.runtime import runtime
    from subzero.domain.errors import InvalidParameter
    from subzero.service.exchange import export_tables

    if fmt not in FORMATS:
        raise InvalidParameter(f"format {fmt!r}; use csv or parquet")
    rt = runtime()
    tables = export_tables(rt.read_uow(), exchange_reader)
    manifest = write_directory(directory, tables, fmt=fmt, exported_at=rt.bus.clock())
    if as_json:
        emit_json({"directory": str(directory), **manifest})
        return
    print_table(
        f"exported to {directory} ({fmt})",
        ["file", "rows"],
        [[manifest["files"][e], n] for e, n in manifest["counts"].items()],
    )


def import_(
    directory: Path = typer.Argument(..., help="Directory of .csv or .parquet files."),
    as_json: bool = _JSON,
) -> None:
    """Validate every row, then import them all in one transaction (or nothing).

    Rejected rows are listed one per line (``items.csv line 7: supplier 'ZED' not
    found``) and the command exits 1 without writing anything. Files that are not
    exchange files are named in warnings on stderr; a directory with none is refused.
    """
    import sys

    from subzero.adapters.io.files import read_directory
    from subzero.adapters.io.reader import exchange_reader
    from subzero.cli.runtime import runtime
    from subzero.service.exchange import ImportRejected, import_tables

    found = read_directory(directory)
    try:
        report = import_tables(
            found.tables,
            bus=runtime().bus,
            reader=exchange_reader,
            rejected=found.rejections,
            warnings=found.warnings,
        )
    except ImportRejected as exc:
        rows = [{"where": r.where, "message": r.message} for r in exc.rejections]
        if as_json:
            emit_json(
                {"imported": False, "counts": {}, "rejected": rows, "warnings": found.warnings}
            )
        else:
            for warning in found.warnings:
                sys.stderr.write(f"warning: {warning}\n")
            for rejection in exc.rejections:
                sys.stderr.write(f"{rejection}\n")
        raise
    for warning in report.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    if as_json:
        emit_json(report.as_dict())
        return
    columns = ("added", "updated", "skipped", "open", "closed")
    print_table(
        f"imported from {directory}",
        ["entity", *columns],
        [[entity, *(c.get(k, 0) for k in columns)] for entity, c in report.counts.items()],
    )


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.command("import")(import_)
