"""``ApplyPolicy``: compute items' stock policies from their own data and set them.

For each item:

* **daily demand** — its level is the mean daily forecast of the latest stored forecast
  run (``subzero forecast --from-ledger``) over the item's protection period (lead time
  + 1 day), or without one, the mean of units ordered per day over the last
  ``history_days`` (from the item's first order if later, backorders included). Its
  spread keeps the variance-to-mean ratio of the forecast's own demand over the
  protection period (from its backtest error paths, stored with the run: the spread of
  what the forecast gets wrong, not of demand the forecast already foresees), or
  without it (a run stored before migration 0007), of the order history. Poisson when
  the variance is within 5 % of the mean, else negative binomial;
* **lead time** — fitted from the supplier's real deliveries (sent → first receipt)
  when there are at least five (``planning.leadtime.fit_lead_time``, best AIC), else the
  supplier's stated lead time (normal with its standard deviation, in whole days);
* **policy** — ``planning.policies.design.design_policy`` for the given kind and the
  service target (fill rate) or backorder cost. Automatic kind: make-to-order for an
  item nobody ordered in the window; (s, S) when ordering has a fixed cost; otherwise
  base-stock.

The new policy is stored, a ``PolicyChanged`` event is recorded, and the item is
rebalanced at once: replenishment follows the new policy, still idempotently.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from subzero.domain.commands import ApplyPolicy
from subzero.domain.errors import InvalidParameter
from subzero.domain.events import PolicyChanged
from subzero.domain.items import Item
from subzero.service.context import Context
from subzero.service.lead_times import LeadTime, protection_days, supplier_lead_time
from subzero.service.orders import lock_items
from subzero.service.rebalance import rebalance
from subzero.service.unit_of_work import ForecastItem, UnitOfWork

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from subzero.planning.policies.kinds import Policy, PolicyKind

__all__ = ["PolicyDecision", "apply_policies"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PolicyDecision:
    sku: str
    old_policy: str
    new_policy: str
    demand_mean_per_day: float
    demand_sd_per_day: float
    lead_time_mean_days: float
    lead_time_source: str
    reason: str


def apply_policies(cmd: ApplyPolicy, *, uow: UnitOfWork, ctx: Context) -> list[PolicyDecision]:
    from subzero.planning.policies.kinds import PolicyKind

    _validate(cmd)
    kind = PolicyKind(cmd.kind) if cmd.kind not in (None, "auto") else None
    skus = list(cmd.skus) or [item.sku for item in uow.items.list()]
    items = lock_items(uow, skus)
    from subzero.service.demand import daily_demand

    start = ctx.today - dt.timedelta(days=cmd.history_days)
    history = daily_demand(uow, start=start, end=ctx.today)
    levels, spreads, horizon, statistical = _stored_forecast(uow, ctx)
    lead_times: dict[int, LeadTime] = {}
    decisions = []
    for sku, item in items.items():
        supplier = item.supplier
        if supplier.id not in lead_times:
            lead_times[supplier.id or 0] = supplier_lead_time(uow, supplier)
        decisions.append(
            _decide(
                uow,
                item,
                history.get(sku),
                levels.get(sku),
                spreads.get(sku),
                horizon,
                lead_times[supplier.id or 0],
                kind,
                cmd,
                ctx,
                statistical=statistical.get(sku),
            )
        )
    uow.commit()
    return decisions


def _stored_forecast(
    uow: UnitOfWork, ctx: Context
) -> tuple[dict[str, list[float]], dict[str, ForecastItem], int, dict[str, list[float]]]:
    """Of the latest stored run: the daily forecast means from today on, per item, the
    items whose lead-time demand the run stored, the run's horizon (days), and the
    daily means before the planners' overrides."""
    run = uow.forecasts.latest_run()
    levels: dict[str, list[float]] = {}
    statistical: dict[str, list[float]] = {}
    if run is None:
        return levels, {}, 0, statistical
    for value in uow.forecasts.values(run.id, since=ctx.today):
        levels.setdefault(value.sku, []).append(value.mean)
        statistical.setdefault(value.sku, []).append(value.statistical_mean)
    spreads = {i.sku: i for i in uow.forecasts.items(run.id) if i.ltd_mean is not None}
    return levels, spreads, run.horizon, statistical


