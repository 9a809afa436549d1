"""The allocation rule: priority, then promise date at risk, then order time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from subzero.domain.allocation import allocate, effective_priority, waiting_queue

T0 = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)


@dataclass
class Line:
    id: int
    priority: int
    backordered: int
    placed_at: dt.datetime = T0
    first_promised_date: dt.date | None = None


def test_priority_beats_order_time() -> None:
    early_low = Line(1, priority=5, backordered=2, placed_at=T0)
    late_high = Line(2, priority=1, backordered=4, placed_at=T0 + dt.timedelta(hours=3))
    assert [(a.line_id, a.units) for a in allocate(3, [early_low, late_high])] == [(2, 3)]


def test_same_priority_earlier_promise_first() -> None:
    a = Line(1, 3, 2, T0, first_promised_date=dt.date(2026, 1, 20))
    b = Line(2, 3, 2, T0 + dt.timedelta(days=1), first_promised_date=dt.date(2026, 1, 12))
    assert [ln.id for ln in waiting_queue([a, b])] == [2, 1]


def test_never_promised_sorts_after_promised() -> None:
    a = Line(1, 3, 2, T0, first_promised_date=None)
    b = Line(2, 3, 2, T0 + dt.timedelta(days=1), first_promised_date=dt.date(2026, 2, 1))
    assert [ln.id for ln in waiting_queue([a, b])] == [2, 1]


def test_same_priority_and_promise_first_come_first_served() -> None:
    day = dt.date(2026, 1, 12)
    a = Line(7, 2, 1, T0 + dt.timedelta(minutes=5), day)
    b = Line(3, 2, 1, T0, day)
    assert [ln.id for ln in waiting_queue([a, b])] == [3, 7]


def test_partial_fill_and_never_more_than_free_or_needed() -> None:
    lines = [Line(1, 1, 2), Line(2, 2, 5), Line(3, 3, 1)]
    result = allocate(4, lines)
    assert [(a.line_id, a.units) for a in result] == [(1, 2), (2, 2)]
    assert [(a.line_id, a.units) for a in allocate(100, lines)] == [(1, 2), (2, 5), (3, 1)]


def test_nothing_free_nothing_allocated() -> None:
    lines = [Line(1, 1, 2)]
    assert allocate(0, lines) == [] and allocate(-3, lines) == []


def test_lines_not_waiting_are_ignored() -> None:
    assert allocate(5, [Line(1, 1, 0), Line(2, 9, 1)])[0].line_id == 2


def test_priority_ages_so_nobody_waits_forever() -> None:
    today = dt.date(2026, 2, 9)  # 35 days after T0
    walk_in = Line(1, priority=6, backordered=1, placed_at=T0)
    fleet = Line(2, priority=2, backordered=1, placed_at=T0 + dt.timedelta(days=35))
    # without ageing the fleet customer wins; after 5 weeks the walk-in is at priority 1
    assert [ln.id for ln in waiting_queue([walk_in, fleet])] == [2, 1]
    assert [ln.id for ln in waiting_queue([walk_in, fleet], today)] == [1, 2]
    assert effective_priority(walk_in, today) == 1
    assert effective_priority(walk_in, T0.date() + dt.timedelta(days=13)) == 5
    assert effective_priority(walk_in, today, aging_days=0) == 6
    assert [(a.line_id, a.units) for a in allocate(1, [walk_in, fleet], today)] == [(1, 1)]
