"""How CLI tables are laid out: one line per row, on a narrow terminal and in a pipe."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from subzero.cli.output import parse_day, parse_whole, print_table
from subzero.domain.errors import InvalidParameter

ANSI = re.compile(r"\x1b\[[0-9;]*m")
COLUMNS = ["po_id", "supplier", "sku", "qty", "status", "reason"]
ROWS = [
    [1190, "Orient-Components", "FLT-1001", 2, "sent", "base-stock:S=37: inventory position 35"],
    [994, "Atlas-Supply", "BRK-1006", 3, "partial", "make-to-order: backorder of order 812"],
]


def _lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [ANSI.sub("", line) for line in capsys.readouterr().out.splitlines()]


def _data_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("│")]


def test_narrow_terminal_shortens_free_text_first(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich: stdout is a terminal
    monkeypatch.setenv("COLUMNS", "80")
    print_table("purchase orders", COLUMNS, ROWS)
    lines = _lines(capsys)
    assert max(len(line) for line in lines) <= 80
    rows = _data_lines(lines)
    assert len(rows) == len(ROWS)  # one line per row, nothing wrapped
    for line, row in zip(rows, ROWS, strict=True):
        cells = [cell.strip() for cell in line.strip("│").split("│")]
        assert cells[:5] == [str(v) for v in row[:5]]  # ids and figures whole
        assert cells[5].endswith("…") and row[5].startswith(cells[5][:-1])


def test_wide_terminal_prints_everything(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("COLUMNS", "200")
    print_table("purchase orders", COLUMNS, ROWS)
    rows = _data_lines(_lines(capsys))
    assert all(str(row[5]) in line for line, row in zip(rows, ROWS, strict=True))
    assert not any("…" in line for line in rows)


def test_pipe_gets_whole_rows_whatever_columns_says(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "0")  # rich: not a terminal
    monkeypatch.setenv("COLUMNS", "40")
    long_title = "a title longer than the table itself, " * 3
    print_table(long_title, ["sku", "reason"], [["W", "x" * 150]])
    lines = _lines(capsys)
    assert lines[0].strip() == long_title.strip()  # the title on one line too
    (row,) = _data_lines(lines)
    assert "x" * 150 in row and "…" not in row


def test_note_is_printed_whole_under_the_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "0")
    print_table("t", ["a"], [[1]], note="closed ones are not shown: --all lists them")
    lines = _lines(capsys)
    assert lines[-1].strip() == "closed ones are not shown: --all lists them"


def test_narrow_terminal_wraps_headers_before_figures(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("COLUMNS", "60")
    columns = ["sku", "fill rate", "wait (d)", "p95 wait (d)", "promises kept", "satisfaction"]
    rows = [
        ["W-1", "96.0%", "1.6", "3.5", "98.4%", "93.8"],
        ["X-22", "100.0%", "0.0", "0.0", "100.0%", "100.0"],
    ]
    print_table("service KPIs", columns, rows)
    lines = _lines(capsys)
    assert max(len(line) for line in lines) <= 60
    data = _data_lines(lines)
    header_lines = [line for line in lines if line.startswith("┃")]
    assert len(header_lines) > 1  # "p95 wait (d)" and "promises kept" wrapped
    for line, row in zip(data, rows, strict=True):
        assert [cell.strip() for cell in line.strip("│").split("│")] == row


@pytest.mark.parametrize("text", ["1_5", "2.5", "", "x", "1e3", "٣"])
def test_quantities_are_digits_only(text: str) -> None:
    """Python's int() takes "1_5" for 15 and Arabic-Indic digits for numbers: a typo
    must not become an order (found by exploratory testing)."""
    with pytest.raises(InvalidParameter, match="is not a whole number"):
        parse_whole("quantity", text)


def test_whole_numbers_and_days_in_range_are_read() -> None:
    assert [parse_whole("q", t) for t in ("15", " 7 ", "+3", "-2")] == [15, 7, 3, -2]
    assert parse_day("2999-12-31") == dt.date(2999, 12, 31)
    assert parse_day(None) is None


@pytest.mark.parametrize("text", ["9999-12-31", "1899-12-31", "0001-01-01"])
def test_days_past_what_dates_can_count_on_are_refused(text: str) -> None:
    """9999-12-31 crashed date arithmetic (a day later does not exist)."""
    with pytest.raises(InvalidParameter, match="between 1900-01-01 and 2999-12-31"):
        parse_day(text, "--date")


@pytest.mark.parametrize(
    ("text", "where"),
    [("90,,80", "item 2 of '90,,80' is empty"), ("1,2,", "item 3 of '1,2,' is empty"),
     (",5", "item 1 of ',5' is empty"), ("3, ,4", "item 2 of '3, ,4' is empty")],
)  # fmt: skip
def test_empty_items_of_a_list_are_refused_not_dropped(text: str, where: str) -> None:
    """``--demand 90,,80`` was read as two periods (90, 80), so Wagner-Whitin planned
    170 then 0 for a cost of 660, where 90, 0, 80 costs 820 (found by exploratory
    testing): the error names the option and the item's position."""
    from subzero.cli.output import parse_float_list, parse_int_list

    for parse in (parse_float_list, parse_int_list):
        with pytest.raises(InvalidParameter) as caught:
            parse(text, name="--demand")
        assert str(caught.value) == f"--demand: {where}"


@pytest.mark.parametrize("text", ["1,nan", "inf,2", "1_0", "1e400", "x", "0x10"])
def test_list_items_must_be_plain_finite_numbers(text: str) -> None:
    """float() takes "nan", "inf" and "1_0"; a list of them was a traceback or a silent
    nonsense (int(inf) overflowed in parse_int_list)."""
    from subzero.cli.output import parse_float_list, parse_int_list

    for parse in (parse_float_list, parse_int_list):
        with pytest.raises(InvalidParameter, match=r"^--x: item \d of .* is not a number$"):
            parse(text, name="--x")


def test_lists_of_numbers_are_read_and_a_fraction_named_by_position() -> None:
    from subzero.cli.output import parse_float_list, parse_int_list

    assert parse_float_list(" 1.5, -2 ,.5,3e2", name="--x") == [1.5, -2.0, 0.5, 300.0]
    assert parse_int_list("90,0,80,2.0", name="--x") == [90, 0, 80, 2]
    with pytest.raises(InvalidParameter, match=r"^--x: item 2 of '1,2.5', '2.5', is not a whole"):
        parse_int_list("1,2.5", name="--x")
    with pytest.raises(InvalidParameter, match=r"^--x: empty list$"):
        parse_float_list(" ", name="--x")
