"""Shared fixtures: the real demand data in ../shared/data (skip only outside CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SUBZERO_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real demand data; in CI (CI=true) its absence is a failure."""
    if not (SHARED_DATA / "README.md").exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the shared data folder {SHARED_DATA} is missing")
        pytest.skip(f"shared data folder {SHARED_DATA} not present (a user's clone)")
    return SHARED_DATA
