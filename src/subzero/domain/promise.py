"""Promise dates: when will a customer's line be ready, and how sure are we?

Rule, in words: walk the waiting lines in allocation order (see ``allocation``) and hand
them, unit by unit, the receipts they will get — open purchase orders in order of
arrival, each shared by the queue of the day it arrives (priorities age meanwhile, so a
line that waits long enough overtakes lines it is behind today). A line is promised
the day its last unit arrives. The arrival day of a
purchase order is the first day by which it comes with the target ``confidence``
(default 0.9), given its supplier's lead time and given that it has not come yet.
Units no open order covers are promised as if ordered today. A line already fully
allocated is ready: promised today (or keeps the date it was promised, if that is
later).

The lead time 𝓛 of an order sent on day t0 (``LeadTime``) is what the supplier stated,
Normal(L, σ) (σ = 0: exactly L days), corrected by what it did: once it has delivered,
the lateness of its recent deliveries (days received after the date expected when each
was sent) is mixed in, each delivery weighing one and the stated lead time
``STATED_WEIGHT`` deliveries:

    P(𝓛 ≤ d) = (w Φ((d − L)/σ) + #{i : L + lateness_i ≤ d}) / (w + n)

the posterior predictive of a Dirichlet process with the stated law as its base
(Ferguson 1973, "A Bayesian analysis of some nonparametric problems", Ann. Statist.
1(2), §4). A supplier that runs three days late is promised three days late after a
few deliveries; its stated spread still covers the tail no delivery has shown yet.

An order sent k ≥ 1 days ago that has not come has 𝓛 ≥ k, so its arrival is the
conditional quantile: the first d ≥ k with P(𝓛 ≤ d | 𝓛 ≥ k) ≥ confidence. An order
later than anything the model allows (P(𝓛 ≥ k) ≈ 0) has no date to promise honestly:
it is promised today with probability 0, and ``alerts`` flags it.

Customers ranked ahead of a line may yet order and take arriving stock first (the
allocation rule puts priority before order time): ``promise_lines`` keeps a receipt for
a line only if it is safe, at ``confidence``, from their demand until it arrives;
otherwise the line is promised the day the order their demand would make serves it
(``_preempted``). Their demand (``DemandAhead``) is compound Poisson: order lines come
at the rate they came recently, each asking for as many units as a recent line did, so
an item ordered ten at a time is not mistaken for one ordered one at a time.

The probability stored with a promise is the chance the line is ready by then: that the
receipt it relies on comes, P(𝓛 ≤ promised − t0 | 𝓛 ≥ k), times the chance that no
customer ranked ahead takes it first or that, if one does, the order their demand makes
comes in time too (``_ready_probability``). The date rule weighs each risk against
``confidence`` apart, so the product can fall a little below it.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from statistics import NormalDist

from subzero.domain.allocation import WaitingLine, effective_priority, waiting_queue
from subzero.domain.errors import InvalidParameter

__all__ = ["STATED_WEIGHT", "DemandAhead", "Incoming", "LeadTime", "Promise", "promise_lines"]

STATED_WEIGHT = 5.0
_NEGLIGIBLE = 1e-9
_EXACT_UNITS = 128  # beyond this many units, DemandAhead.cdf takes the Normal approximation


@dataclass(frozen=True, slots=True)
class LeadTime:
    """A supplier lead time in days (see the module docstring for the rule).

    Args:
        mean_days: the stated lead time [L].
        sd_days: the stated standard deviation [σ]; 0 means exactly ``mean_days``.
        lateness_days: the supplier's recent deliveries, each as days received after
            the date expected when it was sent (negative: early); empty before any.
    """

    mean_days: float
    sd_days: float = 0.0
    lateness_days: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "lateness_days", tuple(sorted(self.lateness_days)))

    def cdf(self, days: float) -> float:
        """P(𝓛 ≤ days)."""
        if self.sd_days <= 0.0:
            stated = 1.0 if days >= self.mean_days else 0.0
        else:
            stated = NormalDist(self.mean_days, self.sd_days).cdf(days)
        if not self.lateness_days:
            return stated
        seen = bisect_right(self.lateness_days, days - self.mean_days)
        return (STATED_WEIGHT * stated + seen) / (STATED_WEIGHT + len(self.lateness_days))

    def quantile_days(self, p: float, *, waited_days: int = 0) -> int | None:
        """The first whole day d ≥ ``waited_days`` with P(𝓛 ≤ d | 𝓛 ≥ waited_days) ≥ p.

        ``waited_days`` ≥ 1 says the order has not come in that many days. None when the
        lead time cannot reach ``waited_days`` (P(𝓛 ≥ waited_days) is negligible).
        """
        if not 0.0 < p < 1.0:
            raise InvalidParameter(f"confidence {p}; must be between 0 and 1")
        floor, target = self._condition(p, waited_days)
        if target is None:
            return None
        hi = max(floor, self._upper(target))
        while self.cdf(hi) < target:  # the Normal's own rounding; rarely runs
            hi += 1
        lo = floor
        while lo < hi:  # the cdf is monotone: bisect on whole days
            mid = (lo + hi) // 2
            if self.cdf(mid) >= target:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def probability_by(self, days: int, *, waited_days: int = 0) -> float:
        """P(𝓛 ≤ days | 𝓛 ≥ waited_days); 0 when that condition is out of reach."""
        if waited_days < 1:
            return self.cdf(days)
        gone = self._gone(waited_days)
        if gone is None or days < waited_days:
            return 0.0
        return min(1.0, max(0.0, (self.cdf(days) - gone) / (1.0 - gone)))

    def _condition(self, p: float, waited_days: int) -> tuple[int, float | None]:
        """(first day allowed, the unconditional cdf level that day must reach)."""
        if waited_days < 1:
            return 0, p - 1e-12
        gone = self._gone(waited_days)
        if gone is None:
            return waited_days, None
        return waited_days, gone + p * (1.0 - gone) - 1e-12

    def _gone(self, waited_days: int) -> float | None:
        """P(𝓛 < waited_days) for an order not come in ``waited_days`` ≥ 1 days; None
        when 𝓛 ≥ waited_days is out of the model's reach."""
        gone = self.cdf(waited_days - 1)
        return None if 1.0 - gone < _NEGLIGIBLE else gone

    def _upper(self, level: float) -> int:
        """A whole day whose cdf reaches ``level`` (up to the Normal's rounding)."""
        stated = math.ceil(self.mean_days)
        if self.sd_days > 0.0:
            tail = min(level, 1.0 - 1e-15)
            stated = math.ceil(NormalDist(self.mean_days, self.sd_days).inv_cdf(tail))
        seen = math.ceil(self.mean_days + self.lateness_days[-1]) if self.lateness_days else 0
        return max(0, stated, seen)


