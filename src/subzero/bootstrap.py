"""The composition root: the one place that creates engines, sessions and the bus.

Nothing connects at import time; ``bootstrap(settings)`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

from subzero.config import Settings, get_settings
from subzero.domain.errors import InvalidState

if TYPE_CHECKING:  # imported on first use: `subzero stock` needs neither the ORM nor the bus
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from subzero.service.messagebus import MessageBus
    from subzero.service.stock_view import StockReader
    from subzero.service.unit_of_work import UnitOfWork

__all__ = ["Runtime", "bootstrap", "init_database", "utc_now"]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Runtime:
    """What the interfaces use: the bus for commands, ``read_uow()`` for views
    (``uow()`` where a view must write), ``stock`` for the stock screen.

    Each is wired on first use, so a read-only command imports neither the ORM mapping
    nor the message bus and its use cases (the CLI starts fast).
    """

    def __init__(
        self, engine: Engine, settings: Settings, *, clock: Callable[[], dt.datetime]
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock

    @cached_property
    def _read_engine(self) -> Engine:
        """The engine's read-only twin (same pool; see ``adapters.db.engine.read_only``)."""
        from subzero.adapters.db.engine import read_only

        return read_only(self.engine)

    @staticmethod
    def _sessions(bind: Engine) -> sessionmaker[Session]:
        from sqlalchemy.orm import sessionmaker

        from subzero.adapters.db.orm import start_mappers

        start_mappers()
        return sessionmaker(bind=bind, expire_on_commit=False)

    @cached_property
    def _session_factory(self) -> sessionmaker[Session]:
        return self._sessions(self.engine)

    def uow(self) -> UnitOfWork:
        """A new unit of work (an ORM session on the engine)."""
        from subzero.adapters.db.unit_of_work import SqlAlchemyUnitOfWork

        return SqlAlchemyUnitOfWork(self._session_factory)

    @cached_property
    def _read_session_factory(self) -> sessionmaker[Session]:
        return self._sessions(self._read_engine)

    def read_uow(self) -> UnitOfWork:
        """A unit of work for views: it reads one consistent snapshot and cannot commit.

        On SQLite it neither waits for nor blocks a running writer (an order being
        placed, a planning run); on PostgreSQL its transaction is ``READ ONLY``."""
        from subzero.adapters.db.unit_of_work import SqlAlchemyUnitOfWork

        return SqlAlchemyUnitOfWork(self._read_session_factory, read_only=True)

    @cached_property
    def bus(self) -> MessageBus:
        from subzero.service.messagebus import MessageBus

        return MessageBus(
            self.uow, clock=self.clock, promise_confidence=self.settings.promise_confidence
        )

    @cached_property
    def stock(self) -> StockReader:
        """Stock positions in one Core query (``service.stock_view``)."""
        from subzero.adapters.db.stock_reader import SqlStockReader

        return SqlStockReader(self._read_engine)

    def dispose(self) -> None:
        self.engine.dispose()


def init_database(settings: Settings | None = None) -> str:
    """Create or migrate the database to the current schema; returns its revision."""
    from subzero.adapters.db.engine import make_engine
    from subzero.adapters.db.migrate import upgrade

    settings = settings or get_settings()
    engine = make_engine(settings.database_url)
    try:
        return upgrade(engine)
    finally:
        engine.dispose()


def _require_sqlite_file(url: str) -> None:
    """A mistyped SQLite path must not silently create an empty database."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = parsed.database
    on_disk = parsed.get_backend_name() == "sqlite" and name and name != ":memory:"
    if on_disk and not Path(str(name)).exists():
        raise InvalidState(f"database file {name} does not exist: run `subzero init`")


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Callable[[], dt.datetime] = utc_now,
    check_schema: bool = True,
) -> Runtime:
    """Wire the concrete adapters: engine → sessions → unit of work → message bus
    (sessions, unit of work and bus on first use; see ``Runtime``)."""
    from subzero.adapters.db.engine import make_engine
    from subzero.adapters.db.migrate import schema_is_current

    settings = settings or get_settings()
    _require_sqlite_file(settings.database_url)
    engine = make_engine(settings.database_url)
    if check_schema and not schema_is_current(engine):
        engine.dispose()
        raise InvalidState(
            f"database {settings.database_url} is not initialised or is out of date: "
            "run `subzero init`"
        )
    return Runtime(engine, settings, clock=clock)
