"""Migrations: one head, idempotent ``subzero init``, and a schema equal to ``tables.metadata``.

Every test runs on SQLite and on a real PostgreSQL (see ``conftest.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from subzero.adapters.db.engine import make_engine
from subzero.adapters.db.migrate import (
    SCHEMA_REVISION,
    alembic_config,
    current_revision,
    head_revision,
    schema_is_current,
    upgrade,
)
from subzero.adapters.db.tables import metadata
from subzero.bootstrap import bootstrap
from subzero.config import Settings
from subzero.domain.commands import AddItem, AddSupplier
from subzero.service.views import stock


def test_schema_revision_is_alembic_head() -> None:
    assert head_revision() == SCHEMA_REVISION


def _table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_init_twice_is_idempotent(empty_database_url: str, make_cli: Callable[[str], Any]) -> None:
    cli = make_cli(empty_database_url)
    first = cli.json("init")
    assert first == {"revision": SCHEMA_REVISION, "database": empty_database_url}
    tables_after_first = _table_names(empty_database_url)
    assert set(metadata.tables) <= tables_after_first
    rt = bootstrap(Settings(database_url=empty_database_url))
    try:
        rt.bus.handle(AddSupplier("ACME", 5))
        rt.bus.handle(AddItem("W", "ACME", 3))

        second = cli.json("init")

        assert second == first
        assert _table_names(empty_database_url) == tables_after_first
        # the data written between the two runs is untouched
        assert stock(rt.uow(), "W").on_hand == 3
    finally:
        rt.dispose()


def _schema_diff(url: str) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_migrations_match_the_metadata(database_url: str) -> None:
    """Alembic's autogenerate finds nothing to add, drop or alter after ``upgrade``.

    Types and server defaults are compared too. No difference is ignored: on SQLite
    and PostgreSQL the comparison is clean as it stands, so any diff is real drift
    (a table or column changed in ``tables.py`` without a migration, or vice versa).
    """
    assert _schema_diff(database_url) == []


def test_upgrade_reports_head_and_marks_schema_current(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert schema_is_current(engine)
        assert current_revision(engine) == SCHEMA_REVISION
        assert upgrade(engine) == SCHEMA_REVISION  # once more: nothing to do
        assert current_revision(engine) == SCHEMA_REVISION
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again(database_url: str) -> None:
    """Every migration can be undone: down to an empty schema, then back to head."""
    engine = make_engine(database_url)
    try:
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert not schema_is_current(engine)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        assert upgrade(engine) == SCHEMA_REVISION
        assert schema_is_current(engine)
    finally:
        engine.dispose()
    assert _schema_diff(database_url) == []


def test_command_on_uninitialised_database_says_run_init(
    empty_database_url: str, make_cli: Callable[[str], Any]
) -> None:
    cli = make_cli(empty_database_url)
    for args in (("stock", "W"), ("order", "place", "bob", "W", "1")):
        proc = cli(*args)

        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        assert lines[0].startswith("error[invalid_state]: "), lines[0]
        assert "subzero init" in lines[0]
    # nothing was created behind the user's back
    assert _table_names(empty_database_url) == set()


def test_missing_sqlite_file_is_not_created(tmp_path: Any, make_cli: Callable[[str], Any]) -> None:
    target = tmp_path / "typo.db"
    proc = make_cli(f"sqlite:///{target}")("stock", "W")
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f"error[invalid_state]: database file {target} does not exist: run `subzero init`"
    )
    assert not target.exists()


def test_unreachable_database_is_named_in_one_line(make_cli: Callable[[str], Any]) -> None:
    proc = make_cli("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")("stock", "W")
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("error[invalid_state]: cannot use database") and ":1/nowhere" in line


def test_init_creates_a_missing_postgres_database(
    pg_server: Any, make_cli: Callable[[str], Any]
) -> None:
    from tests.integration import pg

    name = pg.random_name("subzero_test_init")
    try:
        cli = make_cli(pg_server.url(name))
        cli("init", check=True)
        assert cli.json("stock") == []
    finally:
        pg_server.drop_database(name)


def _at_revision(url: str, revision: str, on_hand: int) -> Any:
    """An engine on a database migrated to ``revision`` only, holding supplier ACME (5
    days) and its item W with ``on_hand`` units (ids 1)."""
    from sqlalchemy import text

    engine = make_engine(url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO suppliers (id, name, lead_time_days, lead_time_sd_days) "
                "VALUES (1, 'ACME', 5, 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO items (id, sku, supplier_id, on_hand, allow_negative, "
                "policy) VALUES (1, 'W', 1, :on_hand, true, 'mto')"
            ),
            {"on_hand": on_hand},
        )
    return engine


def test_upgrade_keeps_existing_data(empty_database_url: str) -> None:
    """A database with purchase orders and receipts at revision 0002 migrates to head
    (SQLite rebuilds altered tables: foreign keys must survive) and keeps its rows."""
    import datetime as dt

    from sqlalchemy import text

    from subzero.adapters.db.migrate import upgrade as upgrade_to_head

    engine = _at_revision(empty_database_url, "0002", on_hand=2)
    try:
        now = dt.datetime(2026, 3, 2, 9, 0)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO purchase_orders (id, item_id, supplier_id, qty, received, status, "
                    "reason, created_at, sent_at, expected_date) VALUES "
                    "(1, 1, 1, 6, 2, 'partial', 'mto', :t, :t, :d), "
                    "(2, 1, 1, 3, 0, 'draft', 'mto', :t, NULL, :d)"
                ),
                {"t": now, "d": dt.date(2026, 3, 7)},
            )
            conn.execute(
                text(
                    "INSERT INTO receipts (id, po_id, qty, at) VALUES "
                    "(1, 1, 1, :later), (2, 1, 1, :t)"  # ids need not follow time
                ),
                {"t": now + dt.timedelta(days=6), "later": now + dt.timedelta(days=8)},
            )
        assert upgrade_to_head(engine) == SCHEMA_REVISION
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT id, due_period, lead_time_days, first_expected_date, "
                    "first_received_at, last_received_at FROM purchase_orders ORDER BY id"
                )
            ).all()
            receipts = conn.execute(text("SELECT po_id, qty FROM receipts ORDER BY id")).all()
    finally:
        engine.dispose()
    as_date = [(r[0], str(r[1]), r[2], None if r[3] is None else str(r[3])) for r in rows]
    assert as_date == [(1, "2026-03-02", 5, "2026-03-07"), (2, "2026-03-02", 5, None)]
    assert [tuple(r) for r in receipts] == [(1, 1), (1, 1)]
    # 0008 back-fills each PO's first receipt (the earliest, not the first id), 0010 its
    # latest (the latest, not the last id)
    assert str(rows[0][4])[:16] == "2026-03-08 09:00" and rows[1][4] is None
    assert str(rows[0][5])[:16] == "2026-03-10 09:00" and rows[1][5] is None


def test_upgrade_merges_pending_duplicate_overrides(empty_database_url: str) -> None:
    """Revision 0006 keeps one pending override per item and day: of racing duplicates
    the latest (the value the ledger run applied) stays, scored overrides all stay, and
    afterwards the database refuses a second pending override of the same day."""
    import datetime as dt

    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    engine = make_engine(empty_database_url)
    insert = text(
        "INSERT INTO forecast_overrides (id, sku, ds, value, reason, created_at, actual) "
        "VALUES (:id, :sku, :ds, :value, 'r', :t, :actual)"
    )
    t, day, other = dt.datetime(2026, 3, 2, 9), dt.date(2026, 3, 9), dt.date(2026, 3, 10)
    rows = [  # (id, sku, day, value, actual)
        (1, "W", day, 5.0, None),
        (2, "W", day, 7.0, None),
        (3, "W", day, 9.0, None),  # the last word on W's day
        (4, "W", other, 1.0, None),
        (5, "V", day, 2.0, None),
        (6, "W", dt.date(2026, 3, 1), 3.0, 4.0),  # scored twice before 0006: both kept
        (7, "W", dt.date(2026, 3, 1), 6.0, 4.0),
    ]
    try:
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0005")
        with engine.begin() as conn:
            for i, sku, ds, value, actual in rows:
                conn.execute(
                    insert,
                    {"id": i, "sku": sku, "ds": ds, "value": value, "t": t, "actual": actual},
                )
        assert upgrade(engine) == SCHEMA_REVISION
        with engine.connect() as conn:
            kept = conn.execute(text("SELECT id, value FROM forecast_overrides ORDER BY id")).all()
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                insert, {"id": 8, "sku": "W", "ds": other, "value": 1.0, "t": t, "actual": None}
            )
        with engine.begin() as conn:  # a scored day may repeat: only pending ones are unique
            conn.execute(
                insert,
                {
                    "id": 9,
                    "sku": "W",
                    "ds": dt.date(2026, 3, 1),
                    "value": 1.0,
                    "t": t,
                    "actual": 2.0,
                },
            )
    finally:
        engine.dispose()
    assert [tuple(r) for r in kept] == [(3, 9.0), (4, 1.0), (5, 2.0), (6, 3.0), (7, 6.0)]


def test_upgrade_backfills_the_probability_told_with_each_first_promise(
    empty_database_url: str,
) -> None:
    """0009 reads each line's first ``PromiseChanged`` (by sequence, not by time or
    payload order) for the probability told then; a line never promised keeps none."""
    import datetime as dt
    import json

    from sqlalchemy import text

    engine = _at_revision(empty_database_url, "0008", on_hand=0)
    try:
        now = dt.datetime(2026, 3, 2, 9, 0)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO customers (id, name, priority) VALUES (1, 'bob', 5)"))
            conn.execute(
                text("INSERT INTO orders (id, customer_id, placed_at) VALUES (1, 1, :t)"),
                {"t": now},
            )
            conn.execute(
                text(
                    "INSERT INTO order_lines (id, order_id, item_id, qty, allocated, shipped, "
                    "cancelled, served_from_stock, priority, placed_at) VALUES "
                    "(1, 1, 1, 2, 0, 0, 0, 0, 5, :t), (2, 1, 1, 1, 0, 0, 0, 0, 5, :t), "
                    "(3, 1, 1, 1, 0, 0, 0, 0, 5, :t)"
                ),
                {"t": now},
            )

            def promise(seq: int, line: int, probability: float) -> dict[str, Any]:
                payload = {"order_id": 1, "line_id": line, "sku": "W", "old_date": None}
                payload |= {"new_date": "2026-03-07", "probability": probability}
                return {
                    "seq": seq,
                    "at": now + dt.timedelta(minutes=10 - seq),  # later seq, earlier time
                    "payload": json.dumps(payload),
                }

            conn.execute(
                text(
                    "INSERT INTO events (seq, type, at, sku, order_id, po_id, payload, "
                    "prev_hash, hash) VALUES (:seq, 'PromiseChanged', :at, 'W', 1, NULL, "
                    ":payload, 'x', 'y')"
                ),
                [promise(1, 2, 0.93), promise(2, 1, 0.97), promise(3, 2, 0.5)],
            )
        assert upgrade(engine) == SCHEMA_REVISION
        with engine.connect() as conn:
            told = conn.execute(
                text("SELECT id, first_promise_probability FROM order_lines ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in told] == [(1, 0.97), (2, 0.93), (3, None)]


# -- 0011: the event log re-chained under hash version 2 --------------------------------

_V1_KNOWN = "d6791bcd89e5eab8a79cb5851f8c8bcd1f8a43faa3965aa86b9d7a3c5cb64a0d"
"""``chain_hash`` of subzero 968f1b1 (hash version 1) for W's ItemAdded below at seq 1."""


