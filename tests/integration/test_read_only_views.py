"""Views read in transactions of their own kind: on SQLite they neither wait for nor
block a writer; on PostgreSQL a write in them fails; and they cannot commit."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from subzero.bootstrap import Runtime
from subzero.domain import commands as c

if TYPE_CHECKING:
    from tests.integration.conftest import Cli


def _shop(runtime: Runtime) -> None:
    runtime.bus.handle(c.AddSupplier("ACME", 4))
    runtime.bus.handle(c.AddCustomer("bob", 5))
    runtime.bus.handle(c.AddItem("W", "ACME", 2))
    runtime.bus.handle(c.PlaceOrder("bob", (c.OrderLineRequest("W", 5),)))


def _writer(database_url: str) -> Any:
    """A connection in the middle of a write transaction (an import, a planning run):
    on SQLite it holds the database's write lock, on PostgreSQL the item's row lock."""
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
    else:
        import psycopg

        conn = psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"))
        conn.execute("SELECT on_hand FROM items WHERE sku = 'W' FOR UPDATE")
    conn.execute("UPDATE items SET on_hand = 99 WHERE sku = 'W'")  # not committed
    return conn


def test_views_answer_while_a_writer_is_mid_transaction(
    runtime: Runtime, cli: Cli, database_url: str
) -> None:
    _shop(runtime)
    writer = _writer(database_url)
    try:
        # on SQLite a reader in a write transaction would wait 30 s for the lock, then fail
        for args in (("stock", "W"), ("backorders",), ("po", "list"), ("order", "show", "1")):
            done = cli(*args, "--json", timeout=10)
            assert done.returncode == 0, done.stderr
        # the committed state, not the writer's uncommitted 99
        assert '"on_hand": 2' in cli("stock", "W", "--json", timeout=10).stdout
    finally:
        writer.rollback()
        writer.close()


def test_a_read_only_unit_of_work_cannot_write(runtime: Runtime, database_url: str) -> None:
    _shop(runtime)
    with runtime.read_uow() as uow, pytest.raises(RuntimeError, match="cannot commit"):
        uow.commit()
    if database_url.startswith("postgresql"):
        with runtime.read_uow() as uow:
            session = uow.session  # type: ignore[attr-defined]
            with pytest.raises(DBAPIError, match="read-only transaction"):
                session.execute(text("UPDATE items SET on_hand = 0"))
