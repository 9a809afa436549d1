"""SQL storage of forecast runs, values, overrides and accuracy (SQLAlchemy Core)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from subzero.adapters.db import tables
from subzero.service.unit_of_work import (
    ForecastItem,
    ForecastRun,
    ForecastValue,
    StoredOverride,
)

__all__ = ["SqlForecastStore"]

_ACCURACY = (
    "periods",
    "bias",
    "mae",
    "rmse",
    "mase",
    "rmsse",
    "tracking_signal",
    "biased",
    "forecast_total",
    "bias_z",
    "bias_periods",
)


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and value != value else value  # NaN -> NULL


class SqlForecastStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_run(
        self, at: dt.datetime, horizon: int, quantiles: Sequence[float], series: int, seconds: float
    ) -> int:
        new_id = self.session.scalar(
            insert(tables.forecast_runs)
            .values(
                at=at,
                horizon=horizon,
                quantiles=",".join(f"{q:g}" for q in quantiles),
                series=series,
                seconds=seconds,
            )
            .returning(tables.forecast_runs.c.id)
        )
        return int(new_id)

    def add_values(self, run_id: int, values: Sequence[ForecastValue]) -> None:
        if values:
            self.session.execute(
                insert(tables.forecast_values),
                [
                    {
                        "run_id": run_id,
                        "sku": v.sku,
                        "ds": v.ds,
                        "mean": v.mean,
                        "statistical_mean": v.statistical_mean,
                        "quantiles": json.dumps(v.quantiles, sort_keys=True),
                    }
                    for v in values
                ],
            )

    def add_items(self, run_id: int, rows: Sequence[ForecastItem]) -> None:
        if rows:
            self.session.execute(
                insert(tables.forecast_items),
                [{"run_id": run_id, **dataclasses.asdict(row)} for row in rows],
            )

    def items(self, run_id: int) -> Sequence[ForecastItem]:
        c = tables.forecast_items.c
        fields = [f.name for f in dataclasses.fields(ForecastItem)]
        stmt = select(*(c[f] for f in fields)).where(c.run_id == run_id).order_by(c.sku)
        return [ForecastItem(*row) for row in self.session.execute(stmt)]

    def latest_run(self, *, before: dt.datetime | None = None) -> ForecastRun | None:
        c = tables.forecast_runs.c
        stmt = select(c.id, c.at, c.horizon, c.quantiles).order_by(c.at.desc(), c.id.desc())
        if before is not None:
            stmt = stmt.where(c.at < before)
        row = self.session.execute(stmt.limit(1)).first()
        if row is None:
            return None
        return ForecastRun(
            row.id, row.at, row.horizon, tuple(float(q) for q in row.quantiles.split(",") if q)
        )

    def values(
        self,
        run_id: int,
        *,
        sku: str | None = None,
        since: dt.date | None = None,
        before: dt.date | None = None,
    ) -> Sequence[ForecastValue]:
        c = tables.forecast_values.c
        stmt = (
            select(c.sku, c.ds, c.mean, c.statistical_mean, c.quantiles)
            .where(c.run_id == run_id)
            .order_by(c.sku, c.ds)
        )
        if sku is not None:
            stmt = stmt.where(c.sku == sku)
        if since is not None:
            stmt = stmt.where(c.ds >= since)
        if before is not None:
            stmt = stmt.where(c.ds < before)
        return [
            ForecastValue(r.sku, r.ds, r.mean, r.statistical_mean, json.loads(r.quantiles))
            for r in self.session.execute(stmt)
        ]

    def add_override(
        self, sku: str, ds: dt.date, value: float, reason: str, at: dt.datetime
    ) -> int:
        new_id = self.session.scalar(
            insert(tables.forecast_overrides)
            .values(sku=sku, ds=ds, value=value, reason=reason, created_at=at)
            .returning(tables.forecast_overrides.c.id)
        )
        return int(new_id)

    def overrides(
        self, *, sku: str | None = None, pending: bool = False
    ) -> Sequence[StoredOverride]:
        c = tables.forecast_overrides.c
        stmt = select(
            c.id, c.sku, c.ds, c.value, c.reason, c.created_at, c.statistical, c.actual
        ).order_by(c.id)
        if sku is not None:
            stmt = stmt.where(c.sku == sku)
        if pending:
            stmt = stmt.where(c.actual.is_(None))
        return [StoredOverride(*row) for row in self.session.execute(stmt)]

    def revise_override(self, override_id: int, value: float, reason: str, at: dt.datetime) -> None:
        c = tables.forecast_overrides.c
        self.session.execute(
            update(tables.forecast_overrides)
            .where(c.id == override_id)
            .values(value=value, reason=reason, created_at=at)
        )

    def set_override_statistical(self, override_id: int, statistical: float) -> None:
        c = tables.forecast_overrides.c
        self.session.execute(
            update(tables.forecast_overrides)
            .where(c.id == override_id)
            .values(statistical=statistical)
        )

    def score_override(self, override_id: int, actual: float, at: dt.datetime) -> None:
        c = tables.forecast_overrides.c
        self.session.execute(
            update(tables.forecast_overrides)
            .where(c.id == override_id)
            .values(actual=actual, scored_at=at)
        )

    def replace_accuracy(
        self, run_id: int, rows: Sequence[dict[str, Any]], at: dt.datetime
    ) -> None:
        c = tables.forecast_accuracy.c
        self.session.execute(delete(tables.forecast_accuracy).where(c.run_id == run_id))
        if rows:
            self.session.execute(
                insert(tables.forecast_accuracy),
                [
                    {
                        "run_id": run_id,
                        "sku": r["sku"],
                        "measured_at": at,
                        **{k: _finite(r[k]) for k in _ACCURACY},
                    }
                    for r in rows
                ],
            )

    def accuracy(self, run_id: int) -> Sequence[dict[str, Any]]:
        c = tables.forecast_accuracy.c
        stmt = (
            select(c.sku, *(getattr(c, k) for k in _ACCURACY))
            .where(c.run_id == run_id)
            .order_by(c.sku)
        )
        return [dict(row._mapping) for row in self.session.execute(stmt)]

    def accuracy_since(self, since: dt.datetime) -> Sequence[dict[str, Any]]:
        a, r = tables.forecast_accuracy.c, tables.forecast_runs.c
        stmt = (
            select(a.run_id, a.sku, a.periods, a.bias, a.mae, a.rmse, a.forecast_total)
            .join(tables.forecast_runs, r.id == a.run_id)
            .where(r.at >= since)
        )
        return [dict(row._mapping) for row in self.session.execute(stmt)]

    def accuracy_history(self, sku: str) -> Sequence[dict[str, Any]]:
        a, r, i = tables.forecast_accuracy.c, tables.forecast_runs.c, tables.forecast_items.c
        stmt = (
            select(
                a.run_id,
                r.at.label("run_at"),
                a.measured_at,
                i.model,
                i.demand_class,
                *(getattr(a, k) for k in _ACCURACY),
            )
            .join(tables.forecast_runs, r.id == a.run_id)
            .outerjoin(tables.forecast_items, (i.run_id == a.run_id) & (i.sku == a.sku))
            .where(a.sku == sku)
            .order_by(r.at, a.run_id)
        )
        return [dict(row._mapping) for row in self.session.execute(stmt)]
