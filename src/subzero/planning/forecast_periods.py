"""The periods of a demand history: what ``ds`` may be, and the calendar it follows.

``ds`` is either an ISO 8601 date, ``YYYY-MM-DD``, optionally with a time
(``THH:MM[:SS[.fff]]`` or a space before it) and an offset (``Z``, ``+HH:MM``), or an
integer period index (1, 2, 3, …), never both in one history. Anything else is refused,
naming the series and the row, rather than guessed: ``01/02/2024`` is 1 February or 2
January, and a parser that guesses value by value reads the days up to the 12th month
first and the rest day first (28 days of January, written day first, became 336
periods). A time of day is dropped (the period is the day); an offset is converted to
UTC first.

The calendar: daily (every day), weekly (every date on one weekday) or monthly (all
firsts or all lasts of a month); an integer index counts periods.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from subzero.domain.errors import InvalidParameter

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["parse_periods", "resolve_freq"]

_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}"  # the date
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"  # a time, optionally
    r"(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?)?"  # and its offset
)
_INTEGER = re.compile(r"[+-]?\d+")
_SLASHED = re.compile(r"\d{1,4}[/.]\d{1,2}[/.]\d{1,4}")

_DATE, _INDEX, _AWARE, _BAD = 0, 1, 2, 3


def _where(frame: pd.DataFrame, position: int, row_base: int) -> str:
    return f"series {frame['unique_id'].iloc[position]!r}, row {position + row_base}"


def _refuse(frame: pd.DataFrame, position: int, row_base: int, what: str) -> InvalidParameter:
    return InvalidParameter(f"history: {_where(frame, position, row_base)}: {what}")


def _not_a_period(value: object) -> str:
    hint = ""
    if isinstance(value, str) and _SLASHED.fullmatch(value.strip()):
        hint = " (write dates as YYYY-MM-DD: the order of day and month is not guessed)"
    return (
        f"ds={value!r} is neither a date (YYYY-MM-DD, optionally with a time) nor an "
        f"integer period index{hint}"
    )


def _kind(value: object) -> int:
    """_DATE (naive ISO text or a date object), _AWARE (ISO text with an offset),
    _INDEX (an integer) or _BAD, for one distinct ``ds`` value."""
    import datetime as dt

    import pandas as pd

    if isinstance(value, str):
        text = value.strip()
        if _INTEGER.fullmatch(text):
            return _INDEX
        match = _ISO.fullmatch(text)
        if match is None:
            return _BAD
        return _AWARE if match.group("offset") else _DATE
    if isinstance(value, (bool, np.bool_)):
        return _BAD
    if isinstance(value, (int, np.integer)):
        return _INDEX
    if isinstance(value, (float, np.floating)):
        return _INDEX if float(value).is_integer() else _BAD
    if isinstance(value, (dt.date, np.datetime64, pd.Timestamp)):
        return _DATE
    return _BAD


def _as_index(frame: pd.DataFrame, row_base: int) -> pd.Series:
    """A float ``ds`` (as a CSV with an empty or fractional ds cell gives) as int64."""
    values = frame["ds"].to_numpy(dtype=np.float64)
    empty = np.flatnonzero(np.isnan(values))
    if empty.size:
        raise _refuse(frame, int(empty[0]), row_base, "ds is empty")
    broken = np.flatnonzero(~np.isfinite(values) | (values != np.floor(values)))
    if broken.size:
        raise _refuse(
            frame,
            int(broken[0]),
            row_base,
            f"ds={values[broken[0]]:g} is not a whole number; an integer period index "
            "counts periods (1, 2, 3, …)",
        )
    return frame["ds"].astype(np.int64)


def _naive(parsed: pd.DatetimeIndex) -> pd.DatetimeIndex:
    return parsed.tz_convert("UTC").tz_localize(None) if parsed.tz is not None else parsed


def parse_periods(frame: pd.DataFrame, row_base: int = 0) -> pd.Series:
    """The ``ds`` column as int64 periods or normalised naive dates (UTC for aware ones).

    Args:
        frame: columns ``unique_id`` (str) and ``ds``.
        row_base: added to a row's position in error messages.

    Raises:
        InvalidParameter: naming the series and row of the first ``ds`` that is empty,
            neither an ISO date nor an integer, not a valid date (2024-02-30), or an
            integer in a history of dates (or a date among integers).
    """
    import pandas as pd

    ds = frame["ds"]
    if pd.api.types.is_integer_dtype(ds) and not pd.api.types.is_bool_dtype(ds):
        return ds.astype(np.int64)
    if pd.api.types.is_float_dtype(ds):
        return _as_index(frame, row_base)
    if isinstance(ds.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(ds):
        empty = np.flatnonzero(ds.isna().to_numpy())
        if empty.size:
            raise _refuse(frame, int(empty[0]), row_base, "ds is empty")
        if ds.dt.tz is not None:
            ds = ds.dt.tz_convert("UTC").dt.tz_localize(None)
        return ds.dt.normalize()
    codes, uniques = pd.factorize(ds, use_na_sentinel=True)
    blank = np.array([isinstance(u, str) and not u.strip() for u in uniques] + [True])
    empty = np.flatnonzero(blank[codes])  # code -1: NaN or None
    if empty.size:
        raise _refuse(frame, int(empty[0]), row_base, "ds is empty")
    kinds = np.array([_kind(u) for u in uniques], dtype=np.int8)
    per_row = kinds[codes]
    bad = np.flatnonzero(per_row == _BAD)
    if bad.size:
        raise _refuse(frame, int(bad[0]), row_base, _not_a_period(ds.iloc[bad[0]]))
    index = per_row == _INDEX
    if index.any() and not index.all():
        raise _mixture(frame, index, row_base)
    if index.all():
        numbers = np.array([_integer(u) for u in uniques], dtype=np.int64)
        return pd.Series(numbers[codes], index=ds.index, name="ds")
    return pd.Series(_dates(frame, uniques, kinds, codes, row_base), index=ds.index, name="ds")


def _integer(value: object) -> int:
    if isinstance(value, str):
        return int(value.strip())
    assert isinstance(value, (int, float, np.integer, np.floating))  # by _kind
    return int(value)


def _mixture(frame: pd.DataFrame, index: npt.NDArray[np.bool_], row_base: int) -> InvalidParameter:
    """The error naming the first row of the kind the first row is not: dates and
    indexes do not mix."""
    odd = int(np.flatnonzero(index != index[0])[0])
    first = frame["ds"].iloc[0]
    said = "an integer period index" if index[odd] else "a date"
    other = "dates" if index[odd] else "integer period indexes"
    return _refuse(
        frame,
        odd,
        row_base,
        f"ds={frame['ds'].iloc[odd]!r} is {said}, but the history starts with {other} "
        f"(row {row_base}: ds={first!r}); the file mixes the two: give every ds as a date "
        "(YYYY-MM-DD) or every ds as an integer period index",
    )


def _dates(
    frame: pd.DataFrame,
    uniques: pd.Index,
    kinds: npt.NDArray[np.int8],
    codes: npt.NDArray[np.intp],
    row_base: int,
) -> npt.NDArray[np.datetime64]:
    """Each row's date, normalised, from its distinct value (texts with an offset are
    parsed apart from naive ones: pandas would carry one row's offset to the next)."""
    import pandas as pd

    out = np.full(len(uniques), np.datetime64("NaT"), dtype="datetime64[ns]")
    texts = np.array([isinstance(u, str) for u in uniques], dtype=bool)
    for kind in (_DATE, _AWARE):
        chosen = np.flatnonzero(texts & (kinds == kind))
        if chosen.size:
            parsed = pd.to_datetime(
                pd.Index([str(uniques[i]).strip() for i in chosen]),
                format="ISO8601",
                utc=kind == _AWARE,
                errors="coerce",
            )
            out[chosen] = _naive(parsed).to_numpy(dtype="datetime64[ns]")
    for i in np.flatnonzero(~texts):
        stamp = pd.Timestamp(uniques[i])
        out[i] = (stamp.tz_convert("UTC").tz_localize(None) if stamp.tz else stamp).to_datetime64()
    invalid = np.flatnonzero(np.isnat(out[codes]))
    if invalid.size:
        value = frame["ds"].iloc[invalid[0]]
        raise _refuse(frame, int(invalid[0]), row_base, f"ds={value!r} is not a valid date")
    days: npt.NDArray[np.datetime64] = out.astype("datetime64[D]").astype("datetime64[ns]")
    return days[codes]