@dataclass(frozen=True, slots=True)
class DemandAhead:
    """Demand that customers ranked ahead of a line may yet place for its item.

    Compound Poisson: order lines come at ``lines_per_day``, each asking for j units
    with probability ``sizes`` gives (pairs (j, P), j ≥ 1; default one unit a line,
    plain Poisson). Over t days the units asked for are S(t) = X₁ + … + X_N,
    N ~ Poisson(λt) (Feller 1968, An Introduction to Probability Theory, vol. I, §XII.2).
    """

    lines_per_day: float
    sizes: tuple[tuple[int, float], ...] = ((1, 1.0),)

    def __post_init__(self) -> None:
        if self.lines_per_day < 0.0 or any(j < 1 or q < 0.0 for j, q in self.sizes):
            raise InvalidParameter(f"demand ahead {self}: needs a rate ≥ 0 and sizes ≥ 1")
        total = sum(q for _, q in self.sizes)
        if total <= 0.0:
            raise InvalidParameter(f"demand ahead {self}: sizes have no weight")
        object.__setattr__(self, "sizes", tuple(sorted((j, q / total) for j, q in self.sizes)))

    @classmethod
    def observed(cls, line_sizes: dict[int, int], days: float) -> DemandAhead:
        """From the lines seen over ``days``: {units asked for: how many lines}."""
        lines = sum(line_sizes.values())
        if lines == 0:
            return cls(0.0)
        return cls(lines / days, tuple(line_sizes.items()))

    def cdf(self, units: int, days: float) -> float:
        """P(S(days) ≤ units): Σₙ P(N = n) P(X₁ + … + Xₙ ≤ units); sizes are ≥ 1, so
        n ≤ units. Past ``_EXACT_UNITS`` units, the Normal with the compound law's mean
        λt E[X] and variance λt E[X²] (continuity-corrected)."""
        mean = self.lines_per_day * days
        if mean <= 0.0 or units < 0:
            return 1.0 if units >= 0 else 0.0
        if units > _EXACT_UNITS:
            first = sum(j * q for j, q in self.sizes)
            second = sum(j * j * q for j, q in self.sizes)
            return NormalDist(mean * first, math.sqrt(mean * second)).cdf(units + 0.5)
        table = _sums_within(self.sizes, max(16, 1 << (units - 1).bit_length()))
        log_mean = math.log(mean)
        total = 0.0
        for n, within in enumerate(table[: units + 1]):
            total += math.exp(n * log_mean - mean - math.lgamma(n + 1)) * within[units]
        return min(1.0, total)


