"""The demo on the in-memory unit of work: subzero's policies must visibly help."""

from __future__ import annotations

import datetime as dt

from tests.fakes import FakeUnitOfWork, _Store

from subzero.service.demo import DemoClock, DemoConfig, run_demo
from subzero.service.messagebus import MessageBus


def test_policies_set_half_way_raise_fill_rate_and_cut_waits() -> None:
    store = _Store()
    clock = DemoClock(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC))
    bus = MessageBus(lambda: FakeUnitOfWork(store), clock=clock.now)
    report = run_demo(bus, lambda: FakeUnitOfWork(store), clock, DemoConfig(days=40, items=12))
    before, after = report.kpis_before, report.kpis_after
    assert report.policies_set > 0
    assert report.policy_day == dt.date(2026, 6, 1) - dt.timedelta(days=40 - 20)
    assert after.fill_rate > before.fill_rate + 0.1
    assert after.mean_wait_days < before.mean_wait_days
    assert report.policy_day < report.steady_from <= report.end
    assert before.lines + after.lines < report.kpis.lines  # the transition is left out
