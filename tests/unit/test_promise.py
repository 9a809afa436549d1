"""Promise dates from open purchase orders and the supplier's lead-time distribution."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pytest
from tests.unit.conftest import lull

from subzero.domain.errors import InvalidParameter
from subzero.domain.promise import (
    REST_WEIGHT,
    DemandAhead,
    Incoming,
    LeadTime,
    Promise,
    promise_lines,
)

TODAY = dt.date(2026, 3, 2)
T0 = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)


@dataclass
class Line:
    id: int
    priority: int
    backordered: int
    placed_at: dt.datetime = T0
    first_promised_date: dt.date | None = None


def test_deterministic_lead_time_promises_exactly_lead_time() -> None:
    lt = LeadTime(5)
    assert lt.quantile_days(0.9) == 5
    assert lt.cdf(5) == 1.0 and lt.cdf(4.99) == 0.0


def test_uncertain_lead_time_adds_safety_days() -> None:
    # z_0.9 = 1.2816: 5 + 1.2816 * 2 = 7.56 -> promise 8 days; P(LT <= 8) = Phi(1.5) = 0.933
    lt = LeadTime(5, 2)
    assert lt.quantile_days(0.9) == 8
    assert lt.cdf(8) == pytest.approx(NormalDist().cdf(1.5))
    assert lt.quantile_days(0.5) == 5


def test_confidence_out_of_range() -> None:
    with pytest.raises(InvalidParameter):
        LeadTime(5, 1).quantile_days(1.0)


def test_one_po_covers_both_lines() -> None:
    lines = [Line(1, 5, 2), Line(2, 1, 4)]
    incoming = [Incoming(6, TODAY, LeadTime(5))]
    promises = promise_lines(
        today=TODAY, lines=lines, incoming=incoming, replenishment_lead_time=LeadTime(5)
    )
    assert {p.line_id: p.date for p in promises} == {
        1: TODAY + dt.timedelta(5),
        2: TODAY + dt.timedelta(5),
    }
    assert all(p.probability == 1.0 for p in promises)


def test_high_priority_takes_the_earlier_receipt() -> None:
    lines = [Line(1, 5, 2), Line(2, 1, 2)]
    incoming = [
        Incoming(2, TODAY - dt.timedelta(days=2), LeadTime(5)),  # due in 3 days
        Incoming(2, TODAY, LeadTime(5)),  # due in 5 days
    ]
    promises = {
        p.line_id: p.date
        for p in promise_lines(
            today=TODAY, lines=lines, incoming=incoming, replenishment_lead_time=LeadTime(5)
        )
    }
    assert promises == {2: TODAY + dt.timedelta(3), 1: TODAY + dt.timedelta(5)}


def test_uncovered_units_promised_as_a_new_order() -> None:
    lines = [Line(1, 1, 3), Line(2, 2, 4)]
    incoming = [Incoming(4, TODAY, LeadTime(2))]
    promises = {
        p.line_id: p
        for p in promise_lines(
            today=TODAY, lines=lines, incoming=incoming, replenishment_lead_time=LeadTime(10, 3)
        )
    }
    assert promises[1].date == TODAY + dt.timedelta(2)
    # line 2 gets 1 unit from the PO, 3 from an order placed today: 10 + 1.2816*3 -> 14 days
    assert promises[2].date == TODAY + dt.timedelta(math.ceil(10 + 1.2816 * 3))
    assert promises[2].probability >= 0.9


def test_late_po_is_never_promised_in_the_past() -> None:
    late = Incoming(1, TODAY - dt.timedelta(days=6), LeadTime(5, 2))
    (promise,) = promise_lines(
        today=TODAY, lines=[Line(1, 1, 1)], incoming=[late], replenishment_lead_time=LeadTime(5)
    )
    assert promise.date >= TODAY


def test_lines_not_waiting_get_no_promise_here() -> None:
    assert (
        promise_lines(
            today=TODAY, lines=[Line(1, 1, 0)], incoming=[], replenishment_lead_time=LeadTime(5)
        )
        == []
    )


def test_a_po_later_than_its_lead_time_allows_is_dated_as_if_sent_again() -> None:
    """A deterministic 5-day supplier 9 days on: nothing in the model says when it comes,
    so a line that needs it cannot be told any confidence (it once said 1.0), and is
    dated as if the order were sent again today (it once said "today", every day). A
    line ahead in the queue (alice, priority 1) takes the new order due the same day,
    which the model can still date; bob, who needs the late one too, is told 0."""
    late = Incoming(1, TODAY - dt.timedelta(days=9), LeadTime(5))
    fresh = Incoming(1, TODAY, LeadTime(5))
    assert late.lead_time.quantile_days(0.9, waited_days=9) is None
    assert late.refuted(TODAY) and not fresh.refuted(TODAY)
    (promise,) = promise_lines(
        today=TODAY, lines=[Line(1, 1, 1)], incoming=[late], replenishment_lead_time=LeadTime(5)
    )
    assert (promise.date, promise.probability) == (TODAY + dt.timedelta(days=5), 0.0)
    alice, bob = promise_lines(
        today=TODAY,
        lines=[Line(1, 1, 1), Line(2, 5, 1)],
        incoming=[late, fresh],
        replenishment_lead_time=LeadTime(5),
    )
    assert (alice.line_id, alice.date, alice.probability) == (1, TODAY + dt.timedelta(5), 1.0)
    assert (bob.line_id, bob.date, bob.probability) == (2, TODAY + dt.timedelta(5), 0.0)


def test_an_order_not_come_is_promised_by_the_conditional_quantile() -> None:
    """Lead time Normal(5, 2), sent 6 days ago and not come: 𝓛 ≥ 6, i.e. 𝓛 > 5.
    P(𝓛 ≤ 5) = Φ(0) = 0.5, so the day must reach Φ((d − 5)/2) ≥ 0.5 + 0.9 · 0.5 = 0.95:
    d ≥ 5 + 1.6449 · 2 = 8.29 -> day 9 after sending, 3 days from today (8 unconditioned)."""
    lead = LeadTime(5, 2)
    assert lead.quantile_days(0.9) == 8
    assert lead.quantile_days(0.9, waited_days=6) == 9
    sent = TODAY - dt.timedelta(days=6)
    incoming = Incoming(1, sent, lead)
    assert incoming.arrival(TODAY, 0.9) == sent + dt.timedelta(days=9)
    expected = (NormalDist().cdf(2.0) - 0.5) / 0.5  # P(𝓛 ≤ 9 | 𝓛 > 5)
    assert incoming.probability_by(sent + dt.timedelta(days=9), TODAY) == pytest.approx(expected)
    # a day before sending plus one: conditioning on 𝓛 ≥ 1 changes nothing visible
    assert lead.quantile_days(0.9, waited_days=1) == 8


def test_deliveries_are_mixed_with_the_stated_lead_time() -> None:
    """Dirichlet-process predictive (Ferguson 1973): stated L = 5 (σ = 0) weighs 5
    deliveries. Ten deliveries, each 3 days late: P(𝓛 ≤ 5..7) = 5/15, P(𝓛 ≤ 8) = 1;
    the 90 % day is 8, and the median still 8 (1/3 < 0.5)."""
    lead = LeadTime(5, 0, (3,) * 10)
    assert lead.cdf(5) == pytest.approx(5 / 15)
    assert lead.cdf(7) == pytest.approx(5 / 15)
    assert lead.cdf(8) == 1.0
    assert lead.quantile_days(0.9) == 8
    assert lead.quantile_days(0.3) == 5
    # early deliveries pull the date in only as far as the stated law allows: with
    # 45 deliveries a day early, P(𝓛 ≤ 4) = 45/50 = 0.9 -> day 4
    assert LeadTime(5, 0, (-1,) * 45).quantile_days(0.9) == 4
    assert LeadTime(5, 0, (-1,) * 44).quantile_days(0.9) == 5  # 44/49 < 0.9


def test_an_order_that_missed_its_usual_day_is_promised_as_the_late_ones_came() -> None:
    """38 of 40 deliveries on the day, 2 four days late. Unconditioned, the 90 % day is
    the stated 5 (P(𝓛 ≤ 5) = 43/45); once day 5 has passed, only the late ones remain:
    day 9, for certain by the record."""
    lead = LeadTime(5, 0, (0,) * 38 + (4, 4))
    assert lead.quantile_days(0.9) == 5
    assert lead.quantile_days(0.9, waited_days=6) == 9
    assert lead.probability_by(9, waited_days=6) == pytest.approx(1.0)
    assert lead.probability_by(8, waited_days=6) == 0.0


def test_learned_lateness_keeps_promises_a_stated_lead_time_breaks() -> None:
    """A supplier states 7 ± 1 days but delivers 3 days later, ± 1.5 (simulated). Promised
    from its latest 10 or 50 deliveries mixed with the stated law, 90 % promises are
    kept about 90 % of the time, averaged over 200 supplier histories (one history's
    45th of 50 deliveries is itself a noisy estimate); from the stated lead time alone,
    about a third (P(N(10, 1.5) ≤ 9.5) = 0.37)."""
    rng = np.random.default_rng(11)

    def draws(n: int) -> np.ndarray:
        return np.maximum(0, np.rint(7 + 3 + rng.normal(0, 1.5, n))).astype(int)

    future = draws(20_000)
    for deliveries in (10, 50):
        kept = [
            np.mean(
                future
                <= LeadTime(7, 1, tuple(int(d) - 7 for d in draws(deliveries))).quantile_days(0.9)
            )
            for _ in range(200)
        ]
        assert 0.87 <= float(np.mean(kept)) <= 0.97, deliveries
    assert float(np.mean(future <= LeadTime(7, 1).quantile_days(0.9))) < 0.45


def test_the_stated_law_can_weigh_less_than_the_record() -> None:
    """Nine rests of 2 days against a stated 5: with the stated law weighing one
    delivery, P(≤ 2) = (1·0 + 9)/10 = 0.9, so 2 days at 0.9; weighing five (the lead
    time's default), 9/14 = 0.64 and the stated 5 days. A weight must be positive."""
    rests = (2 - 5,) * 9
    assert LeadTime(5, 0, rests, stated_weight=1.0).cdf(2) == pytest.approx(0.9)
    assert LeadTime(5, 0, rests, stated_weight=1.0).quantile_days(0.9) == 2
    assert LeadTime(5, 0, rests).cdf(2) == pytest.approx(9 / 14)
    assert LeadTime(5, 0, rests).quantile_days(0.9) == 5
    with pytest.raises(InvalidParameter, match="stated weight 0"):
        LeadTime(5, 0, rests, stated_weight=0.0)


def test_promises_for_the_rest_of_split_deliveries_are_kept_as_often_as_told() -> None:
    """A supplier that states 10 ± 2 days ships the rest of a split order 1 + Poisson(8)
    days after the first part (simulated). Promised from its latest 20 or 50 rests
    mixed with the stated law (weight ``REST_WEIGHT``), counted from the first part,
    90 % promises are kept about 90 % of the time over 200 supplier histories; a rest
    that has not come in 3 days is promised as the longer rests came."""
    rng = np.random.default_rng(5)
    future = 1 + rng.poisson(8, 20_000)
    for record in (20, 50):
        kept, kept_late = [], []
        for _ in range(200):
            rests = tuple(int(r) - 10 for r in 1 + rng.poisson(8, record))
            law = LeadTime(10, 2, rests, stated_weight=REST_WEIGHT)
            rest = Incoming(5, TODAY, law)
            kept.append(np.mean(future <= (rest.arrival(TODAY, 0.9) - TODAY).days))
            later = TODAY + dt.timedelta(days=3)
            waited = future[future >= 3]
            kept_late.append(np.mean(waited <= (rest.arrival(later, 0.9) - TODAY).days))
        assert 0.87 <= float(np.mean(kept)) <= 0.97, record
        assert 0.87 <= float(np.mean(kept_late)) <= 0.99, record


def _poisson_cdf(k: int, mean: float) -> float:
    return sum(math.exp(-mean) * mean**i / math.factorial(i) for i in range(k + 1))


def test_room_is_left_for_customers_ranked_ahead_who_may_yet_order() -> None:
    """alice (priority 1) waits for 4, bob (5) for 2; POs of 10 due in 5 days and 10 more
    in 9. Customers ahead of bob order 1 unit a day: by day 5, Poisson(5) units, and the
    first PO leaves 4 to spare: P(≤ 4) = 0.44 < 0.9. By day 9: 14 to spare against
    Poisson(9): P(≤ 14) = 0.959 ≥ 0.9, so bob is promised day 9. At 0.1 a day the first
    PO is safe (P(Poisson(0.5) ≤ 4) = 0.9998). alice has nobody ahead: day 5."""
    lines = [Line(1, 1, 4), Line(2, 5, 2)]
    incoming = [Incoming(10, TODAY, LeadTime(5)), Incoming(10, TODAY, LeadTime(9))]
    assert _poisson_cdf(4, 5.0) == pytest.approx(0.4405, abs=1e-4)
    assert _poisson_cdf(14, 9.0) == pytest.approx(0.9585, abs=1e-4)

    def promised(rate: float) -> dict[int | None, dt.date]:
        return {
            p.line_id: p.date
            for p in promise_lines(
                today=TODAY,
                lines=lines,
                incoming=incoming,
                replenishment_lead_time=LeadTime(5),
                preemption=lambda priority: DemandAhead(rate if priority > 1 else 0.0),
            )
        }

    assert promised(1.0) == {1: TODAY + dt.timedelta(5), 2: TODAY + dt.timedelta(9)}
    assert promised(0.1) == {1: TODAY + dt.timedelta(5), 2: TODAY + dt.timedelta(5)}


def test_a_line_no_receipt_keeps_safe_waits_for_a_lull_in_the_demand_ahead() -> None:
    """bob (priority 5) waits for 2 on a PO of 2 due in 3 days; customers ahead of him
    place 0.1 lines a day, each re-ordered from ACME (5 days). A line of theirs takes his
    units, and its order comes back 5 days later, when another may have come: he is
    ready once 5 days pass with no line ahead. P(one came by day 3) = 1 − e^(−0.3) =
    0.26 > 0.1, and then the window only slides after day 5: the closed form of
    ``lull`` gives day 12. With nobody ahead once bob has aged two steps (priority 3
    after 14 days, customers 1–2 then place no lines), a busier stream (2 lines a day,
    a lull of 5 days all but impossible) ends on day 14: the ageing rule's promise."""

    def promised(rate: float, busy_from: int = 1) -> Promise:
        (p,) = promise_lines(
            today=TODAY,
            lines=[Line(1, 5, 2)],
            incoming=[Incoming(2, TODAY, LeadTime(3))],
            replenishment_lead_time=LeadTime(5),
            preemption=lambda priority: DemandAhead(rate if priority > busy_from else 0.0),
        )
        return p

    day, ready = lull(3, 0.1)
    assert day == 12
    quiet = promised(0.1)
    assert quiet.date == TODAY + dt.timedelta(day)
    assert quiet.probability == pytest.approx(ready)
    busy = promised(2.0, busy_from=3)
    assert (busy.date, busy.probability) == (TODAY + dt.timedelta(14), 1.0)


def test_preemption_only_counts_customers_ranked_ahead() -> None:
    """The rate is asked for the line's aged priority: alice (1) has nobody ahead, and a
    rate of 0 gives the plain walk."""
    asked: list[int] = []

    def rate(priority: int) -> DemandAhead:
        asked.append(priority)
        return DemandAhead(0.0)

    lines = [Line(1, 1, 1), Line(2, 5, 1)]
    plain = promise_lines(
        today=TODAY, lines=lines, incoming=[Incoming(2, TODAY, LeadTime(4))],
        replenishment_lead_time=LeadTime(5),
    )  # fmt: skip
    with_rate = promise_lines(
        today=TODAY, lines=lines, incoming=[Incoming(2, TODAY, LeadTime(4))],
        replenishment_lead_time=LeadTime(5), preemption=rate,
    )  # fmt: skip
    assert plain == with_rate and sorted(asked) == [1, 5]


def test_the_probability_told_counts_the_risk_of_preemption() -> None:
    """bob's day-9 promise above (deterministic receipt, 14 units to spare, customers
    ahead at 1 a day) is kept unless 15 units ahead come by day 9, P = 1 −
    P(Poisson(9) ≤ 14), and even then if they came by day 4, since the order they make
    (5 days) arrives by day 9: P = P(Poisson(9) ≤ 14) + 1 − P(Poisson(4) ≤ 14). The
    line no receipt keeps safe (0.1 lines a day ahead, a PO of 3 ± 1 days, order 5
    days) waits for a lull, ``lull``, and the PO's own chance of coming by then counts
    too."""
    (_, bob) = promise_lines(
        today=TODAY,
        lines=[Line(1, 1, 4), Line(2, 5, 2)],
        incoming=[Incoming(10, TODAY, LeadTime(5)), Incoming(10, TODAY, LeadTime(9))],
        replenishment_lead_time=LeadTime(5),
        preemption=lambda priority: DemandAhead(1.0 if priority > 1 else 0.0),
    )
    assert bob.date == TODAY + dt.timedelta(9)
    assert bob.probability == pytest.approx(_poisson_cdf(14, 9.0) + 1 - _poisson_cdf(14, 4.0))
    (waiting,) = promise_lines(
        today=TODAY,
        lines=[Line(1, 5, 2)],
        incoming=[Incoming(2, TODAY, LeadTime(3, 1))],
        replenishment_lead_time=LeadTime(5),
        preemption=lambda priority: DemandAhead(0.1),
    )
    # the PO (3 ± 1 days) is due by day 5 at 0.9; then the lull of the test above
    day, ready = lull(5, 0.1)
    assert waiting.date == TODAY + dt.timedelta(day)
    assert waiting.probability == pytest.approx(NormalDist(3, 1).cdf(day) * ready)


@pytest.mark.parametrize(
    ("units", "need", "mean", "sd", "rate"),
    [
        (3, 1, 5, 2, 0.1),
        (3, 1, 5, 2, 1.0),
        (6, 2, 6, 2, 0.3),
        (4, 2, 6, 1, 0.5),
        (10, 2, 4, 1, 0.3),
    ],
)
def test_the_probability_told_matches_a_simulation_of_the_risks(
    units: int, need: int, mean: float, sd: float, rate: float
) -> None:
    """Simulate what the promise reasons about: the receipt comes at A ~ Normal(mean,
    sd); lines ahead of the line (one unit each) come as a Poisson process, each takes
    a unit before it and is re-ordered, back 5 days later. The line is ready at the
    first moment t ≥ A, A or a re-order's arrival, when no more than its slack came
    ahead in (t − 5, t]. The probability told is that of being ready by the promised
    day, erring low by up to 5 points (days are looked at four times a day, and the
    scan is a Markov-type approximation) and never high by more than a point."""
    (promise,) = promise_lines(
        today=TODAY,
        lines=[Line(1, 5, need)],
        incoming=[Incoming(units, TODAY, LeadTime(mean, sd))],
        replenishment_lead_time=LeadTime(5),
        preemption=lambda priority: DemandAhead(rate),
    )
    day = (promise.date - TODAY).days
    rng = np.random.default_rng(7)
    kept = 0
    for arrival in rng.normal(mean, sd, 10_000):
        came = np.sort(rng.uniform(0.0, day, rng.poisson(rate * day)))
        moments = np.concatenate(([arrival], came + 5.0))
        moments = moments[(moments >= arrival) & (moments <= day)]
        in_window = np.searchsorted(came, moments, "right") - np.searchsorted(
            came, moments - 5.0, "right"
        )
        kept += bool(np.any(in_window <= units - need))
    simulated = kept / 10_000
    assert simulated - 0.05 <= promise.probability <= simulated + 0.01


def test_demand_ahead_in_lumps_is_the_compound_poisson_law() -> None:
    """Lines at λ a day asking for Geometric(p) units each: S(t) is Pólya–Aeppli,
    P(S = 0) = e^(−λt), P(S = x) = e^(−λt) Σ_{n=1..x} (λt)^n / n! · C(x−1, n−1) p^n
    (1 − p)^(x−n) (Johnson, Kemp & Kotz 2005, Univariate Discrete Distributions, §9.7).
    One unit a line is plain Poisson; two units a line halves the count that fits."""
    p, rate, days = 0.55, 0.4, 6.0
    sizes = tuple((j, p * (1 - p) ** (j - 1)) for j in range(1, 60))
    lumpy = DemandAhead(rate, sizes)
    m = rate * days

    def polya_aeppli(x: int) -> float:
        if x == 0:
            return math.exp(-m)
        return math.exp(-m) * sum(
            m**n / math.factorial(n) * math.comb(x - 1, n - 1) * p**n * (1 - p) ** (x - n)
            for n in range(1, x + 1)
        )

    for units in (0, 1, 4, 9, 20):
        expected = sum(polya_aeppli(x) for x in range(units + 1))
        assert lumpy.cdf(units, days) == pytest.approx(expected, rel=1e-9)
    assert DemandAhead(1.0).cdf(14, 9.0) == pytest.approx(_poisson_cdf(14, 9.0))
    assert DemandAhead(1.0, ((2, 1.0),)).cdf(5, 3.0) == pytest.approx(_poisson_cdf(2, 3.0))
    assert DemandAhead(0.0).cdf(0, 30.0) == 1.0
    assert DemandAhead.observed({}, 28) == DemandAhead(0.0)


def test_demand_ahead_past_the_exact_table_takes_the_normal_approximation() -> None:
    """Past 128 units the cdf is Normal(λt E[X], λt E[X²]); for 50 lines a day of one
    unit over 4 days (Poisson(200)), P(S ≤ 210) = 0.7727 exactly (scipy) against
    Φ((210.5 − 200)/√200) = 0.7711."""
    from scipy.stats import poisson

    assert poisson.cdf(210, 200) == pytest.approx(0.7727, abs=1e-4)
    assert DemandAhead(50.0).cdf(210, 4.0) == pytest.approx(poisson.cdf(210, 200), abs=0.003)


def test_demand_ahead_refuses_nonsense() -> None:
    with pytest.raises(InvalidParameter, match="rate"):
        DemandAhead(-1.0)
    with pytest.raises(InvalidParameter, match="sizes"):
        DemandAhead(1.0, ((0, 1.0),))
    with pytest.raises(InvalidParameter, match="no weight"):
        DemandAhead(1.0, ((3, 0.0),))


def test_a_customer_who_orders_in_lumps_takes_more_room_than_one_who_orders_singly() -> None:
    """Same 4 units a month ahead of bob, who has 3 to spare on a PO in 5 days: as four
    lines of one, P(Poisson(5/7) ≤ 3) = 0.9938 and the PO is safe; as one line of four,
    the next such line takes them all, P(none in 5 days) = e^(−5/28) = 0.84 < 0.9, and
    bob waits for 5 days without such a line (``lull``)."""
    assert _poisson_cdf(3, 5 / 7) == pytest.approx(0.9938, abs=1e-4)

    def promised(ahead: DemandAhead) -> dt.date:
        (p,) = promise_lines(
            today=TODAY,
            lines=[Line(1, 5, 1)],
            incoming=[Incoming(4, TODAY, LeadTime(5))],
            replenishment_lead_time=LeadTime(5),
            preemption=lambda priority: ahead,
        )
        return p.date

    assert promised(DemandAhead.observed({1: 4}, 28)) == TODAY + dt.timedelta(5)
    assert lull(5, 1 / 28)[0] == 8
    assert promised(DemandAhead.observed({4: 1}, 28)) == TODAY + dt.timedelta(8)


def test_a_line_that_will_have_aged_past_another_by_the_receipt_is_served_first() -> None:
    """Today ann (priority 2) is ahead of ben (priority 3, waiting 6 days). Priority ages
    one step a week (``allocation``), so tomorrow ben is at 2 too, and ahead of ann on
    the next key, his earlier first promise. The PO of 2 due in 5 days is shared by the
    queue of that day: it goes to ben, and ann waits for the second one, due in 8."""
    ann = Line(1, 2, 2)
    ben = Line(2, 3, 2, placed_at=T0 - dt.timedelta(days=6), first_promised_date=TODAY)
    promises = promise_lines(
        today=TODAY,
        lines=[ann, ben],
        incoming=[Incoming(2, TODAY, LeadTime(5)), Incoming(2, TODAY, LeadTime(8))],
        replenishment_lead_time=LeadTime(10),
    )
    assert {p.line_id: p.date for p in promises} == {
        1: TODAY + dt.timedelta(8),
        2: TODAY + dt.timedelta(5),
    }
