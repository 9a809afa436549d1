"""Forecasting as a use case: from the order ledger to a stored, scored forecast.

``RunForecast`` reads daily demand from the ledger (orders by order date, backorders
included: ``service.demand``), runs the automatic forecast of ``planning.forecast``,
applies the planners' overrides for the forecast days, and stores the run (values, each
item's model, and its demand over its protection period, lead time + 1 day, as the
forecast's backtest error paths give it: the spread ``ApplyPolicy`` uses). In the same
transaction it measures the previous run against the demand that has happened since
(bias, MAE, RMSE, scaled errors: ``planning.forecast_accuracy``), flags the items whose
errors over the runs of the last four weeks show a bias (``bias_test``), and scores
every override whose day has passed (did it beat the statistical forecast?).
``OverrideForecast`` stores an override. ``accuracy_report`` reads the latest measured
run for every item, ``accuracy_history`` every measured run for one item.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from subzero.domain.commands import OverrideForecast, RunForecast
from subzero.domain.errors import InvalidParameter, NotFound
from subzero.service.context import Context
from subzero.service.orders import lock_items
from subzero.service.unit_of_work import (
    ForecastItem,
    ForecastValue,
    StoredOverride,
    UnitOfWork,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ForecastRunSummary",
    "accuracy_history",
    "accuracy_report",
    "forecast_series",
    "override_forecast",
    "override_report",
    "run_forecast",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ForecastRunSummary:
    run_id: int
    series: int
    horizon: int
    seconds: float
    overrides_applied: int
    overrides_scored: int
    measured_run_id: int | None
    biased_items: tuple[str, ...]
    forecast: pd.DataFrame  # unique_id, ds, mean, q…, statistical_mean, override_reason
    report: dict[str, Any]  # per item: class, model, backtest errors (planning.forecast)
    history: pd.DataFrame  # unique_id, ds, y: the demand the run saw
    lead_time_demand: pd.DataFrame  # unique_id, lead_time, mean, sd, q…: per protection period
    beyond_horizon: dict[str, int] = field(default_factory=dict)
    """Items whose protection period (days) is longer than the horizon: their lead-time
    demand past the horizon is extrapolated (``planning.forecast_horizon``)."""


MAX_OVERRIDE_DAYS = 366
"""The longest range one ``OverrideForecast`` may cover."""


def override_forecast(cmd: OverrideForecast, *, uow: UnitOfWork, ctx: Context) -> tuple[int, ...]:
    """Store the override of each day from ``cmd.day`` to ``cmd.until``; returns their ids.

    A day with a pending override (not yet scored) is revised in place: only the value a
    planner last gave is applied and scored, and the id stays the same.
    """
    lock_items(uow, [cmd.sku])  # planners overriding one item take turns: one per day
    if cmd.day < ctx.today:
        raise InvalidParameter(f"override day {cmd.day} is in the past (today is {ctx.today})")
    last = cmd.until if cmd.until is not None else cmd.day
    if last < cmd.day:
        raise InvalidParameter(f"override until {last} is before its first day {cmd.day}")
    days = (last - cmd.day).days + 1
    if days > MAX_OVERRIDE_DAYS:
        raise InvalidParameter(
            f"override of {days} days ({cmd.day} to {last}); at most {MAX_OVERRIDE_DAYS}"
        )
    if not math.isfinite(cmd.value) or cmd.value < 0:
        raise InvalidParameter(f"override value {cmd.value}; must be a number >= 0")
    if not cmd.reason.strip():
        raise InvalidParameter("an override needs a reason (--reason)")
    pending = {o.ds: o.id for o in uow.forecasts.overrides(sku=cmd.sku, pending=True)}
    value, reason = float(cmd.value), cmd.reason.strip()
    ids = []
    for offset in range(days):
        day = cmd.day + dt.timedelta(days=offset)
        if day in pending:
            uow.forecasts.revise_override(pending[day], value, reason, ctx.now)
            ids.append(pending[day])
        else:
            ids.append(uow.forecasts.add_override(cmd.sku, day, value, reason, ctx.now))
    uow.commit()
    return tuple(ids)


def run_forecast(cmd: RunForecast, *, uow: UnitOfWork, ctx: Context) -> ForecastRunSummary:
    import pandas as pd

    from subzero.planning.forecast import ForecastSettings, forecast
    from subzero.planning.forecast_overrides import Override, apply_overrides, locate
    from subzero.service.demand import order_history_frame

    if not 1 <= cmd.horizon <= 366:
        raise InvalidParameter(f"horizon {cmd.horizon} days; use 1-366")
    history = order_history_frame(uow, since=_since(cmd, ctx.today), until=ctx.today)
    protection = _protection_days(uow)
    uow.rollback()  # compute outside the transaction: hold no lock while forecasting
    if history.empty:
        raise InvalidParameter("the order ledger has no orders to forecast")
    start = time.perf_counter()
    result = forecast(
        history,
        cmd.horizon,
        quantiles=cmd.quantiles,
        freq="D",
        n_jobs=cmd.n_jobs,
        progress=ctx.progress,
        settings=ForecastSettings(expensive_budget_seconds=cmd.expensive_budget_seconds),
    )
    frame = result.forecast
    frame["ds"] = pd.to_datetime(frame["ds"]).dt.date
    protection = {sku: days for sku, days in protection.items() if sku in result.choices.index}
    ltd = result.lead_time_summary(protection)
    beyond = {sku: d for sku, d in sorted(protection.items()) if d > cmd.horizon}
    pending = list(uow.forecasts.overrides(pending=True))
    wanted = [Override(o.sku, o.ds, o.value, o.reason) for o in pending]
    rows = locate(frame, wanted)
    applied = rows >= 0
    overrides = [o for o, hit in zip(pending, applied, strict=True) if hit]
    frame = apply_overrides(frame, [w for w, hit in zip(wanted, applied, strict=True) if hit])
    statistical = frame["statistical_mean"].to_numpy()[rows[applied]]
    for o, value in zip(overrides, statistical, strict=True):
        uow.forecasts.set_override_statistical(o.id, float(value))
    scored = _score_due_overrides(uow, pending, history, ctx)
    measured, biased = _measure_previous_run(uow, history, ctx)
    seconds = time.perf_counter() - start
    run_id = uow.forecasts.add_run(
        ctx.now, cmd.horizon, cmd.quantiles, int(frame["unique_id"].nunique()), seconds
    )
    qcols = [c for c in frame.columns if c.startswith("q")]
    uow.forecasts.add_values(
        run_id,
        [
            ForecastValue(
                str(r["unique_id"]),
                r["ds"],
                float(r["mean"]),
                float(r["statistical_mean"]),
                {c[1:]: float(r[c]) for c in qcols},
            )
            for r in frame.to_dict("records")
        ],
    )
    choices = result.choices
    ltd = _shift_by_overrides(ltd, frame)
    stored = ltd.set_index("unique_id")
    uow.forecasts.add_items(
        run_id,
        [
            ForecastItem(
                str(uid),
                str(row["demand_class"]),
                str(row["model"]),
                str(row["reason"]),
                *_moments(stored, str(uid)),
            )
            for uid, row in choices.iterrows()
        ],
    )
    uow.commit()
    logger.info(
        "forecast run %d: %d items, %d days, %.1fs", run_id, len(choices), cmd.horizon, seconds
    )
    if beyond:  # the CLI says so, with the remedy; other callers read ``beyond_horizon``
        logger.info(
            "forecast run %d: %d item(s) wait up to %d days for their supplier, longer than "
            "the %d-day horizon: their lead-time demand past it is extrapolated",
            run_id,
            len(beyond),
            max(beyond.values()),
            cmd.horizon,
        )
    return ForecastRunSummary(
        run_id,
        len(choices),
        cmd.horizon,
        seconds,
        len(overrides),
        scored,
        measured,
        biased,
        frame,
        result.report(),
        history,
        ltd,
        beyond,
    )


def _since(cmd: RunForecast, today: dt.date) -> dt.date:
    """The first day of the history a run of ``cmd`` made ``today`` reads."""
    return today - dt.timedelta(days=cmd.history_days)


def forecast_series(cmd: RunForecast, *, uow: UnitOfWork, today: dt.date) -> set[str]:
    """The items a run of ``cmd`` made ``today`` would forecast (those with a demand
    history), so that a caller can check the names it was given before the run starts
    and is stored (``subzero forecast --from-ledger --plot-series``)."""
    from subzero.service.demand import order_history_frame

    with uow:
        history = order_history_frame(uow, since=_since(cmd, today), until=today)
    return set(history["unique_id"].astype(str))


def _protection_days(uow: UnitOfWork) -> dict[str, int]:
    """Each item's protection period in days (``lead_times.protection_days``)."""
    from subzero.service.lead_times import protection_days, supplier_lead_time

    lead: dict[int, float] = {}
    days = {}
    for item in uow.items.list():
        supplier = item.supplier.id or 0
        if supplier not in lead:
            lead[supplier] = supplier_lead_time(uow, item.supplier)[1]
        days[item.sku] = protection_days(lead[supplier])
    return days


