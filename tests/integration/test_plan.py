"""The planning run end to end: proposals from the database's state, idempotent release,
and the same result on a Dask cluster (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from subzero.bootstrap import Runtime
from subzero.domain import commands as c
from subzero.domain.errors import InvalidParameter
from subzero.service.planning_run import plan
from subzero.service.unit_of_work import ForecastValue
from subzero.service.views import purchase_orders


def _shop(runtime: Runtime, clock: Any, days: int = 28) -> None:
    bus = runtime.bus
    bus.handle(c.AddSupplier("SLOW", 6))
    bus.handle(c.AddSupplier("FAST", 1))
    bus.handle(c.AddCustomer("bob", 5))
    for i in range(6):
        bus.handle(c.AddItem(f"I{i}", "SLOW", 2, policy="base-stock:S=20"))
        bus.handle(
            c.SetSupplierTerms(f"I{i}", "SLOW", unit_price=Decimal("4.00"), moq=10, lot_size=5)
        )
    bus.handle(c.AddItem("J", "SLOW", 0, jit=True))
    bus.handle(c.SetSupplierTerms("J", "FAST", unit_price=Decimal("9.00")))
    _store_forecast(runtime, clock, days)


def _store_forecast(runtime: Runtime, clock: Any, days: int) -> None:
    with runtime.uow() as uow:  # a stored forecast: 3 units a day for every item
        run = uow.forecasts.add_run(clock.now, days, (0.5,), 7, 0.0)
        uow.forecasts.add_values(
            run,
            [
                ForecastValue(sku, clock.today + dt.timedelta(days=d), 3.0, 3.0, {})
                for sku in [f"I{i}" for i in range(6)] + ["J"]
                for d in range(days)
            ],
        )
        uow.commit()


def _run(runtime: Runtime, **kwargs: Any) -> list[dict[str, object]]:
    result = plan(runtime.uow(), runtime.bus.context(), forecast_source="stored", **kwargs)
    return [p.as_dict() for p in result.proposals]


def test_proposals_respect_terms_and_are_idempotent(runtime: Runtime, clock: Any) -> None:
    _shop(runtime, clock)
    first = _run(runtime)
    assert first == _run(runtime)  # running it twice proposes the same
    assert {p["sku"] for p in first} == {f"I{i}" for i in range(6)} | {"J"}
    for p in first:
        if str(p["sku"]).startswith("I"):
            assert p["supplier"] == "SLOW" and p["qty"] >= 10 and p["qty"] % 5 == 0  # MOQ, lot
            assert p["unit_price"] == "4.00" or Decimal(str(p["unit_price"])) == Decimal("4")
        assert dt.date.fromisoformat(str(p["order_date"])) >= clock.today
    # JIT: receipts just before the need, from the supplier that has terms for it
    jit = [p for p in first if p["sku"] == "J"]
    assert jit and all(
        (
            dt.date.fromisoformat(str(p["due_date"])) - dt.date.fromisoformat(str(p["order_date"]))
        ).days
        in (1, 6)
        for p in jit
    )

    result = plan(runtime.uow(), runtime.bus.context(), forecast_source="stored")
    released = runtime.bus.handle(c.ApplyProposals(result.proposals))
    due_today = [p for p in first if p["order_date"] == clock.today.isoformat()]
    assert len(released) == len({(p["sku"], p["supplier"], p["due_date"]) for p in due_today})
    pos_after = purchase_orders(runtime.uow())
    # a second apply of a fresh run never duplicates an open PO
    again = plan(runtime.uow(), runtime.bus.context(), forecast_source="stored")
    assert [p for p in again.proposals if p.order_date <= clock.today] == []
    runtime.bus.handle(c.ApplyProposals(again.proposals))
    assert purchase_orders(runtime.uow()) == pos_after


def test_a_stored_forecast_shorter_than_the_horizon_is_continued_and_a_stale_one_refused(
    runtime: Runtime, clock: Any
) -> None:
    """A 7-day stored forecast planned over 28 days: the 21 days it does not reach repeat
    its last week (3 a day), so the run proposes what a 28-day forecast of 3 a day does;
    read as zero demand they would propose less. A forecast that ended before today is
    refused, not planned as no demand at all."""
    _shop(runtime, clock, days=7)
    short = plan(runtime.uow(), runtime.bus.context(), forecast_source="stored")
    assert short.forecast_days_extended == 21
    _store_forecast(runtime, clock, 28)  # the latest run now reaches the horizon
    full = plan(runtime.uow(), runtime.bus.context(), forecast_source="stored")
    assert full.forecast_days_extended == 0
    assert [p.as_dict() for p in short.proposals] == [p.as_dict() for p in full.proposals]
    clock.advance(days=28)
    with pytest.raises(InvalidParameter, match="ended on"):
        plan(runtime.uow(), runtime.bus.context(), forecast_source="stored")


@pytest.mark.xdist_group("dask")
def test_dask_run_equals_the_local_run(runtime: Runtime, clock: Any) -> None:
    from distributed import LocalCluster

    from subzero.adapters.dask.mapper import dask_mapper

    _shop(runtime, clock)
    local = _run(runtime, partition_size=2)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        dask_mapper(cluster.scheduler_address) as mapper,
    ):
        distributed = _run(runtime, partition_size=2, mapper=mapper)
    assert distributed == local and len(local) > 0
