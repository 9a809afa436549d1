"""Command-line interface: ``subzero …`` (typer + rich).

Each module registers one family of commands on the root app. Heavy libraries
(pandas, statsforecast, numba, dask, SQLAlchemy's dialects) are imported inside the
commands that need them, so ``subzero stock SKU`` starts fast.
"""

from __future__ import annotations

from subzero.cli.app import app, main

__all__ = ["app", "main"]
