"""Engines for the supported databases: SQLite (default, embedded) and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from subzero.domain.errors import InvalidParameter

__all__ = ["READ_ONLY", "make_engine", "read_only"]

READ_ONLY = "subzero_read_only"
"""Execution option of an engine whose transactions only read (see :func:`read_only`)."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` (a SQLAlchemy URL).

    SQLite: writers are serialised with ``BEGIN IMMEDIATE`` (so a read-then-write use
    case cannot race), WAL journal, 30 s busy timeout, foreign keys on; a read-only
    transaction (:func:`read_only`) begins deferred instead, so it neither waits for a
    writer nor holds one up (WAL).
    PostgreSQL: psycopg 3, READ COMMITTED with row locks taken by the repositories.
    """
    try:
        parsed = make_url(url)
    except Exception:
        raise InvalidParameter(f"SUBZERO_DATABASE_URL {url!r} is not a database URL") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": 30}, **kwargs)
        _sqlite_immediate(engine)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True, **kwargs)
    raise InvalidParameter(
        f"database {backend!r} is not supported; use sqlite:///FILE or postgresql+psycopg://…"
    )


def _sqlite_immediate(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        reading = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def read_only(engine: Engine) -> Engine:
    """The same engine (and pool) for transactions that only read: deferred on SQLite,
    ``READ ONLY`` on PostgreSQL, where a write in them fails. Either way one snapshot:
    every statement of the transaction sees the database as its first did (SQLite's WAL
    read transaction; ``REPEATABLE READ`` on PostgreSQL, which never fails a read-only
    transaction), so an export or a report is never half before and half after a
    change committed meanwhile."""
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options |= {"postgresql_readonly": True, "isolation_level": "REPEATABLE READ"}
    return engine.execution_options(**options)
