"""The exchange files' schema: columns, types, whether required, and cell parsing.

One table per entity; the same columns in CSV and in Parquet. A CSV cell is text (empty
= missing); a Parquet cell has the column's type. ``parse_cell`` turns either into the
Python value the service expects (``int``, ``float``, ``bool``, ``Decimal``, aware UTC
``datetime``, ``date``, ``str`` or ``None``), or raises ``CellError`` with a message that
names the column and the bad value: ``qty '2.5' is not a whole number``.

Version 2 of the files added what the KPIs and the promises need to survive a round
trip: the order lines' service history (``served_from_stock``, first promise,
``cancelled_at``, ``priority``), the purchase orders' planning fields (drafts and
cancelled ones are exchanged too), the items' ``added_at`` and the stock ledger itself
(``stock_moves``). Version 1 files are still read: every new column is optional.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from subzero.domain.events import plain_utc

__all__ = [
    "ENTITIES",
    "INT64_MAX",
    "READABLE_VERSIONS",
    "SCHEMA",
    "SCHEMA_VERSION",
    "CellError",
    "Column",
    "Kind",
    "format_cell",
    "parse_cell",
]

SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)
"""Manifests of these schema versions are read (version 1 lacks only optional data)."""

INT64_MAX = 2**63 - 1


class Kind(enum.StrEnum):
    TEXT = "text"
    INT = "integer"
    FLOAT = "number"
    BOOL = "boolean"
    DECIMAL = "decimal"
    DATETIME = "datetime"
    DATE = "date"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: Kind
    required: bool = False


def _c(name: str, kind: Kind = Kind.TEXT, required: bool = False) -> Column:
    return Column(name, kind, required)


_I, _F, _B, _D, _T, _DAY = Kind.INT, Kind.FLOAT, Kind.BOOL, Kind.DECIMAL, Kind.DATETIME, Kind.DATE

SCHEMA: dict[str, tuple[Column, ...]] = {
    "suppliers": (
        _c("name", required=True),
        _c("lead_time_days", _I, True),
        _c("lead_time_sd_days", _F),
        _c("lead_time_set_at", _T),
    ),
    "customers": (_c("name", required=True), _c("priority", _I)),
    "items": (
        _c("sku", required=True),
        _c("supplier", required=True),
        _c("allow_negative", _B),
        _c("backorder_limit", _I),
        _c("policy"),
        _c("jit", _B),
        _c("added_at", _T),
        _c("vmi_min", _I),
        _c("vmi_max", _I),
    ),
    "supplier_terms": (
        _c("sku", required=True),
        _c("supplier", required=True),
        _c("unit_price", _D),
        _c("price_breaks"),
        _c("moq", _I),
        _c("lot_size", _I),
        _c("capacity", _I),
        _c("capacity_period"),
        _c("lead_time_days", _I),
        _c("expedite_lead_time_days", _I),
        _c("expedite_cost_per_unit", _D),
        _c("preferred", _B),
    ),
    "stock": (
        _c("sku", required=True),
        _c("on_hand", _I, True),
        _c("allocated", _I),
        _c("backordered", _I),
        _c("on_order", _I),
        _c("available", _I),
        _c("inventory_position", _I),
    ),
    "orders": (
        _c("order_id", _I, True),
        _c("customer", required=True),
        _c("placed_at", _T, True),
        _c("sku", required=True),
        _c("qty", _I, True),
        _c("allocated", _I),
        _c("backordered", _I),
        _c("shipped", _I),
        _c("cancelled", _I),
        _c("promised_date", _DAY),
        _c("status"),
        _c("filled_at", _T),
        _c("priority", _I),
        _c("served_from_stock", _I),
        _c("first_promised_date", _DAY),
        _c("promise_probability", _F),
        _c("first_promise_probability", _F),
        _c("cancelled_at", _T),
    ),
    "purchase_orders": (
        _c("po_id", _I, True),
        _c("sku", required=True),
        _c("supplier", required=True),
        _c("qty", _I, True),
        _c("received", _I),
        _c("status", required=True),
        _c("created_at", _T, True),
        _c("sent_at", _T),
        _c("expected_date", _DAY, True),
        _c("unit_price", _D),
        _c("reason"),
        _c("order_date", _DAY),
        _c("due_period", _DAY),
        _c("lead_time_days", _I),
        _c("expedite", _B),
        _c("source"),
        _c("first_expected_date", _DAY),
        _c("confirmed_at", _T),
    ),
    "receipts": (
        _c("receipt_id", _I),
        _c("po_id", _I, True),
        _c("sku"),
        _c("qty", _I, True),
        _c("at", _T, True),
    ),
    "stock_moves": (
        _c("sku", required=True),
        _c("qty", _I, True),
        _c("kind", required=True),
        _c("at", _T, True),
        _c("ref"),
    ),
    "refusals": (
        _c("customer", required=True),
        _c("sku", required=True),
        _c("qty", _I, True),
        _c("at", _T, True),
        _c("reason"),
    ),
}

ENTITIES: tuple[str, ...] = tuple(SCHEMA)


class CellError(ValueError):
    """A cell that does not fit its column; the message names column and value."""


_WHOLE = re.compile(r"^[+-]?[0-9]+$")
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def parse_cell(column: Column, raw: Any) -> Any:
    """The typed value of one cell (None when empty); raises CellError when malformed."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        if column.required:
            raise CellError(f"{column.name} is required")
        return None
    if isinstance(raw, float) and math.isnan(raw):
        if column.required:
            raise CellError(f"{column.name} is required")
        return None
    text = raw.strip() if isinstance(raw, str) else raw
    match column.kind:
        case Kind.TEXT:
            return str(text)
        case Kind.INT:
            return _int(column.name, text, raw)
        case Kind.FLOAT:
            return _float(column.name, text, raw)
        case Kind.BOOL:
            return _bool(column.name, text, raw)
        case Kind.DECIMAL:
            return _decimal(column.name, text, raw)
        case Kind.DATETIME:
            return _datetime(column.name, text, raw)
        case Kind.DATE:
            return _date(column.name, text, raw)
    raise AssertionError(column.kind)


