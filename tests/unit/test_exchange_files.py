"""The exchange file adapter: cell parsing, line numbers, CSV and Parquet round trips."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from subzero.adapters.io.files import read_directory, write_directory
from subzero.adapters.io.schema import SCHEMA, CellError, Column, Kind, parse_cell

AT = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("kind", "raw", "value"),
    [
        (Kind.INT, "7", 7),
        (Kind.INT, 7, 7),
        (Kind.FLOAT, "0.5", 0.5),
        (Kind.BOOL, "TRUE", True),
        (Kind.BOOL, "no", False),
        (Kind.DECIMAL, "9.50", Decimal("9.50")),
        (Kind.DATETIME, "2025-01-06T10:00:00+01:00", AT),
        (Kind.DATETIME, "2025-01-06T09:00:00Z", AT),
        (Kind.DATE, "2025-01-06", dt.date(2025, 1, 6)),
        (Kind.TEXT, " ACME ", "ACME"),
        (Kind.INT, "", None),
    ],
)
def test_cells_parse_to_typed_values(kind: Kind, raw: object, value: object) -> None:
    assert parse_cell(Column("c", kind), raw) == value


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        (Kind.INT, "2.5", "qty '2.5' is not a whole number"),
        (Kind.INT, True, "qty True is not a whole number"),
        (Kind.FLOAT, "x", "qty 'x' is not a number"),
        (Kind.BOOL, "maybe", "qty 'maybe' is not true or false"),
        (Kind.DECIMAL, "1,5", "qty '1,5' is not a decimal number"),
        (Kind.DATETIME, "2025-01-06T09:00:00", "qty '2025-01-06T09:00:00' has no time zone"),
        (Kind.DATETIME, "yesterday", "qty 'yesterday' is not an ISO 8601 time"),
        (Kind.DATE, "06/01/2025", "qty '06/01/2025' is not an ISO 8601 date"),
    ],
)
def test_bad_cells_name_the_column_and_the_value(kind: Kind, raw: object, message: str) -> None:
    with pytest.raises(CellError, match="^" + message.replace("(", r"\(")):
        parse_cell(Column("qty", kind), raw)


def test_a_required_cell_may_not_be_empty() -> None:
    with pytest.raises(CellError, match=r"^sku is required$"):
        parse_cell(Column("sku", Kind.TEXT, required=True), "  ")


def test_csv_errors_carry_the_line_number(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(
        "order_id,customer,placed_at,sku,qty\n"
        "1,bob,2025-01-06T09:00:00+00:00,W,2\n"
        "\n"
        "2,bob,2025-01-06T09:00:00+00:00,W,2.5\n"
    )
    (tmp_path / "items.csv").write_text("sku,supplir\nW,ACME\n")
    tables, rejected = read_directory(tmp_path)
    assert [str(r) for r in rejected] == [
        "items.csv: unknown column 'supplir'; known: " + ", ".join(c.name for c in SCHEMA["items"]),
        "items.csv: required column 'supplier' is missing",
        "orders.csv line 4: qty '2.5' is not a whole number",
    ]
    assert set(tables) == {"orders"}  # absent files are simply absent
    assert [r.complete for r in tables["orders"]] == [True, False]


def test_a_file_in_both_formats_is_refused(tmp_path: Path) -> None:
    write_directory(tmp_path, {}, fmt="csv", exported_at=AT)
    write_directory(tmp_path, {}, fmt="parquet", exported_at=AT)
    _, rejected = read_directory(tmp_path)
    assert str(rejected[0]) == "suppliers.csv: both suppliers.csv and suppliers.parquet exist"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_written_rows_read_back_identical(tmp_path: Path, fmt: str) -> None:
    rows = {
        "purchase_orders": [
            {"po_id": 1, "sku": "W", "supplier": "ACME", "qty": 5, "received": 2,
             "status": "partial", "created_at": AT, "sent_at": AT,
             "expected_date": dt.date(2025, 1, 11), "unit_price": Decimal("9.5000"),
             "reason": "make-to-order, covers \"backorders\""},
        ],
        "suppliers": [{"name": "ACME", "lead_time_days": 5, "lead_time_sd_days": 0.5}],
        "items": [{"sku": "W", "supplier": "ACME", "allow_negative": False,
                   "backorder_limit": None, "policy": "mto", "jit": True}],
    }  # fmt: skip
    manifest = write_directory(tmp_path, rows, fmt=fmt, exported_at=AT)
    assert manifest["counts"]["purchase_orders"] == 1
    assert manifest["schema_version"] == 1
    tables, rejected = read_directory(tmp_path)
    assert rejected == []
    assert len(tables) == len(SCHEMA) == 9 and tables["stock"] == []
    for entity, written in rows.items():
        assert [dict(r.values) for r in tables[entity]] == [
            {c.name: row.get(c.name) for c in SCHEMA[entity]} for row in written
        ]


def test_parquet_columns_have_explicit_types(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    write_directory(tmp_path, {}, fmt="parquet", exported_at=AT)
    schema = pq.read_schema(tmp_path / "orders.parquet")
    assert str(schema.field("qty").type) == "int64"
    assert str(schema.field("placed_at").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("promised_date").type) == "date32[day]"
    schema = pq.read_schema(tmp_path / "supplier_terms.parquet")
    assert str(schema.field("unit_price").type) == "decimal128(18, 4)"
    assert str(schema.field("preferred").type) == "bool"


def test_a_manifest_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"schema_version": 99}')
    _, rejected = read_directory(tmp_path)
    assert str(rejected[0]) == "manifest.json: schema_version 99; this version reads 1"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_an_export_that_fails_part_way_leaves_whole_files_and_no_manifest(
    tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk on the fourth file: the files before it are the new export, the rest
    the old one, each whole and readable, and no manifest vouches for the mix."""
    import subzero.adapters.io.files as files

    old = {"suppliers": [{"name": "ACME", "lead_time_days": 5, "lead_time_sd_days": 0.5}]}
    write_directory(tmp_path, old, fmt=fmt, exported_at=AT)
    writer = files._write_csv if fmt == "csv" else files._write_parquet
    calls = []

    def fails_on_the_fourth(path: Path, *args: object) -> None:
        calls.append(path)
        writer(path, *args)  # type: ignore[arg-type]
        if len(calls) == 4:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(
        files, "_write_csv" if fmt == "csv" else "_write_parquet", fails_on_the_fourth
    )
    new = {"suppliers": [{"name": "BETA", "lead_time_days": 3, "lead_time_sd_days": 0.0}]}
    with pytest.raises(OSError, match="No space left"):
        write_directory(tmp_path, new, fmt=fmt, exported_at=AT)

    assert not (tmp_path / "manifest.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{entity}.{fmt}" for entity in SCHEMA
    )  # nothing half-written left beside them
    tables, rejected = read_directory(tmp_path)
    assert rejected == [] and len(tables) == len(SCHEMA)  # every file still whole
    assert [r.values["name"] for r in tables["suppliers"]] == ["BETA"]  # the first: new


def test_a_semicolon_file_from_a_spreadsheet_is_read(tmp_path: Path) -> None:
    (tmp_path / "suppliers.csv").write_text(
        "\ufeffname;lead_time_days;lead_time_sd_days\r\nACME;5;0.5\r\n", encoding="utf-8"
    )
    tables, rejected = read_directory(tmp_path)
    assert rejected == []
    assert [dict(r.values) for r in tables["suppliers"]] == [
        {"name": "ACME", "lead_time_days": 5, "lead_time_sd_days": 0.5}
    ]
