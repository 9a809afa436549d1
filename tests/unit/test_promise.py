"""Promise dates from open purchase orders and the supplier's lead-time distribution."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from statistics import NormalDist

import pytest

from subzero.domain.errors import InvalidParameter
from subzero.domain.promise import Incoming, LeadTime, promise_lines

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
    late = Incoming(1, TODAY - dt.timedelta(days=9), LeadTime(5))
    (promise,) = promise_lines(
        today=TODAY, lines=[Line(1, 1, 1)], incoming=[late], replenishment_lead_time=LeadTime(5)
    )
    assert promise.date == TODAY


def test_lines_not_waiting_get_no_promise_here() -> None:
    assert (
        promise_lines(
            today=TODAY, lines=[Line(1, 1, 0)], incoming=[], replenishment_lead_time=LeadTime(5)
        )
        == []
    )