def _int(name: str, value: Any, raw: Any) -> int:
    """A whole number: CSV digits, a Parquet integer, or a Parquet float that is whole
    (pandas writes a nullable integer column as float64: ``20.0``); within int64."""
    number: int | None = None
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _WHOLE.match(value):
        # more digits than int64 has cannot fit (and int() of thousands of digits raises)
        number = int(value) if len(value) <= 20 else INT64_MAX + 1
    if number is None:
        raise CellError(f"{name} {raw!r} is not a whole number")
    if not -INT64_MAX - 1 <= number <= INT64_MAX:
        raise CellError(f"{name} {_short(raw)} is too large (at most {INT64_MAX:,})")
    return number


def _short(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 40 else f"{text[:36]}...{text[-1]}"


def _float(name: str, value: Any, raw: Any) -> float:
    if isinstance(value, bool):
        raise CellError(f"{name} {raw!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CellError(f"{name} {raw!r} is not a number") from None
    if not math.isfinite(number):
        raise CellError(f"{name} {raw!r} is not a finite number")
    return number


def _bool(name: str, value: Any, raw: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    raise CellError(f"{name} {raw!r} is not true or false")


def _decimal(name: str, value: Any, raw: Any) -> Decimal:
    if isinstance(value, bool):
        raise CellError(f"{name} {raw!r} is not a decimal number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise CellError(f"{name} {raw!r} is not a decimal number") from None
    if not number.is_finite():
        raise CellError(f"{name} {raw!r} is not a finite decimal number")
    return number


def _datetime(name: str, value: Any, raw: Any) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise CellError(
                f"{name} {raw!r} is not an ISO 8601 time (e.g. 2025-01-06T09:00:00+00:00)"
            ) from None
    if not isinstance(value, dt.datetime):
        raise CellError(f"{name} {raw!r} is not a time")
    if value.tzinfo is None or value.utcoffset() is None:
        raise CellError(f"{name} {raw!r} has no time zone (e.g. 2025-01-06T09:00:00+00:00)")
    return plain_utc(value)  # Parquet gives pandas Timestamps, to the nanosecond


def _date(name: str, value: Any, raw: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise CellError(f"{name} {raw!r} is a time, not a date (e.g. 2025-01-06)")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise CellError(f"{name} {raw!r} is not an ISO 8601 date (e.g. 2025-01-06)")


def format_cell(value: Any) -> str:
    """The CSV text of a value (``parse_cell`` reads it back to the same value)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
