"""Read and write a directory of exchange files: CSV or Parquet, plus ``manifest.json``.

Writing: one file per entity (``items.csv`` … or ``items.parquet`` …) with the columns of
``schema.SCHEMA`` in order; Parquet columns carry explicit types (int64, float64, bool,
decimal128(18, 4), timestamp[us, UTC], date32, string). Every Parquet table is built
before anything is written, so a value Parquet cannot hold stops the export with the
directory untouched. The other format's files of the same entities (and only those
names) are removed, so a directory never holds both.

Reading: when ``manifest.json`` is there, exactly the files it lists are read and each
must hold the rows it counts (``manifest.py``); otherwise the format is detected by
extension and a missing file is simply absent. Every cell is parsed; a bad cell, an
unknown or missing column, an empty or non-UTF-8 file becomes a ``Rejection`` naming the
file and line (CSV: the header is line 1) or row (Parquet: the first data row is row 1).
Files that are not exchange files are named in warnings; a directory with no exchange
file at all is refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from subzero.adapters.io.manifest import MANIFEST, Manifest, read_manifest
from subzero.adapters.io.schema import (
    ENTITIES,
    SCHEMA,
    SCHEMA_VERSION,
    CellError,
    Column,
    Kind,
    format_cell,
    parse_cell,
)
from subzero.domain.errors import InvalidParameter
from subzero.files import csv_delimiter, replacing
from subzero.service.exchange import Rejection, Row

__all__ = ["FORMATS", "ExchangeDirectory", "read_directory", "write_directory"]

FORMATS = ("csv", "parquet")


def write_directory(
    directory: Path,
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    fmt: str,
    exported_at: dt.datetime,
) -> dict[str, Any]:
    """Write every entity's rows and the manifest; returns the manifest. Each file is
    replaced whole (``subzero.files.replacing``) and the manifest is written last, after
    removing the old one: an export that fails part-way leaves no manifest.

    Raises:
        InvalidParameter: an unknown format, or a value Parquet cannot hold (nothing is
            written then).
    """
    if fmt not in FORMATS:
        raise InvalidParameter(f"format {fmt!r}; use csv or parquet")
    prepared = {
        entity: (
            tables.get(entity, ())
            if fmt == "csv"
            else _arrow_table(entity, SCHEMA[entity], tables.get(entity, ()))
        )
        for entity in ENTITIES
    }
    directory.mkdir(parents=True, exist_ok=True)
    # An earlier export's manifest must not vouch for a set this one leaves half-replaced:
    # it goes first, each file is replaced whole, and the new manifest comes last. The
    # other format's files of our entities go too (never anything else in the directory).
    (directory / MANIFEST).unlink(missing_ok=True)
    for entity in ENTITIES:
        for other in FORMATS:
            if other != fmt:
                (directory / f"{entity}.{other}").unlink(missing_ok=True)
    files: dict[str, str] = {}
    for entity in ENTITIES:
        path = directory / f"{entity}.{fmt}"
        with replacing(path) as partial:
            if fmt == "csv":
                _write_csv(partial, SCHEMA[entity], tables.get(entity, ()))
            else:
                _write_parquet(partial, prepared[entity])
        files[entity] = path.name
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "format": fmt,
        "exported_at": exported_at.astimezone(dt.UTC).isoformat(),
        "counts": {entity: len(tables.get(entity, ())) for entity in ENTITIES},
        "files": files,
    }
    with replacing(directory / MANIFEST) as partial:
        partial.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _write_csv(path: Path, columns: tuple[Column, ...], rows: Sequence[Mapping[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([c.name for c in columns])
        for row in rows:
            writer.writerow([format_cell(row.get(c.name)) for c in columns])


def _arrow_type(kind: Kind) -> Any:
    import pyarrow as pa

    return {
        Kind.TEXT: pa.string(),
        Kind.INT: pa.int64(),
        Kind.FLOAT: pa.float64(),
        Kind.BOOL: pa.bool_(),
        Kind.DECIMAL: pa.decimal128(18, 4),
        Kind.DATETIME: pa.timestamp("us", tz="UTC"),
        Kind.DATE: pa.date32(),
    }[kind]


def _arrow_table(
    entity: str, columns: tuple[Column, ...], rows: Sequence[Mapping[str, Any]]
) -> Any:
    """The rows as a typed Arrow table; a value the column's type cannot hold is named
    (file, row, column and value) instead of pyarrow's bare ``ArrowInvalid``."""
    import pyarrow as pa

    arrays = []
    for column in columns:
        kind = _arrow_type(column.kind)
        values = [row.get(column.name) for row in rows]
        try:
            arrays.append(pa.array(values, type=kind))
        except (pa.ArrowException, OverflowError, TypeError, ValueError) as exc:
            number, value = _first_misfit(values, kind)
            raise InvalidParameter(
                f"{entity}.parquet row {number}: {column.name} {value} does not fit "
                f"Parquet's {kind} ({exc}); export as csv, or correct the value"
            ) from None
    schema = pa.schema([pa.field(c.name, _arrow_type(c.kind), nullable=True) for c in columns])
    return pa.Table.from_arrays(arrays, schema=schema)


