"""What ``subzero stock`` loads to answer: on a SQLite file not even SQLAlchemy (the
standard library's ``sqlite3`` reads it), on PostgreSQL the Core read path; never the ORM
mapping, the message bus or pydantic-settings (start-up figures themselves live in
``make bench``). And the lazy log handler still logs through rich on stderr."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from subzero.cli.app import _RichStderrHandler
from subzero.domain import commands as c

if TYPE_CHECKING:
    from tests.integration.conftest import Cli

    from subzero.bootstrap import Runtime

SUBZERO = Path(sys.executable).with_name("subzero")  # the console script of this venv
NOT_ON_THE_READ_PATH = (
    "sqlalchemy.orm",
    "subzero.adapters.db.orm",
    "subzero.service.messagebus",
    "subzero.service.views",
    "pydantic_settings",
    "rich.logging",
)


def _imports(cli: Cli, *args: str) -> tuple[set[str], str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", str(SUBZERO), *args],
        capture_output=True,
        text=True,
        env=cli.env(),
        cwd=cli.cwd,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    assert "subzero.cli.app" in modules, "no -X importtime output to check"
    return modules, proc.stdout


def test_stock_reads_without_orm_bus_or_pydantic_settings(runtime: Runtime, cli: Cli) -> None:
    runtime.bus.handle(c.AddSupplier("ACME", 5))
    runtime.bus.handle(c.AddItem("W", "ACME", 3))
    sqlite = runtime.engine.dialect.name == "sqlite"
    for args in (("stock", "W", "--json"), ("stock", "--json")):
        modules, out = _imports(cli, *args)
        assert "subzero.adapters.db.stock_reader" in modules
        not_loaded = NOT_ON_THE_READ_PATH + (("sqlalchemy",) if sqlite else ())
        loaded = sorted(m for m in not_loaded if m in modules)
        assert loaded == [], f"`subzero {' '.join(args)}` imports {loaded}"
        data = json.loads(out)
        assert (data if isinstance(data, dict) else data[0])["on_hand"] == 3


def test_log_records_go_to_rich_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    handler = _RichStderrHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("subzero.test_cli_startup")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("PO %s rescheduled", 7)
    finally:
        logger.removeHandler(handler)
    err = capsys.readouterr().err
    assert "PO 7 rescheduled" in err and "WARNING" in err
