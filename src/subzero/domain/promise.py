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

The rest of an order the supplier split (part received, the rest still to come) is a
new wait that starts the day the first part came: until the supplier has split a
delivery before, as if the rest were ordered that day, on the stated law; then each of
its recent split deliveries, as the days from the first receipt to the last, is mixed in
with the stated law weighing ``REST_WEIGHT`` delivery (the same posterior, with a base
that states nothing about splits and so counts for little).

An order sent k ≥ 1 days ago that has not come has 𝓛 ≥ k, so its arrival is the
conditional quantile: the first d ≥ k with P(𝓛 ≤ d | 𝓛 ≥ k) ≥ confidence. An order
later than anything the model allows (P(𝓛 ≥ k) ≈ 0) has refuted it: it is dated as if
sent again today (a new lead time from today, so no customer is told "today" day after
day), behind any order due the same day that the model can still date, and a line
that needs it is told probability 0; ``alerts`` flags it.

Customers ranked ahead of a line may yet order and take arriving stock first (the
allocation rule puts priority before order time): ``promise_lines`` keeps a receipt for
a line only if it is safe, at ``confidence``, from their demand until it arrives.
Otherwise whatever they take is ordered again and comes back a lead time later, by
when more may have come: the line is ready once its receipts cover what was asked for
ahead over the last lead time, and is promised when that is likely enough
(``_overtaken``, a scan statistic; as its priority ages, fewer are ahead). Their
demand (``DemandAhead``) is compound Poisson: order lines come at the rate they came
recently, each asking for as many units as a recent line did, so an item ordered ten at
a time is not mistaken for one ordered one at a time.

The probability stored with a promise is the chance the line is ready by then: that the
receipt it relies on comes, P(𝓛 ≤ promised − t0 | 𝓛 ≥ k), times the chance that no
customer ranked ahead takes it first or that, if one does, the order their demand makes
comes in time too (``_ready_probability``, ``_overtaken``). The date rule weighs each
risk against ``confidence`` apart, so the product can fall a little below it.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from statistics import NormalDist

from subzero.domain.allocation import WaitingLine, effective_priority, waiting_queue
from subzero.domain.errors import InvalidParameter

__all__ = [
    "REST_WEIGHT",
    "STATED_WEIGHT",
    "DemandAhead",
    "Incoming",
    "LeadTime",
    "Promise",
    "promise_lines",
]

STATED_WEIGHT = 5.0
REST_WEIGHT = 1.0
_NEGLIGIBLE = 1e-9
_EXACT_UNITS = 128  # beyond this many units, DemandAhead.cdf takes the Normal approximation
_HORIZON_DAYS = 366  # a line overtaken again and again is promised within a year at most
_STEPS_PER_DAY = 4  # the scan of a line overtaken again and again looks every 6 hours


