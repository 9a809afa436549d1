"""The layering holds, and the CLI starts without the heavy libraries.

* import-linter checks the contracts in ``pyproject.toml`` (domain and planning import
  no outer layer; the service layer reaches adapters only through the composition root);
* ``subzero --help`` and ``subzero stock --help`` must not import the planning stack
  (pandas, statsforecast, numba, dask, scipy) nor alembic: ``subzero stock SKU`` is
  meant to answer in well under half a second (DESIGN.md, "Interfaces").
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HEAVY = ("pandas", "statsforecast", "numba", "dask", "scipy", "alembic")


def test_import_contracts_are_kept() -> None:
    proc = subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache", "--no-logo"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"import-linter failed:\n{report}"
    assert "0 broken" in report, report


def _imported_modules(folder: Path, *args: str) -> set[str]:
    """Top-level packages the real console script imports to run ``subzero ARGS``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUBZERO_")}
    database = folder / "never-opened.db"
    env["SUBZERO_DATABASE_URL"] = f"sqlite:///{database}"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", str(BIN / "subzero"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Usage" in proc.stdout, proc.stdout
    assert not database.exists(), "--help opened the database"
    modules = set()
    for line in proc.stderr.splitlines():
        # "import time: self [us] | cumulative | imported package" then one line per module
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            modules.add(name.split(".")[0])
    assert "subzero" in modules, "no -X importtime output to check"
    return modules


@pytest.mark.parametrize("args", [("--help",), ("stock", "--help")], ids=" ".join)
def test_help_does_not_import_heavy_libraries(args: tuple[str, ...], tmp_path: Path) -> None:
    heavy = sorted(set(HEAVY) & _imported_modules(tmp_path, *args))
    assert heavy == [], f"`subzero {' '.join(args)}` imports {heavy}"


def test_help_reflows_docstrings_into_paragraphs(tmp_path: Path) -> None:
    """Command docstrings are wrapped at 88 columns in the source; the help joins those
    lines again (markdown mode), so a wide terminal shows each description on one line
    instead of breaking wherever the source did."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUBZERO_")}
    env |= {"COLUMNS": "250", "SUBZERO_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    proc = subprocess.run(
        [str(BIN / "subzero"), "--help"], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    line = next(row for row in proc.stdout.splitlines() if "backorders" in row)
    assert "with its promise and whether that promise is already late" in line
