"""What-if scenarios: the same catalogue under a named change, KPI deltas with 95% CIs.

Base and scenario run on the same random streams (the same per-item keys), so the
deltas are paired: each batch's difference is one observation and the CI is
Δ ± t_{0.975, G−1} · sd(batch differences) / √G (common random numbers; Law,
*Simulation Modeling and Analysis*, §11.2). Days count from the first measured day.

Changes: ``DemandSpike`` (+x% demand for d days from a start day), ``LeadTimeFactor``
(every lead time × k, rounded), ``SupplierDisruption`` (a supplier delivers nothing
from day a to day b), ``LostSalesShare`` (a share of customers will not wait).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from subzero.domain.errors import InvalidParameter
from subzero.files import save_figure
from subzero.planning.simulate.demand import DemandPattern, Shock
from subzero.planning.simulate.engine import Disruption, Item, RunSettings, simulate
from subzero.planning.simulate.stats import (
    Estimate,
    Kpis,
    SimulationResult,
    kpi_values,
    t_interval,
)

__all__ = [
    "DemandSpike",
    "LeadTimeFactor",
    "LostSalesShare",
    "Scenario",
    "ScenarioReport",
    "SupplierDisruption",
    "apply_scenario",
    "parse_disruption",
    "parse_spike",
    "plot_deltas",
    "run_scenario",
]


@dataclass(frozen=True, slots=True)
class DemandSpike:
    percent: float
    days: int
    first_day: int = 0


@dataclass(frozen=True, slots=True)
class LeadTimeFactor:
    factor: float


@dataclass(frozen=True, slots=True)
class SupplierDisruption:
    supplier: str
    first_day: int
    last_day: int


@dataclass(frozen=True, slots=True)
class LostSalesShare:
    share: float


Scenario = DemandSpike | LeadTimeFactor | SupplierDisruption | LostSalesShare


def parse_spike(text: str) -> DemandSpike:
    """``30%:14`` (+30% for 14 days from day 0) or ``30%:14:7`` (from day 7)."""
    m = re.fullmatch(r"\s*(-?[0-9.]+)%?:(\d+)(?::(\d+))?\s*", text)
    if not m:
        raise InvalidParameter(f"--spike {text!r}: use PERCENT%:DAYS[:START], e.g. 30%:14")
    return DemandSpike(float(m[1]), int(m[2]), int(m[3] or 0))


def parse_disruption(text: str) -> SupplierDisruption:
    """``SUPPLIER:FIRST:LAST`` (days, inclusive)."""
    m = re.fullmatch(r"\s*(.+):(\d+):(\d+)\s*", text)
    if not m or int(m[3]) < int(m[2]):
        raise InvalidParameter(
            f"--disrupt {text!r}: use SUPPLIER:FIRST_DAY:LAST_DAY "
            "with FIRST_DAY ≤ LAST_DAY, e.g. acme:10:20"
        )
    return SupplierDisruption(m[1], int(m[2]), int(m[3]))


def _scale_lead(lead: int | dict[int, float] | object, k: float) -> int | dict[int, float]:
    if isinstance(lead, int):
        return round(lead * k)
    out: dict[int, float] = {}
    for days, prob in dict(lead).items():  # type: ignore[call-overload]
        out[round(days * k)] = out.get(round(days * k), 0.0) + prob
    return out


def apply_scenario(
    items: Sequence[Item], settings: RunSettings, change: Scenario
) -> tuple[list[Item], RunSettings]:
    """The items and settings of the changed world."""
    match change:
        case DemandSpike(percent=pct, days=days, first_day=first):
            if pct <= -100 or days <= 0:
                raise InvalidParameter(f"spike {pct}% for {days} days: need > -100% and days > 0")
            shocks = (*settings.pattern.shocks, Shock(first, days, 1 + pct / 100))
            pattern = DemandPattern(settings.pattern.seasonality, shocks)
            return list(items), replace(settings, pattern=pattern)
        case LeadTimeFactor(factor=k):
            if k < 0:
                raise InvalidParameter(f"lead-time factor {k}: must be ≥ 0")
            return [replace(it, lead_time=_scale_lead(it.lead_time, k)) for it in items], settings
        case SupplierDisruption(supplier=name, first_day=a, last_day=b):
            if name not in {it.supplier for it in items} | {
                it.second.supplier for it in items if it.second
            }:
                raise InvalidParameter(f"disruption: no item is supplied by {name!r}")
            d = Disruption(name, a, b)
            return list(items), replace(settings, disruptions=(*settings.disruptions, d))
        case LostSalesShare(share=share):
            if not 0 <= share <= 1:
                raise InvalidParameter(f"lost-sales share {share}: must be in [0, 1]")
            return [replace(it, lost_share=share) for it in items], settings
    raise InvalidParameter(f"unknown scenario {change!r}")


@dataclass(frozen=True, slots=True)
class ScenarioReport:
    """Overall KPIs of base and scenario, and their paired deltas (scenario − base)."""

    base: Kpis
    scenario: Kpis
    deltas: dict[str, Estimate]

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base.to_json(),
            "scenario": self.scenario.to_json(),
            "delta": {k: v.to_json() for k, v in self.deltas.items()},
        }


def _group_values(res: SimulationResult) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    from subzero.planning.simulate._reference import hist_percentile_rows

    sums = res.sums.sum(axis=0)
    point = kpi_values(
        sums.sum(axis=0),
        np.asarray(res.group_periods.sum()),
        hist_percentile_rows(res.hist.sum(axis=0, keepdims=True))[0],
    )
    groups = kpi_values(sums, res.group_periods, hist_percentile_rows(res.pooled_group_hist))
    return point, groups


def run_scenario(
    items: Sequence[Item], settings: RunSettings, change: Scenario, seed: int
) -> ScenarioReport:
    """Run base and changed catalogue on common random numbers; report paired deltas.

    ``seed`` ≥ 0 seeds both runs' generators (numpy takes no negative seed).
    """
    if seed < 0:
        raise InvalidParameter(f"seed {seed}: must be ≥ 0")
    new_items, new_settings = apply_scenario(items, settings, change)
    base = simulate(items, settings, np.random.default_rng(seed))
    new = simulate(new_items, new_settings, np.random.default_rng(seed))
    bp, bg = _group_values(base)
    np_, ng = _group_values(new)
    deltas = {k: t_interval(float(np_[k] - bp[k]), ng[k] - bg[k]) for k in bp}
    return ScenarioReport(base.overall(), new.overall(), deltas)


def plot_deltas(report: ScenarioReport, path: str | Path, title: str) -> None:
    """Bar chart of relative KPI deltas (% of base) with 95% error bars, as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [
        "cost",
        "fill_rate",
        "backorder_rate",
        "mean_wait",
        "p95_wait",
        "avg_on_hand",
        "avg_backorders",
        "satisfaction",
    ]
    base = report.base.to_json()
    rel, err = [], []
    for n in names:
        b = base[n]["mean"] or 0.0
        d = report.deltas[n]
        scale = 100.0 / abs(b) if b else 0.0
        rel.append(d.mean * scale)
        err.append((d.high - d.mean) * scale if np.isfinite(d.high) else 0.0)
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar(names, rel, yerr=err, capsize=4, color=["#c44" if v > 0 else "#48c" for v in rel])
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("change vs base (%)")
    ax.set_title(title)
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    save_figure(fig, path, dpi=100)