def resolve_freq(frame: pd.DataFrame, freq: str | None, row_base: int = 0) -> str | int:
    """The pandas frequency of parsed periods (``frame`` in input order, so a position is
    a row): ``1`` for an integer index, ``"D"``, ``"W-<weekday>"`` or ``"MS"``/``"ME"``.

    Raises:
        InvalidParameter: ``freq`` is not D, W or M; weekly dates not all on the first
            row's weekday, or monthly dates not all firsts (or all lasts) of a month like
            the first row's, naming the series and row of the first that is not.
    """
    import pandas as pd

    ds = frame["ds"]
    if pd.api.types.is_integer_dtype(ds):
        return 1
    letter = (freq or "D").strip().upper()[:1]
    if letter == "D":
        return "D"
    if letter == "W":
        weekdays = ds.dt.weekday.to_numpy()
        odd = np.flatnonzero(weekdays != weekdays[0])
        if odd.size:
            at = int(odd[0])
            raise _refuse(
                frame,
                at,
                row_base,
                f"ds={ds.iloc[at]:%Y-%m-%d} is a {_DAY_NAMES[weekdays[at]]}, but the first "
                f"row's ds={ds.iloc[0]:%Y-%m-%d} is a {_DAY_NAMES[weekdays[0]]}; weekly "
                "data must fall on one weekday",
            )
        return f"W-{_WEEKDAYS[int(weekdays[0])]}"
    if letter == "M":
        firsts = ds.dt.day.to_numpy() == 1
        lasts = ds.dt.is_month_end.to_numpy()
        rule, name = (firsts, "MS") if firsts[0] or not lasts[0] else (lasts, "ME")
        odd = np.flatnonzero(~rule)
        if odd.size:
            at = int(odd[0])
            which = "first" if name == "MS" else "last"
            said = (
                f"is not the {which} of a month, as the first row's ds={ds.iloc[0]:%Y-%m-%d} is"
                if at
                else "is neither the first nor the last of a month"
            )
            raise _refuse(
                frame,
                at,
                row_base,
                f"ds={ds.iloc[at]:%Y-%m-%d} {said}; monthly dates must all be the first or "
                "all the last of a month",
            )
        return name
    raise InvalidParameter(f"freq: {freq!r} is not one of D, W, M")
