"""The issue-5 quality bar on the real data in ../shared/data (hold-out of the last periods).

Uses the whole carparts set (2,674 series, about 15 s) and all 10 M5 series; see
docs/forecast-accuracy.md for the table these figures come from.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _accuracy_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "forecast_accuracy", ROOT / "benchmarks" / "forecast_accuracy.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def carparts(shared_data: Path) -> dict[str, Any]:
    acc = _accuracy_module()
    return acc.evaluate(acc.DATASETS[0], shared_data, n_jobs=2)


@pytest.mark.slow
def test_carparts_automatic_choice_beats_every_single_model(carparts: dict[str, Any]) -> None:
    models = carparts["models"]
    auto = models["automatic"]["rmsse"]
    for name, row in models.items():
        if name != "automatic":
            assert auto < row["rmsse"], f"{name} {row['rmsse']:.4f} <= automatic {auto:.4f}"


@pytest.mark.slow
def test_carparts_90_percent_quantile_covers_88_to_92_percent(carparts: dict[str, Any]) -> None:
    assert 0.88 <= carparts["coverage"]["q0.9"] <= 0.92


@pytest.mark.slow
def test_m5_90_percent_quantile_covers_88_to_92_percent(shared_data: Path) -> None:
    acc = _accuracy_module()
    report = acc.evaluate(acc.DATASETS[1], shared_data, n_jobs=1)
    assert 0.88 <= report["coverage"]["q0.9"] <= 0.92