def _first_misfit(values: Sequence[Any], kind: Any) -> tuple[int, Any]:
    import pyarrow as pa

    for number, value in enumerate(values, start=1):
        try:
            pa.array([value], type=kind)
        except (pa.ArrowException, OverflowError, TypeError, ValueError):
            return number, value
    return 0, None  # pragma: no cover - the whole column failed, so one value does


def _write_parquet(path: Path, table: Any) -> None:
    import pyarrow.parquet as pq

    pq.write_table(table, path)


@dataclass
class ExchangeDirectory:
    """What ``read_directory`` found: the typed rows of each entity file read (an entity
    without a file has no key), the rejected cells, rows and files, and warnings (files
    left unread)."""

    tables: dict[str, list[Row]] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_directory(directory: Path) -> ExchangeDirectory:
    """Every entity file of ``directory`` as typed rows (see the module docstring).

    Raises:
        InvalidParameter: ``directory`` is not a directory, or holds no exchange file.
    """
    if not directory.is_dir():
        raise InvalidParameter(f"{directory} is not a directory")
    found = ExchangeDirectory()
    names = sorted(p.name for p in directory.iterdir() if not p.name.startswith("."))
    known = {f"{entity}.{fmt}" for entity in ENTITIES for fmt in FORMATS}
    manifest: Manifest | None = None
    incomplete: list[Rejection] = []  # the manifest's, or files it lists missing or short
    if MANIFEST in names:
        manifest = read_manifest(directory / MANIFEST, incomplete)
    chosen = _chosen_files(directory, names, manifest, found, incomplete)
    unknown = [n for n in names if n not in known and n != MANIFEST]
    for name in unknown:
        found.warnings.append(f"{name}: not an exchange file; ignored{_did_you_mean(name)}")
    if not chosen and not found.rejections and MANIFEST not in names:
        listed = f"; found only {', '.join(unknown)}" if unknown else ""
        raise InvalidParameter(
            f"{directory}: no exchange file to import (suppliers.csv, items.csv, orders.csv "
            f"… or .parquet; names are lower case){listed}"
        )
    for entity, path in chosen.items():
        if path.suffix == ".csv":
            raw_rows = _read_csv(path, entity, found.rejections)
        else:
            raw_rows = _read_parquet(path, entity, found.rejections)
        if raw_rows is None:
            continue
        rows, records = raw_rows
        if manifest is not None:
            manifest.check_count(entity, path.name, records, incomplete)
        found.tables[entity] = _typed(entity, rows, found.rejections)
    if incomplete:
        # not the export the manifest describes: its rows are not checked one by one
        # (each would be reported for what the missing rows held), only whole files
        whole = [r for r in found.rejections if r.where in names]
        found.tables, found.rejections = {}, [*incomplete, *whole]
    return found


