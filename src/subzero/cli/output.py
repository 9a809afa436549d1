"""Shared output for CLI commands: one JSON value on stdout, or a rich table."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from subzero.domain.errors import InvalidParameter
from subzero.planning.pmf import parse_pmf

__all__ = [
    "check_output_path",
    "emit_json",
    "parse_float_list",
    "parse_int_list",
    "parse_pmf",
    "print_table",
    "progress_bar",
]


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):  # numpy arrays
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def check_output_path(path: Path | None, option: str) -> None:
    """Refuse, before any work is done, a file that could not be written: its folder does
    not exist, or it names a folder (a long run would fail only at its end)."""
    if path is None:
        return
    if path.is_dir():
        raise InvalidParameter(f"{option}: {path} is a directory; give a file name")
    if not path.parent.is_dir():
        raise InvalidParameter(f"{option}: directory {path.parent} does not exist")


def progress_bar(*columns: Any) -> Any:
    """A ``rich.progress.Progress`` on stderr that vanishes when done, and draws nothing
    at all when stderr is not a terminal (a pipe, a log file, a test): there it would
    only leave a blank line before the command's own output or error."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    return Progress(*columns, console=console, transient=True, disable=not console.is_terminal)


def emit_json(value: Any) -> None:
    """Print one JSON value on stdout (the ``--json`` contract)."""
    sys.stdout.write(json.dumps(value, default=_default) + "\n")


def print_table(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    note: str | None = None,
) -> None:
    """Print a rich table to stdout, one line per row, and ``note`` on a line under it.

    On a terminal narrower than the table, the free-text columns (a cell of
    ``_FREE_TEXT`` characters or more, such as a PO's reason) give up width first and
    end in "…"; then headers of several words wrap ("p95 wait (d)" over two lines), so
    identifiers and figures keep their width as long as they can. Piped or redirected,
    the table is printed at its full width, so ``grep`` and ``awk`` see whole rows (Rich
    would otherwise fit it to 80 columns, a row over several lines).
    """
    from rich.console import Console
    from rich.table import Table

    cells = [["" if v is None else str(v) for v in row] for row in rows]
    console = Console()
    longest = [max((len(row[i]) for row in cells), default=0) for i in range(len(columns))]
    widths = [max(len(name), n) for name, n in zip(columns, longest, strict=True)]
    free = [n >= _FREE_TEXT for n in longest]
    limits: list[int | None] = [None] * len(columns)
    if console.is_terminal:
        limits = _shrink_free_text(widths, columns, free, console.width)
    else:
        full = sum(widths) + 3 * len(widths) + 1
        console = Console(width=max(full, len(title), len(note or "")))
    table = Table(title=title)
    for i, name in enumerate(columns):
        table.add_column(name, no_wrap=free[i], overflow="ellipsis", max_width=limits[i])
    for row in cells:
        table.add_row(*row)
    console.print(table)
    if note:
        console.print(note, highlight=False, markup=False)


_FREE_TEXT = 24  # a cell this long or longer marks its column as free text


def _shrink_free_text(
    widths: list[int], columns: Sequence[str], free: list[bool], room: int
) -> list[int | None]:
    """Widths for a table that would be wider than ``room``: the widest free-text column
    loses a character at a time (not below its header's width, nor 8) until it fits."""
    limits: list[int | None] = [None] * len(widths)
    current = list(widths)
    excess = sum(current) + 3 * len(current) + 1 - room
    candidates = [i for i, is_free in enumerate(free) if is_free]
    while excess > 0 and candidates:
        i = max(candidates, key=lambda j: current[j])
        if current[i] <= max(len(columns[i]), 8):
            candidates.remove(i)
            continue
        current[i] -= 1
        limits[i] = current[i]
        excess -= 1
    return limits


def parse_float_list(text: str, *, name: str) -> list[float]:
    """Parse ``"1.5,2,3"``; raise InvalidParameter naming the option and the item's
    position on bad input. An empty item (``90,,80``, a trailing comma) is refused, not
    dropped: dropping it would move every later value up one place (a demand of 90, 0,
    80 read as two periods). Items are plain decimals: ``nan``, ``inf``, ``1_000``
    (which Python's ``float`` takes) and values beyond a float's range are refused too."""
    return [value for _, value in _number_items(text, name)]


def parse_int_list(text: str, *, name: str) -> list[int]:
    """Parse ``"1,2,3"`` as whole numbers (``2.0`` is 2); errors as ``parse_float_list``."""
    values: list[int] = []
    for part, value in _number_items(text, name):
        if not value.is_integer():
            position = len(values) + 1
            raise InvalidParameter(
                f"{name}: item {position} of {text!r}, {part!r}, is not a whole number"
            )
        values.append(int(value))
    return values


_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _number_items(text: str, name: str) -> list[tuple[str, float]]:
    """(item as written, stripped; its value) for each comma-separated item."""
    if not text.strip():
        raise InvalidParameter(f"{name}: empty list")
    items = []
    for position, raw in enumerate(text.split(","), start=1):
        part = raw.strip()
        if not part:
            raise InvalidParameter(f"{name}: item {position} of {text!r} is empty")
        value = float(part) if _NUMBER.fullmatch(part) else math.nan
        if not math.isfinite(value):
            raise InvalidParameter(
                f"{name}: item {position} of {text!r}, {part!r}, is not a number"
            )
        items.append((part, value))
    return items


FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def parse_day(text: str | None, what: str = "date") -> dt.date | None:
    """``YYYY-MM-DD`` to a date (None stays None); a clear error otherwise, also for a
    day outside 1900–2999 (no order is that old or that far ahead, and days past it
    cannot be counted on from)."""
    if text is None:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidParameter(f"{what} {text!r} is not YYYY-MM-DD") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidParameter(f"{what} {text}: must be between {FIRST_DAY} and {LAST_DAY}")
    return day


def parse_whole(what: str, text: str) -> int:
    """Digits (with an optional sign) to an int; anything else, ``1_000`` and ``2.5``
    included, is a clear error (Python's ``int`` would take ``1_5`` for 15)."""
    if re.fullmatch(r"\s*[+-]?[0-9]+\s*", text) is None:
        raise InvalidParameter(f"{what} {text!r} is not a whole number")
    return int(text)