@dataclass(frozen=True, slots=True)
class LeadTime:
    """A supplier lead time in days (see the module docstring for the rule).

    Args:
        mean_days: the stated lead time [L].
        sd_days: the stated standard deviation [σ]; 0 means exactly ``mean_days``.
        lateness_days: the supplier's recent deliveries, each as days received after
            the date expected when it was sent (negative: early); empty before any.
        stated_weight: how many deliveries the stated law weighs [w].
    """

    mean_days: float
    sd_days: float = 0.0
    lateness_days: tuple[int, ...] = ()
    stated_weight: float = STATED_WEIGHT

    def __post_init__(self) -> None:
        if not self.stated_weight > 0.0:
            raise InvalidParameter(f"stated weight {self.stated_weight}; must be > 0")
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
        w = self.stated_weight
        return (w * stated + seen) / (w + len(self.lateness_days))

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
        λt E[X] and variance λt E[X²] (continuity-corrected). Tables of k = 0 … 2^m
        units are built once per law and span of days (``_cdfs``)."""
        mean = self.lines_per_day * days
        if mean <= 0.0 or units < 0:
            return 1.0 if units >= 0 else 0.0
        if units > _EXACT_UNITS:
            first = sum(j * q for j, q in self.sizes)
            second = sum(j * j * q for j, q in self.sizes)
            return NormalDist(mean * first, math.sqrt(mean * second)).cdf(units + 0.5)
        return _cdfs(self, max(16, 1 << (units - 1).bit_length()), days)[units]

    def cdfs(self, top: int, days: float) -> tuple[float, ...]:
        """(P(S(days) ≤ k) for k = 0 … top) at once (``cdf`` for each k), remembered:
        a scan asks for the same windows step after step."""
        return _cdfs(self, top, days)


@lru_cache(maxsize=4096)
def _cdfs(demand: DemandAhead, top: int, days: float) -> tuple[float, ...]:
    mean = demand.lines_per_day * days
    if mean <= 0.0:
        return (1.0,) * (top + 1)
    if top > _EXACT_UNITS:
        return tuple(demand.cdf(k, days) for k in range(top + 1))
    table = _sums_within(demand.sizes, max(16, 1 << (max(top, 1) - 1).bit_length()))
    log_mean = math.log(mean)
    out = [0.0] * (top + 1)
    for n, within in enumerate(table[: top + 1]):
        weight = math.exp(n * log_mean - mean - math.lgamma(n + 1))
        for k in range(n, top + 1):  # n lines ask for n units at least
            out[k] += weight * within[k]
    return tuple(min(1.0, v) for v in out)


@lru_cache(maxsize=256)  # bounded: a long-running process sees many items' laws
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
        if days is None:  # later than the lead time allows: as if sent again today
            again = self.lead_time.quantile_days(confidence)
            assert again is not None  # not waited: always within reach
            return today + dt.timedelta(days=again)
        return max(self.ordered_on + dt.timedelta(days=days), today)

    def refuted(self, today: dt.date) -> bool:
        """Whether the order is later than anything its lead time allows."""
        waited = self._waited(today)
        return waited >= 1 and self.lead_time._gone(waited) is None

    def probability_by(self, day: dt.date, today: dt.date) -> float:
        return self.lead_time.probability_by(
            (day - self.ordered_on).days, waited_days=self._waited(today)
        )

    def _waited(self, today: dt.date) -> int:
        return max(0, (today - self.ordered_on).days)


_NOBODY = DemandAhead(0.0)


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
    receipt keeps safe waits for a lull in that demand (``_overtaken``). The probability
    stored counts both risks (``_ready_probability``, ``_overtaken``).

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
    schedule = sorted(  # on a day, orders the model can still date before refuted ones
        ((inc.arrival(today, confidence), inc) for inc in incoming if inc.units > 0),
        key=lambda pair: (pair[0], pair[1].refuted(today)),
    )
    supply = list(accumulate(inc.units for _, inc in schedule))
    fresh = Incoming(units=0, ordered_on=today, lead_time=replenishment_lead_time)
    ahead = _units_ahead(lines, sorted({arrival for arrival, _ in schedule}), aging_days)
    out: list[Promise] = []
    for line in waiting_queue(lines, today, aging_days):
        law = _laws(line, today, aging_days, preemption)
        demand = law(0)
        steps: list[tuple[dt.date, Incoming, int]] = []  # receipts covering the line
        for (arrival, inc), covered in zip(schedule, supply, strict=True):
            slack = covered - ahead[arrival][id(line)] - line.backordered
            if slack < 0:
                continue
            steps.append((arrival, inc, slack))
            if demand.cdf(slack, (arrival - today).days) >= confidence:
                probability = _ready_probability(arrival, inc, slack, demand, fresh, today)
                out.append(Promise(line.id, arrival, probability))
                break
        else:
            if steps:  # no receipt is safe: overtaken, perhaps again and again
                lead = replenishment_lead_time.quantile_days(0.5) or 0  # the typical re-order
                day, ready, source = _overtaken(steps, law, lead, today, confidence)
                out.append(Promise(line.id, day, source.probability_by(day, today) * ready))
            else:  # nothing open covers it: as if ordered today
                day = fresh.arrival(today, confidence)
                out.append(Promise(line.id, day, fresh.probability_by(day, today)))
    return out


def _laws(
    line: WaitingLine,
    today: dt.date,
    aging_days: int,
    preemption: Callable[[int], DemandAhead] | None,
) -> Callable[[int], DemandAhead]:
    """The demand ahead of ``line`` on day t from today, as its priority ages."""
    if preemption is None:
        return lambda t: _NOBODY
    return lambda t: preemption(effective_priority(line, today + dt.timedelta(days=t), aging_days))


def _overtaken(
    steps: Sequence[tuple[dt.date, Incoming, int]],
    law: Callable[[int], DemandAhead],
    lead: int,
    today: dt.date,
    confidence: float,
) -> tuple[dt.date, float, Incoming]:
    """(day, P(ready by then), the receipt it rests on) for a line no receipt keeps safe.

    Every unit a customer ahead takes is ordered again and comes ``lead`` days later
    (make-to-order, base-stock), so on day t the line's receipts, with s_t units to
    spare, are short only of what was asked for ahead in the last ``lead`` days: it is
    ready on the first day t ≥ a (its first receipt) with W_t = D(t − lead, t] ≤ s_t, a
    scan statistic. P(not ready by d) is the chance that W_t > s_t on every day from a
    to d, taken as a Markov chain of the failures (a Markov-type scan approximation,
    Naus 1982, J. Amer. Statist. Assoc. 77(377)): P(F_a) Π_t P(F_t | F_{t−1}), where
    W_{t−1} = Y + M, W_t = M + X share M, the demand of the days both windows hold. The
    demand law is that of the line's priority on day t, which ages, so the chain ends
    at the latest when nobody is ahead. The chain steps a quarter day at a time
    (``_STEPS_PER_DAY``: stock can come at any hour, and a day-long step errs low by up
    to 7 points at high contention in a simulation of the process, against 4), and the
    promise is the first day's end with P(ready) ≥ ``confidence``, within
    ``_HORIZON_DAYS``.
    """
    k = _STEPS_PER_DAY
    first = (steps[0][0] - today).days * k
    _, source, slack = steps[0]
    fail = 1.0 - law(first // k).cdf(slack, min(lead * k, first) / k)
    step = 0
    for t in range(first, first + _HORIZON_DAYS * k + 1):
        if t > first:
            before = slack
            while step + 1 < len(steps) and (steps[step + 1][0] - today).days * k <= t:
                step += 1
            _, source, slack = steps[step]
            fail *= _still_short(law(t // k), t, lead * k, before, slack)
        if t % k == 0 and 1.0 - fail >= confidence - 1e-12:
            break
    return today + dt.timedelta(days=t // k), 1.0 - fail, source


def _still_short(demand: DemandAhead, t: int, lead: int, before: int, now: int) -> float:
    """P(W_t > now | W_{t−1} > before) for windows of ``lead`` steps (of 1/k day,
    ``_STEPS_PER_DAY``) ending at steps t − 1 and t; steps 1 … are the future. The
    slacks ``before`` and ``now`` are ≥ 0: only receipts that cover the line count."""
    k = _STEPS_PER_DAY
    window = min(lead, t - 1)  # the steps W_{t−1} holds
    if window <= 0:  # nothing asked for yet: the line, covered, is ready
        return 0.0
    top = max(before, now)
    short_before = 1.0 - demand.cdfs(top, window / k)[before]
    if short_before <= _NEGLIGIBLE:
        return 0.0
    dropped = t - lead >= 1  # Y: the step W_{t−1} holds and W_t does not
    shared = window - 1 if dropped else window  # M: the steps both windows hold
    m_cdf = demand.cdfs(top, shared / k)
    step_cdf = demand.cdfs(top, 1 / k)

    def tail_step(units: int) -> float:  # P(X > units) for one step's demand
        return 1.0 if units < 0 else 1.0 - step_cdf[units]

    both = 1.0 - m_cdf[top]  # M alone already more than either slack
    for m in range(top + 1):
        p_m = m_cdf[m] - (m_cdf[m - 1] if m else 0.0)
        if p_m <= 0.0:
            continue
        y = tail_step(before - m) if dropped else (1.0 if m > before else 0.0)
        both += p_m * y * tail_step(now - m)
    return min(1.0, max(0.0, both / short_before))


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


def _ready_probability(
    day: dt.date,
    source: Incoming,
    slack: int,
    demand: DemandAhead,
    fresh: Incoming,
    today: dt.date,
) -> float:
    """P(the line is ready by ``day``), counting both risks the rule weighs.

    For a receipt (``source``, leaving ``slack`` units to spare) safe at ``confidence``
    against ``demand`` ahead (a second overtaking is rare then). The line's receipt
    arrives on day s (its lead-time law, given it has not come). The line is
    ready then unless the demand ahead passed its slack first, at τ ≤ s (F(t) =
    P(τ ≤ t) = 1 − P(S(t) ≤ slack)); in that case the preempting demand's own order,
    placed at τ and arriving τ + Q (Q the lead time of an order placed then), serves it
    at max(s, τ + Q). So, summing over the arrival day s ≤ ``day``:

        P = Σ_s P(A = s) · [1 − F(s) + Σ_{t=1..s} (F(t) − F(t − 1)) · P(Q ≤ day − t)]

    with days counted from today and τ counted at the end of its day, which errs low.
    Demand ahead and deliveries are taken as independent.
    """
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