def _shift_by_overrides(ltd: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """The lead-time demand moved as the overrides move the forecast: by the sum of
    (override - statistical) over the item's lead time, clipped at zero, like the
    per-day quantiles (``apply_overrides``); its spread stays."""
    delta = frame["mean"].to_numpy() - frame["statistical_mean"].to_numpy()
    if not delta.any():
        return ltd
    days = frame[["unique_id"]].assign(
        step=frame.groupby("unique_id", sort=False).cumcount(), delta=delta
    )
    days = days.merge(ltd[["unique_id", "lead_time"]], on="unique_id")
    shift = days[days["step"] < days["lead_time"]].groupby("unique_id")["delta"].sum()
    moved = shift.reindex(ltd["unique_id"]).fillna(0.0).to_numpy()
    out = ltd.copy()
    for col in ["mean", *(c for c in ltd.columns if c.startswith("q"))]:
        out[col] = (ltd[col].to_numpy() + moved).clip(min=0.0)
    return out


def _moments(ltd: pd.DataFrame, sku: str) -> tuple[int | None, float | None, float | None]:
    if sku not in ltd.index:
        return None, None, None
    row = ltd.loc[sku]
    return int(row["lead_time"]), float(row["mean"]), float(row["sd"])


def _score_due_overrides(
    uow: UnitOfWork, pending: list[StoredOverride], history: pd.DataFrame, ctx: Context
) -> int:
    """Score each applied override whose day has passed against the ordered demand.

    ``pending``: the overrides not yet scored, as read before this run applied its own
    (those are for today on, so the due ones, before today, are unchanged by it).
    """
    import numpy as np

    from subzero.planning.forecast_overrides import Override, locate

    due = [o for o in pending if o.statistical is not None and o.ds < ctx.today]
    rows = locate(history, [Override(o.sku, o.ds, o.value, o.reason) for o in due])
    y = history["y"].to_numpy(np.float64)
    for o, row in zip(due, rows, strict=True):
        # the history has every day from an item's first order on; none before it: 0
        uow.forecasts.score_override(o.id, float(y[row]) if row >= 0 else 0.0, ctx.now)
    return len(due)


def _measure_previous_run(
    uow: UnitOfWork, history: pd.DataFrame, ctx: Context
) -> tuple[int | None, tuple[str, ...]]:
    """Accuracy of the latest earlier run over the days that have passed since it."""
    import pandas as pd

    from subzero.planning.forecast_accuracy import accuracy_by_item

    previous = uow.forecasts.latest_run(before=ctx.now)
    if previous is None:
        return None, ()
    values = uow.forecasts.values(previous.id, before=ctx.today)
    if not values:
        return previous.id, ()
    fc = pd.DataFrame(
        {
            "unique_id": [v.sku for v in values],
            "ds": pd.to_datetime([v.ds for v in values]),
            "mean": [v.mean for v in values],
        }
    )
    cutoff = pd.Timestamp(previous.at.date())
    actuals = history[history["ds"] >= cutoff]
    fitted_on = history[history["ds"] < cutoff]
    rows = accuracy_by_item(
        fc, actuals, run_id=str(previous.id), history=fitted_on if not fitted_on.empty else None
    )
    records: list[dict[str, Any]] = [
        {
            "sku": r.unique_id,
            "periods": r.periods,
            "bias": r.bias,
            "mae": r.mae,
            "rmse": r.rmse,
            "mase": r.mase,
            "rmsse": r.rmsse,
            "tracking_signal": r.tracking_signal,
            "biased": r.biased,
            "forecast_total": r.forecast_total,
            "bias_z": r.bias_z,
            "bias_periods": r.periods,
        }
        for r in rows
    ]
    _pool_window(uow, previous.id, records, ctx)
    uow.forecasts.replace_accuracy(previous.id, records, ctx.now)
    return previous.id, tuple(r["sku"] for r in records if r["biased"])


def _pool_window(uow: UnitOfWork, run_id: int, records: list[dict[str, Any]], ctx: Context) -> None:
    """Replace each record's tracking signal, z and flag by those of the item's errors
    in every run made in the last ``BIAS_WINDOW_DAYS`` days, this one included.

    Runs measure disjoint days (each the days since it was made, up to the next run), so
    their sums add up; the per-run figures give them back: sum e = -bias n, sum |e| =
    MAE n, sum e^2 = RMSE^2 n.
    """
    from subzero.planning.forecast_accuracy import BIAS_WINDOW_DAYS, bias_test

    if not records:
        return
    since = ctx.now - dt.timedelta(days=BIAS_WINDOW_DAYS)
    earlier = [r for r in uow.forecasts.accuracy_since(since) if r["run_id"] != run_id]
    sums: dict[str, list[float]] = {r["sku"]: [0.0] * 5 for r in records}
    for r in [*earlier, *records]:
        acc = sums.get(r["sku"])
        if acc is None:
            continue
        n = float(r["periods"])
        for i, value in enumerate(
            (n, -r["bias"] * n, r["mae"] * n, r["rmse"] ** 2 * n, r["forecast_total"] or 0.0)
        ):
            acc[i] += value
    test = bias_test(*zip(*(sums[r["sku"]] for r in records), strict=True))
    for i, r in enumerate(records):
        r["tracking_signal"] = float(test.tracking_signal[i])
        r["bias_z"] = float(test.z[i])
        r["biased"] = bool(test.biased[i])
        r["bias_periods"] = int(sums[r["sku"]][0])


def accuracy_report(uow: UnitOfWork) -> tuple[int | None, list[dict[str, Any]]]:
    """The most recently measured run's accuracy per item (for bias alerts)."""
    with uow:
        run = uow.forecasts.latest_run()
        while run is not None:
            rows = list(uow.forecasts.accuracy(run.id))
            if rows:
                return run.id, rows
            run = uow.forecasts.latest_run(before=run.at)
        return None, []


def accuracy_history(uow: UnitOfWork, sku: str) -> list[dict[str, Any]]:
    """One item's accuracy over time: every measured run, oldest first, with the model
    the item had in that run (did a change of model remove a bias?)."""
    with uow:
        if uow.items.get(sku) is None:
            raise NotFound(f"SKU {sku!r} not found")
        return [
            {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in row.items()}
            for row in uow.forecasts.accuracy_history(sku)
        ]


def override_report(uow: UnitOfWork) -> dict[str, Any]:
    """Every override, and for those scored whether it beat the statistical forecast
    (forecast value added: Gilliland 2013), overall and per reason: a campaign entered
    over many days and items is judged as one."""
    with uow:
        rows = []
        tally: dict[str, list[float]] = {}  # reason -> [scored, helped, value added]
        for o in uow.forecasts.overrides():
            row: dict[str, Any] = {
                "id": o.id,
                "sku": o.sku,
                "day": o.ds.isoformat(),
                "value": o.value,
                "reason": o.reason,
                "statistical": o.statistical,
                "actual": o.actual,
            }
            if o.actual is not None and o.statistical is not None:
                gain = abs(o.actual - o.statistical) - abs(o.actual - o.value)
                row["helped"] = gain > 0
                counts = tally.setdefault(o.reason, [0.0, 0.0, 0.0])
                counts[0] += 1
                counts[1] += gain > 0
                counts[2] += gain
            rows.append(row)
        scored = int(sum(t[0] for t in tally.values()))
        helped = sum(t[1] for t in tally.values())
        return {
            "overrides": rows,
            "scored": scored,
            "hit_rate": helped / scored if scored else None,
            "value_added": sum(t[2] for t in tally.values()),
            "by_reason": [
                {
                    "reason": reason,
                    "scored": int(t[0]),
                    "hit_rate": t[1] / t[0],
                    "value_added": t[2],
                }
                for reason, t in sorted(tally.items(), key=lambda kv: kv[1][2])
            ],
        }
