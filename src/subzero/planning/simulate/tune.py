"""Policy tuning: per item, the cheapest policy level that meets a service target.

Simulation-optimisation seeded with the analytic solution:

1. seed — the smallest base-stock level θ₀ whose exact periodic-review fill rate
   β(S) = 1 − (E[(D^{(L+R)} − S)^+] − E[(D^{(L)} − S)^+]) / (R μ)  meets the target
   (Zipkin §9.4; Snyder & Shen §4.3; R = 1 except (R,S)), or whose mean wait over all
   lines E[(D^{(L+1)} − S)^+] / μ (Little's law) is within the wait target; lead-time
   demand is the exact convolution of the item's demand table, mixed over the
   lead-time pmf. (s,S) and min/max keep S − s, (r,Q) keeps Q, and place the reorder
   point half a batch below θ₀.
2. search — simulate a grid of levels around the seed for all items at once with
   common random numbers (equal keys per item: Glasserman & Yao 1992), keep the cheapest
   level whose point estimate meets the target, and re-centre the grid while the
   choice sits on its edge.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from subzero.domain.errors import InvalidParameter
from subzero.planning.policies.kinds import RQ, RS, SS, BaseStock, MinMax, Policy
from subzero.planning.simulate.checks import check_items
from subzero.planning.simulate.demand import demand_cdf
from subzero.planning.simulate.engine import Item, RunSettings, simulate

__all__ = ["TunedItem", "seed_level", "tune"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class TunedItem:
    """The chosen policy of one item with its simulated KPIs (point estimates)."""

    item: Item
    seed_policy: Policy
    fill_rate: float
    mean_wait_all_lines: float
    cost: float
    meets_target: bool


def _conv_power(pmf: FloatArray, n: int) -> FloatArray:
    out = np.ones(1)
    for _ in range(n):
        out = np.convolve(out, pmf)
    return out


def _lead_demand(item: Item, extra: int) -> tuple[FloatArray, float]:
    """pmf of demand over L + extra periods (from 0), and the daily mean."""
    lo, cdf = demand_cdf(item.demand)
    pmf = np.concatenate([np.zeros(lo), np.diff(cdf, prepend=0.0)])
    mean = float(pmf @ np.arange(pmf.size))
    lead = item.lead_time if not isinstance(item.lead_time, int) else {item.lead_time: 1.0}
    mix = np.zeros(1)
    for days, prob in lead.items():
        part = _conv_power(pmf, days + extra) * prob
        if part.size > mix.size:
            mix = np.pad(mix, (0, part.size - mix.size))
        mix[: part.size] += part
    return mix, mean


def _loss(pmf: FloatArray, level: FloatArray) -> FloatArray:
    x = np.arange(pmf.size)
    return np.asarray(np.maximum(x[None, :] - level[:, None], 0) @ pmf, dtype=np.float64)


def seed_level(item: Item, *, fill_rate: float | None = None, max_wait: float | None = None) -> int:
    """Analytic base-stock level θ₀ meeting the target (formulas in the module docstring)."""
    review = item.policy.review_period_days if isinstance(item.policy, RS) else 1
    hi_pmf, mean = _lead_demand(item, review)
    if mean <= 0:
        return 0
    levels = np.arange(hi_pmf.size + 1, dtype=np.float64)
    if fill_rate is not None:
        lo_pmf, _ = _lead_demand(item, 0)
        short = (_loss(hi_pmf, levels) - _loss(lo_pmf, levels)) / (review * mean)
        ok = 1.0 - short >= fill_rate
    else:
        ok = _loss(hi_pmf, levels) / mean <= float(max_wait if max_wait is not None else 0.0)
    return int(levels[np.argmax(ok)]) if ok.any() else int(levels[-1])


def _shift(policy: Policy, level: int) -> Policy:
    match policy:
        case SS(reorder_point=s, order_up_to=s_up):
            return SS(level, level + (s_up - s))
        case MinMax(minimum=lo, maximum=hi):
            return MinMax(level, level + (hi - lo))
        case RQ(order_quantity=q):
            return RQ(level, q)
        case RS(review_period_days=period):
            return RS(period, level)
        case BaseStock():
            return BaseStock(level)
    return policy


def _seed_policy(item: Item, theta: int) -> tuple[Policy, int]:
    match item.policy:
        case SS(reorder_point=s, order_up_to=s_up) | MinMax(minimum=s, maximum=s_up):
            level = theta - math.ceil((s_up - s) / 2)
        case RQ(order_quantity=q):
            level = theta - math.ceil(q / 2)
        case _:
            level = theta
    return _shift(item.policy, level), level


def tune(
    items: Sequence[Item],
    settings: RunSettings,
    rng: np.random.Generator,
    *,
    fill_rate: float | None = None,
    max_wait: float | None = None,
    candidates: int = 8,
    rounds: int = 4,
    progress: Callable[[int, int], None] | None = None,
) -> list[TunedItem]:
    """Tune every item's policy level for a fill-rate target or a mean-wait target (days,
    over all lines). Make-to-order items are simulated but left as they are."""
    if (fill_rate is None) == (max_wait is None):
        raise InvalidParameter("tune: give exactly one target, a fill rate or a wait")
    if fill_rate is not None and not 0.0 < fill_rate < 1.0:
        raise InvalidParameter(f"fill rate target {fill_rate}: must be in (0, 1)")
    if max_wait is not None and max_wait < 0:
        raise InvalidParameter(f"wait target {max_wait}: must be ≥ 0 days")
    check_items(items)  # before the analytic seeds, which would fail less clearly
    n = len(items)
    item_keys = rng.integers(0, 2**63, size=n, dtype=np.uint64)
    seeds = [
        _seed_policy(it, seed_level(it, fill_rate=fill_rate, max_wait=max_wait)) for it in items
    ]
    centre = np.array([lvl for _, lvl in seeds])
    step = np.array([max(1, round(0.1 * _lead_sd(it))) for it in items])
    offsets = np.arange(candidates) - candidates // 2 + 1
    chosen: list[TunedItem | None] = [None] * n
    for round_no in range(rounds):
        levels = centre[:, None] + step[:, None] * offsets[None, :]
        rows = [
            replace(it, policy=_shift(it.policy, int(lv)))
            for it, lvs in zip(items, levels, strict=True)
            for lv in lvs
        ]
        res = simulate(rows, settings, rng, keys=np.repeat(item_keys, candidates))
        pts = res.item_points()
        cost = pts["cost"].reshape(n, candidates)
        fill = pts["fill_rate"].reshape(n, candidates)
        wait = pts["mean_wait_all_lines"].reshape(n, candidates)
        ok = fill >= fill_rate if fill_rate is not None else wait <= float(max_wait or 0.0)
        moved = False
        for i in range(n):
            pick = (
                int(np.argmin(np.where(ok[i], cost[i], np.inf))) if ok[i].any() else candidates - 1
            )
            chosen[i] = TunedItem(
                rows[i * candidates + pick],
                seeds[i][0],
                float(fill[i, pick]),
                float(wait[i, pick]),
                float(cost[i, pick]),
                bool(ok[i, pick]),
            )
            edge = pick == candidates - 1 or (pick == 0 and ok[i, 0] and centre[i] > 0)
            if edge and levels[i, pick] != centre[i]:
                centre[i] = levels[i, pick]
                moved = True
        if progress is not None:
            progress(round_no + 1, rounds)
        if not moved:
            break
    return [c for c in chosen if c is not None]


def _lead_sd(item: Item) -> float:
    pmf, _ = _lead_demand(item, 1)
    x = np.arange(pmf.size)
    mean = float(pmf @ x)
    return math.sqrt(max(0.0, float(pmf @ (x - mean) ** 2)))
