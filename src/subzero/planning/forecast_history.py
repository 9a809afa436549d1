"""Demand history for the forecast: validation, calendar and zero-filling.

The forecast takes a long frame ``unique_id, ds, y`` (the statsforecast convention):
``ds`` is a date or an integer period index, ``y`` the demand of the period (what
customers *ordered*, backorders included, so a stock-out does not hide demand). Bad input
raises :class:`~subzero.domain.errors.InvalidParameter` naming the series and the row;
missing periods inside a series are filled with zero demand.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from subzero.domain.errors import InvalidParameter

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["REQUIRED_COLUMNS", "PreparedHistory", "default_season", "prepare_history"]

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("unique_id", "ds", "y")

_DEFAULT_SEASON = {"D": 7, "W": 52, "M": 12}
_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


@dataclass(frozen=True, slots=True)
class PreparedHistory:
    """A validated history, sorted by series then period, with no gaps.

    Attributes:
        frame: columns ``unique_id`` (str), ``ds`` (datetime64 or int64), ``y`` (float64).
        freq: the pandas offset alias (``"D"``, ``"W-MON"``, ``"MS"``, …) or ``1`` for an
            integer period index; statsforecast continues each series' calendar with it.
        filled_periods: number of missing periods filled with zero demand.
    """

    frame: pd.DataFrame
    freq: str | int
    filled_periods: int

    @property
    def n_series(self) -> int:
        """Number of series."""
        return int(self.frame["unique_id"].nunique())


def default_season(freq: str | int) -> int:
    """Season length for a frequency: 7 for daily, 52 for weekly, 12 for monthly, else 1."""
    if isinstance(freq, int):
        return 1
    return _DEFAULT_SEASON.get(freq[:1].upper(), 1)


def _where(frame: pd.DataFrame, position: int, row_base: int) -> str:
    uid = frame["unique_id"].iloc[position]
    return f"series {uid!r}, row {position + row_base}"


def _numeric_demand(frame: pd.DataFrame, row_base: int) -> npt.NDArray[np.float64]:
    import pandas as pd

    y = np.asarray(pd.to_numeric(frame["y"], errors="coerce"), dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        value = frame["y"].iloc[bad[0]]
        raise InvalidParameter(
            f"history: {_where(frame, int(bad[0]), row_base)}: y={value!r} is not a number "
            f"({bad.size} bad row(s)); demand must be a number >= 0"
        )
    negative = np.flatnonzero(y < 0)
    if negative.size:
        raise InvalidParameter(
            f"history: {_where(frame, int(negative[0]), row_base)}: y={y[negative[0]]:g} is "
            f"negative ({negative.size} negative row(s)); demand must be >= 0"
        )
    return y


def _periods(frame: pd.DataFrame, row_base: int) -> pd.Series:
    import pandas as pd

    ds = frame["ds"]
    if pd.api.types.is_integer_dtype(ds):
        return ds.astype(np.int64)
    parsed = pd.to_datetime(ds, errors="coerce", format="mixed")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        raise InvalidParameter(
            f"history: {_where(frame, int(bad[0]), row_base)}: ds={ds.iloc[bad[0]]!r} is neither "
            "a date (YYYY-MM-DD) nor an integer period index"
        )
    if parsed.dt.tz is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.dt.normalize()


def _resolve_freq(ds: pd.Series, freq: str | None) -> str | int:
    import pandas as pd

    if pd.api.types.is_integer_dtype(ds):
        return 1
    letter = (freq or "D").strip().upper()[:1]
    if letter == "D":
        return "D"
    if letter == "W":
        weekdays = np.unique(ds.dt.weekday.to_numpy())
        if weekdays.size != 1:
            raise InvalidParameter(
                "history: weekly data must fall on one weekday, found "
                + ", ".join(_WEEKDAYS[d] for d in weekdays)
            )
        return f"W-{_WEEKDAYS[int(weekdays[0])]}"
    if letter == "M":
        days = ds.dt.day.to_numpy()
        if np.all(days == 1):
            return "MS"
        if np.all(ds.dt.is_month_end.to_numpy()):
            return "ME"
        raise InvalidParameter(
            "history: monthly dates must all be the first or all the last of a month"
        )
    raise InvalidParameter(f"freq: {freq!r} is not one of D, W, M")


def prepare_history(
    history: pd.DataFrame,
    *,
    freq: str | None = None,
    row_base: int = 0,
) -> PreparedHistory:
    """Validate a long demand history and fill missing periods with zeros.

    Args:
        history: columns ``unique_id``, ``ds``, ``y``; other columns are ignored.
        freq: ``"D"``, ``"W"`` or ``"M"`` (default daily); ignored for an integer ``ds``.
        row_base: added to a row's position in error messages (2 gives the line number in
            a CSV file with a header).

    Raises:
        InvalidParameter: a column is missing, ``y`` is not a number or negative, ``ds``
            is not a date or integer, a ``(unique_id, ds)`` pair repeats, or ``freq`` is
            unknown. The message names the series and the row.
    """
    import pandas as pd
    from utilsforecast.preprocessing import fill_gaps

    missing = [c for c in REQUIRED_COLUMNS if c not in history.columns]
    if missing:
        raise InvalidParameter(
            f"history: missing column(s) {', '.join(missing)}; expected columns unique_id, ds, y"
        )
    if history.empty:
        raise InvalidParameter("history: no rows; expected at least one (unique_id, ds, y) row")
    frame = history[list(REQUIRED_COLUMNS)].reset_index(drop=True)
    if frame["unique_id"].isna().any():
        position = int(np.flatnonzero(frame["unique_id"].isna().to_numpy())[0])
        raise InvalidParameter(f"history: row {position + row_base}: unique_id is empty")
    frame["unique_id"] = frame["unique_id"].astype(str)
    y = _numeric_demand(frame, row_base)
    ds = _periods(frame, row_base)
    frame = pd.DataFrame({"unique_id": frame["unique_id"], "ds": ds, "y": y})
    duplicated = np.flatnonzero(frame.duplicated(["unique_id", "ds"]).to_numpy())
    if duplicated.size:
        position = int(duplicated[0])
        raise InvalidParameter(
            f"history: {_where(frame, position, row_base)}: duplicate (unique_id, ds) = "
            f"({frame['unique_id'].iloc[position]!r}, {frame['ds'].iloc[position]}); "
            "each series may have one row per period"
        )
    resolved = _resolve_freq(frame["ds"], freq)
    frame = frame.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    rows = len(frame)
    filled = fill_gaps(frame, freq=resolved, start="per_serie", end="per_serie")
    if len(filled) != rows:
        filled["y"] = filled["y"].fillna(0.0)
        frame = filled.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
        logger.info("filled %d missing periods with zero demand", len(frame) - rows)
    return PreparedHistory(frame=frame, freq=resolved, filled_periods=len(frame) - rows)
