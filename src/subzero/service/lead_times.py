"""A supplier's lead time and reliability, learned from its real deliveries.

* **Lead time**: with at least five deliveries (sent → first receipt), the distribution
  fitted by ``planning.leadtime.fit_lead_time`` (family by AIC); before that, the
  supplier's stated lead time — normal with its standard deviation, in whole days.
* **Reliability**: the share of delivered orders whose first receipt came by the date
  expected when they were sent (1.0 until there is a delivery to judge).
"""

from __future__ import annotations

import math
from itertools import pairwise
from typing import TYPE_CHECKING

from subzero.domain.items import Supplier
from subzero.service.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from subzero.planning.leadtime import LeadTimeDistribution

    LeadTime = tuple[int | LeadTimeDistribution, float, str]
else:
    LeadTime = tuple

__all__ = [
    "MIN_DELIVERIES",
    "LeadTime",
    "protection_days",
    "supplier_lead_time",
    "supplier_reliability",
]

MIN_DELIVERIES = 5


def protection_days(lead_mean: float) -> int:
    """Days of demand an order placed today must cover: the mean lead time, rounded up,
    plus the one-day review period of a daily planning run."""
    return max(1, math.ceil(lead_mean) + 1)


def supplier_lead_time(uow: UnitOfWork, supplier: Supplier) -> LeadTime:
    """(lead time for the planning code, its mean in days, where it came from)."""
    from subzero.planning.leadtime import (
        LeadTimeDistribution,
        fit_lead_time,
        lead_times_from_deliveries,
    )

    deliveries = uow.purchase_orders.deliveries(supplier)
    if len(deliveries) >= MIN_DELIVERIES:
        observed = lead_times_from_deliveries(
            [s for s, _, _ in deliveries], [r for _, r, _ in deliveries]
        )
        fit = fit_lead_time(observed, "auto")
        return (
            fit.distribution,
            fit.distribution.mean,
            f"fitted ({fit.family}) on {fit.observations} deliveries",
        )
    if supplier.lead_time_sd_days <= 0:
        return supplier.lead_time_days, float(supplier.lead_time_days), "stated"
    from scipy.stats import norm

    mean, sd = supplier.lead_time_days, supplier.lead_time_sd_days
    top = math.ceil(mean + 5 * sd)
    edges = norm.cdf([d + 0.5 for d in range(top + 1)], mean, sd)
    pmf = [float(edges[0])] + [float(b - a) for a, b in pairwise(edges)]
    total = sum(pmf)
    dist = LeadTimeDistribution.from_table({d: p / total for d, p in enumerate(pmf) if p > 0})
    return dist, dist.mean, f"stated (normal {mean} ± {sd:g} days)"


def supplier_reliability(uow: UnitOfWork, supplier: Supplier) -> tuple[float, int]:
    """(share of deliveries on time, deliveries judged)."""
    judged = [
        (received.date() <= expected)
        for _, received, expected in uow.purchase_orders.deliveries(supplier)
        if expected is not None
    ]
    return (sum(judged) / len(judged) if judged else 1.0), len(judged)
