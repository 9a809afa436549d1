"""Demand history for the forecast: validation, calendar, zero-filling, stock-outs.

The forecast takes a long frame ``unique_id, ds, y`` (the statsforecast convention):
``ds`` is a date or an integer period index, ``y`` the demand of the period (what
customers *ordered*, backorders included, so a stock-out does not hide demand). Bad input
raises :class:`~subzero.domain.errors.InvalidParameter` naming the series and the row;
missing periods inside a series are filled with zero demand.

**Stock-outs (censored sales).** A history of *sales* (from another system, say)
understates demand wherever the shelf was empty: the sale is a lower bound of the
demand. An optional column ``stockout`` (1/0, true/false, yes/no; empty = 0) marks
those periods, and each is *unconstrained* before anything else sees it: its demand
becomes the larger of the recorded sales and the mean demand of the nearest in-stock
periods before it (the ``window`` latest; the earliest ones after it when the series
starts out of stock). This is the simple "max(observed, mean of uncensored)" correction
of revenue management (Weatherford & Pölt 2002, J. Revenue Pricing Manag. 1(3),
234–254), taken over a moving window so that it follows the level of the series.

**Detected stock-outs** (opt-in, ``detect_stockouts`` = a significance level α): where a
sales history has no ``stockout`` column, a run of k zero periods is flagged as a likely
empty shelf when a run that long is improbable for the series, p0^k < α, with p0 the
series' share of zero periods outside the flagged runs (estimated again after each
flagging until nothing changes; a rule in the spirit of the shelf-gap heuristics of
Papakiriakopoulos, Pramatari & Doukidis 2009, Decision Support Systems 46(3), 685–694).
Flagged periods are then treated like marked ones. It is off by default: a long run of
zeros can also be a product's end, which only the planner knows.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from subzero.domain.errors import InvalidParameter
from subzero.planning.forecast_periods import parse_periods, resolve_freq

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "REQUIRED_COLUMNS",
    "STOCKOUT_COLUMN",
    "PreparedHistory",
    "default_season",
    "detect_stockouts",
    "in_periods",
    "parse_periods",
    "prepare_history",
    "stockout_flags",
    "stockout_window",
    "unconstrain",
]

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("unique_id", "ds", "y")

STOCKOUT_COLUMN = "stockout"
"""Optional column: 1 where the period's sales were cut short by an empty shelf."""

_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f", ""}

_DEFAULT_SEASON = {"D": 7, "W": 52, "M": 12}


@dataclass(frozen=True, slots=True)
class PreparedHistory:
    """A validated history, sorted by series then period, with no gaps.

    Attributes:
        frame: columns ``unique_id`` (str), ``ds`` (datetime64 or int64), ``y`` (float64).
        freq: the pandas offset alias (``"D"``, ``"W-MON"``, ``"MS"``, …) or ``1`` for an
            integer period index; statsforecast continues each series' calendar with it.
        filled_periods: number of missing periods filled with zero demand.
        stockout_periods: periods marked as stock-outs (``stockout`` column).
        unconstrained_units: demand added to them by the unconstraining.
        stockout_series: series with at least one stock-out period.
        stockout: per row of ``frame``, True where the period was a stock-out (its ``y``
            is then an estimate of demand, censored); None when there is none.
        stockout_window: in-stock periods averaged for a stock-out (0 when there is none).
        detected_periods: of the stock-out periods, those found by ``detect`` (zero runs
            too long to be chance) rather than marked.
    """

    frame: pd.DataFrame
    freq: str | int
    filled_periods: int
    stockout_periods: int = 0
    unconstrained_units: float = 0.0
    stockout_series: int = 0
    stockout: npt.NDArray[np.bool_] | None = None
    stockout_window: int = 0
    detected_periods: int = 0

    @property
    def n_series(self) -> int:
        """Number of series."""
        return int(self.frame["unique_id"].nunique())


def default_season(freq: str | int) -> int:
    """Season length for a frequency: 7 for daily, 52 for weekly, 12 for monthly, else 1."""
    if isinstance(freq, int):
        return 1
    return _DEFAULT_SEASON.get(freq[:1].upper(), 1)