def _hash_version_1(prev: str, seq: int, type_: str, at: Any, payload: str) -> str:
    """The rule before 0011: sha256(prev_hash | seq | type | at | payload)."""
    import hashlib

    return hashlib.sha256(
        "|".join((prev, str(seq), type_, at.isoformat(), payload)).encode()
    ).hexdigest()


def _log_at_0010(url: str) -> tuple[Any, list[dict[str, Any]]]:
    """An engine on a database at 0010 whose log holds five events chained under hash
    version 1, with the head on the last; and those rows."""
    import datetime as dt
    import json

    from sqlalchemy import insert, update

    from subzero.adapters.db import tables
    from subzero.domain.events import GENESIS_HASH

    t0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    events = [  # (type, payload): each event's references are fields of its payload
        ("ItemAdded", {"on_hand": 3, "sku": "W", "supplier": "ACME"}),
        ("OrderPlaced", {"customer": "bob", "lines": [{"qty": 5, "sku": "W"}], "order_id": 1}),
        ("LineAllocated", {"line_id": 1, "order_id": 1, "sku": "W", "units": 3}),
        ("PurchaseOrderCreated", {"po_id": 1, "qty": 2, "sku": "W", "supplier": "ACME"}),
        ("CustomerPriorityChanged", {"customer": "bob", "new_priority": 2, "old_priority": 5}),
    ]
    rows, prev = [], GENESIS_HASH
    for seq, (type_, fields) in enumerate(events, start=1):
        at = t0 + dt.timedelta(minutes=seq, microseconds=seq * 1001)
        payload = json.dumps(fields, sort_keys=True, separators=(",", ":"))
        hash_ = _hash_version_1(prev, seq, type_, at, payload)
        refs = {k: fields.get(k) for k in ("sku", "order_id", "po_id")}
        rows.append({"seq": seq, "type": type_, "at": at, "payload": payload, **refs})
        rows[-1] |= {"prev_hash": prev, "hash": hash_}
        prev = hash_
    assert _hash_version_1(GENESIS_HASH, 1, "ItemAdded", t0, rows[0]["payload"]) == _V1_KNOWN
    engine = _at_revision(url, "0010", on_hand=3)
    with engine.begin() as conn:
        conn.execute(insert(tables.events), rows)
        conn.execute(update(tables.event_chain).values(seq=5, head_hash=prev))
    return engine, rows


