"""The exchange file adapter: cell parsing, line numbers, CSV and Parquet round trips."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from subzero.adapters.io.files import read_directory, write_directory
from subzero.adapters.io.schema import SCHEMA, CellError, Column, Kind, parse_cell
from subzero.domain.errors import InvalidParameter

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
        (Kind.INT, 20.0, 20),
    ],
)
def test_cells_parse_to_typed_values(kind: Kind, raw: object, value: object) -> None:
    assert parse_cell(Column("c", kind), raw) == value


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        (Kind.INT, "2.5", "qty '2.5' is not a whole number"),
        (Kind.INT, True, "qty True is not a whole number"),
        (Kind.INT, "20.0", "qty '20.0' is not a whole number"),
        (Kind.INT, "٣", "qty '٣' is not a whole number"),
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
    found = read_directory(tmp_path)
    tables = found.tables
    assert [str(r) for r in found.rejections] == [
        "items.csv: unknown column 'supplir'; known: " + ", ".join(c.name for c in SCHEMA["items"]),
        "items.csv: required column 'supplier' is missing",
        "orders.csv line 4: qty '2.5' is not a whole number",
    ]
    assert set(tables) == {"orders"}  # absent files are simply absent
    assert [r.complete for r in tables["orders"]] == [True, False]


def test_a_file_in_both_formats_is_refused_without_a_manifest(tmp_path: Path) -> None:
    (tmp_path / "suppliers.csv").write_text("name,lead_time_days\nACME,5\n")
    write_directory(tmp_path / "pq", {}, fmt="parquet", exported_at=AT)
    (tmp_path / "pq" / "suppliers.parquet").rename(tmp_path / "suppliers.parquet")
    rejected = read_directory(tmp_path).rejections
    assert [str(r) for r in rejected] == [
        "suppliers.csv: both suppliers.csv and suppliers.parquet exist"
    ]


@pytest.mark.parametrize(("first", "second"), [("parquet", "csv"), ("csv", "parquet")])
def test_an_export_removes_the_other_formats_files_and_only_those(
    tmp_path: Path, first: str, second: str
) -> None:
    rows = {"suppliers": [{"name": "ACME", "lead_time_days": 5, "lead_time_sd_days": 0.0}]}
    write_directory(tmp_path, rows, fmt=first, exported_at=AT)
    (tmp_path / "notes.csv").write_text("mine\n")  # not ours: left alone
    (tmp_path / f"stock.{first}.bak").write_text("mine\n")
    write_directory(tmp_path, rows, fmt=second, exported_at=AT)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{e}.{second}" for e in SCHEMA] + ["manifest.json", "notes.csv", f"stock.{first}.bak"]
    )
    found = read_directory(tmp_path)
    assert found.rejections == []
    assert [r["name"] for r in found.tables["suppliers"]] == ["ACME"]
    assert found.warnings == [
        "notes.csv: not an exchange file; ignored",
        f"stock.{first}.bak: not an exchange file; ignored",
    ]


def test_with_a_manifest_only_the_files_it_lists_are_read(tmp_path: Path) -> None:
    """An older export left the other format behind: the manifest says which is which."""
    write_directory(tmp_path, {}, fmt="csv", exported_at=AT)
    (tmp_path / "items.parquet").write_bytes(b"left over")
    found = read_directory(tmp_path)
    assert found.rejections == [] and len(found.tables) == len(SCHEMA)
    assert found.warnings == ["items.parquet: not listed in manifest.json; ignored"]


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
    assert manifest["schema_version"] == 2
    found = read_directory(tmp_path)
    tables = found.tables
    assert found.rejections == [] and found.warnings == []
    assert len(tables) == len(SCHEMA) == 10 and tables["stock"] == []
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
    rejected = read_directory(tmp_path).rejections
    assert [str(r) for r in rejected] == [
        "manifest.json: schema_version 99; this version reads 1 or 2"
    ]


def test_a_version_1_export_is_still_read(tmp_path: Path) -> None:
    """Version 1 had no stock_moves file and fewer columns, all optional now."""
    (tmp_path / "suppliers.csv").write_text("name,lead_time_days,lead_time_sd_days\nACME,5,0.5\n")
    (tmp_path / "manifest.json").write_text(
        '{"schema_version": 1, "counts": {"suppliers": 1}, "files": {"suppliers": "suppliers.csv"}}'
    )
    found = read_directory(tmp_path)
    assert found.rejections == [] and list(found.tables) == ["suppliers"]


def test_a_file_cut_short_or_missing_is_refused_when_a_manifest_counts_it(
    tmp_path: Path,
) -> None:
    orders = [
        {"order_id": n, "customer": "bob", "placed_at": AT, "sku": "W", "qty": 1}
        for n in range(1, 6)
    ]
    receipts = [{"po_id": 1, "qty": 1, "at": AT}]
    write_directory(tmp_path, {"orders": orders, "receipts": receipts}, fmt="csv", exported_at=AT)
    text = (tmp_path / "orders.csv").read_text().splitlines(keepends=True)
    (tmp_path / "orders.csv").write_text("".join(text[:3]))  # the header and 2 of 5 rows
    (tmp_path / "receipts.csv").unlink()
    found = read_directory(tmp_path)
    assert [str(r) for r in found.rejections] == [
        "receipts.csv: missing; manifest.json lists it with 1 row(s)",
        "orders.csv: 2 row(s), but manifest.json says 5: the file is not the one exported "
        "(cut short or changed); export again",
    ]
    assert found.tables == {}  # the rows of an incomplete export are not checked one by one
    (tmp_path / "orders.csv").write_text("")  # emptied
    (tmp_path / "receipts.csv").write_text("po_id,qty,at\n")  # no longer the exported rows
    assert sorted(str(r) for r in read_directory(tmp_path).rejections) == [
        "orders.csv: empty file: not even a header line",
        "receipts.csv: 0 row(s), but manifest.json says 1: the file is not the one exported "
        "(cut short or changed); export again",
    ]


def test_a_manifest_that_is_not_an_exports_is_refused(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(
        '{"schema_version": 2, "counts": {"items": -1}, "files": {"items": "x.csv"}}'
    )
    assert [str(r) for r in read_directory(tmp_path).rejections] == [
        "manifest.json: files: 'items' is 'x.csv'; use items.csv or items.parquet",
        "manifest.json: counts: 'items' is -1; must be a whole number ≥ 0",
    ]


def test_a_directory_with_nothing_to_import_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="no exchange file to import") as info:
        read_directory(tmp_path)
    assert "found only" not in str(info.value)
    (tmp_path / "Suppliers.csv").write_text("name,lead_time_days\nACME,5\n")
    with pytest.raises(InvalidParameter, match=r"; found only Suppliers\.csv$"):
        read_directory(tmp_path)
    (tmp_path / "items.csv").write_text("sku,supplier\nW,ACME\n")
    found = read_directory(tmp_path)
    assert found.warnings == [
        "Suppliers.csv: not an exchange file; ignored (did you mean suppliers.csv? names "
        "are lower case)"
    ]
    assert list(found.tables) == ["items"]


def test_an_empty_csv_is_refused_a_header_alone_is_no_rows(tmp_path: Path) -> None:
    (tmp_path / "suppliers.csv").write_bytes(b"")
    (tmp_path / "customers.csv").write_text("name,priority\n")
    found = read_directory(tmp_path)
    assert [str(r) for r in found.rejections] == [
        "suppliers.csv: empty file: not even a header line"
    ]
    assert found.tables == {"customers": []}


def test_a_csv_that_is_not_utf8_is_refused_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "suppliers.csv").write_bytes(b"name,lead_time_days\nACME,5\nM\xfcller,5\n")
    found = read_directory(tmp_path)
    assert [str(r) for r in found.rejections] == [
        "suppliers.csv line 3: not UTF-8 text (byte 0xfc); save the file as UTF-8"
    ]
    assert found.tables == {}


def test_integers_beyond_64_bits_are_refused_by_name() -> None:
    column = Column("on_hand", Kind.INT)
    with pytest.raises(CellError, match=r"^on_hand '18446744073709551616' is too large"):
        parse_cell(column, str(2**64))
    with pytest.raises(CellError, match=r"^on_hand '9{35}\.\.\.' is too large"):
        parse_cell(column, "9" * 5000)  # int() alone raises ValueError past 4300 digits
    with pytest.raises(CellError, match="too large"):
        parse_cell(column, 2**63)
    assert parse_cell(column, str(2**63 - 1)) == 2**63 - 1


def test_a_parquet_written_by_pandas_is_read(tmp_path: Path) -> None:
    """pandas stores a nullable integer column as float64 (20.0, NaN): whole floats are
    whole numbers, a fraction is still refused."""
    import pandas as pd

    pd.DataFrame(
        {"sku": ["W", "V", "U"], "supplier": ["ACME"] * 3, "backorder_limit": [20, None, 2.5]}
    ).to_parquet(tmp_path / "items.parquet")
    found = read_directory(tmp_path)
    assert [str(r) for r in found.rejections] == [
        "items.parquet row 3: backorder_limit 2.5 is not a whole number"
    ]
    limits = [r["backorder_limit"] for r in found.tables["items"]]
    assert limits == [20, None, None] and isinstance(limits[0], int)


def test_a_value_parquet_cannot_hold_stops_the_export_before_any_file(tmp_path: Path) -> None:
    old = {"suppliers": [{"name": "ACME", "lead_time_days": 5, "lead_time_sd_days": 0.0}]}
    write_directory(tmp_path, old, fmt="csv", exported_at=AT)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    huge = {
        "purchase_orders": [
            {"po_id": 1, "unit_price": Decimal("2.5")},
            {"po_id": 2, "unit_price": Decimal("123456789012345678.5")},
        ]
    }
    with pytest.raises(InvalidParameter) as info:
        write_directory(tmp_path, huge, fmt="parquet", exported_at=AT)
    assert str(info.value).startswith(
        "purchase_orders.parquet row 2: unit_price 123456789012345678.5 does not fit "
        "Parquet's decimal128(18, 4)"
    )
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


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
    found = read_directory(tmp_path)  # no manifest: every file is read as it is
    assert found.rejections == [] and len(found.tables) == len(SCHEMA)  # every file whole
    assert [r.values["name"] for r in found.tables["suppliers"]] == ["BETA"]  # the first: new


def test_a_semicolon_file_from_a_spreadsheet_is_read(tmp_path: Path) -> None:
    (tmp_path / "suppliers.csv").write_text(
        "\ufeffname;lead_time_days;lead_time_sd_days\r\nACME;5;0.5\r\n", encoding="utf-8"
    )
    found = read_directory(tmp_path)
    assert found.rejections == []
    assert [dict(r.values) for r in found.tables["suppliers"]] == [
        {"name": "ACME", "lead_time_days": 5, "lead_time_sd_days": 0.5, "lead_time_set_at": None}
    ]
