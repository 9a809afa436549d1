"""Output analysis: KPIs from batch (or replication) sums, with 95% confidence intervals.

Warm-up periods are simulated but never accumulated. The measured run is cut into G
groups — batches of one long run (batch means, Law, *Simulation Modeling and
Analysis*, 5th ed., §9.5.3) or independent replications (§9.4.1). Each KPI is a ratio
of sums; its point estimate uses the sums over all groups and its 95% interval is
point ± t_{0.975, G−1} · s / √G, with s the standard deviation of the G group values.

KPI definitions (``planning.kpis``, lines = units, see ``engine``):

* fill rate β = units served from stock / units demanded;
* backorder rate = units backordered / units demanded; lost rate = units lost / demanded;
* mean wait = Σ waits / units backordered (days, over backordered lines);
  mean wait, all lines = Σ waits / units demanded (Little: = avg backorders / demand rate);
* p95 wait = 95th percentile of backordered lines' waits (np.percentile, linear);
* promise reliability = (served from stock + backordered within promise_days) / demanded;
* average on hand / backorders = mean end-of-period level; inventory turns =
  365 · (units shipped per day) / average on hand;
* costs per day: holding, backorder, ordering, expedite, lost sales, and their total;
* satisfaction = ``planning.kpis.satisfaction_score`` of the above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

from subzero.planning.kpis import satisfaction_score
from subzero.planning.simulate import _kernels as K
from subzero.planning.simulate._reference import hist_percentile_rows

__all__ = ["Estimate", "Kpis", "SimulationResult", "kpi_values", "kpis_from_sums", "t_interval"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate and its 95% confidence interval (NaN where undefined)."""

    mean: float
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def to_json(self) -> dict[str, Any]:
        def clean(x: float) -> float | None:
            return None if not math.isfinite(x) else round(x, 10)

        return {"mean": clean(self.mean), "ci95": [clean(self.low), clean(self.high)]}


def t_interval(point: float, group_values: FloatArray) -> Estimate:
    """point ± t_{0.975, G−1} · sd(group values) / √G over the finite group values."""
    v = group_values[np.isfinite(group_values)]
    if v.size < 2 or not math.isfinite(point):
        return Estimate(point, math.nan, math.nan)
    half = float(special.stdtrit(v.size - 1, 0.975) * v.std(ddof=1) / math.sqrt(v.size))
    return Estimate(point, point - half, point + half)


@dataclass(frozen=True, slots=True)
class Kpis:
    """Steady-state KPIs (per day where a rate), each with its 95% CI."""

    cost: Estimate
    holding_cost: Estimate
    backorder_cost: Estimate
    ordering_cost: Estimate
    expedite_cost: Estimate
    lost_sales_cost: Estimate
    fill_rate: Estimate
    backorder_rate: Estimate
    lost_rate: Estimate
    mean_wait: Estimate
    p95_wait: Estimate
    mean_wait_all_lines: Estimate
    promise_reliability: Estimate
    avg_on_hand: Estimate
    avg_backorders: Estimate
    inventory_turns: Estimate
    orders_per_day: Estimate
    demand_per_day: Estimate
    satisfaction: Estimate

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name).to_json() for f in fields(self)}


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def kpi_values(s: FloatArray, periods: FloatArray, p95: FloatArray) -> dict[str, FloatArray]:
    """KPI values from sums ``s`` of shape (..., N_METRICS) over ``periods`` days."""
    demand = s[..., K.DEMAND]
    costs = [s[..., c] for c in (K.HOLD_COST, K.BO_COST, K.ORDER_COST, K.EXP_COST, K.LOST_COST)]
    fill = _ratio(s[..., K.SERVED], demand)
    kept = _ratio(s[..., K.SERVED] + s[..., K.KEPT], demand)
    wait_all = _ratio(s[..., K.WAIT_SUM], demand)
    on_hand = s[..., K.ON_HAND] / periods
    shipped = (demand - s[..., K.LOST]) / periods
    score = np.array(
        [
            satisfaction_score(
                fill_rate=f, promise_reliability=r, mean_wait_all_lines_days=w, p95_wait_days=q
            )
            if np.isfinite([f, r, w]).all()
            else np.nan
            for f, r, w, q in zip(
                np.ravel(fill), np.ravel(kept), np.ravel(wait_all), np.ravel(p95), strict=True
            )
        ]
    ).reshape(np.shape(fill))
    return {
        "cost": sum(costs) / periods,
        "holding_cost": costs[0] / periods,
        "backorder_cost": costs[1] / periods,
        "ordering_cost": costs[2] / periods,
        "expedite_cost": costs[3] / periods,
        "lost_sales_cost": costs[4] / periods,
        "fill_rate": fill,
        "backorder_rate": _ratio(s[..., K.BACKORDERED], demand),
        "lost_rate": _ratio(s[..., K.LOST], demand),
        "mean_wait": _ratio(s[..., K.WAIT_SUM], s[..., K.BACKORDERED]),
        "p95_wait": np.asarray(p95, dtype=np.float64),
        "mean_wait_all_lines": wait_all,
        "promise_reliability": kept,
        "avg_on_hand": on_hand,
        "avg_backorders": s[..., K.BACKORDERS] / periods,
        "inventory_turns": 365.0 * _ratio(shipped, on_hand),
        "orders_per_day": s[..., K.ORDERS] / periods,
        "demand_per_day": demand / periods,
        "satisfaction": score,
    }