def _validate(cmd: ApplyPolicy) -> None:
    from subzero.planning.policies.kinds import PolicyKind

    if cmd.kind not in (None, "auto"):
        try:
            PolicyKind(cmd.kind)
        except ValueError:
            valid = ", ".join(["auto", *(k.value for k in PolicyKind)])
            raise InvalidParameter(f"policy kind {cmd.kind!r}; use one of {valid}") from None
    if (cmd.service_target is None) == (cmd.backorder_cost is None):
        raise InvalidParameter("give either a service target or a backorder cost, not both")
    if cmd.service_target is not None and not 0.0 < cmd.service_target < 1.0:
        raise InvalidParameter(f"service target {cmd.service_target}; must lie in (0, 1)")
    if cmd.backorder_cost is not None and not cmd.backorder_cost > 0:
        raise InvalidParameter(f"backorder cost {cmd.backorder_cost}; must be > 0")
    if not cmd.holding_cost > 0:
        raise InvalidParameter(f"holding cost {cmd.holding_cost}; must be > 0")
    if not cmd.fixed_cost >= 0:
        raise InvalidParameter(f"fixed cost {cmd.fixed_cost}; must be ≥ 0")
    if not 7 <= cmd.history_days <= 3650:
        raise InvalidParameter(f"history of {cmd.history_days} days; use 7-3650")


def _decide(
    uow: UnitOfWork,
    item: Item,
    days: npt.NDArray[np.int64] | None,
    forecast: list[float] | None,
    spread: ForecastItem | None,
    run_horizon: int,
    lead: LeadTime,
    kind: PolicyKind | None,
    cmd: ApplyPolicy,
    ctx: Context,
    *,
    statistical: list[float] | None = None,
) -> PolicyDecision:
    import numpy as np

    from subzero.planning.forecast_horizon import extend_forecast
    from subzero.planning.policies.demand import negative_binomial_demand, poisson_demand
    from subzero.planning.policies.design import design_policy
    from subzero.planning.policies.kinds import MakeToOrder, PolicyKind, policy_to_text

    lead_time, lead_mean, lead_source = lead
    series = np.asarray(days if days is not None else [], dtype=np.float64)
    if series.size:
        first = int(np.argmax(series > 0))
        series = series[first:]  # an item's history starts with its first order
    mean = float(series.mean()) if series.size else 0.0
    sd = float(series.std(ddof=1)) if series.size > 1 else 0.0
    source = f"{series.size} days of orders"
    if forecast and mean > 0:
        needed = protection_days(lead_mean)
        ahead = np.asarray(forecast[:needed], dtype=np.float64)
        if ahead.size < needed:  # the run ends inside the period: continue its last week,
            # before overrides (one is for its day, not for every week after it)
            before = np.asarray(statistical[:needed], dtype=np.float64) if statistical else None
            ahead = extend_forecast(ahead, needed, statistical=before)
        level = max(0.0, float(np.mean(ahead)))
        source = "the stored forecast, spread from the order history"
        dispersion = sd * sd / mean  # variance-to-mean ratio, kept at the new level
        if spread is not None and spread.ltd_mean and spread.ltd_sd is not None:
            dispersion = spread.ltd_sd**2 / spread.ltd_mean
            beyond = (
                f", extrapolated past its {run_horizon}-day horizon"
                if spread.ltd_days is not None and spread.ltd_days > run_horizon
                else ""
            )
            source = (
                f"the stored forecast, spread from its demand over {spread.ltd_days} days "
                f"({spread.ltd_mean:.1f} ± {spread.ltd_sd:.1f}{beyond})"
            )
        sd = math.sqrt(dispersion * level)
        mean = level
    policy: Policy
    if mean <= 0:
        policy, reason = MakeToOrder(), "no orders in the window: make to order"
    else:
        demand = (
            negative_binomial_demand(mean, sd) if sd * sd > 1.05 * mean else poisson_demand(mean)
        )
        chosen = kind or (PolicyKind.S_S if cmd.fixed_cost > 0 else PolicyKind.BASE_STOCK)
        policy = design_policy(
            chosen,
            daily_demand=demand,
            lead_time=lead_time,
            holding_cost=cmd.holding_cost,
            backorder_cost=cmd.backorder_cost,
            service_target=cmd.service_target,
            fixed_cost=cmd.fixed_cost,
        )
        target = (
            f"fill rate {cmd.service_target:g}"
            if cmd.service_target is not None
            else f"backorder cost {cmd.backorder_cost:g}"
        )
        reason = (
            f"{chosen.value} for {target}: demand {mean:.2f}/day (sd {sd:.2f}) from "
            f"{source}; lead time {lead_mean:.1f} days ({lead_source})"
        )
    new = policy_to_text(policy)
    old = item.policy
    if new != old:
        uow.items.set_policy(item, new)
        uow.record(PolicyChanged(item.sku, old, new, reason), ctx.now)
        logger.info("%s: policy %s -> %s (%s)", item.sku, old, new, reason)
    rebalance(uow, item, ctx)
    return PolicyDecision(item.sku, old, new, mean, sd, lead_mean, lead_source, reason)
