"""Demand history from the order ledger: what customers *asked for*, by order date.

Backordered units count as demand (a backorder must not hide demand from the forecast);
shipments play no part. Days without orders are zeros.

Refused orders count too (censoring): when an item may not go below zero, or its
backorder limit is reached, the order is turned away and a ``DemandRefused`` event
keeps what the customer asked for. A customer refused and then ordering less the same
day (what was free) wanted the larger amount once, not both: per item, customer and day
the demand is the larger of the units ordered and the largest refused request.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from subzero.domain.events import DemandRefused, ItemAdded
from subzero.service.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "daily_demand",
    "ledger_demand",
    "order_history_frame",
    "refused_extra",
    "refused_requests",
]


def refused_requests(
    uow: UnitOfWork, *, since: dt.datetime | None = None
) -> list[tuple[dt.datetime, DemandRefused]]:
    """Every refused request (``DemandRefused``) with its time, oldest first (imported
    refusals are appended to the log later than newer live ones; ties keep log order)."""
    requests = [
        (event.at, DemandRefused(**event.payload))
        for event in uow.events.of_type(DemandRefused.type, since=since)
    ]
    return sorted(requests, key=lambda pair: pair[0])


def refused_extra(
    uow: UnitOfWork, *, since: dt.datetime | None = None
) -> list[tuple[str, dt.date, int]]:
    """Refused units beyond what the same customer ordered of the item that day.

    Per (item, customer, day): ``max(0, largest refused request - units ordered)``; rows
    ``(sku, day, units)`` with units > 0, sorted.
    """
    largest: dict[tuple[str, str, dt.date], int] = {}
    for at, refused in refused_requests(uow, since=since):
        key = (refused.sku, refused.customer, at.date())
        largest[key] = max(largest.get(key, 0), refused.qty)
    if not largest:
        return []
    ordered: Counter[tuple[str, str, dt.date]] = Counter()
    for sku, customer, day, qty in uow.orders.ordered_by_customer(
        {key[0] for key in largest}, since=since
    ):
        ordered[(sku, customer, day)] += qty
    return [
        (sku, day, wanted - ordered[(sku, customer, day)])
        for (sku, customer, day), wanted in sorted(largest.items())
        if wanted > ordered[(sku, customer, day)]
    ]


def ledger_demand(
    uow: UnitOfWork, *, since: dt.datetime | None = None
) -> list[tuple[str, dt.date, int]]:
    """Units asked for per item and day: every order line, plus refused demand."""
    return [*uow.orders.demand_history(since=since), *refused_extra(uow, since=since)]


def daily_demand(
    uow: UnitOfWork, *, start: dt.date, end: dt.date
) -> dict[str, npt.NDArray[np.int64]]:
    """Units ordered per item and day over [start, end), zero-filled, shape (n_days,).

    Items without orders in the window are absent. Call inside ``with uow``.
    """
    n_days = (end - start).days
    since = dt.datetime.combine(start, dt.time(0), dt.UTC)
    out: dict[str, npt.NDArray[np.int64]] = defaultdict(lambda: np.zeros(n_days, np.int64))
    for sku, day, qty in ledger_demand(uow, since=since):
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

    rows = ledger_demand(
        uow, since=dt.datetime.combine(since, dt.time(0), dt.UTC) if since else None
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
