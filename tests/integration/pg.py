"""A real PostgreSQL for the integration tests: the machine's server, or a throw-away one.

``provide_server()`` yields a :class:`PostgresServer`:

1. the server on 127.0.0.1:5432 (user ``postgres``, trust auth) when it answers within
   two seconds;
2. otherwise a throw-away cluster made with ``initdb``/``pg_ctl`` in a temporary
   folder, on a free port, stopped and deleted when the context exits. ``initdb``
   refuses to run as root, so as root the cluster belongs to the ``postgres`` user
   (``runuser -u postgres``).

``SUBZERO_TEST_POSTGRES`` chooses: ``auto`` (default, as above), ``server`` (only the
running server) or ``cluster`` (always a throw-away cluster, to test this very path).
When no PostgreSQL can be had, ``PostgresUnavailable`` says why; the fixtures turn it
into a test failure, never a skip.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

__all__ = ["PostgresServer", "PostgresUnavailable", "provide_server", "random_name"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5432
DEFAULT_USER = "postgres"
CONNECT_TIMEOUT_S = 2


class PostgresUnavailable(RuntimeError):
    """Neither the local server nor a throw-away cluster could be had."""


def random_name(prefix: str = "subzero_test") -> str:
    """A database name no other test session (or engineer) will pick: ``subzero_test_<hex>``."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str = DEFAULT_USER
    origin: str = "server"  # "server" (the machine's) or "cluster" (ours, throw-away)

    def url(self, dbname: str) -> str:
        """The SQLAlchemy URL of database ``dbname`` on this server."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            dbname=dbname,
            connect_timeout=CONNECT_TIMEOUT_S,
            autocommit=True,
        )

    def create_database(self, name: str) -> None:
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop_database(self, name: str) -> None:
        """Drop ``name``, first ending every connection to it (a test may leak one)."""
        with self.connect() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def databases(self, prefix: str) -> list[str]:
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (prefix,)
            ).fetchall()
        return [str(r[0]) for r in rows]


def _answers(host: str, port: int, user: str) -> str | None:
    """None when the server accepts a connection, else the reason it does not."""
    try:
        with psycopg.connect(
            host=host, port=port, user=user, dbname="postgres", connect_timeout=CONNECT_TIMEOUT_S
        ) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"{type(exc).__name__}: {str(exc).strip()}"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((DEFAULT_HOST, 0))
        return int(s.getsockname()[1])


def _as_postgres_user() -> tuple[list[str], int | None, int | None]:
    """The command prefix (and owner ids) to run PostgreSQL's tools as a non-root user."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable(
            "running as root, and initdb refuses root, but there is no 'postgres' user to run it as"
        ) from None
    if shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--"], pw.pw_uid, pw.pw_gid
    if shutil.which("su"):
        # su needs one command string; the caller quotes it.
        return ["su", "postgres", "-s", "/bin/sh", "-c"], pw.pw_uid, pw.pw_gid
    raise PostgresUnavailable("running as root and neither runuser nor su is available")


def _run(prefix: list[str], argv: list[str], what: str) -> None:
    if prefix and prefix[0] == "su":
        import shlex

        cmd = [*prefix, shlex.join(argv)]
    else:
        cmd = [*prefix, *argv]
    proc = subprocess.run(
        cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, check=False
    )
    if proc.returncode != 0:
        raise PostgresUnavailable(
            f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{proc.stdout}{proc.stderr}"
        )


def _tool(name: str) -> str:
    """``name`` from PATH, else from the newest Debian-style /usr/lib/postgresql/N/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if candidates:
        return str(candidates[-1])
    raise PostgresUnavailable(
        f"{name} is neither on PATH nor in /usr/lib/postgresql/*/bin (is PostgreSQL installed?)"
    )


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[PostgresServer]:
    """A fresh cluster in a temporary folder on a free port; stopped and deleted on exit."""
    initdb, pg_ctl = _tool("initdb"), _tool("pg_ctl")
    prefix, uid, gid = _as_postgres_user()
    base = Path(tempfile.mkdtemp(prefix="subzero-pg-"))
    data, sockets, log = base / "data", base / "sock", base / "server.log"
    sockets.mkdir()
    if uid is not None and gid is not None:
        os.chmod(base, 0o755)
        for path in (base, sockets):
            os.chown(path, uid, gid)
    started = False
    last: PostgresUnavailable | None = None
    try:
        _run(
            prefix,
            [
                initdb,
                "-D",
                str(data),
                "-U",
                DEFAULT_USER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            "initdb",
        )
        for _attempt in range(3):  # a free port can be taken between probe and bind
            port = _free_port()
            options = (
                f"-p {port} -k {sockets} -c listen_addresses={DEFAULT_HOST} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200"
            )
            try:
                _run(
                    prefix,
                    [
                        pg_ctl,
                        "-D",
                        str(data),
                        "-l",
                        str(log),
                        "-w",
                        "-t",
                        "30",
                        "-o",
                        options,
                        "start",
                    ],
                    "pg_ctl start",
                )
            except PostgresUnavailable as exc:
                last = exc
                continue
            started = True
            break
        else:
            log_text = log.read_text() if log.exists() else ""
            raise PostgresUnavailable(f"{last}\nserver log:\n{log_text}")
        reason = _answers(DEFAULT_HOST, port, DEFAULT_USER)
        if reason is not None:
            raise PostgresUnavailable(f"throw-away cluster started but does not answer: {reason}")
        yield PostgresServer(DEFAULT_HOST, port, DEFAULT_USER, origin="cluster")
    finally:
        if started:
            with contextlib.suppress(PostgresUnavailable, subprocess.TimeoutExpired):
                _run(
                    prefix,
                    [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                    "pg_ctl stop",
                )
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def provide_server() -> Iterator[PostgresServer]:
    """The machine's PostgreSQL when it answers, else a throw-away cluster (see module doc)."""
    mode = os.environ.get("SUBZERO_TEST_POSTGRES", "auto").strip().lower()
    if mode not in ("auto", "server", "cluster"):
        raise PostgresUnavailable(
            f"SUBZERO_TEST_POSTGRES={mode!r}; use auto (default), server or cluster"
        )
    reason = "not tried (SUBZERO_TEST_POSTGRES=cluster)"
    if mode in ("auto", "server"):
        reason = _answers(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_USER) or ""
        if not reason:
            yield PostgresServer(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_USER, origin="server")
            return
        if mode == "server":
            raise PostgresUnavailable(
                f"no PostgreSQL on {DEFAULT_HOST}:{DEFAULT_PORT} ({reason}) and "
                "SUBZERO_TEST_POSTGRES=server forbids starting one"
            )
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(throwaway_cluster())
        except PostgresUnavailable as exc:
            raise PostgresUnavailable(
                f"no PostgreSQL for the integration tests.\n"
                f"  server {DEFAULT_HOST}:{DEFAULT_PORT}: {reason}\n"
                f"  throw-away cluster: {exc}\n"
                "Start PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) or put "
                "initdb/pg_ctl on PATH."
            ) from None
        yield server