@cache
def _sums_within(sizes: tuple[tuple[int, float], ...], top: int) -> tuple[tuple[float, ...], ...]:
    """[n][k] = P(X₁ + … + Xₙ ≤ k) for n, k = 0 … ``top`` (n-fold convolutions cut at
    ``top``; sizes are ≥ 1, so no more than ``top`` lines fit). Built once per law and
    table size, a power of two, so an item's lines share it."""
    pmf = [1.0] + [0.0] * top  # n = 0: nothing asked for
    out = [tuple(accumulate(pmf))]
    for _ in range(top):
        nxt = [0.0] * (top + 1)
        for total, p in enumerate(pmf):
            if p == 0.0:
                continue
            for j, q in sizes:
                if total + j > top:
                    break
                nxt[total + j] += p * q
        pmf = nxt
        out.append(tuple(accumulate(pmf)))
        if out[-1][-1] < 1e-15:  # n lines never fit in top units
            break
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Incoming:
    """Units expected from one open purchase order, sent on ``ordered_on``."""

    units: int
    ordered_on: dt.date
    lead_time: LeadTime

    def arrival(self, today: dt.date, confidence: float) -> dt.date:
        days = self.lead_time.quantile_days(confidence, waited_days=self._waited(today))
        if days is None:
            return today  # later than the lead time allows: no honest date but today
        return max(self.ordered_on + dt.timedelta(days=days), today)

    def probability_by(self, day: dt.date, today: dt.date) -> float:
        return self.lead_time.probability_by(
            (day - self.ordered_on).days, waited_days=self._waited(today)
        )

    def _waited(self, today: dt.date) -> int:
        return max(0, (today - self.ordered_on).days)


_NOBODY = DemandAhead(0.0)
# a line's receipt: (expected arrival, the order, units it leaves to spare, demand ahead)
_Receipt = tuple[dt.date, Incoming, int, DemandAhead]


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
    preemption: Callable[[int], DemandAhead] | None = None,
) -> list[Promise]:
    """Promises for the backordered ``lines`` of one item (see the module docstring).

    A line is ready on the first receipt day d by which the receipts cover every unit
    ranked ahead of it and its own; with ``preemption``, customers ranked ahead of it
    (priority p, aged) may yet order and take arriving stock first (the allocation
    rule), so the receipt must also leave room for their orders until d: units
    D = S(d − today) of ``preemption(p)`` with P(D ≤ slack) ≥ ``confidence``, slack
    the receipts' units beyond those ranked ahead and the line's own. A line that no
    receipt keeps safe is served by its first receipt unless preempted, and then by the
    order the preempting demand makes (``_preempted``). The probability stored counts
    both risks (``_ready_probability``).

    Args:
        today: the planning day.
        lines: the item's open lines; those with nothing backordered are skipped.
        incoming: open purchase orders for the item (any order).
        replenishment_lead_time: lead time of an order placed today for uncovered units.
        confidence: target probability that a promise is kept.
        aging_days: the allocation rule's priority ageing (see ``allocation``).
        preemption: what customers of a priority strictly ahead of the given one
            (1 … p − 1) may yet order of the item; None: nobody.
    """
    schedule = sorted(
        ((inc.arrival(today, confidence), inc) for inc in incoming if inc.units > 0),
        key=lambda pair: pair[0],
    )
    supply = list(accumulate(inc.units for _, inc in schedule))
    fresh = Incoming(units=0, ordered_on=today, lead_time=replenishment_lead_time)
    ahead = _units_ahead(lines, sorted({arrival for arrival, _ in schedule}), aging_days)
    out: list[Promise] = []
    for line in waiting_queue(lines, today, aging_days):
        demand = (
            _NOBODY
            if preemption is None
            else preemption(effective_priority(line, today, aging_days))
        )
        day = fresh.arrival(today, confidence)
        plain: _Receipt | None = None
        for (arrival, inc), covered in zip(schedule, supply, strict=True):
            slack = covered - ahead[arrival][id(line)] - line.backordered
            if slack < 0:
                continue
            plain = plain or (arrival, inc, slack, demand)
            if demand.cdf(slack, (arrival - today).days) >= confidence:
                day, plain = arrival, (arrival, inc, slack, demand)
                break
        else:
            if plain is not None:
                day = _preempted(plain, day, today, confidence)
        probability = (
            fresh.probability_by(day, today)
            if plain is None
            else _ready_probability(day, plain, fresh, today)
        )
        out.append(Promise(line.id, day, probability))
    return out


