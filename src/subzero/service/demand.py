"""Demand history from the order ledger: what customers *asked for*, by order date.

Backordered units count as demand (a backorder must not hide demand from the forecast);
shipments play no part. Days without orders are zeros.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from subzero.domain.events import ItemAdded
from subzero.service.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["daily_demand", "order_history_frame"]


def daily_demand(
    uow: UnitOfWork, *, start: dt.date, end: dt.date
) -> dict[str, npt.NDArray[np.int64]]:
    """Units ordered per item and day over [start, end), zero-filled, shape (n_days,).

    Items without orders in the window are absent. Call inside ``with uow``.
    """
    n_days = (end - start).days
    since = dt.datetime.combine(start, dt.time(0), dt.UTC)
    out: dict[str, npt.NDArray[np.int64]] = defaultdict(lambda: np.zeros(n_days, np.int64))
    for sku, day, qty in uow.orders.demand_history(since=since):
        index = (day - start).days
        if 0 <= index < n_days:
            out[sku][index] += qty
    return dict(out)


def order_history_frame(
    uow: UnitOfWork, *, since: dt.date | None = None, until: dt.date | None = None
) -> pd.DataFrame:
    """The ledger's daily demand as a long frame ``unique_id, ds, y`` (statsforecast's
    layout), zero-filled to the day before ``until`` (default: the last day with an
    order) from the day each item was added (``ItemAdded``), or its first order if that
    came earlier (orders imported from an older system), but not before ``since``. The
    days an item was in the catalogue without orders are demand of zero: leaving them out
    would overstate its mean. Call inside ``with uow``."""
    import pandas as pd

    rows = uow.orders.demand_history(
        since=dt.datetime.combine(since, dt.time(0), dt.UTC) if since else None
    )
    if not rows:
        return pd.DataFrame(
            {
                "unique_id": pd.Series(dtype=str),
                "ds": pd.Series(dtype="datetime64[ns]"),
                "y": pd.Series(dtype=np.int64),
            }
        )
    frame = pd.DataFrame(rows, columns=["unique_id", "ds", "y"])
    frame["ds"] = pd.to_datetime(frame["ds"])
    daily = frame.groupby(["unique_id", "ds"], as_index=False)["y"].sum()
    last = pd.Timestamp(until) - pd.Timedelta(days=1) if until else daily["ds"].max()
    floor = pd.Timestamp(since) if since else None
    added = {
        sku: pd.Timestamp(at.date()) for sku, at in uow.events.first_seen(ItemAdded.type).items()
    }
    start = daily.groupby("unique_id", sort=True)["ds"].min()
    known = start.index.intersection(pd.Index(list(added)))
    start[known] = np.minimum(start[known], pd.Series(added)[known])
    if floor is not None:
        start = start.clip(lower=floor)
    # one row per item and day from its start to ``last``, built at once (no loop per item)
    length = np.maximum((last - start).dt.days.to_numpy() + 1, 0)
    offsets = np.cumsum(length) - length
    within = np.arange(int(length.sum())) - np.repeat(offsets, length)
    ds = np.repeat(start.to_numpy(), length) + within.astype("timedelta64[D]")
    y = np.zeros(int(length.sum()), dtype=np.int64)
    item = start.index.get_indexer(daily["unique_id"])
    day = (daily["ds"].to_numpy() - start.to_numpy()[item]).astype("timedelta64[D]").astype(int)
    keep = (day >= 0) & (day < length[item])
    y[offsets[item[keep]] + day[keep]] = daily["y"].to_numpy()[keep]
    return pd.DataFrame({"unique_id": np.repeat(start.index.to_numpy(), length), "ds": ds, "y": y})
