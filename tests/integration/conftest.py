"""Integration fixtures: real databases, SQLite and PostgreSQL, fresh for every test.

Fixtures (use them in any test under ``tests/integration``):

``database_url``
    Parametrised over ``["sqlite", "postgres"]`` (those are the test ids, e.g.
    ``test_x[postgres]``): the SQLAlchemy URL of a **fresh database already migrated**
    with ``init_database``. SQLite: a file in ``tmp_path``. PostgreSQL: a new database
    ``subzero_test_<hex>_<n>`` on the session's server, dropped after the test (CREATE +
    migrate takes well under 0.1 s). Tests using it on PostgreSQL get the ``postgres``
    marker automatically (``-m "not postgres"`` deselects them).
``empty_database_url``
    Same parametrisation, but *not* migrated (for ``subzero init`` and its errors).
``clock``
    A controllable :class:`Clock`: ``clock.now`` (aware UTC datetime, starts at
    ``Clock.START`` = Monday 2025-01-06 09:00 UTC), ``clock()`` returns it,
    ``clock.advance(days=..., hours=...)`` moves it forward (any ``timedelta`` keywords),
    ``clock.set(when)`` jumps. Use ``clock.today`` for the date.
``runtime``
    ``bootstrap(Settings(database_url=database_url), clock=clock)``: ``runtime.bus.handle(cmd)``
    and ``runtime.uow()``; disposed after the test. Parametrised like ``database_url``.
``cli``
    ``cli(*args, check=False)`` runs ``.venv/bin/subzero ARGS`` in a subprocess against
    ``database_url`` (``SUBZERO_DATABASE_URL`` set, cwd ``tmp_path``) and returns the
    ``CompletedProcess`` (text mode); ``check=True`` asserts exit 0.
    ``cli.json(*args)`` adds ``--json``, asserts exit 0 and parses stdout.
    ``make_cli(url)`` gives the same for any URL (e.g. ``empty_database_url``).
``pg_server`` (session)
    The :class:`pg.PostgresServer` in use: the machine's PostgreSQL on 127.0.0.1:5432
    when it answers, else a throw-away ``initdb`` cluster (see ``pg.py``;
    ``SUBZERO_TEST_POSTGRES=cluster`` forces the latter). Requesting it marks the test
    ``postgres``. Under pytest-xdist each worker has its own session database
    (``pg_session_database``) and per-test databases; nothing is shared between workers.

If no PostgreSQL can be had, the PostgreSQL tests **fail** with the reason; they are
never skipped.

For type hints: ``from tests.integration.conftest import Cli, Clock`` (under
``TYPE_CHECKING``; pytest imports this file as that module).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration import pg

from subzero.bootstrap import Runtime, bootstrap, init_database
from subzero.config import Settings

REPO = Path(__file__).resolve().parents[2]
SUBZERO = REPO / ".venv" / "bin" / "subzero"
if not SUBZERO.exists():  # installed elsewhere: the script next to this interpreter
    SUBZERO = Path(sys.executable).with_name("subzero")

BACKENDS = ["sqlite", "postgres"]


class Clock:
    """A clock the test moves by hand; pass it as ``bootstrap(..., clock=clock)``."""

    START = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)

    def __init__(self, now: dt.datetime = START) -> None:
        self.set(now)

    def __call__(self) -> dt.datetime:
        return self.now

    @property
    def today(self) -> dt.date:
        return self.now.date()

    def set(self, when: dt.datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("the clock keeps aware UTC times")
        self.now = when.astimezone(dt.UTC)

    def advance(self, **delta: float) -> dt.datetime:
        """Move forward by ``timedelta(**delta)``; returns the new time."""
        step = dt.timedelta(**delta)
        if step < dt.timedelta(0):
            raise ValueError("time only moves forward")
        self.now += step
        return self.now

    def __repr__(self) -> str:
        return f"Clock({self.now.isoformat()})"


# -- PostgreSQL: one server and one database per session (per xdist worker) ------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pg.PostgresServer]:
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(pg.provide_server())
        except pg.PostgresUnavailable as exc:
            reason = str(exc)
        else:
            reason = ""
        if reason:  # a failure, never a skip: the PostgreSQL tests are core tests
            pytest.fail(reason, pytrace=False)
        yield server


@pytest.fixture(scope="session")
def pg_session_database(pg_server: pg.PostgresServer) -> Iterator[str]:
    """This session's throw-away database ``subzero_test_<hex>`` (dropped at the end).

    Its name is also the prefix of every per-test database, so the final clean-up
    removes whatever a crashed test left behind, and nothing of another session's.
    """
    name = pg.random_name()
    pg_server.create_database(name)
    try:
        yield name
    finally:
        for leftover in pg_server.databases(name + "_"):
            pg_server.drop_database(leftover)
        pg_server.drop_database(name)


_counter = itertools.count(1)


@contextlib.contextmanager
def _new_database(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'subzero.db'}"
        return
    server: pg.PostgresServer = request.getfixturevalue("pg_server")
    session_db: str = request.getfixturevalue("pg_session_database")
    name = f"{session_db}_{next(_counter)}"
    server.create_database(name)
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database that has never been migrated (SQLite: the file does not exist)."""
    with _new_database(request, request.param, tmp_path) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database migrated to the newest schema."""
    with _new_database(request, request.param, tmp_path) as url:
        init_database(Settings(database_url=url))
        yield url


def pytest_configure(config: pytest.Config) -> None:
    # pytest-xdist registers it, but only when loaded; ``-p no:xdist`` must still work.
    config.addinivalue_line("markers", "xdist_group(name): run these tests on one xdist worker")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that runs on PostgreSQL ``postgres``."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        on_pg = any(
            params.get(name) == "postgres" for name in ("database_url", "empty_database_url")
        )
        if on_pg or "pg_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


# -- the application on that database --------------------------------------------------


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def runtime(database_url: str, clock: Clock) -> Iterator[Runtime]:
    rt = bootstrap(Settings(database_url=database_url), clock=clock)
    try:
        yield rt
    finally:
        rt.dispose()


class Cli:
    """Runs the real ``subzero`` console script against one database."""

    def __init__(self, database_url: str, cwd: Path) -> None:
        self.database_url = database_url
        self.cwd = cwd

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SUBZERO_")}
        env["SUBZERO_DATABASE_URL"] = self.database_url
        env["COLUMNS"] = "200"  # rich tables: no wrapping in captured output
        return env

    def __call__(
        self, *args: str, check: bool = False, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(SUBZERO), *args],
            capture_output=True,
            text=True,
            env=self.env(),
            cwd=self.cwd,
            timeout=timeout,
            check=False,
        )
        if check:
            assert proc.returncode == 0, f"subzero {' '.join(args)}: {proc.stderr}"
        return proc

    def json(self, *args: str) -> Any:
        proc = self(*args, "--json", check=True)
        return json.loads(proc.stdout)


@pytest.fixture
def cli(database_url: str, tmp_path: Path) -> Cli:
    return Cli(database_url, tmp_path)


@pytest.fixture
def make_cli(tmp_path: Path) -> Callable[[str], Cli]:
    """``make_cli(url)``: a :class:`Cli` for any database (e.g. ``empty_database_url``)."""
    return lambda url: Cli(url, tmp_path)
