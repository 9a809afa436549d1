"""``StockReader``: the stock screen's one grouped query, no ORM session, in two readers.

* ``SqlStockReader`` runs it on a SQLAlchemy engine (any supported database);
* ``SqliteFileStockReader`` runs it with the standard library's ``sqlite3`` on a SQLite
  file, for ``subzero stock`` on the embedded default: importing SQLAlchemy alone takes
  0.35 s on the 2-core reference machine, several times the query, and the command must
  answer in well under half a second. It checks the schema revision as ``bootstrap``
  does, with the same messages.

Both run the same SQL text (``POSITIONS_SQL``; portable SQL, ``:sku`` is a named
parameter for SQLAlchemy's ``text()`` and for ``sqlite3`` alike). The sums mirror the
domain's definitions (``OrderLine.backordered``, ``PurchaseOrder.outstanding``) and the
repositories' notion of "open" (``SqlOrders.open_lines``, ``SqlPurchaseOrders.open_for``);
a test checks that both readers and ``service.views.stock`` agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from subzero.adapters.db.revision import SCHEMA_REVISION
from subzero.domain.errors import InvalidState
from subzero.domain.position import StockPosition
from subzero.domain.purchasing import OPEN_STATUSES

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["POSITIONS_SQL", "SqlStockReader", "SqliteFileStockReader", "sqlite_file"]

_OPEN = ", ".join(f"'{status.value}'" for status in OPEN_STATUSES)

POSITIONS_SQL = f"""
SELECT items.sku, items.on_hand,
       coalesce(open_lines.allocated, 0), coalesce(open_lines.backordered, 0),
       coalesce(open_purchase_orders.on_order, 0)
FROM items
LEFT OUTER JOIN (
    SELECT item_id, sum(allocated) AS allocated,
           sum(qty - allocated - shipped - cancelled) AS backordered
    FROM order_lines
    WHERE qty > shipped + cancelled
    GROUP BY item_id
) AS open_lines ON open_lines.item_id = items.id
LEFT OUTER JOIN (
    SELECT item_id, sum(qty - received) AS on_order
    FROM purchase_orders
    WHERE status IN ({_OPEN})
    GROUP BY item_id
) AS open_purchase_orders ON open_purchase_orders.item_id = items.id
{{where}}
ORDER BY items.sku
"""
"""Every item's position; ``{where}`` is empty or ``WHERE items.sku = :sku``."""

_ALL = POSITIONS_SQL.format(where="")
_ONE = POSITIONS_SQL.format(where="WHERE items.sku = :sku")


def _positions(rows: Iterable[Sequence[Any]]) -> list[StockPosition]:
    return [
        StockPosition(
            sku=sku,
            on_hand=int(on_hand),
            allocated=int(allocated),
            backordered=int(backordered),
            on_order=int(on_order),
        )
        for sku, on_hand, allocated, backordered, on_order in rows
    ]


class _PositionsQuery:
    """``StockReader`` on ``_read``, which runs ``POSITIONS_SQL`` somewhere."""

    def position(self, sku: str) -> StockPosition | None:
        found = self._read(_ONE, {"sku": sku})
        return found[0] if found else None

    def positions(self) -> Sequence[StockPosition]:
        return self._read(_ALL, {})

    def _read(self, sql: str, params: dict[str, str]) -> list[StockPosition]:
        raise NotImplementedError


class SqlStockReader(_PositionsQuery):
    """Stock positions read in one statement from a SQLAlchemy ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _read(self, sql: str, params: dict[str, str]) -> list[StockPosition]:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return _positions(conn.execute(text(sql), params))


_SQLITE_FILE = re.compile(r"sqlite(?:\+pysqlite)?:///(?P<path>[^?#%]+)")


def sqlite_file(url: str) -> Path | None:
    """The file of a plain SQLite URL (``sqlite:///FILE``: no query string, no
    percent-escapes, not ``:memory:``), as SQLAlchemy would open it; None for any other
    URL, which only SQLAlchemy should interpret."""
    found = _SQLITE_FILE.fullmatch(url)
    if found is None or found["path"] == ":memory:":
        return None
    return Path(found["path"])


class SqliteFileStockReader(_PositionsQuery):
    """Stock positions read with ``sqlite3`` from the SQLite file of ``url``.

    Each read is one deferred transaction, as the engine's read-only twin begins it: in
    WAL mode it neither waits for a running writer nor holds one up. The file is opened
    with ``mode=rw``, so a missing file is never created.

    Raises (on each read):
        InvalidState: the file does not exist, has no schema or an older one (run
            ``subzero init``), or cannot be read; the messages are ``bootstrap``'s.
    """

    def __init__(self, url: str) -> None:
        path = sqlite_file(url)
        if path is None:
            raise ValueError(f"not a plain SQLite file URL: {url!r}")
        self.url = url
        self.path = path
        self._name = url.split(":///", 1)[1]  # as written, for messages

    def _read(self, sql: str, params: dict[str, str]) -> list[StockPosition]:
        import sqlite3

        if not self.path.exists():
            raise InvalidState(f"database file {self._name} does not exist: run `subzero init`")
        try:
            conn = sqlite3.connect(
                f"{self.path.absolute().as_uri()}?mode=rw",
                uri=True,
                timeout=30,
                isolation_level=None,
            )
        except sqlite3.Error as exc:
            raise InvalidState(f"cannot use database {self.url}: {exc}") from None
        try:
            conn.execute("BEGIN")  # deferred: one snapshot for the check and the query
            if self._revision(conn) != SCHEMA_REVISION:
                raise InvalidState(
                    f"database {self.url} is not initialised or is out of date: run `subzero init`"
                )
            return _positions(conn.execute(sql, params))
        except sqlite3.Error as exc:
            raise InvalidState(f"cannot use database {self.url}: {exc}") from None
        finally:
            conn.close()  # rolls the read transaction back

    @staticmethod
    def _revision(conn: Any) -> str | None:
        has_table = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        if has_table is None:
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return None if row is None else str(row[0])
