"""The CLI's one runtime, bootstrapped on first use from the environment's settings."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from subzero.bootstrap import Runtime, bootstrap
from subzero.config import get_settings

if TYPE_CHECKING:
    from subzero.service.stock_view import StockReader

__all__ = ["runtime", "stock_reader"]


@lru_cache(maxsize=1)
def runtime() -> Runtime:
    return bootstrap()


def stock_reader() -> StockReader:
    """The stock screen's reader, without bootstrapping when it can: a plain SQLite file
    (the embedded default) is read with the standard library's ``sqlite3``, which spares
    ``subzero stock`` importing SQLAlchemy, most of its start-up; any other database
    through the runtime (``Runtime.stock``). Both readers run the same query and check
    the schema with the same messages (``adapters.db.stock_reader``)."""
    from subzero.adapters.db.stock_reader import SqliteFileStockReader, sqlite_file

    url = get_settings().database_url
    if sqlite_file(url) is not None:
        return SqliteFileStockReader(url)
    return runtime().stock
