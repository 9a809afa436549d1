"""``subzero events verify`` against tampering done straight in the database (SQLite
and PostgreSQL): events cut off the end, moved to another order, the head deleted, and
a damaged SQLite file; and what a write does on a log without its head."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text

from subzero.adapters.db.engine import make_engine
from subzero.bootstrap import Runtime
from subzero.domain import commands as c
from subzero.service.views import verify_event_log

if TYPE_CHECKING:
    from tests.integration.conftest import Cli


def _shop(runtime: Runtime) -> int:
    """ACME, bob, W (3 on hand) and bob's order for 5: returns the last seq."""
    bus = runtime.bus
    bus.handle(c.AddSupplier("ACME", 5))
    bus.handle(c.AddCustomer("bob", 5))
    bus.handle(c.AddItem("W", "ACME", 3))
    bus.handle(c.PlaceOrder("bob", (c.OrderLineRequest("W", 5),)))
    with runtime.uow() as uow:
        return max(e.seq for e in uow.events.history())


def _sql(url: str, *statements: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def _one_error_line(cli: Cli, *args: str) -> str:
    proc = cli(*args)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    (line,) = proc.stderr.strip().splitlines()
    return line


def test_an_intact_log_is_reported_intact(runtime: Runtime, cli: Cli) -> None:
    _shop(runtime)
    assert cli("events", "verify", check=True).stdout == "event log intact\n"
    assert cli.json("events", "verify") == {"intact": True, "first_bad_seq": None, "reason": None}


def test_events_cut_off_the_end_are_reported(runtime: Runtime, cli: Cli, database_url: str) -> None:
    last = _shop(runtime)
    _sql(database_url, f"DELETE FROM events WHERE seq >= {last - 1}")

    assert _one_error_line(cli, "events", "verify") == (
        f"error[invalid_state]: event log broken at seq {last - 1}: "
        f"the log ends at seq {last - 2} but its head says {last}"
    )
    proc = cli("events", "verify", "--json")
    assert proc.returncode == 1
    assert proc.stdout.strip() == (
        f'{{"intact": false, "first_bad_seq": {last - 1}, '
        f'"reason": "the log ends at seq {last - 2} but its head says {last}"}}'
    )
    # the next write chains to the head: the gap it leaves is still reported, where it is
    runtime.bus.handle(c.AddCustomer("carol", 3))
    broken = verify_event_log(runtime.uow())
    assert broken == last - 1
    assert broken.reason == (
        f"events {last - 1}-{last} are missing: event {last + 1} follows event {last - 2}"
    )


def test_an_event_moved_to_another_order_is_reported(
    runtime: Runtime, cli: Cli, database_url: str
) -> None:
    """Before hash version 2 this showed order 1's history under order 2, 'intact'."""
    _shop(runtime)
    with runtime.uow() as uow:
        first = min(e.seq for e in uow.events.history(order_id=1))
    _sql(database_url, "UPDATE events SET order_id = 2 WHERE order_id = 1")
    assert _one_error_line(cli, "events", "verify") == (
        f"error[invalid_state]: event log broken at seq {first}: "
        f"event {first} does not match its hash: it was changed after it was written"
    )


def test_a_deleted_head_is_reported_and_no_write_starts_a_new_chain(
    runtime: Runtime, cli: Cli, database_url: str
) -> None:
    last = _shop(runtime)
    _sql(database_url, "DELETE FROM event_chain")

    assert _one_error_line(cli, "events", "verify") == (
        f"error[invalid_state]: event log broken at seq {last + 1}: "
        f"the log ends at seq {last} but its head is missing"
    )
    assert _one_error_line(cli, "customer", "add", "carol") == (
        f"error[invalid_state]: the event log's head is missing (the log ends at seq {last}): "
        "the log is broken, nothing was written; run `subzero events verify`"
    )
    with runtime.uow() as uow:  # the whole change was rolled back, not only its events
        assert uow.customers.get("carol") is None
        assert max(e.seq for e in uow.events.history()) == last
    assert verify_event_log(runtime.uow()) == last + 1


def test_a_head_left_behind_its_events_refuses_writes(
    runtime: Runtime, cli: Cli, database_url: str
) -> None:
    """The head moved back two events (or events appended without it): a write must not
    collide on the events' key, retried and ending in a traceback (found in review), but
    be refused as a broken log, and nothing written."""
    last = _shop(runtime)
    _sql(database_url, f"UPDATE event_chain SET seq = {last - 2}")
    assert _one_error_line(cli, "customer", "add", "carol") == (
        f"error[invalid_state]: the event log goes on past its head (seq {last - 2}): "
        "the log is broken, nothing was written; run `subzero events verify`"
    )
    with runtime.uow() as uow:
        assert uow.customers.get("carol") is None


def test_an_empty_log_without_a_head_starts_one(runtime: Runtime, database_url: str) -> None:
    """Nothing to hide yet: the first write makes the head (seq 0, the genesis hash)."""
    _sql(database_url, "DELETE FROM event_chain")
    _shop(runtime)
    assert verify_event_log(runtime.uow()) is None


def test_supplier_and_customer_added_are_in_the_log(runtime: Runtime, cli: Cli) -> None:
    cli("supplier", "add", "FAST", "--lead-time-days", "2", check=True)
    cli("customer", "add", "carol", "--priority", "3", check=True)
    with runtime.uow() as uow:
        logged = [(e.type, e.payload) for e in uow.events.history()]
    assert logged == [
        ("SupplierAdded", {"supplier": "FAST", "lead_time_days": 2, "lead_time_sd_days": 0.0}),
        ("CustomerAdded", {"customer": "carol", "priority": 3}),
    ]
    assert cli("events", "verify", check=True).stdout == "event log intact\n"


def test_a_damaged_sqlite_file_gives_one_clear_line(tmp_path: Path, make_cli: object) -> None:
    """A damaged page of the events table: the schema check still passes (its pages are
    whole), reading the log fails; as other commands, one line, exit 1."""
    from subzero.bootstrap import bootstrap, init_database
    from subzero.config import Settings

    path = tmp_path / "damaged.db"
    url = f"sqlite:///{path}"
    init_database(Settings(database_url=url))
    rt = bootstrap(Settings(database_url=url))
    try:
        _shop(rt)
    finally:
        rt.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'events'"
        ).fetchone()
    conn.close()
    with path.open("r+b") as f:  # no b-tree page type begins with 0xff
        f.seek((root - 1) * page_size)
        f.write(b"\xff" * 16)

    cli = make_cli(url)  # type: ignore[operator]
    assert cli("stock", check=True).returncode == 0  # the rest of the file still reads
    assert _one_error_line(cli, "events", "verify") == (
        f"error[invalid_state]: cannot use database {url}: database disk image is malformed"
    )


