"""`subzero policy …`: the --json contract of issue 4, tables, help and errors."""

from __future__ import annotations

import json

import pytest
import typer
from tests.planning.cli_group import command_group
from typer.testing import CliRunner

from subzero.cli import policy
from subzero.domain.errors import InvalidParameter

runner = CliRunner()


def _app() -> typer.Typer:
    return command_group(policy.register)


def _json(*args: str) -> dict[str, object]:
    result = runner.invoke(_app(), ["policy", *args, "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    value = json.loads(result.stdout)
    assert isinstance(value, dict)
    return value


def test_newsvendor_normal_example_4_3() -> None:
    out = _json("newsvendor", "--holding", "0.18", "--backorder", "0.70", "--normal", "50,8")
    assert out["S"] == pytest.approx(56.60, abs=0.005)
    assert out["cost"] == pytest.approx(1.998, abs=0.0005)


def test_newsvendor_poisson_and_pmf() -> None:
    assert _json("newsvendor", "--holding", "1", "--backorder", "4", "--poisson", "6")["S"] == 8
    out = _json(
        "newsvendor", "--holding", "500000", "--backorder", "1000000",
        "--pmf", "1:0.25,2:0.05,3:0.1,4:0.2,5:0.15,6:0.10,7:0.10,8:0.05",
    )  # fmt: skip
    assert out == {"S": 5, "cost": pytest.approx(1_225_000)}


def test_base_stock_example_4_4_and_service_targets() -> None:
    out = _json(
        "base-stock", "--holding", "0.18", "--backorder", "0.70", "--lead-time", "4",
        "--normal", "50,8",
    )  # fmt: skip
    assert out["S"] == pytest.approx(264.77, abs=0.005)
    assert out["cost"] == pytest.approx(4.467, abs=0.0005)
    assert 0 < float(out["fill_rate"]) < 1  # type: ignore[arg-type]
    fill = _json(
        "base-stock", "--holding", "1", "--backorder", "9", "--lead-time", "2",
        "--poisson", "5", "--fill-rate", "0.99",
    )  # fmt: skip
    assert isinstance(fill["S"], int) and float(fill["fill_rate"]) >= 0.99  # type: ignore[arg-type]


def test_s_s_zheng_federgruen_and_power() -> None:
    out = _json("sS", "--holding", "1", "--backorder", "9", "--fixed-cost", "64", "--poisson", "10")
    assert (out["s"], out["S"]) == (6, 40)
    assert out["cost"] == pytest.approx(35.022, abs=0.0005)
    power = _json(
        "sS", "--holding", "0.18", "--backorder", "0.70", "--fixed-cost", "2.5",
        "--normal", "50,8", "--approx", "power",
    )  # fmt: skip
    assert (power["s"], power["S"]) == pytest.approx((40.19, 74.29), abs=0.005)


def test_r_q_poisson_and_normal() -> None:
    out = _json(
        "rQ", "--holding", "20", "--backorder", "150", "--fixed-cost", "100", "--rate", "1.5",
        "--lead-time", "2", "--poisson",
    )  # fmt: skip
    assert (out["r"], out["Q"]) == (3, 5)
    assert out["cost"] == pytest.approx(107.92, abs=0.005)
    normal = _json(
        "rQ", "--holding", "0.225", "--backorder", "7.5", "--fixed-cost", "8", "--rate", "1300",
        "--lead-time", str(1 / 12), "--normal-sd", "150",
    )  # fmt: skip
    assert normal["cost"] == pytest.approx(78.07, abs=0.005)


def test_eoq_wagner_whitin_serial() -> None:
    assert _json("eoq", "--fixed-cost", "8", "--holding", "0.225", "--rate", "1300")["Q"] == (
        pytest.approx(304.05, abs=0.005)
    )
    ww = _json("wagner-whitin", "--fixed-cost", "500", "--holding", "2", "--demand", "90,120,80,70")
    assert ww == {"orders": [210, 0, 150, 0], "cost": 1380.0}
    serial = _json(
        "serial", "--holding", "7,4,2", "--lead-time", "1,1,2", "--backorder", "37.12",
        "--normal", "5,1",
    )  # fmt: skip
    assert serial["S"] == pytest.approx([6.51, 12.01, 22.70], abs=0.03)


def test_table_output_and_help() -> None:
    app = _app()
    table = runner.invoke(
        app, ["policy", "eoq", "--fixed-cost", "8", "--holding", "0.225", "--rate", "1300"]
    )
    assert table.exit_code == 0 and "304.047" in table.output
    for command in ("newsvendor", "base-stock", "sS", "rQ", "eoq", "wagner-whitin", "serial"):
        result = runner.invoke(app, ["policy", command, "--help"])
        assert result.exit_code == 0
        assert "--json" in result.output and "--holding" in result.output


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["newsvendor", "--holding", "-1", "--backorder", "4", "--poisson", "6"], "holding cost"),
        (["newsvendor", "--holding", "1", "--backorder", "4", "--normal", "5,0"], "SD"),
        (["newsvendor", "--holding", "1", "--backorder", "4", "--pmf", ""], "empty"),
        (["newsvendor", "--holding", "1", "--backorder", "4", "--pmf", "1:0.5,2:0.4"], "sum to"),
        (["newsvendor", "--holding", "1", "--backorder", "4"], "exactly one"),
        (["wagner-whitin", "--fixed-cost", "5", "--holding", "1", "--demand", "3,-1"], "demands"),
        (["serial", "--holding", "1,2", "--lead-time", "1,1", "--backorder", "9",
          "--normal", "5,1"], "must not increase"),
    ],
)  # fmt: skip
def test_invalid_parameters_raise_the_domain_error(args: list[str], fragment: str) -> None:
    result = runner.invoke(_app(), ["policy", *args, "--json"])
    assert result.exit_code != 0
    assert isinstance(result.exception, InvalidParameter)
    assert fragment in str(result.exception)


def _subzero() -> str:
    import shutil
    import sys
    from pathlib import Path

    script = Path(sys.executable).parent / "subzero"
    return str(script) if script.exists() else str(shutil.which("subzero"))


def test_installed_entry_point_json_and_error_line() -> None:
    import subprocess

    ok = subprocess.run(
        [_subzero(), "policy", "eoq", "--fixed-cost", "8", "--holding", "0.225", "--rate", "1300",
         "--json"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["Q"] == pytest.approx(304.05, abs=0.005)
    bad = subprocess.run(
        [_subzero(), "policy", "newsvendor", "--holding", "1", "--backorder", "4", "--normal",
         "50,-2", "--json"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert bad.returncode == 1
    assert bad.stderr.startswith("error[invalid_parameter]: --normal: SD=-2.0 must be > 0")


def test_policy_module_imports_no_numeric_library() -> None:
    import subprocess
    import sys

    code = "import sys, subzero.cli.policy; print(sorted({'numpy', 'scipy'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