def kpis_from_sums(
    group_sums: FloatArray, group_periods: FloatArray, p95_point: float, group_p95: FloatArray
) -> Kpis:
    """KPIs with CIs from per-group sums, shape (G, N_METRICS), over group_periods days."""
    point = kpi_values(
        group_sums.sum(axis=0), np.asarray(group_periods.sum()), np.asarray(p95_point)
    )
    groups = kpi_values(group_sums, group_periods, group_p95)
    return Kpis(**{name: t_interval(float(point[name]), groups[name]) for name in point})


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """Sums per (item, group, metric) of a run, and the backorder-wait histograms.

    Attributes:
        skus: item names, (n_items,).
        sums: (n_items, G, N_METRICS) accumulators (``_kernels`` column constants).
        group_p95: (n_items, G) 95th-percentile wait per item and group.
        hist: (n_items, WAIT_BINS) units backordered by wait in days (whole run).
        pooled_group_hist: (G, WAIT_BINS) the same pooled over items, per group.
        group_periods: (G,) measured days per group and item.
    """

    skus: tuple[str, ...]
    sums: FloatArray
    group_p95: FloatArray
    hist: IntArray
    pooled_group_hist: IntArray
    group_periods: FloatArray

    @classmethod
    def from_runs(
        cls,
        skus: tuple[str, ...],
        acc: FloatArray,
        hist: IntArray,
        bhist: IntArray,
        periods: int,
        batches: int,
        replications: int,
    ) -> SimulationResult:
        """Group kernel outputs: batches of one run, or one group per replication."""
        n = len(skus)
        if replications == 1:
            counts = np.bincount(np.arange(periods) * batches // periods, minlength=batches)
            return cls(skus, acc, acc[:, :, K.P95], hist, bhist, counts.astype(np.float64))
        sums = acc.reshape(replications, n, batches, -1).sum(axis=2).transpose(1, 0, 2)
        rep_hist = hist.reshape(replications, n, -1)
        group_p95 = (
            hist_percentile_rows(rep_hist.reshape(replications * n, -1)).reshape(replications, n).T
        )
        return cls(
            skus,
            np.ascontiguousarray(sums),
            group_p95,
            rep_hist.sum(axis=0),
            rep_hist.sum(axis=1),
            np.full(replications, float(periods)),
        )

    def item(self, index: int) -> Kpis:
        """KPIs of item ``index``."""
        p95 = float(hist_percentile_rows(self.hist[index : index + 1])[0])
        return kpis_from_sums(self.sums[index], self.group_periods, p95, self.group_p95[index])

    def overall(self) -> Kpis:
        """KPIs of all items together (costs and levels summed, rates over all lines)."""
        pooled = self.hist.sum(axis=0, keepdims=True)
        p95 = float(hist_percentile_rows(pooled)[0])
        return kpis_from_sums(
            self.sums.sum(axis=0),
            self.group_periods,
            p95,
            hist_percentile_rows(self.pooled_group_hist),
        )

    def item_points(self) -> dict[str, FloatArray]:
        """Point estimates of every KPI for every item, arrays of shape (n_items,)."""
        p95 = hist_percentile_rows(self.hist)
        totals = self.sums.sum(axis=1)
        return kpi_values(totals, np.full(len(self.skus), self.group_periods.sum()), p95)
