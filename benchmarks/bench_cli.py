"""Start-up of the command line: `subzero stock SKU --json` on a small SQLite database
(median of 7 runs, whole process), against a bare `python -c pass` in the same run; the
goal (DESIGN.md: "well under half a second") is for that command. Also reported: the
same command on PostgreSQL (it reads through SQLAlchemy there; null when no server
answers on 127.0.0.1:5432), and the other read-only listings (`stock` of every item,
`po list`, `backorders`, `kpis`, `alerts`); all but the first read through the ORM and
pay for importing SQLAlchemy."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def _time(cmd: list[str], env: dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


SETUP = (
    ["init"],
    ["supplier", "add", "ACME", "--lead-time-days", "5"],
    ["item", "add", "W", "--supplier", "ACME", "--on-hand", "3"],
)


def _postgres_stock(subzero: str, tmp: str) -> float | None:
    """Median of 7 `stock W --json` on a throw-away database of the machine's PostgreSQL
    (127.0.0.1:5432, user postgres), which reads through SQLAlchemy; None when no
    server answers."""
    import uuid

    import psycopg

    server = "postgres@127.0.0.1:5432"
    try:
        admin = psycopg.connect(
            f"postgresql://{server}/postgres", autocommit=True, connect_timeout=2
        )
    except psycopg.OperationalError:
        return None
    name = f"subzero_bench_{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "SUBZERO_DATABASE_URL": f"postgresql+psycopg://{server}/{name}"}
    try:
        for args in SETUP:  # `init` creates the database
            subprocess.run([subzero, *args], env=env, cwd=tmp, check=True, capture_output=True)
        return statistics.median(
            _time([subzero, "stock", "W", "--json"], env, tmp) for _ in range(7)
        )
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def run() -> dict[str, object]:
    subzero = str(BIN / "subzero")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SUBZERO_DATABASE_URL": f"sqlite:///{tmp}/bench.db"}
        for args in SETUP:
            subprocess.run([subzero, *args], env=env, cwd=tmp, check=True, capture_output=True)
        stock = [_time([subzero, "stock", "W", "--json"], env, tmp) for _ in range(7)]
        bare = [_time([sys.executable, "-c", "pass"], env, tmp) for _ in range(7)]
        postgres = _postgres_stock(subzero, tmp)
        listings = {
            name: statistics.median(_time([subzero, *args, "--json"], env, tmp) for _ in range(7))
            for name, args in (
                ("stock_all", ["stock"]),
                ("po_list", ["po", "list"]),
                ("backorders", ["backorders"]),
                ("kpis", ["kpis"]),
                ("alerts", ["alerts"]),
            )
        }
    return {
        "stock_command_seconds_median": round(statistics.median(stock), 3),
        "stock_command_postgres_seconds_median": None if postgres is None else round(postgres, 3),
        "python_startup_seconds_median": round(statistics.median(bare), 3),
        **{f"{name}_seconds_median": round(secs, 3) for name, secs in listings.items()},
        "goal_seconds": 0.5,
        "goal_met": statistics.median(stock) < 0.5,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
