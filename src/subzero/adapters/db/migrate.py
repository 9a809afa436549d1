"""Create or migrate a database to the current schema (``subzero init``).

Alembic is imported only by the functions that migrate, so the cheap
``schema_is_current`` check can run on every CLI command without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from subzero.adapters.db.revision import SCHEMA_REVISION
from subzero.domain.errors import InvalidState

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "SCHEMA_REVISION",
    "alembic_config",
    "current_revision",
    "ensure_database",
    "head_revision",
    "schema_is_current",
    "upgrade",
]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str = "") -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> str:
    """Bring the schema to the newest revision (idempotent); returns that revision.
    A missing PostgreSQL database is created first."""
    from alembic import command

    ensure_database(engine)
    cfg = alembic_config()
    sqlite = engine.url.get_backend_name() == "sqlite"
    try:
        with engine.connect() as conn:
            if sqlite:
                # SQLite alters a table by copying it; foreign keys must be off meanwhile
                # (and can only be switched outside a transaction). Checked after.
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
            try:
                with conn.begin():
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
                    if sqlite:
                        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        if broken:
                            raise InvalidState(f"migration broke foreign keys: {broken[:3]}")
            finally:
                if sqlite:
                    conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
    except DBAPIError as exc:
        raise InvalidState(f"cannot migrate database {_safe(engine)}: {_reason(exc)}") from None
    return head_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema_is_current(engine: Engine) -> bool:
    """True when the database is at ``SCHEMA_REVISION``; False when it has no schema or
    an older one. A database that cannot be reached raises ``InvalidState`` saying why."""
    from sqlalchemy import inspect

    from subzero.adapters.db.engine import read_only

    try:
        with read_only(engine).connect() as conn:  # a running writer does not hold it up
            if not inspect(conn).has_table("alembic_version"):
                return False
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError as exc:
        raise InvalidState(f"cannot use database {_safe(engine)}: {_reason(exc)}") from None
    return version == SCHEMA_REVISION


def ensure_database(engine: Engine) -> None:
    """Create a missing PostgreSQL database (``subzero init``); SQLite creates its file."""
    from sqlalchemy import create_engine

    if engine.url.get_backend_name() != "postgresql":
        return
    try:
        with engine.connect():
            return
    except DBAPIError as exc:
        missing = getattr(exc.orig, "sqlstate", None) == "3D000" or (
            f'database "{engine.url.database}" does not exist' in str(exc.orig)
        )
        if not missing:
            raise InvalidState(f"cannot use database {_safe(engine)}: {_reason(exc)}") from None
    name = engine.url.database
    maintenance = create_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with maintenance.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except DBAPIError as exc:
        raise InvalidState(f"cannot create database {name!r}: {_reason(exc)}") from None
    finally:
        maintenance.dispose()


def _safe(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _reason(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
