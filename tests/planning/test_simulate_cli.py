"""``subzero simulate | tune | scenario`` and the catalogue, tuning and scenario modules."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import typer
from scipy import stats
from tests.planning.cli_group import command_group
from typer.testing import CliRunner

from subzero.cli.simulate import register
from subzero.domain.errors import InvalidParameter
from subzero.planning.policies.kinds import SS, BaseStock
from subzero.planning.simulate.catalog import item_row, read_catalog
from subzero.planning.simulate.demand import PoissonDemand
from subzero.planning.simulate.engine import Item, RunSettings
from subzero.planning.simulate.scenarios import (
    LeadTimeFactor,
    parse_disruption,
    parse_spike,
    run_scenario,
)
from subzero.planning.simulate.tune import seed_level, tune

HEADER = [
    "sku",
    "policy",
    "s",
    "S",
    "r",
    "Q",
    "demand",
    "mean",
    "sd",
    "lead_time",
    "holding",
    "backorder",
    "fixed_cost",
    "supplier",
]


def _app() -> typer.Typer:
    return command_group(register)


def _catalog(tmp_path: Path) -> Path:
    path = tmp_path / "catalog.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerow(
            ["A", "base-stock", "", "14", "", "", "poisson", "4", "", "2", "1", "9", "0", "acme"]
        )
        w.writerow(
            ["B", "sS", "5", "15", "", "", "normal", "3", "1.5", "1", "0.5", "5", "10", "acme"]
        )
        w.writerow(["C", "rQ", "", "", "6", "8", "poisson", "2", "", "3", "1", "4", "2", "other"])
        w.writerow(["D", "mto", "", "", "", "", "poisson", "1", "", "1", "1", "1", "0", ""])
    return path


def test_simulate_json_has_the_contract_shape_and_the_newsvendor_cost() -> None:
    result = CliRunner().invoke(
        _app(),
        [
            "simulate",
            "--policy",
            "base-stock",
            "--S",
            "8",
            "--poisson",
            "6",
            "--lead-time",
            "0",
            "--holding",
            "1",
            "--backorder",
            "4",
            "--periods",
            "200000",
            "--seed",
            "3",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in (
        "cost",
        "fill_rate",
        "backorder_rate",
        "mean_wait",
        "p95_wait",
        "avg_on_hand",
        "avg_backorders",
    ):
        lo, hi = data[key]["ci95"]
        assert lo <= data[key]["mean"] <= hi
    # Poisson(6), S=8, h=1, p=4: E[(8−D)^+] + 4 E[(D−8)^+] (Snyder & Shen §4.3)
    x = np.arange(80)
    cost = float((np.maximum(8 - x, 0) + 4 * np.maximum(x - 8, 0)) @ stats.poisson.pmf(x, 6))
    assert data["cost"]["ci95"][0] <= cost <= data["cost"]["ci95"][1]


@pytest.mark.parametrize(
    "args",
    [
        ["--policy", "sS", "--s", "4", "--S", "10", "--fixed-cost", "5", "--poisson", "3"],
        [
            "--policy",
            "rQ",
            "--r",
            "5",
            "--Q",
            "6",
            "--poisson",
            "3",
            "--lead-time-pmf",
            "1:0.2,2:0.5,4:0.3",
            "--lost-sales",
        ],
        [
            "--policy",
            "serial",
            "--S",
            "20,30,40",
            "--lead-time",
            "2,1,1",
            "--holding",
            "1,2,3",
            "--normal",
            "10,2",
        ],
        [
            "--policy",
            "base-stock",
            "--S",
            "12",
            "--history",
            "0,3,4,9,2",
            "--seasonality",
            "1,1.5,0.5",
            "--lead-time",
            "2",
            "--expedite-lead-time",
            "0",
            "--expedite-cost",
            "2",
        ],
    ],
)
def test_simulate_variants_print_tables_and_json(args: list[str]) -> None:
    runner = CliRunner()
    table = runner.invoke(_app(), ["simulate", *args, "--periods", "5000", "--warmup", "100"])
    assert table.exit_code == 0, table.output
    assert "fill_rate" in table.output and "95% CI" in table.output
    js = runner.invoke(_app(), ["simulate", *args, "--periods", "5000", "--json"])
    assert 0.0 <= json.loads(js.stdout)["fill_rate"]["mean"] <= 1.0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--policy", "rQ", "--r", "3", "--poisson", "2"], "--Q"),
        (["--policy", "base-stock", "--S", "5", "--normal", "5"], "--normal '5'"),
        (["--policy", "zz", "--S", "5", "--poisson", "2"], "'zz'"),
        (
            ["--policy", "base-stock", "--S", "5", "--poisson", "2", "--lead-time-pmf", "1:0.5"],
            "sum to 0.5",
        ),
    ],
)
def test_bad_options_raise_invalid_parameter_naming_the_value(
    args: list[str], message: str
) -> None:
    result = CliRunner().invoke(_app(), ["simulate", *args, "--periods", "100"])
    assert isinstance(result.exception, InvalidParameter)
    assert message in str(result.exception)


def test_a_spreadsheets_catalog_reads_the_same(tmp_path: Path) -> None:
    """Saved by a spreadsheet: semicolons, a byte-order mark, padded column names."""
    plain = read_catalog(_catalog(tmp_path))
    with _catalog(tmp_path).open(newline="") as fh:
        rows = list(csv.reader(fh))
    rows[0] = [f" {name} " for name in rows[0]]
    saved = tmp_path / "from-excel.csv"
    with saved.open("w", newline="", encoding="utf-8-sig") as fh:
        csv.writer(fh, delimiter=";").writerows(rows)
    assert saved.read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_catalog(saved) == plain


def test_catalog_round_trip_and_simulation(tmp_path: Path) -> None:
    items = read_catalog(_catalog(tmp_path))
    assert [it.policy for it in items[:2]] == [BaseStock(14), SS(5, 15)]
    assert read_catalog(_catalog(tmp_path))[2].lead_time == 3
    assert item_row(items[1])["s"] == 5
    result = CliRunner().invoke(
        _app(), ["simulate", "--catalog", str(_catalog(tmp_path)), "--periods", "3000", "--json"]
    )
    data = json.loads(result.stdout)
    assert [row["sku"] for row in data["items"]] == ["A", "B", "C", "D"]
    total = sum(row["cost"] for row in data["items"])
    assert data["overall"]["cost"]["mean"] == pytest.approx(total)
    assert data["items"][3]["fill_rate"] == 0.0  # make-to-order serves nothing from stock


def test_catalog_errors_name_the_line_and_value(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("sku,policy,demand,mean,S\nA,base-stock,poisson,2,\n")
    with pytest.raises(InvalidParameter, match="line 2, sku 'A': column 'S' is empty"):
        read_catalog(path)
    path.write_text("sku,policy,demand\nA,lifo,poisson\n")
    with pytest.raises(InvalidParameter, match="policy 'lifo'"):
        read_catalog(path)


def test_seed_level_is_the_exact_base_stock_fill_rate_solution() -> None:
    """β(S) = 1 − (E[(D^{(L+1)}−S)^+] − E[(D^{(L)}−S)^+])/μ (Zipkin §9.4), Poisson(4), L=2."""
    item = Item("A", BaseStock(0), PoissonDemand(4.0), lead_time=2)
    x = np.arange(200)

    def beta(s: int) -> float:
        lhi = np.maximum(x - s, 0) @ stats.poisson.pmf(x, 12.0)
        llo = np.maximum(x - s, 0) @ stats.poisson.pmf(x, 8.0)
        return float(1 - (lhi - llo) / 4.0)

    s0 = seed_level(item, fill_rate=0.95)
    assert beta(s0) >= 0.95 > beta(s0 - 1)


def test_tune_meets_fill_rate_at_lowest_feasible_level() -> None:
    items = [
        Item("A", BaseStock(0), PoissonDemand(4.0), lead_time=2, backorder_cost=1.0),
        Item("B", SS(0, 12), PoissonDemand(3.0), lead_time=1, fixed_cost=20.0),
    ]
    settings = RunSettings(periods=20_000, warmup=200, batches=10)
    tuned = tune(items, settings, np.random.default_rng(4), fill_rate=0.95)
    assert all(t.meets_target and t.fill_rate >= 0.95 for t in tuned)
    # with h=1, p=1 the cost rises past the newsvendor point, so the cheapest feasible
    # base-stock level is the smallest feasible one: the analytic seed (±1 for noise)
    assert abs(tuned[0].item.policy.base_stock_level - seed_level(items[0], fill_rate=0.95)) <= 1
    s_tuned = tuned[1].item.policy
    assert isinstance(s_tuned, SS) and s_tuned.order_up_to - s_tuned.reorder_point == 12


def test_tune_command_writes_policies_csv(tmp_path: Path) -> None:
    out = tmp_path / "policies.csv"
    result = CliRunner().invoke(
        _app(),
        [
            "tune",
            "--catalog",
            str(_catalog(tmp_path)),
            "--fill-rate",
            "0.9",
            "--output",
            str(out),
            "--periods",
            "5000",
        ],
    )
    assert result.exit_code == 0, result.output
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["sku"] for r in rows] == ["A", "B", "C", "D"]
    assert all(float(r["fill_rate"]) >= 0.9 for r in rows[:3])


def test_scenario_lead_time_doubling_hurts_service_with_paired_ci(tmp_path: Path) -> None:
    items = read_catalog(_catalog(tmp_path))[:3]
    settings = RunSettings(
        periods=2000, warmup=200, batches=5, replications=10, method="replications"
    )
    report = run_scenario(items, settings, LeadTimeFactor(2.0), seed=1)
    assert report.deltas["fill_rate"].high < 0  # significantly worse
    assert report.deltas["avg_backorders"].low > 0
    assert report.deltas["fill_rate"].mean == pytest.approx(
        report.scenario.fill_rate.mean - report.base.fill_rate.mean
    )


def test_scenario_command_json_and_plot(tmp_path: Path) -> None:
    plot = tmp_path / "deltas.png"
    result = CliRunner().invoke(
        _app(),
        [
            "scenario",
            "--catalog",
            str(_catalog(tmp_path)),
            "--disrupt",
            "acme:10:40",
            "--periods",
            "120",
            "--replications",
            "8",
            "--plot",
            str(plot),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["delta"]["fill_rate"]["mean"] < 0
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert parse_spike("30%:14").percent == 30.0 and parse_spike("30%:14:7").first_day == 7
    assert parse_disruption("acme:10:20").last_day == 20
    with pytest.raises(InvalidParameter, match="--spike"):
        parse_spike("lots")


@pytest.mark.parametrize("serial", [False, True])
def test_a_compiled_kernel_is_cached_once_run(serial: bool) -> None:
    """numba writes the kernel's cache index on its first call (``cache=True``), so the
    first-run note below is said once per machine, not on every run."""
    from subzero.planning.simulate import _kernels, engine
    from subzero.planning.simulate._kernels import needs_compiling

    settings = RunSettings(periods=50, warmup=5, batches=5)
    if serial:
        system = engine.SerialSystem((4, 6), (1, 1), (1.0, 2.0), 5.0, PoissonDemand(2))
        engine.simulate_serial(system, settings, np.random.default_rng(0))
    else:
        item = Item("A", BaseStock(4), PoissonDemand(2), lead_time=1)
        engine.simulate([item], settings, np.random.default_rng(0))
    assert needs_compiling(serial) is False
    kernel = _kernels.simulate_serial_compiled if serial else _kernels.simulate_items_compiled
    assert kernel._cache._cache_file._index_path.endswith(".nbi")  # where the check looks


@pytest.mark.parametrize("cached", [False, True])
def test_the_first_run_on_a_machine_says_it_compiles(
    cached: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from subzero.planning.simulate import _kernels

    monkeypatch.setattr(_kernels, "needs_compiling", lambda serial=False: not cached)
    args = ["--policy", "base-stock", "--S", "5", "--poisson", "2", "--periods", "200"]
    result = CliRunner().invoke(_app(), ["simulate", *args, "--json"])
    assert result.exit_code == 0, result.output
    said = "compiling the simulator for this machine" in result.stderr
    assert said is not cached
    json.loads(result.stdout)  # stdout stays one JSON value


def test_output_mistakes_fail_before_the_work(tmp_path: Path) -> None:
    """tune and demo run for minutes; a file they could not write is refused first."""
    import os
    import subprocess
    import sys

    subzero = str(Path(sys.executable).parent / "subzero")
    env = {**os.environ, "SUBZERO_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    runs = [
        (["tune", "--catalog", str(_catalog(tmp_path)), "--fill-rate", "0.95",
          "--output", str(tmp_path / "missing" / "tuned.csv")], "--output: directory"),
        (["demo", "--reset", "--plot", str(tmp_path / "missing" / "levels.png")],
         "--plot: directory"),
        (["demo", "--reset", "--svg", str(tmp_path)], "--svg: "),
    ]  # fmt: skip
    for args, message in runs:
        done = subprocess.run(
            [subzero, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 1, done.stderr
        assert done.stderr.startswith(f"error[invalid_parameter]: {message}"), done.stderr
        assert done.stderr.count("\n") == 1
    assert not (tmp_path / "demo.db").exists()  # nothing played, nothing created
