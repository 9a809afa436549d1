"""Clients racing for the last units can never both get them (issue 3, "Concurrency").

Twenty-four real processes each run the real CLI entry point ``subzero order place …``
against the same database, released together by a barrier once every one of them has
bootstrapped and opened its connection, so the orders really race. The database is
a real PostgreSQL (``SELECT … FOR UPDATE`` on the item row) and a SQLite file
(``BEGIN IMMEDIATE``); the same guarantees must hold on both.

The racers are started once per module and reused by every race, with the
``forkserver`` start method: like ``spawn``, a racer inherits nothing from pytest (no
threads, sockets, connections or fixtures: the server is a fresh interpreter), but
the server imports subzero and SQLAlchemy once and forks each racer from there, where
``spawn`` pays ~0.7 s of imports in each of the 24 processes (and ~0.2 s of interpreter
shutdown). Set ``START_METHOD = "spawn"`` to compare: the results are the same.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing as mp
import os
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import pytest

from subzero.bootstrap import Runtime
from subzero.domain.commands import AddCustomer, AddItem, AddSupplier
from subzero.service.views import purchase_orders, stock, verify_event_log

N_RACERS = 24
ON_HAND = 10
SKU = "LAST-UNITS"
START_METHOD = "forkserver"
_PRELOAD = [  # imported once by the fork server; a racer only pays for its own work
    "subzero.cli",
    "subzero.cli.runtime",
    "subzero.adapters.db.unit_of_work",
    "subzero.adapters.db.orm",
    "subzero.adapters.db.migrate",
    "subzero.service.views",
    "rich.console",
    "rich.logging",
    "psycopg",
    __name__,
]

pytestmark = pytest.mark.xdist_group("concurrency")  # one set of racers, one worker


# -- in each racer process -------------------------------------------------------------


def _racer(conn: Connection, barrier: Any) -> None:  # runs in a racer process
    """Loop: receive ``(database_url, argv | None)``, get ready, wait at the barrier, run
    ``subzero ARGV`` (the console script's ``main``), send back what it did."""
    import subzero.cli.runtime as cli_runtime
    from subzero.cli import main
    from subzero.config import get_settings

    previous = None
    while (task := conn.recv()) is not None:
        url, argv = task
        try:
            # Bootstrap and open a pooled connection before the start signal, so the
            # race is between transactions, not between process or connection start-ups.
            os.environ["SUBZERO_DATABASE_URL"] = url
            get_settings.cache_clear()
            cli_runtime.runtime.cache_clear()
            if previous is not None:
                previous.dispose()
            previous = rt = cli_runtime.runtime()
            with rt.uow() as uow:
                uow.items.get(SKU)
        except BaseException:
            barrier.abort()
            conn.send(("crash", traceback.format_exc(), "", 0.0, 0.0))
            continue
        try:
            barrier.wait(timeout=120)
        except BaseException:
            conn.send(("crash", "barrier broken: another racer failed", "", 0.0, 0.0))
            continue
        started = time.monotonic()
        if argv is None:  # sits this race out
            conn.send((None, "", "", started, started))
            continue
        out, err = io.StringIO(), io.StringIO()
        sys.argv = ["subzero", *argv]
        code: Any = 0
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as exc:
                code = exc.code
            except BaseException:
                code, err = "crash", io.StringIO(traceback.format_exc())
        conn.send((code, out.getvalue(), err.getvalue(), started, time.monotonic()))
    if previous is not None:
        previous.dispose()


# -- in the test process ---------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    exit_code: int | str | None  # None: sat out; "crash": unexpected exception
    stdout: str
    stderr: str
    started: float
    finished: float


class Racers:
    """``n`` racer processes, started once, each waiting for the next race."""

    def __init__(self, n: int) -> None:
        ctx: Any = mp.get_context(START_METHOD)
        if START_METHOD == "forkserver":
            ctx.set_forkserver_preload(_PRELOAD)
        self.barrier = ctx.Barrier(n)
        self.conns: list[Connection] = []
        self.procs: list[Any] = []
        for _ in range(n):
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(target=_racer, args=(theirs, self.barrier), daemon=True)
            proc.start()
            theirs.close()
            self.conns.append(ours)
            self.procs.append(proc)

    def race(self, database_url: str, argvs: Sequence[Sequence[str] | None]) -> list[Outcome]:
        """Each racer runs one ``argv`` (``None``: only joins the barrier), all at once."""
        assert len(argvs) == len(self.conns)
        for conn, argv in zip(self.conns, argvs, strict=True):
            conn.send((database_url, None if argv is None else list(argv)))
        outcomes = []
        for i, conn in enumerate(self.conns):
            if not conn.poll(180):
                raise AssertionError(f"racer {i} did not answer within 180 s")
            outcomes.append(Outcome(*conn.recv()))
        crashes = [o.stdout + o.stderr for o in outcomes if o.exit_code == "crash"]
        if crashes:
            self.barrier.reset()
            raise AssertionError("a racer crashed:\n" + crashes[0])
        return outcomes

    def close(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(OSError):
                conn.send(None)
        for proc in self.procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)
        for conn in self.conns:
            conn.close()


@pytest.fixture(scope="module")
def racers() -> Iterator[Racers]:
    pool = Racers(N_RACERS)
    try:
        yield pool
    finally:
        pool.close()


def _catalog(runtime: Runtime, *, allow_negative: bool) -> None:
    runtime.bus.handle(AddSupplier("ACME", 5))
    runtime.bus.handle(AddItem(SKU, "ACME", ON_HAND, allow_negative=allow_negative))
    for i in range(N_RACERS):
        runtime.bus.handle(AddCustomer(f"c{i:02d}"))


def _orders(n: int) -> list[list[str] | None]:
    """Racer i orders one unit as customer ``c<i>``; racers from ``n`` on sit out."""
    return [
        ["order", "place", f"c{i:02d}", SKU, "1", "--json"] if i < n else None
        for i in range(N_RACERS)
    ]


def _overlapping(outcomes: Sequence[Outcome]) -> int:
    """How many orders started before the first one finished (they really raced)."""
    ran = [o for o in outcomes if o.exit_code is not None]
    first_done = min(o.finished for o in ran)
    return sum(o.started < first_done for o in ran)


def _placed_orders(runtime: Runtime) -> int:
    with runtime.uow() as uow:
        return sum(e.type == "OrderPlaced" for e in uow.events.history())


def test_no_negative_item_never_oversold(
    racers: Racers, runtime: Runtime, database_url: str
) -> None:
    """24 racers, 10 units, item may not go below zero: exactly 10 orders win."""
    import json

    _catalog(runtime, allow_negative=False)

    outcomes = racers.race(database_url, _orders(N_RACERS))

    won = [o for o in outcomes if o.exit_code == 0]
    lost = [o for o in outcomes if o.exit_code != 0]
    assert len(won) == ON_HAND, [(o.exit_code, o.stderr) for o in outcomes]
    for o in won:
        (line,) = json.loads(o.stdout)["lines"]
        assert (line["allocated"], line["backordered"]) == (1, 0)
    for o in lost:  # a clean refusal: exit 1, one line, the stable code
        assert o.exit_code == 1, o.stderr
        assert o.stdout == ""
        assert o.stderr.startswith("error[insufficient_stock]: "), o.stderr
        assert o.stderr.count("\n") == 1, o.stderr
    assert _overlapping(outcomes) >= 2

    position = stock(runtime.uow(), SKU)
    assert (position.on_hand, position.allocated, position.backordered) == (ON_HAND, ON_HAND, 0)
    assert position.on_order == 0
    assert purchase_orders(runtime.uow()) == []
    assert _placed_orders(runtime) == ON_HAND  # a refused order leaves nothing behind
    assert verify_event_log(runtime.uow()) is None


def test_below_zero_item_serves_everyone_and_buys_the_shortfall_once(
    racers: Racers, runtime: Runtime, database_url: str
) -> None:
    """20 racers, 10 units, negative allowed: all win; 10 allocated, 10 backordered,
    and exactly one purchase order covering the 10 short."""
    import json

    n = 20
    _catalog(runtime, allow_negative=True)

    outcomes = racers.race(database_url, _orders(n))

    ran = [o for o in outcomes if o.exit_code is not None]
    assert len(ran) == n
    assert all(o.exit_code == 0 for o in ran), [(o.exit_code, o.stderr) for o in ran]
    lines = [json.loads(o.stdout)["lines"][0] for o in ran]
    assert sorted((ln["allocated"], ln["backordered"]) for ln in lines) == (
        [(0, 1)] * (n - ON_HAND) + [(1, 0)] * ON_HAND
    )
    assert all(ln["promised_date"] is not None for ln in lines)
    assert _overlapping(outcomes) >= 2

    position = stock(runtime.uow(), SKU)
    assert position.as_dict() == {
        "sku": SKU,
        "on_hand": ON_HAND,
        "allocated": ON_HAND,
        "backordered": n - ON_HAND,
        "on_order": n - ON_HAND,
        "available": -(n - ON_HAND),
        "inventory_position": 0,
    }
    (po,) = purchase_orders(runtime.uow())
    assert (po.sku, po.supplier, po.qty, po.received) == (SKU, "ACME", n - ON_HAND, 0)
    assert po.status in ("draft", "sent")
    assert _placed_orders(runtime) == n
    assert verify_event_log(runtime.uow()) is None


def test_planners_overriding_one_day_at_once_leave_one_override(
    racers: Racers, runtime: Runtime, database_url: str
) -> None:
    """24 planners override the same item and day at the same moment: the day keeps
    one pending override (the last planner's word), never one per planner, so the
    ledger run applies one value and scores it once."""
    import datetime as dt
    import json

    _catalog(runtime, allow_negative=True)
    day = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    argvs = [
        ["override", "add", SKU, day, str(10 + i), "--reason", f"planner {i}", "--json"]
        for i in range(N_RACERS)
    ]

    outcomes = racers.race(database_url, argvs)

    assert all(o.exit_code == 0 for o in outcomes), [(o.exit_code, o.stderr) for o in outcomes]
    ids = {json.loads(o.stdout)["override_ids"][0] for o in outcomes}
    assert _overlapping(outcomes) >= 2
    with runtime.uow() as uow:
        stored = [o for o in uow.forecasts.overrides() if o.sku == SKU]
    assert len(stored) == 1, [(o.id, o.value, o.reason) for o in stored]
    (kept,) = stored
    assert ids == {kept.id}
    assert (kept.value, kept.reason) in {(10.0 + i, f"planner {i}") for i in range(N_RACERS)}


def test_the_same_item_added_at_once_is_added_once_and_refused_by_name(
    racers: Racers, runtime: Runtime, database_url: str
) -> None:
    """24 planners add the same new SKU, or the same new customer, at the same moment:
    one wins, every other is told it already exists (exit 1), none crashes. On
    PostgreSQL the losers' inserts violate the unique key at commit; the bus runs them
    again, and the second run finds the row (found by exploratory testing: a
    UniqueViolation traceback)."""
    _catalog(runtime, allow_negative=True)
    for argv in (["item", "add", "RACED", "--supplier", "ACME"], ["customer", "add", "raced"]):
        outcomes = racers.race(database_url, [argv] * N_RACERS)
        codes = sorted(o.exit_code for o in outcomes if isinstance(o.exit_code, int))
        assert codes == [0] + [1] * (N_RACERS - 1), [(o.exit_code, o.stderr) for o in outcomes]
        losers = [o.stderr for o in outcomes if o.exit_code == 1]
        assert all(e.startswith("error[already_exists]") for e in losers), losers[:3]
    with runtime.uow() as uow:
        assert uow.items.get("RACED") is not None and uow.customers.get("raced") is not None
    assert verify_event_log(runtime.uow()) is None