def _found_columns(columns: pd.Index, shown: int = 6) -> str:
    names = [repr(str(c)) for c in list(columns)[:shown]]
    more = f" and {len(columns) - shown} more" if len(columns) > shown else ""
    return (", ".join(names) + more) if names else "none"


def _where(frame: pd.DataFrame, position: int, row_base: int) -> str:
    uid = frame["unique_id"].iloc[position]
    return f"series {uid!r}, row {position + row_base}"


def _is_empty(value: object) -> bool:
    """An empty cell: read as NaN or None (a blank text counts too)."""
    import pandas as pd

    if isinstance(value, str):
        return not value.strip()
    return value is None or bool(pd.isna(value))


def _numeric_demand(frame: pd.DataFrame, row_base: int) -> npt.NDArray[np.float64]:
    import pandas as pd

    y = np.asarray(pd.to_numeric(frame["y"], errors="coerce"), dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        value = frame["y"].iloc[bad[0]]
        shown = repr(value) if isinstance(value, str) else str(value)  # inf, not np.float64(inf)
        said = "y is empty" if _is_empty(value) else f"y={shown} is not a number"
        raise InvalidParameter(
            f"history: {_where(frame, int(bad[0]), row_base)}: {said} "
            f"({bad.size} bad row(s)); demand must be a number >= 0"
        )
    negative = np.flatnonzero(y < 0)
    if negative.size:
        raise InvalidParameter(
            f"history: {_where(frame, int(negative[0]), row_base)}: y={y[negative[0]]:g} is "
            f"negative ({negative.size} negative row(s)); demand must be >= 0"
        )
    return y


def _flag(value: object) -> int:
    """1 (stock-out), 0 (in stock) or -1 (not a flag) for one distinct ``stockout`` value."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return 1
        if text in _FALSE:
            return 0
        try:
            value = float(text)
        except ValueError:
            return -1
    if isinstance(value, (bool, np.bool_, int, np.integer, float, np.floating)):
        number = float(value)
        if math.isnan(number):
            return 0
        return 1 if number == 1.0 else 0 if number == 0.0 else -1
    return -1


def stockout_flags(frame: pd.DataFrame, row_base: int = 0) -> npt.NDArray[np.bool_]:
    """The ``stockout`` column as booleans; a clear error naming the first bad row.

    Each distinct value is read once (a column of millions of rows has a handful).
    """
    import pandas as pd

    raw = frame[STOCKOUT_COLUMN]
    if pd.api.types.is_bool_dtype(raw):
        return np.asarray(raw.to_numpy(dtype=bool), dtype=np.bool_)
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    verdict = np.array([_flag(u) for u in uniques] + [0], dtype=np.int8)  # [-1]: empty
    flags = verdict[codes]
    bad = np.flatnonzero(flags < 0)
    if bad.size:
        value = raw.iloc[bad[0]]
        shown = value.item() if isinstance(value, np.generic) else value
        raise InvalidParameter(
            f"history: {_where(frame, int(bad[0]), row_base)}: stockout="
            f"{shown!r} is not 1/0, true/false or yes/no"
        )
    return np.asarray(flags == 1, dtype=np.bool_)


def stockout_window(season: int) -> int:
    """In-stock periods averaged for a stock-out: 4 seasons of a short season (28 days),
    half a long one (26 weeks), and at least 8 (8 months, 8 periods of an integer index)."""
    return max(4 * season if season <= 7 else season // 2, 8) if season > 1 else 8


def unconstrain(
    series_start: npt.NDArray[np.int64],
    y: npt.NDArray[np.float64],
    stockout: npt.NDArray[np.bool_],
    window: int,
) -> npt.NDArray[np.float64]:
    """Demand with every stock-out period raised to the mean of its in-stock neighbours.

    Args:
        series_start: index of the first row of each series (rows sorted by series, then
            period; every row belongs to the series whose start precedes it).
        y: recorded sales per row.
        stockout: True where the shelf was empty.
        window: in-stock periods averaged: the ``window`` latest before the stock-out, or,
            with none before it, the ``window`` earliest after it.

    Returns:
        ``max(y, mean)`` at stock-out rows, ``y`` elsewhere; a series with no in-stock
        period keeps its sales (nothing to learn from).
    """
    out = y.astype(np.float64, copy=True)
    for start, end in itertools.pairwise(np.r_[series_start, len(y)]):
        hit = stockout[start:end]
        if not hit.any() or hit.all():
            continue
        seen = y[start:end][~hit]
        total = np.r_[0.0, np.cumsum(seen)]
        before = np.cumsum(~hit)[hit]  # in-stock periods up to each stock-out
        count = np.minimum(before, window)
        mean = np.where(
            before > 0,
            (total[before] - total[before - count]) / np.maximum(count, 1),
            total[min(window, seen.size)] / min(window, seen.size),
        )
        out[start:end][hit] = np.maximum(y[start:end][hit], mean)
    return out


def detect_stockouts(
    series_start: npt.NDArray[np.int64],
    y: npt.NDArray[np.float64],
    alpha: float,
    known: npt.NDArray[np.bool_] | None = None,
) -> npt.NDArray[np.bool_]:
    """Zero runs too long to be chance: True at every period of such a run.

    Args:
        series_start: index of the first row of each series (rows sorted by series, then
            period).
        y: sales per row.
        alpha: a run of k zeros is flagged when p0^k < alpha.
        known: stock-outs already marked; they are left out of p0 and not flagged again.

    Returns:
        True at the periods of the flagged runs (never at a ``known`` one).
    """
    if not 0.0 < alpha < 1.0:
        raise InvalidParameter(f"detect_stockouts: {alpha} must be strictly between 0 and 1")
    out = np.zeros(len(y), dtype=bool)
    marked = known if known is not None else np.zeros(len(y), dtype=bool)
    for start, end in itertools.pairwise(np.r_[series_start, len(y)]):
        zero = (y[start:end] == 0) & ~marked[start:end]
        free = ~marked[start:end]
        edges = np.diff(np.r_[0, zero.astype(np.int8), 0])
        begins, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        if begins.size == 0 or zero.sum() == free.sum():
            continue  # no zero, or nothing but zeros: nothing to compare with
        length = ends - begins
        flagged = np.zeros(begins.size, dtype=bool)
        while True:
            covered = length[flagged].sum()
            # share of zeros among the periods outside the flagged runs (smoothed, so a
            # series with no other zero still needs a run of a few periods)
            p0 = (zero.sum() - covered + 0.5) / (free.sum() - covered + 1.0)
            now = length * math.log(p0) < math.log(alpha)
            if (now == flagged).all():
                break
            flagged = now | flagged
        for b, e in zip(begins[flagged], ends[flagged], strict=True):
            out[start + b : start + e] = True
    return out


def in_periods(frame: pd.DataFrame, periods: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Per row of ``frame``, True where its ``(unique_id, ds)`` is a row of ``periods``
    (both with parsed ``ds``, as :func:`parse_periods` gives)."""
    import pandas as pd

    keys = pd.MultiIndex.from_arrays([periods["unique_id"].to_numpy(), periods["ds"].to_numpy()])
    rows = pd.MultiIndex.from_arrays(
        [frame["unique_id"].astype(str).to_numpy(), frame["ds"].to_numpy()]
    )
    found: npt.NDArray[np.bool_] = rows.isin(keys)
    return found


def prepare_history(
    history: pd.DataFrame,
    *,
    freq: str | None = None,
    row_base: int = 0,
    season: int | None = None,
    detect: float = 0.0,
) -> PreparedHistory:
    """Validate a long demand history, fill missing periods with zeros, and unconstrain
    stock-out periods (see the module docstring).

    Args:
        history: columns ``unique_id``, ``ds``, ``y`` and optionally ``stockout``; other
            columns are ignored.
        freq: ``"D"``, ``"W"`` or ``"M"`` (default daily); ignored for an integer ``ds``.
        row_base: added to a row's position in error messages (2 gives the line number in
            a CSV file with a header).
        season: season length, for the stock-out window (default: the frequency's).
        detect: significance level α of the stock-out detection (0: off; see the
            module docstring); detected periods are treated like marked ones.

    Raises:
        InvalidParameter: a column is missing, ``y`` is empty, not a number or negative,
            ``ds`` is not an ISO date or integer index (or the file mixes the two,
            :mod:`forecast_periods`), a ``(unique_id, ds)`` pair repeats, the dates break
            the weekly or monthly calendar, or ``freq`` is unknown. The message names
            the series and the row.
    """
    import pandas as pd
    from utilsforecast.preprocessing import fill_gaps

    missing = [c for c in REQUIRED_COLUMNS if c not in history.columns]
    if missing:
        raise InvalidParameter(
            f"history: missing column(s) {', '.join(missing)}; expected columns unique_id, ds, "
            f"y, found {_found_columns(history.columns)}"
        )
    if history.empty:
        raise InvalidParameter("history: no rows; expected at least one (unique_id, ds, y) row")
    frame = history[list(REQUIRED_COLUMNS)].reset_index(drop=True)
    has_stockouts = STOCKOUT_COLUMN in history.columns
    if frame["unique_id"].isna().any():
        position = int(np.flatnonzero(frame["unique_id"].isna().to_numpy())[0])
        raise InvalidParameter(f"history: row {position + row_base}: unique_id is empty")
    frame["unique_id"] = frame["unique_id"].astype(str)
    y = _numeric_demand(frame, row_base)
    ds = parse_periods(frame, row_base)
    stockout = (
        stockout_flags(
            history.reset_index(drop=True).assign(unique_id=frame["unique_id"]), row_base
        )
        if has_stockouts
        else np.zeros(len(frame), dtype=bool)
    )
    frame = pd.DataFrame(
        {"unique_id": frame["unique_id"], "ds": ds, "y": y, STOCKOUT_COLUMN: stockout}
    )
    duplicated = np.flatnonzero(frame.duplicated(["unique_id", "ds"]).to_numpy())
    if duplicated.size:
        position = int(duplicated[0])
        period = frame["ds"].iloc[position]
        shown = f"{period:%Y-%m-%d}" if isinstance(period, pd.Timestamp) else str(period)
        raise InvalidParameter(
            f"history: {_where(frame, position, row_base)}: duplicate (unique_id, ds) = "
            f"({frame['unique_id'].iloc[position]!r}, {shown}); "
            "each series may have one row per period"
        )
    resolved = resolve_freq(frame, freq, row_base)
    frame = frame.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    rows = len(frame)
    filled = fill_gaps(frame, freq=resolved, start="per_serie", end="per_serie")
    if len(filled) != rows:
        filled["y"] = filled["y"].fillna(0.0)
        filled[STOCKOUT_COLUMN] = filled[STOCKOUT_COLUMN].eq(True)  # a filled gap: in stock
        frame = filled.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
        logger.info("filled %d missing periods with zero demand", len(frame) - rows)
    hit = frame.pop(STOCKOUT_COLUMN).to_numpy(dtype=bool)
    uid = frame["unique_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, uid[1:] != uid[:-1]])
    detected = 0
    if detect:
        found = detect_stockouts(starts, frame["y"].to_numpy(np.float64), detect, known=hit)
        detected = int(found.sum())
        hit = hit | found
    added, touched, window = 0.0, 0, 0
    if hit.any():
        window = stockout_window(season if season is not None else default_season(resolved))
        y_new = unconstrain(starts, frame["y"].to_numpy(np.float64), hit, window)
        added = float((y_new - frame["y"].to_numpy()).sum())
        touched = int(pd.Series(hit).groupby(uid).any().sum())
        frame["y"] = y_new
        logger.info(
            "%d stock-out periods in %d series: demand raised by %.1f units",
            hit.sum(),
            touched,
            added,
        )
    return PreparedHistory(
        frame=frame,
        freq=resolved,
        filled_periods=len(frame) - rows,
        stockout_periods=int(hit.sum()),
        unconstrained_units=added,
        stockout_series=touched,
        stockout=hit if hit.any() else None,
        stockout_window=window,
        detected_periods=detected,
    )