def _stored_log(engine: Any) -> tuple[list[tuple[str, str]], tuple[int, str] | None]:
    from sqlalchemy import text

    with engine.connect() as conn:
        hashes = conn.execute(text("SELECT prev_hash, hash FROM events ORDER BY seq")).all()
        head = conn.execute(text("SELECT seq, head_hash FROM event_chain")).one_or_none()
    return [tuple(r) for r in hashes], None if head is None else tuple(head)


def test_upgrade_rechains_the_event_log_under_hash_version_2(empty_database_url: str) -> None:
    """0011 checks the log under version 1, then every event and the head get the hash
    of version 2 (which covers the references), chained; the log verifies and takes new
    events. The downgrade gives back version 1's hashes exactly."""
    from subzero.domain.commands import AddCustomer
    from subzero.domain.events import GENESIS_HASH, chain_hash
    from subzero.service.views import verify_event_log

    engine, rows = _log_at_0010(empty_database_url)
    try:
        assert upgrade(engine) == SCHEMA_REVISION
        hashes, head = _stored_log(engine)
        expected, prev = [], GENESIS_HASH
        for r in rows:
            refs = {k: r[k] for k in ("sku", "order_id", "po_id")}
            made = chain_hash(prev, r["seq"], r["type"], r["at"], r["payload"], **refs)
            expected.append((prev, made))
            prev = made
        assert hashes == expected
        assert head == (5, prev)
        assert not {h for _, h in hashes} & {r["hash"] for r in rows}  # all made anew
        rt = bootstrap(Settings(database_url=empty_database_url))
        try:
            assert verify_event_log(rt.uow()) is None
            rt.bus.handle(AddCustomer("carol", 3))
            assert verify_event_log(rt.uow()) is None
        finally:
            rt.dispose()

        from sqlalchemy import text

        with engine.begin() as conn:
            conn.execute(text("DELETE FROM events WHERE seq > 5"))
            conn.execute(text("UPDATE event_chain SET seq = 5, head_hash = :h"), {"h": prev})
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0010")
        assert _stored_log(engine) == (
            [(r["prev_hash"], r["hash"]) for r in rows],
            (5, rows[-1]["hash"]),
        )
    finally:
        engine.dispose()


