"""A supplier's lead time and reliability, learned from its real deliveries.

* **Lead time**: with at least five deliveries (sent → first receipt), the distribution
  fitted by ``planning.leadtime.fit_lead_time`` (family by AIC); before that, the
  supplier's stated lead time — normal with its standard deviation, in whole days.
* **Reliability**: the share of delivered orders whose first receipt came by the date
  expected when they were sent (1.0 until there is a delivery to judge).
* **For promises** (``promise_lead_time``, ``incoming_of``): the stated lead time with the
  lateness of the supplier's ``RECENT_DELIVERIES`` latest deliveries mixed in
  (``domain.promise``); one small query per supplier and unit of work, no fitting, since
  promises are recomputed on every change. The rest of an order the supplier split
  (``promise_rest_lead_time``) waits from its first part on the stated law mixed with
  how long the supplier's recent split deliveries took to complete.
"""

from __future__ import annotations

import datetime as dt
import math
from itertools import pairwise
from typing import TYPE_CHECKING

from subzero.domain.items import Supplier
from subzero.domain.promise import REST_WEIGHT, Incoming
from subzero.domain.promise import LeadTime as PromiseLeadTime
from subzero.domain.purchasing import PurchaseOrder
from subzero.service.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from subzero.planning.leadtime import LeadTimeDistribution

    LeadTime = tuple[int | LeadTimeDistribution, float, str]
else:
    LeadTime = tuple

__all__ = [
    "MIN_DELIVERIES",
    "RECENT_DELIVERIES",
    "LeadTime",
    "incoming_of",
    "promise_lead_time",
    "promise_rest_lead_time",
    "protection_days",
    "supplier_lead_time",
    "supplier_reliability",
]

MIN_DELIVERIES = 5
RECENT_DELIVERIES = 50


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


def promise_lead_time(uow: UnitOfWork, supplier: Supplier) -> PromiseLeadTime:
    """The supplier's lead time as promises see it: stated, corrected by its recent
    deliveries' lateness (``domain.promise``)."""
    return PromiseLeadTime(
        supplier.lead_time_days,
        supplier.lead_time_sd_days,
        uow.purchase_orders.recent_lateness(supplier, latest=RECENT_DELIVERIES),
    )


def promise_rest_lead_time(uow: UnitOfWork, supplier: Supplier) -> PromiseLeadTime:
    """How long the rest of a split delivery takes from its first part, as promises see
    it: the stated lead time (as if the rest were ordered that day) mixed with the days
    from first receipt to last of the supplier's recent split deliveries, the stated law
    weighing ``REST_WEIGHT`` delivery (``domain.promise``)."""
    lead = supplier.lead_time_days
    rests = uow.purchase_orders.recent_rests(supplier, latest=RECENT_DELIVERIES)
    return PromiseLeadTime(
        lead,
        supplier.lead_time_sd_days,
        tuple(days - lead for days in rests),
        stated_weight=REST_WEIGHT,
    )


def incoming_of(uow: UnitOfWork, po: PurchaseOrder) -> Incoming:
    """An open PO as a promise's receipt: its own expected date (which a rescheduled or
    expedited order has moved) with the supplier's spread around it. A date the supplier
    gave itself (``po reschedule``/``confirm --date``) is taken with the stated spread
    alone: the supplier's lateness is measured against the dates expected when sent. The
    rest of an order already received in part waits from that first part on the
    supplier's law for rests, unless the supplier has given a later date for it."""
    supplier = po.supplier
    moved = po.first_expected_date is not None and po.expected_date != po.first_expected_date
    if po.first_received_at is not None:
        first_part = po.first_received_at.astimezone(dt.UTC).date()
        if not (moved and po.expected_date > first_part):
            return Incoming(po.outstanding, first_part, promise_rest_lead_time(uow, supplier))
    return Incoming(
        po.outstanding,
        po.expected_date - dt.timedelta(days=supplier.lead_time_days),
        PromiseLeadTime(supplier.lead_time_days, supplier.lead_time_sd_days)
        if moved
        else promise_lead_time(uow, supplier),
    )