def test_times_with_nanoseconds_from_parquet_keep_the_log_intact(
    runtime: Runtime, tmp_path: Path
) -> None:
    """pandas writes Parquet times in nanoseconds; an event hashed with them and stored
    to the microsecond broke the log for good (found in review)."""
    import pandas as pd

    from subzero.adapters.io.files import read_directory
    from subzero.adapters.io.reader import exchange_reader
    from subzero.service.exchange import import_tables

    _shop(runtime)
    second = (runtime.bus.clock() - dt.timedelta(days=1)).replace(microsecond=0)
    at = pd.DatetimeIndex([pd.Timestamp(second) + pd.Timedelta(microseconds=1, nanoseconds=1)])
    refusals = {"customer": ["bob"], "sku": ["W"], "qty": [2], "at": at, "reason": ["r"]}
    pd.DataFrame(refusals).to_parquet(tmp_path / "refusals.parquet")
    found = read_directory(tmp_path)
    import_tables(found.tables, bus=runtime.bus, reader=exchange_reader, rejected=[])
    assert verify_event_log(runtime.uow()) is None
    with runtime.uow() as uow:
        (refused,) = uow.events.of_type("DemandRefused")
    assert refused.at == second.astimezone(dt.UTC) + dt.timedelta(microseconds=1)
