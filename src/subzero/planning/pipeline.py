"""The planning run on one partition of items: forecast → policy → proposals.

A partition carries everything its items need (daily demand history, stock state,
policy, supplier terms), so it can run in this process or on any Dask worker and give
the same result: the run is deterministic, and the partitions are fixed by the caller
(items sorted by SKU, cut into equal chunks). Forecasting happens per partition:
model choice pools evidence over the partition's items, so the partition size is part
of the run's definition (``PLAN_PARTITION_SIZE`` by default).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from subzero.planning.replenish import ItemPlan, ItemPlanInput, plan_items

if TYPE_CHECKING:
    import pandas as pd

    from subzero.planning.forecast import ForecastSettings

__all__ = [
    "PLAN_PARTITION_SIZE",
    "PlanPartition",
    "partitions",
    "plan_forecast_settings",
    "run_partition",
]

PLAN_PARTITION_SIZE = 2_000


def plan_forecast_settings() -> ForecastSettings:
    """The planning run forecasts with the cheap candidates only (statistical and
    intermittent models, their ensembles, calibrated quantiles): no expensive-model pilot
    and no global LightGBM model, whose fixed costs would repeat in every partition.
    The full automatic run is ``subzero forecast --from-ledger``; ``plan --forecast
    stored`` plans from it."""
    from subzero.planning.forecast import ForecastSettings

    return ForecastSettings(expensive=False, global_model=False)


@dataclass(frozen=True, slots=True, eq=False)
class PlanPartition:
    """One unit of work of the planning run.

    Attributes:
        today: the planning day.
        horizon_days: days to plan ahead [H].
        items: the items, sorted by SKU; an item's ``forecast`` is used as given when
            ``history`` is None.
        history: daily demand ``unique_id, ds, y`` of these items (orders, backorders
            included) to forecast from; None to use the items' forecasts as given.
        forecast_settings: how to forecast (default: ``plan_forecast_settings()``).
    """

    today: dt.date
    horizon_days: int
    items: tuple[ItemPlanInput, ...]
    history: pd.DataFrame | None = None
    forecast_settings: ForecastSettings | None = None


def partitions(
    items: Sequence[ItemPlanInput],
    *,
    today: dt.date,
    horizon_days: int,
    history: pd.DataFrame | None = None,
    size: int = PLAN_PARTITION_SIZE,
) -> list[PlanPartition]:
    """Cut the items (sorted by SKU) into fixed chunks of ``size``, each with its share
    of the history."""
    ordered = sorted(items, key=lambda it: it.state.sku)
    out = []
    for start in range(0, len(ordered), max(1, size)):
        chunk = tuple(ordered[start : start + size])
        part_history = None
        if history is not None:
            skus = {it.state.sku for it in chunk}
            part_history = history[history["unique_id"].isin(skus)].reset_index(drop=True)
        out.append(
            PlanPartition(
                today,
                horizon_days,
                chunk,
                part_history,
                plan_forecast_settings() if history is not None else None,
            )
        )
    return out


def run_partition(part: PlanPartition) -> list[ItemPlan]:
    """Forecast the partition's items (when it has a history), then plan them."""
    items = part.items
    if part.history is not None and not part.history.empty:
        means = _forecast_means(
            part.history, part.horizon_days, part.forecast_settings or plan_forecast_settings()
        )
        zeros = np.zeros(part.horizon_days)
        items = tuple(
            dataclasses.replace(it, forecast=means.get(it.state.sku, zeros)) for it in items
        )
    return plan_items(items, today=part.today)


def _forecast_means(
    history: pd.DataFrame, horizon: int, settings: ForecastSettings
) -> dict[str, np.ndarray]:
    from subzero.planning.forecast import forecast

    result = forecast(history, horizon, quantiles=(0.5, 0.9), freq="D", settings=settings)
    frame = result.forecast
    return {
        str(uid): np.maximum(rows["mean"].to_numpy(np.float64), 0.0)
        for uid, rows in frame.groupby("unique_id", sort=False)
    }
