"""The stock screen's read paths (``service.stock_view`` on ``adapters.db.stock_reader``:
one query on the SQLAlchemy engine, and on a SQLite file the same query through the
standard library's ``sqlite3``) give exactly the figures of the ORM path
(``service.views.stock``), on SQLite and PostgreSQL, through every kind of change:
allocation, backorders, shipping, cancelling, draft, sent, partly received and received
purchase orders, and an untouched item. The ``sqlite3`` reader checks the schema with
``bootstrap``'s messages and neither waits for nor blocks a writer."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from subzero.adapters.db.stock_reader import SqliteFileStockReader, sqlite_file
from subzero.bootstrap import Runtime, bootstrap, init_database
from subzero.config import Settings
from subzero.domain import commands as c
from subzero.domain.errors import InvalidState, NotFound
from subzero.service.stock_view import stock_position, stock_positions
from subzero.service.views import purchase_orders, stock


def _order(runtime: Runtime, customer: str, *lines: tuple[str, int]) -> int:
    requests = tuple(c.OrderLineRequest(sku, qty) for sku, qty in lines)
    return int(runtime.bus.handle(c.PlaceOrder(customer, requests)))


def _both_paths_agree(runtime: Runtime) -> list[dict[str, Any]]:
    with runtime.uow() as uow:
        skus = [item.sku for item in uow.items.list()]
    orm = [stock(runtime.uow(), sku).as_dict() for sku in skus]
    readers = [runtime.stock]
    if sqlite_file(runtime.settings.database_url) is not None:
        readers.append(SqliteFileStockReader(runtime.settings.database_url))
    assert len(readers) == (2 if runtime.engine.dialect.name == "sqlite" else 1)
    for reader in readers:
        assert [p.as_dict() for p in stock_positions(reader)] == orm, reader
        for row in orm:
            assert stock_position(reader, str(row["sku"])).as_dict() == row
    return orm


def test_core_read_path_matches_the_orm_path(runtime: Runtime, clock: Any) -> None:
    bus = runtime.bus
    bus.handle(c.AddSupplier("ACME", 5))
    bus.handle(c.AddSupplier("BETA", 3))
    bus.handle(c.AddCustomer("bob", 5))
    bus.handle(c.AddCustomer("alice", 1))
    bus.handle(c.AddItem("W", "ACME", 3))
    bus.handle(c.AddItem("X", "ACME", 2, allow_negative=False))
    bus.handle(c.AddItem("Y", "BETA", 10))
    bus.handle(c.AddItem("Z", "BETA", 0))  # never ordered: zeros, not missing
    assert [r["sku"] for r in _both_paths_agree(runtime)] == ["W", "X", "Y", "Z"]

    bob = _order(runtime, "bob", ("W", 5), ("Y", 4))  # W: 3 allocated, 2 backordered
    alice = _order(runtime, "alice", ("W", 4), ("X", 2))
    rows = {r["sku"]: r for r in _both_paths_agree(runtime)}
    assert (rows["W"]["allocated"], rows["W"]["backordered"], rows["W"]["on_order"]) == (3, 6, 6)

    bus.handle(c.ShipOrder(bob))  # shipped units leave the open lines
    (draft,) = [p for p in purchase_orders(runtime.uow()) if p.sku == "W"]
    bus.handle(c.SendPurchaseOrders((draft.po_id,)))
    clock.advance(days=2)
    bus.handle(c.ReceivePurchaseOrder(draft.po_id, 2))  # partial: 4 still on order
    _both_paths_agree(runtime)

    bus.handle(c.CancelOrder(alice))  # cancelled lines and shrunk drafts
    _both_paths_agree(runtime)
    for po in purchase_orders(runtime.uow(), status="draft"):
        bus.handle(c.SendPurchaseOrders((po.po_id,)))
    clock.advance(days=6)
    for po in purchase_orders(runtime.uow()):
        if po.status in ("sent", "partial"):
            bus.handle(c.ReceivePurchaseOrder(po.po_id))  # received: off the books
    _order(runtime, "alice", ("W", 9), ("Y", 1))
    rows = {r["sku"]: r for r in _both_paths_agree(runtime)}
    assert rows["W"]["backordered"] > 0 and rows["W"]["available"] < 0
    assert rows["Z"] == {
        "sku": "Z",
        "on_hand": 0,
        "allocated": 0,
        "backordered": 0,
        "on_order": 0,
        "available": 0,
        "inventory_position": 0,
    }


def test_unknown_sku_is_not_found_on_both_paths(runtime: Runtime) -> None:
    with pytest.raises(NotFound, match="'NOPE'"):
        stock(runtime.uow(), "NOPE")
    with pytest.raises(NotFound, match="'NOPE'"):
        stock_position(runtime.stock, "NOPE")
    assert stock_positions(runtime.stock) == []
    if runtime.engine.dialect.name == "sqlite":
        reader = SqliteFileStockReader(runtime.settings.database_url)
        assert reader.position("NOPE") is None and stock_positions(reader) == []


def _bootstrap_error(url: str) -> str:
    with pytest.raises(InvalidState) as caught:
        bootstrap(Settings(database_url=url)).dispose()
    return str(caught.value)


def test_sqlite_reader_refuses_what_bootstrap_refuses_with_its_words(tmp_path: Path) -> None:
    """A missing file (not created), an empty file, a schema one revision old, a file
    that is not a database: the same one-line error as every other command."""
    missing = tmp_path / "typo.db"
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    old = tmp_path / "old.db"
    init_database(Settings(database_url=f"sqlite:///{old}"))
    with sqlite3.connect(old) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0006'")
    garbage = tmp_path / "notes.db"
    garbage.write_text("not a database, but a planner's notes\n" * 200)

    for path, says in (
        (missing, "does not exist: run `subzero init`"),
        (empty, "is not initialised or is out of date: run `subzero init`"),
        (old, "is not initialised or is out of date: run `subzero init`"),
        (garbage, "cannot use database"),
    ):
        url = f"sqlite:///{path}"
        expected = _bootstrap_error(url)
        assert says in expected, expected
        with pytest.raises(InvalidState) as caught:
            SqliteFileStockReader(url).positions()
        assert str(caught.value) == expected, path.name
    assert not missing.exists()
    assert _tables(empty) == set()  # nothing written while checking


def _tables(path: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}


def test_sqlite_reader_neither_waits_for_nor_sees_an_open_write(tmp_path: Path) -> None:
    """WAL: while a writer holds its transaction (BEGIN IMMEDIATE, as the engine's
    writers do) the reader answers at once with the last committed figures."""
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    init_database(Settings(database_url=url))
    runtime = bootstrap(Settings(database_url=url))
    try:
        runtime.bus.handle(c.AddSupplier("ACME", 5))
        runtime.bus.handle(c.AddItem("W", "ACME", 3))
    finally:
        runtime.dispose()
    writer = sqlite3.connect(tmp_path / "busy.db", isolation_level=None, timeout=0)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE items SET on_hand = 99 WHERE sku = 'W'")
        reader = SqliteFileStockReader(url)
        position = reader.position("W")
        assert position is not None and position.on_hand == 3
        writer.execute("COMMIT")
        position = reader.position("W")
        assert position is not None and position.on_hand == 99
    finally:
        writer.close()


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///subzero.db", "subzero.db"),
        ("sqlite:////var/lib/subzero/live.db", "/var/lib/subzero/live.db"),
        ("sqlite+pysqlite:///data/shop.db", "data/shop.db"),
        ("sqlite://", None),  # in memory
        ("sqlite:///:memory:", None),
        ("sqlite:///shop.db?timeout=5", None),  # options: SQLAlchemy's to interpret
        ("sqlite:///my%20shop.db", None),  # escapes: likewise
        ("postgresql+psycopg://postgres@127.0.0.1:5432/shop", None),
    ],
)
def test_sqlite_file_is_the_file_sqlalchemy_opens(url: str, path: str | None) -> None:
    from sqlalchemy.engine import make_url

    found = sqlite_file(url)
    assert (None if found is None else str(found)) == path
    if found is not None:
        assert make_url(url).database == str(found)