def _units_ahead(
    lines: Sequence[WaitingLine], days: Sequence[dt.date], aging_days: int
) -> dict[dt.date, dict[int, int]]:
    """{day: {id(line): units waiting ahead of it}}, in the queue of that day: the
    receipt due then is shared by the priorities the lines will have aged to by then,
    so a line that waits long enough overtakes the ones it was behind today."""
    out: dict[dt.date, dict[int, int]] = {}
    for day in days:
        units = 0
        ahead: dict[int, int] = {}
        for line in waiting_queue(lines, day, aging_days):
            ahead[id(line)] = units
            units += line.backordered
        out[day] = ahead
    return out


def _preempted(
    plain: _Receipt,
    fresh_day: dt.date,
    today: dt.date,
    confidence: float,
) -> dt.date:
    """The day for a line whose receipt (``plain``) is not safe from preemption.

    Units ahead of the line come as S(t) (``DemandAhead``); the receipt on day a
    leaves ``slack`` units to spare, so the line is preempted at τ, when S passes
    ``slack``: F(t) = P(τ ≤ t) = 1 − P(S(t) ≤ slack) (an Erlang law when each line asks
    for one unit). The preempting
    demand's own order (placed at τ, arriving τ + q; q = ``fresh_day`` − today) then
    serves the line: it is ready at max(a, τ + q), or at a if τ ≥ a. So
    P(ready ≤ d) = 1 − F(a) + F(d − q) for a ≤ d ≤ a + q, and the promise is the first
    d ≥ a with F(d − q) ≥ F(a) − (1 − confidence).
    """
    arrival, _, slack, demand = plain
    lead = (fresh_day - today).days
    span = (arrival - today).days

    def erlang(days: int) -> float:
        return 1.0 - demand.cdf(slack, days)

    need = erlang(span) - (1.0 - confidence)
    wait = next((t for t in range(span + 1) if erlang(t) >= need), span)
    return max(arrival, today + dt.timedelta(days=wait + lead))


def _ready_probability(day: dt.date, plain: _Receipt, fresh: Incoming, today: dt.date) -> float:
    """P(the line is ready by ``day``), counting both risks the rule weighs.

    The line's receipt arrives on day s (its lead-time law, given it has not come). The
    line is ready then unless a unit ahead of it arrived first, at τ ≤ s (the Erlang F
    of ``_preempted``); in that case the preempting demand's own order, placed at τ and
    arriving τ + Q (Q the lead time of an order placed then), serves it at
    max(s, τ + Q). So, summing over the arrival day s ≤ ``day``:

        P = Σ_s P(A = s) · [1 − F(s) + Σ_{t=1..s} (F(t) − F(t − 1)) · P(Q ≤ day − t)]

    with days counted from today and τ counted at the end of its day, which errs low.
    Demand ahead and deliveries are taken as independent.
    """
    _, source, slack, demand = plain
    if demand.lines_per_day <= 0.0:
        return source.probability_by(day, today)
    left = (day - today).days
    total = caught = preempted = reached = 0.0
    for s in range(left + 1):
        if s > 0:
            f_s = 1.0 - demand.cdf(slack, s)
            caught += (f_s - preempted) * fresh.lead_time.cdf(left - s)
            preempted = f_s
        by_s = source.probability_by(today + dt.timedelta(days=s), today)
        total += (by_s - reached) * (1.0 - preempted + caught)
        reached = by_s
    return min(1.0, max(0.0, total))
