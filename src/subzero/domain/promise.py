"""Promise dates: when will a customer's line be ready, and how sure are we?

Rule, in words: walk the waiting lines in allocation order (see ``allocation``) and hand
them, unit by unit, the receipts they will get — open purchase orders in order of
arrival. A line is promised the day its last unit arrives. The arrival day of a
purchase order is the day by which it comes with the target ``confidence`` (default
0.9) given its supplier's lead-time distribution: for lead time ~ Normal(L, σ) sent on
day t0, ``t0 + ceil(L + z_confidence σ)``; with σ = 0 exactly ``t0 + L``. Units no
open order covers are promised as if ordered today. A line already fully allocated is
ready: promised today (or keeps the date it was promised, if that is later).

The probability stored with a promise is P(lead time ≤ promised − t0) for the
latest receipt the line relies on (≥ confidence by construction).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

from subzero.domain.allocation import WaitingLine, waiting_queue
from subzero.domain.errors import InvalidParameter

__all__ = ["Incoming", "LeadTime", "Promise", "promise_lines"]


@dataclass(frozen=True, slots=True)
class LeadTime:
    """A supplier lead time in days: Normal(mean, sd), sd = 0 meaning deterministic."""

    mean_days: float
    sd_days: float = 0.0

    def quantile_days(self, p: float) -> int:
        if not 0.0 < p < 1.0:
            raise InvalidParameter(f"confidence {p}; must be between 0 and 1")
        if self.sd_days <= 0.0:
            return math.ceil(self.mean_days)
        return max(0, math.ceil(NormalDist(self.mean_days, self.sd_days).inv_cdf(p) - 1e-9))

    def cdf(self, days: float) -> float:
        if self.sd_days <= 0.0:
            return 1.0 if days >= self.mean_days else 0.0
        return NormalDist(self.mean_days, self.sd_days).cdf(days)


@dataclass(frozen=True, slots=True)
class Incoming:
    """Units expected from one open purchase order."""

    units: int
    ordered_on: dt.date
    lead_time: LeadTime

    def arrival(self, today: dt.date, confidence: float) -> dt.date:
        day = self.ordered_on + dt.timedelta(days=self.lead_time.quantile_days(confidence))
        return max(day, today)

    def probability_by(self, day: dt.date, today: dt.date) -> float:
        p = self.lead_time.cdf((day - self.ordered_on).days)
        # An order already late may still come any day; never claim certainty we lack.
        return p if day >= today else 0.0


@dataclass(frozen=True, slots=True)
class Promise:
    line_id: int | None
    date: dt.date
    probability: float


def promise_lines(
    *,
    today: dt.date,
    lines: Sequence[WaitingLine],
    incoming: Sequence[Incoming],
    replenishment_lead_time: LeadTime,
    confidence: float = 0.9,
    aging_days: int = 7,
) -> list[Promise]:
    """Promises for the backordered ``lines`` of one item (see the module docstring).

    Args:
        today: the planning day.
        lines: the item's open lines; those with nothing backordered are skipped.
        incoming: open purchase orders for the item (any order).
        replenishment_lead_time: lead time of an order placed today for uncovered units.
        confidence: target probability that a promise is kept.
        aging_days: the allocation rule's priority ageing (see ``allocation``).
    """
    schedule = sorted(
        ((inc.arrival(today, confidence), inc) for inc in incoming if inc.units > 0),
        key=lambda pair: pair[0],
    )
    fresh = Incoming(units=0, ordered_on=today, lead_time=replenishment_lead_time)
    out: list[Promise] = []
    slot, left = 0, schedule[0][1].units if schedule else 0
    for line in waiting_queue(lines, today, aging_days):
        need = line.backordered
        day, source = today, fresh
        while need > 0 and slot < len(schedule):
            take = min(need, left)
            need -= take
            left -= take
            day, source = schedule[slot]
            if left == 0:
                slot += 1
                left = schedule[slot][1].units if slot < len(schedule) else 0
        if need > 0:
            day, source = fresh.arrival(today, confidence), fresh
        out.append(Promise(line.id, day, source.probability_by(day, today)))
    return out
