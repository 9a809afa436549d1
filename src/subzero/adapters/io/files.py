"""Read and write a directory of exchange files: CSV or Parquet, plus ``manifest.json``.

Writing: one file per entity (``items.csv`` … or ``items.parquet`` …) with the columns of
``schema.SCHEMA`` in order; Parquet columns carry explicit types (int64, float64, bool,
decimal128(18, 4), timestamp[us, UTC], date32, string). Reading: the format is detected
by extension, a missing file is simply absent, and every cell is parsed; a bad cell, an
unknown or missing column becomes a ``Rejection`` naming the file and line (CSV: the
header is line 1) or row (Parquet: the first data row is row 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

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

__all__ = ["FORMATS", "read_directory", "write_directory"]

FORMATS = ("csv", "parquet")
MANIFEST = "manifest.json"


def write_directory(
    directory: Path,
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    fmt: str,
    exported_at: dt.datetime,
) -> dict[str, Any]:
    """Write every entity's rows and the manifest; returns the manifest. Each file is
    replaced whole (``subzero.files.replacing``) and the manifest is written last, after
    removing the old one: an export that fails part-way leaves no manifest."""
    if fmt not in FORMATS:
        raise InvalidParameter(f"format {fmt!r}; use csv or parquet")
    directory.mkdir(parents=True, exist_ok=True)
    # An earlier export's manifest must not vouch for a set this one leaves half-replaced:
    # it goes first, each file is replaced whole, and the new manifest comes last.
    (directory / MANIFEST).unlink(missing_ok=True)
    files: dict[str, str] = {}
    for entity in ENTITIES:
        rows = tables.get(entity, ())
        path = directory / f"{entity}.{fmt}"
        with replacing(path) as partial:
            if fmt == "csv":
                _write_csv(partial, SCHEMA[entity], rows)
            else:
                _write_parquet(partial, SCHEMA[entity], rows)
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


def _write_parquet(
    path: Path, columns: tuple[Column, ...], rows: Sequence[Mapping[str, Any]]
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([pa.field(c.name, _arrow_type(c.kind), nullable=True) for c in columns])
    data = {c.name: [row.get(c.name) for row in rows] for c in columns}
    pq.write_table(pa.table(data, schema=schema), path)


def read_directory(directory: Path) -> tuple[dict[str, list[Row]], list[Rejection]]:
    """Every entity file found in ``directory`` as typed rows, and the rejected cells.

    An entity whose file is absent has no key in the result.
    """
    if not directory.is_dir():
        raise InvalidParameter(f"{directory} is not a directory")
    rejections: list[Rejection] = []
    manifest = directory / MANIFEST
    if manifest.exists():
        rejections.extend(_check_manifest(manifest))
    tables: dict[str, list[Row]] = {}
    for entity in ENTITIES:
        found = [directory / f"{entity}.{fmt}" for fmt in FORMATS]
        present = [p for p in found if p.exists()]
        if len(present) > 1:
            rejections.append(
                Rejection(present[0].name, f"both {present[0].name} and {present[1].name} exist")
            )
            continue
        if not present:
            continue
        path = present[0]
        if path.suffix == ".csv":
            raw_rows = _read_csv(path, rejections)
        else:
            raw_rows = _read_parquet(path, rejections)
        if raw_rows is not None:
            tables[entity] = _typed(entity, raw_rows, rejections)
    return tables, rejections


def _check_manifest(path: Path) -> list[Rejection]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [Rejection(path.name, f"not valid JSON ({exc})")]
    version = data.get("schema_version") if isinstance(data, dict) else None
    if version != SCHEMA_VERSION:
        return [
            Rejection(path.name, f"schema_version {version!r}; this version reads {SCHEMA_VERSION}")
        ]
    return []


_RawRows = list[tuple[str, dict[str, Any]]]


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


def _read_csv(path: Path, out: list[Rejection]) -> _RawRows | None:
    entity = path.stem
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, delimiter=csv_delimiter(path))
        header = next(reader, None)
        if header is None:
            return []
        header = [h.strip() for h in header]
        if not _header_ok(path.name, entity, header, out):
            return None
        rows: _RawRows = []
        for record in reader:
            where = f"{path.name} line {reader.line_num}"
            if not any(cell.strip() for cell in record):
                continue  # a blank line
            if len(record) != len(header):
                out.append(
                    Rejection(where, f"{len(record)} cells; the header has {len(header)} columns")
                )
                continue
            rows.append((where, dict(zip(header, record, strict=True))))
        return rows


def _read_parquet(path: Path, out: list[Rejection]) -> _RawRows | None:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        out.append(Rejection(path.name, f"not a readable Parquet file ({exc})"))
        return None
    if not _header_ok(path.name, path.stem, list(table.column_names), out):
        return None
    return [(f"{path.name} row {n}", row) for n, row in enumerate(table.to_pylist(), start=1)]


def _typed(entity: str, raw_rows: _RawRows, out: list[Rejection]) -> list[Row]:
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
