"""The composition root: the one place that creates engines, sessions and the bus.

Nothing connects at import time; ``bootstrap(settings)`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from subzero.config import Settings, get_settings
from subzero.domain.errors import InvalidState
from subzero.service.messagebus import MessageBus
from subzero.service.unit_of_work import UnitOfWork

__all__ = ["Runtime", "bootstrap", "init_database", "utc_now"]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Runtime:
    """What the interfaces use: the bus for commands, ``uow()`` for queries."""

    bus: MessageBus
    uow: Callable[[], UnitOfWork]
    settings: Settings

    def dispose(self) -> None:
        from subzero.adapters.db.unit_of_work import SqlAlchemyUnitOfWork

        uow = self.uow()
        assert isinstance(uow, SqlAlchemyUnitOfWork)
        bind = uow.session_factory.kw.get("bind")
        if bind is not None:
            bind.dispose()


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
    """Wire the concrete adapters: engine → sessions → unit of work → message bus."""
    from sqlalchemy.orm import sessionmaker

    from subzero.adapters.db.engine import make_engine
    from subzero.adapters.db.migrate import schema_is_current
    from subzero.adapters.db.orm import start_mappers
    from subzero.adapters.db.unit_of_work import SqlAlchemyUnitOfWork

    settings = settings or get_settings()
    _require_sqlite_file(settings.database_url)
    engine = make_engine(settings.database_url)
    if check_schema and not schema_is_current(engine):
        engine.dispose()
        raise InvalidState(
            f"database {settings.database_url} is not initialised or is out of date: "
            "run `subzero init`"
        )
    start_mappers()
    session_factory = sessionmaker(bind=engine, expire_on_commit=False)

    def uow() -> UnitOfWork:
        return SqlAlchemyUnitOfWork(session_factory)

    bus = MessageBus(uow, clock=clock, promise_confidence=settings.promise_confidence)
    return Runtime(bus=bus, uow=uow, settings=settings)
