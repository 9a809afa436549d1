"""Promises on every change: what a supplier's delivery history costs them.

Promises are recomputed whenever anything changes for an item, and they read the
lateness of the supplier's 50 latest deliveries (``domain.promise``). On a SQLite file
database, supplier LONG has 20,000 delivered purchase orders, SHORT 100 (both give 50
to read) and NEW none; reported (medians, milliseconds):

* ``lateness_read_*``: one ``recent_lateness`` read in a fresh unit of work;
* ``rests_read_*``: one ``recent_rests`` read (one delivery in ten was split: LONG
  has 2,000 split deliveries and reads 50, SHORT 10): how long the rests of split
  deliveries took, a walk of the partial index of split deliveries
  ``purchase_orders(supplier_id, last_received_at)``, whole ones left out;
* ``order_place_*``: placing an order that backorders one unit (allocate, replenish,
  re-promise, commit) through the message bus;
* ``*_ratio_long_to_short``: LONG over SHORT, measured in the same run: near 1 when
  the read does not grow with the history (an index walk on
  ``purchase_orders(supplier_id, first_received_at)``); 200 times the history read
  row by row would show as a ratio far above 1;
* ``queue_busy_ms``: re-promising the 200 waiting lines of one busy item (six
  priorities, placed over the last 3 days; 10 open orders of 41, 10 units more than
  the queue; lines ahead at one a day per priority ahead, in Geometric(0.55) sizes, so
  33 lines no receipt keeps safe wait for lulls: ``_overtaken``), against
  ``queue_plain_ms``, the same queue with nobody ordering ahead (the plain walk), and
  their ratio: what weighing the customers ahead costs.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable

HISTORY = 20_000
SHORT = 100
REPEAT = 41


def _median_seconds(action: Callable[[], object], repeat: int = REPEAT) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _history(
    runtime: object, supplier_id: int, item_id: int, now: dt.datetime, deliveries: int
) -> None:
    from sqlalchemy import insert

    from subzero.adapters.db import tables

    rows = []
    for i in range(deliveries):
        sent = now - dt.timedelta(days=deliveries - i + 30)
        rows.append(
            {
                "item_id": item_id,
                "supplier_id": supplier_id,
                "qty": 1,
                "received": 1,
                "status": "received",
                "reason": "history",
                "created_at": sent,
                "sent_at": sent,
                "expected_date": (sent + dt.timedelta(days=5)).date(),
                "first_expected_date": (sent + dt.timedelta(days=5)).date(),
                "first_received_at": sent + dt.timedelta(days=5 + i % 4),
                # one delivery in ten split, its rest two days after the first part
                "last_received_at": sent + dt.timedelta(days=5 + i % 4 + 2 * (i % 10 == 0)),
                "lead_time_days": 5,
            }
        )
    with runtime.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(insert(tables.purchase_orders), rows)


def _queue_figures() -> dict[str, float]:
    from collections import namedtuple

    from subzero.domain.promise import DemandAhead, Incoming, LeadTime, promise_lines

    line_fields = "id priority backordered placed_at first_promised_date"
    Line = namedtuple("Line", line_fields, defaults=(None,))

    today = dt.date(2026, 3, 2)
    start = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    lines = [
        Line(i, 1 + i % 6, 1 + i % 3, start - dt.timedelta(minutes=20 * i)) for i in range(200)
    ]
    lead = LeadTime(7, 2, (0, 1, 2, -1, 3))
    incoming = [Incoming(41, today - dt.timedelta(days=k % 7), lead) for k in range(10)]
    sizes = tuple((j, 0.55 * 0.45 ** (j - 1)) for j in range(1, 20))

    def busy(priority: int) -> DemandAhead:
        return DemandAhead(1.0 * (priority - 1), sizes)

    def run(preemption: Callable[[int], DemandAhead] | None) -> Callable[[], object]:
        return lambda: promise_lines(
            today=today,
            lines=lines,
            incoming=incoming,
            replenishment_lead_time=lead,
            preemption=preemption,
        )

    return {
        "queue_busy_ms": _median_seconds(run(busy), repeat=9),
        "queue_plain_ms": _median_seconds(run(None), repeat=9),
    }


def run() -> dict[str, object]:
    from subzero.bootstrap import bootstrap, init_database
    from subzero.config import Settings
    from subzero.domain import commands as c

    now = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/bench.db")
        init_database(settings)
        runtime = bootstrap(settings)
        try:
            bus = runtime.bus
            bus.handle(c.AddSupplier("LONG", 5, 1.0))
            bus.handle(c.AddSupplier("SHORT", 5, 1.0))
            bus.handle(c.AddSupplier("NEW", 5, 1.0))
            bus.handle(c.AddCustomer("bob"))
            bus.handle(c.AddItem("L", "LONG", 0))
            bus.handle(c.AddItem("S", "SHORT", 0))
            bus.handle(c.AddItem("N", "NEW", 0))
            for supplier, sku, deliveries in (("LONG", "L", HISTORY), ("SHORT", "S", SHORT)):
                with runtime.uow() as uow:
                    found, item = uow.suppliers.get(supplier), uow.items.get(sku)
                    assert found is not None and item is not None
                    ids = (found.id, item.id)
                assert ids[0] is not None and ids[1] is not None
                _history(runtime, ids[0], ids[1], now, deliveries)

            def read(name: str, rests: bool = False) -> Callable[[], object]:
                def once() -> object:
                    with runtime.uow() as uow:
                        supplier = uow.suppliers.get(name)
                        assert supplier is not None
                        pos = uow.purchase_orders
                        if rests:
                            return pos.recent_rests(supplier, latest=50)
                        return pos.recent_lateness(supplier, latest=50)

                return once

            def place(sku: str) -> Callable[[], object]:
                return lambda: bus.handle(c.PlaceOrder("bob", (c.OrderLineRequest(sku, 1),)))

            assert len(read("LONG")()) == len(read("SHORT")()) == 50  # type: ignore[arg-type]
            assert len(read("LONG", rests=True)()) == 50  # type: ignore[arg-type]
            figures = {
                "lateness_read_long_ms": _median_seconds(read("LONG")),
                "lateness_read_short_ms": _median_seconds(read("SHORT")),
                "lateness_read_new_ms": _median_seconds(read("NEW")),
                "rests_read_long_ms": _median_seconds(read("LONG", rests=True)),
                "rests_read_short_ms": _median_seconds(read("SHORT", rests=True)),
                "order_place_long_ms": _median_seconds(place("L")),
                "order_place_short_ms": _median_seconds(place("S")),
                "order_place_new_ms": _median_seconds(place("N")),
            }
        finally:
            runtime.dispose()
    figures |= _queue_figures()
    return {
        "deliveries_in_history": HISTORY,
        **{name: round(secs * 1000, 3) for name, secs in figures.items()},
        "lateness_read_ratio_long_to_short": round(
            figures["lateness_read_long_ms"] / figures["lateness_read_short_ms"], 2
        ),
        "rests_read_ratio_long_to_short": round(
            figures["rests_read_long_ms"] / figures["rests_read_short_ms"], 2
        ),
        "order_place_ratio_long_to_short": round(
            figures["order_place_long_ms"] / figures["order_place_short_ms"], 2
        ),
        "queue_ratio_busy_to_plain": round(figures["queue_busy_ms"] / figures["queue_plain_ms"], 1),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