def _chosen_files(
    directory: Path,
    names: list[str],
    manifest: Manifest | None,
    found: ExchangeDirectory,
    missing: list[Rejection],
) -> dict[str, Path]:
    """The file to read for each entity: the manifest's, or the one present."""
    chosen: dict[str, Path] = {}
    if manifest is not None:
        for entity, name in manifest.files.items():
            if name in names:
                chosen[entity] = directory / name
            else:
                rows = manifest.count(entity)
                missing.append(Rejection(name, f"missing; {MANIFEST} lists it with {rows} row(s)"))
        for entity in ENTITIES:
            for fmt in FORMATS:
                name = f"{entity}.{fmt}"
                if name in names and manifest.files.get(entity) != name:
                    found.warnings.append(f"{name}: not listed in {MANIFEST}; ignored")
        return chosen
    for entity in ENTITIES:
        present = [f"{entity}.{fmt}" for fmt in FORMATS if f"{entity}.{fmt}" in names]
        if len(present) > 1:
            found.rejections.append(
                Rejection(present[0], f"both {present[0]} and {present[1]} exist")
            )
        elif present:
            chosen[entity] = directory / present[0]
    return chosen


def _did_you_mean(name: str) -> str:
    for entity in ENTITIES:
        for fmt in FORMATS:
            if name.lower() == f"{entity}.{fmt}":
                return f" (did you mean {entity}.{fmt}? names are lower case)"
    return ""


_RawRows = tuple[list[tuple[str, dict[str, Any]]], int]
"""The rows to parse (where, cells) and how many records the file holds: a record
refused whole (wrong number of cells) is not parsed, but counts against the manifest."""


def _header_ok(name: str, entity: str, header: Sequence[str], out: list[Rejection]) -> bool:
    known = [c.name for c in SCHEMA[entity]]
    ok = True
    for column in header:
        if column not in known:
            out.append(Rejection(name, f"unknown column {column!r}; known: {', '.join(known)}"))
            ok = False
    for spec in SCHEMA[entity]:
        if spec.required and spec.name not in header:
            out.append(Rejection(name, f"required column {spec.name!r} is missing"))
            ok = False
    if len(set(header)) != len(header):
        out.append(Rejection(name, "a column appears twice in the header"))
        ok = False
    return ok


def _read_csv(path: Path, entity: str, out: list[Rejection]) -> _RawRows | None:
    data = path.read_bytes()
    if not data:
        out.append(Rejection(path.name, "empty file: not even a header line"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        out.append(
            Rejection(
                f"{path.name} line {line}",
                f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            )
        )
        return None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=csv_delimiter(path))
    header = next(reader, None)
    if header is None:
        out.append(Rejection(path.name, "empty file: not even a header line"))
        return None
    header = [h.strip() for h in header]
    if not _header_ok(path.name, entity, header, out):
        return None
    rows: list[tuple[str, dict[str, Any]]] = []
    records = 0
    for record in reader:
        where = f"{path.name} line {reader.line_num}"
        if not any(cell.strip() for cell in record):
            continue  # a blank line
        records += 1
        if len(record) != len(header):
            out.append(
                Rejection(where, f"{len(record)} cells; the header has {len(header)} columns")
            )
            continue
        rows.append((where, dict(zip(header, record, strict=True))))
    return rows, records


def _read_parquet(path: Path, entity: str, out: list[Rejection]) -> _RawRows | None:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
        if not _header_ok(path.name, entity, list(table.column_names), out):
            return None
        records = table.to_pylist()
    except Exception as exc:  # pyarrow raises several types for a damaged file
        out.append(Rejection(path.name, f"not a readable Parquet file ({exc})"))
        return None
    rows = [(f"{path.name} row {n}", row) for n, row in enumerate(records, start=1)]
    return rows, len(rows)


def _typed(
    entity: str, raw_rows: list[tuple[str, dict[str, Any]]], out: list[Rejection]
) -> list[Row]:
    rows: list[Row] = []
    for where, raw in raw_rows:
        values: dict[str, Any] = {}
        ok = True
        for column in SCHEMA[entity]:
            try:
                values[column.name] = parse_cell(column, raw.get(column.name))
            except CellError as exc:
                out.append(Rejection(where, str(exc)))
                values[column.name] = None
                ok = False
        # a row with a bad cell still names its key, so other rows referring to it are
        # not reported twice; the service applies only complete rows
        rows.append(Row(where, values, complete=ok))
    return rows