def _tamper(engine: Any, how: str, rows: list[dict[str, Any]]) -> None:
    from sqlalchemy import text

    forged = rows[2]["payload"].replace('"units":3', '"units":30')
    statement = {
        "payload": "UPDATE events SET payload = :forged WHERE seq = 3",
        "reference": "UPDATE events SET order_id = 2 WHERE order_id = 1",  # unseen by version 1
        "removed": "DELETE FROM events WHERE seq = 3",
        "cut off": "DELETE FROM events WHERE seq = 5",
        "head": "DELETE FROM event_chain",
    }[how]
    with engine.begin() as conn:
        conn.execute(text(statement), {"forged": forged} if how == "payload" else {})


@pytest.mark.parametrize(
    ("how", "seq", "reason"),
    [
        ("payload", 3, "event 3 does not chain to event 2: its prev_hash is not that hash"),
        ("reference", 2, "event 2 does not chain to event 1: its prev_hash is not that hash"),
        ("removed", 3, "event 3 is missing: event 4 follows event 2"),
        ("cut off", 5, "the log ends at seq 4 but its head says 5"),
        ("head", 6, "the log ends at seq 5 but its head is missing"),
    ],
)
def test_upgrade_keeps_a_broken_event_log_broken(
    empty_database_url: str, caplog: pytest.LogCaptureFixture, how: str, seq: int, reason: str
) -> None:
    """A log broken before 0011 is not laundered by re-chaining: the events from the
    first that fails version 1 (or whose references are not its payload's) keep their
    old hashes, a head that did not match is left; ``events verify`` reports the break
    at the same seq, and still does after the next write (a log without its head takes
    none). The migration names it in a warning."""
    from sqlalchemy import text

    from subzero.domain.commands import AddCustomer
    from subzero.domain.errors import InvalidState
    from subzero.service.views import verify_event_log

    engine, rows = _log_at_0010(empty_database_url)
    try:
        _tamper(engine, how, rows)
        with caplog.at_level("WARNING"):
            assert upgrade(engine) == SCHEMA_REVISION
        warned = " ".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
        assert ("head" if how in ("cut off", "head") else f"broken at seq {seq}") in warned
        hashes, _head = _stored_log(engine)
        kept = [(r["prev_hash"], r["hash"]) for r in rows if r["seq"] >= seq]
        if how == "removed":
            kept = kept[1:]
        assert hashes[seq - 1 :] == kept[: len(hashes) - seq + 1]  # untouched from the break
        rt = bootstrap(Settings(database_url=empty_database_url))
        try:
            broken = verify_event_log(rt.uow())
            assert (broken, broken and broken.reason) == (seq, reason)
            if how == "head":
                with pytest.raises(InvalidState, match="head is missing"):
                    rt.bus.handle(AddCustomer("carol", 3))
            else:
                rt.bus.handle(AddCustomer("carol", 3))
            assert verify_event_log(rt.uow()) == seq
        finally:
            rt.dispose()
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM events")) == len(hashes) + (how != "head")
    finally:
        engine.dispose()
