"""What the simulator, its catalogue and ``subzero simulate | tune | scenario`` refuse
(found by exploratory testing): negative costs, lead times, capacities and demand, an
expedite that is not faster, options the run would ignore, a negative seed."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from tests.planning.cli_group import command_group
from typer.testing import CliRunner

from subzero.cli.simulate import register
from subzero.domain.errors import InvalidParameter
from subzero.planning.policies.kinds import BaseStock
from subzero.planning.simulate.catalog import read_catalog
from subzero.planning.simulate.demand import (
    EmpiricalDemand,
    NormalDemand,
    PoissonDemand,
    QuantileDemand,
)
from subzero.planning.simulate.engine import (
    Disruption,
    Expedite,
    Item,
    RunSettings,
    SecondSupplier,
    SerialSystem,
    simulate,
    simulate_serial,
)
from subzero.planning.simulate.scenarios import LostSalesShare, run_scenario
from subzero.planning.simulate.tune import tune

BASE = ["--policy", "base-stock", "--S", "5", "--poisson", "2", "--periods", "200"]


def _app() -> typer.Typer:
    return command_group(register)


def _refused(*args: str) -> str:
    result = CliRunner().invoke(_app(), list(args))
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, InvalidParameter), result.exception
    return str(result.exception)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--holding", "-1"], "--holding: -1.0 must be ≥ 0"),
        (["--backorder", "-1"], "--backorder: -1.0 must be ≥ 0"),
        (["--fixed-cost", "-5"], "--fixed-cost: -5.0 must be ≥ 0"),
        (["--lead-time", "2", "--expedite-lead-time", "0", "--expedite-cost", "-2"],
         "--expedite-cost: -2.0 must be ≥ 0"),
        (["--lead-time", "-1"], "--lead-time: -1 must be ≥ 0 days"),
        (["--lead-time-pmf", "-1:1"], "--lead-time-pmf: {-1: 1.0} needs values ≥ 0"),
        (["--capacity", "-1"], "--capacity: -1 must be a whole number of units ≥ 1"),
        (["--expedite-lead-time", "-1"], "--expedite-lead-time: -1 must be a whole number"),
        (["--lead-time", "2", "--expedite-lead-time", "3"],
         "--expedite-lead-time: 3 must be shorter than the lead time (2 days)"),
        (["--lead-time-pmf", "1:0.2,2:0.5,4:0.3", "--expedite-lead-time", "2"],
         "--expedite-lead-time: 2 must be shorter than the median lead time (2 days)"),
        (["--expedite-cost", "3"], "--expedite-cost needs --expedite-lead-time"),
        (["--lost-share", "1.5"], "--lost-share: 1.5 must be in [0, 1]"),
        (["--lead-time", "1", "--lead-time-pmf", "1:1"],
         "give --lead-time or --lead-time-pmf, not both"),
        (["--lost-sales", "--lost-share", "0.5"], "give --lost-sales (every short unit lost)"),
        (["--disrupt", "-5:10"], "--disrupt '-5:10': disruption of default: first day -5"),
        (["--disrupt", "5"], "--disrupt '5': use FIRST:LAST"),
        (["--disrupt", "300:400"], "the run measures days 0 to 199 only"),
        (["--replications", "0"], "--replications 0: must be ≥ 1"),
        (["--replications", "-1"], "--replications -1: must be ≥ 1"),
        (["--seed", "-1"], "--seed -1: must be ≥ 0"),
        (["--lead-time", "1,2"], "--lead-time '1,2': one lead time for --policy base-stock"),
    ],
)  # fmt: skip
def test_simulate_refuses_a_bad_option_by_name(extra: list[str], message: str) -> None:
    """Each of these ran (negative totals, a lead time of −1 read as 0, a capacity of −1
    ordering nothing, a disruption or replication count ignored) or was a traceback."""
    assert message in _refused("simulate", *BASE, *extra)


@pytest.mark.parametrize(
    ("demand", "message"),
    [
        (["--poisson", "-6"], "--poisson: -6.0 must be ≥ 0 (demand cannot be negative)"),
        (["--normal", "-5,2"], "--normal mean: -5.0 must be ≥ 0 (demand cannot be negative)"),
        (["--normal", "5,-2"], "--normal sd: -2.0 must be ≥ 0"),
        (["--history", "3,-1"], "--history: (3, -1) needs at least one value, each ≥ 0"),
        (["--history", "3,,1"], "--history: item 2 of '3,,1' is empty"),
        (["--quantiles", "0.5:3,,0.9:8"], "--quantiles: item 2 of '0.5:3,,0.9:8' is empty"),
        (["--quantiles", "0.5:3,0.5:8"], "gives level 0.5 a second time"),
    ],
)  # fmt: skip
def test_simulate_refuses_negative_demand_by_option(demand: list[str], message: str) -> None:
    args = ["simulate", "--policy", "base-stock", "--S", "5", *demand, "--periods", "200"]
    assert message in _refused(*args)


@pytest.mark.parametrize(
    ("extra", "option"),
    [
        (["--lost-sales"], "--lost-sales"),
        (["--lost-share", "0.3"], "--lost-share"),
        (["--capacity", "5"], "--capacity"),
        (["--disrupt", "1:2"], "--disrupt"),
        (["--fixed-cost", "3"], "--fixed-cost"),
        (["--lead-time-pmf", "1:1"], "--lead-time-pmf"),
    ],
)
def test_serial_refuses_what_it_would_ignore(extra: list[str], option: str) -> None:
    """``--policy serial … --lost-sales`` silently ran with backorders."""
    args = ["--policy", "serial", "--S", "5,10", "--lead-time", "1,1", "--holding", "1,1"]
    message = _refused("simulate", *args, "--poisson", "2", "--periods", "200", *extra)
    assert message == f"{option} does not apply with --policy serial (echelon base-stock " + (
        "with backorders)"
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--lead-time", "1,-1"], "--lead-time (stage 2): -1 must be a whole number of days"),
        (["--holding", "1,-1"], "--holding (stage 2): -1.0 must be ≥ 0"),
        (["--backorder", "-3"], "--backorder: -3.0 must be ≥ 0"),
    ],
)
def test_serial_names_the_option_and_stage(extra: list[str], message: str) -> None:
    args = {"--lead-time": "1,1", "--holding": "1,1", "--backorder": "2"}
    args.update(zip(extra[::2], extra[1::2], strict=True))
    flat = [x for pair in args.items() for x in pair]
    cli = ["simulate", "--policy", "serial", "--S", "5,10", "--poisson", "2", *flat]
    assert message in _refused(*cli, "--periods", "200")


@pytest.mark.parametrize(
    ("policy", "extra", "option"),
    [
        (["--policy", "base-stock", "--S", "5"], ["--s", "3"], "--s"),
        (["--policy", "rQ", "--r", "3", "--Q", "4"], ["--R", "2"], "--R"),
        (["--policy", "mto"], ["--S", "5"], "--S"),
    ],
)
def test_a_policy_refuses_the_levels_of_another(
    policy: list[str], extra: list[str], option: str
) -> None:
    message = _refused("simulate", *policy, *extra, "--poisson", "2", "--periods", "200")
    assert message == f"{option} does not apply with --policy {policy[1]}"


def test_catalog_refuses_item_options_it_would_ignore(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("sku,policy,S,demand,mean\nA,base-stock,5,poisson,2\n")
    message = _refused("simulate", "--catalog", str(path), "--holding", "2")
    assert message == "--holding does not apply with --catalog (each row describes its item)"


def test_a_negative_seed_is_one_error_line_and_exit_1_not_a_traceback(tmp_path: Path) -> None:
    """``--seed -1`` ended in numpy's ValueError traceback with exit code 2."""
    subzero = str(Path(sys.executable).parent / "subzero")
    env = {**os.environ, "SUBZERO_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    done = subprocess.run(
        [subzero, "simulate", *BASE, "--seed", "-1"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr == "error[invalid_parameter]: --seed -1: must be ≥ 0\n"


@pytest.mark.parametrize("command", ["simulate", "tune", "scenario"])
def test_help_texts_do_not_open_with_markdown(command: str) -> None:
    """The help is rendered as markdown: "> 1: independent replications" became a quote
    reading "1: independent replications"."""
    import inspect

    from subzero.cli import simulate as cli

    function = getattr(cli, f"{command}_command")
    for name, parameter in inspect.signature(function).parameters.items():
        text = (parameter.default.help or "").lstrip()
        assert not text.startswith((">", "#", "- ", "* ", "+ ")), (name, text)
    help_text = " ".join(
        CliRunner().invoke(_app(), [command, "--help"]).output.replace("│", " ").split()
    )
    assert "> 1" not in help_text
    if command == "simulate":
        assert "Independent replications, each with its own warm-up" in help_text


# the library refuses the same values, naming the item


def _item(**changes: Any) -> Item:
    item = Item("A", BaseStock(5), PoissonDemand(2.0), lead_time=2)
    return dataclasses.replace(item, **changes)


SETTINGS = RunSettings(periods=100, warmup=0, batches=5)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"holding_cost": -1.0}, "item 'A': holding_cost: -1.0 must be ≥ 0"),
        ({"backorder_cost": -1.0}, "item 'A': backorder_cost: -1.0 must be ≥ 0"),
        ({"fixed_cost": -5.0}, "item 'A': fixed_cost: -5.0 must be ≥ 0"),
        ({"lost_sale_cost": -1.0}, "item 'A': lost_sale_cost: -1.0 must be ≥ 0"),
        ({"holding_cost": float("nan")}, "item 'A': holding_cost: nan must be ≥ 0"),
        ({"lost_share": 1.5}, "item 'A': lost_share: 1.5 must be in [0, 1]"),
        ({"lead_time": -1}, "item 'A': lead_time: -1 must be ≥ 0 days"),
        ({"lead_time": {1: 0.5, 2: 0.4}}, "item 'A': lead_time: probabilities sum to 0.9"),
        ({"capacity": 0}, "item 'A': capacity: 0 must be a whole number of units ≥ 1"),
        ({"promise_days": -1}, "item 'A': promise_days: -1 must be a whole number of days"),
        ({"expedite": Expedite(-1, 1.0)}, "item 'A': expedite.lead_time: -1 must be"),
        ({"expedite": Expedite(1, -1.0)}, "item 'A': expedite.unit_cost: -1.0 must be ≥ 0"),
        ({"expedite": Expedite(2, 1.0)}, "expedite.lead_time: 2 must be shorter than the lead"),
        ({"second": SecondSupplier("b", 1.5, 2)}, "item 'A': second.share: 1.5 must be in"),
        ({"second": SecondSupplier("b", 0.5, -2)}, "item 'A': second.lead_time: -2 must be"),
        ({"demand": PoissonDemand(-6.0)}, "item 'A': demand.mean: -6.0 must be ≥ 0"),
        ({"demand": NormalDemand(-1.0, 2.0)}, "item 'A': demand.mean: -1.0 must be ≥ 0"),
        ({"demand": NormalDemand(3.0, -2.0)}, "item 'A': demand.sd: -2.0 must be ≥ 0"),
        ({"demand": EmpiricalDemand(())}, "item 'A': demand.values: () needs at least one"),
        ({"demand": QuantileDemand((0.1, 0.9), (-1.0, 4.0))}, "values ≥ 0"),
    ],
)  # fmt: skip
def test_simulate_refuses_what_the_model_has_no_meaning_for(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidParameter) as caught:
        simulate([_item(), _item(sku="B", **changes)], SETTINGS, np.random.default_rng(0))
    assert message.replace("'A'", "'B'") in str(caught.value)


def test_a_negative_lead_time_no_longer_runs_as_zero_for_every_item() -> None:
    """Before, one item's lead time of −1 sent the whole block down the fixed-lead path
    with every lead time read as 0."""
    with pytest.raises(InvalidParameter, match="item 'B': lead_time: -1"):
        simulate([_item(), _item(sku="B", lead_time=-1)], SETTINGS, np.random.default_rng(0))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"echelon_holding_cost": (1.0, -1.0)}, "echelon_holding_cost of stage 2: -1.0"),
        ({"lead_time": (1, -1)}, "lead_time of stage 2: -1 must be"),
        ({"backorder_cost": -2.0}, "serial system: backorder_cost: -2.0 must be ≥ 0"),
        ({"demand": NormalDemand(-3.0, 1.0)}, "demand.mean: -3.0 must be ≥ 0"),
        ({"promise_days": -1}, "promise_days: -1 must be"),
    ],
)
def test_simulate_serial_refuses_negative_values(changes: dict[str, Any], message: str) -> None:
    system = SerialSystem((5, 10), (1, 1), (1.0, 1.0), 5.0, PoissonDemand(2.0))
    with pytest.raises(InvalidParameter, match=message.replace("(", r"\(").replace(")", r"\)")):
        simulate_serial(dataclasses.replace(system, **changes), SETTINGS, np.random.default_rng(0))


def test_run_settings_and_disruptions_refuse_what_would_be_ignored() -> None:
    with pytest.raises(InvalidParameter, match="replications 0: must be ≥ 1"):
        RunSettings(periods=100, replications=0)
    with pytest.raises(InvalidParameter, match="first day -5 must be ≥ 0"):
        Disruption("acme", -5, 10)
    with pytest.raises(InvalidParameter, match="last day 5 is before the first, 10"):
        Disruption("acme", 10, 5)
    with pytest.raises(InvalidParameter, match="measures days 0 to 99 only"):
        RunSettings(periods=100, disruptions=(Disruption("acme", 100, 120),))


def test_tune_and_scenario_refuse_bad_items_and_seeds() -> None:
    bad = [_item(holding_cost=-1.0)]
    with pytest.raises(InvalidParameter, match=r"item 'A': holding_cost: -1\.0"):
        tune(bad, SETTINGS, np.random.default_rng(0), fill_rate=0.9)
    with pytest.raises(InvalidParameter, match="seed -1: must be ≥ 0"):
        run_scenario([_item()], SETTINGS, LostSalesShare(0.5), -1)


# the catalogue names file, line, sku and column


def _catalog(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "catalog.csv"
    header = "sku,policy,s,S,demand,mean,sd,history,lead_time,lead_time_pmf,holding,capacity"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


GOOD = "A,base-stock,,5,poisson,2,,,1,,1,"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("B,base-stock,,5,poisson,-6,,,1,,1,", "line 3, sku 'B': mean: -6.0 must be ≥ 0"),
        ("B,base-stock,,5,normal,3,-1,,1,,1,", "line 3, sku 'B': sd: -1.0 must be ≥ 0"),
        ("B,base-stock,,5,empirical,,,1 -2,1,,1,", "line 3, sku 'B': history: (1, -2) needs"),
        ("B,base-stock,,5,poisson,2,,,-1,,1,", "line 3, sku 'B': lead_time: -1 must be ≥ 0"),
        ("B,base-stock,,5,poisson,2,,,,1:0.5,1,", "line 3, sku 'B': lead_time_pmf: probab"),
        ("B,base-stock,,5,poisson,2,,,1,,-1,", "line 3, sku 'B': holding: -1.0 must be ≥ 0"),
        ("B,base-stock,,5,poisson,2,,,1,,1,-1", "line 3, sku 'B': capacity: -1 must be"),
        ("B,sS,5,3,poisson,2,,,1,,1,", "line 3, sku 'B': (s,S): S=3 must be greater than s=5"),
        ("A,base-stock,,6,poisson,3,,,1,,1,", "line 3: sku 'A' is already on line 2"),
    ],
)  # fmt: skip
def test_catalog_names_file_line_sku_and_column(tmp_path: Path, row: str, message: str) -> None:
    """A negative mean gave "Poisson mean -6.0" with no file, line or sku; a sku given
    twice was simulated twice."""
    path = _catalog(tmp_path, GOOD, row)
    with pytest.raises(InvalidParameter) as caught:
        read_catalog(path)
    assert str(caught.value).startswith(f"{path} line")
    assert message in str(caught.value)


def test_a_good_catalog_still_reads(tmp_path: Path) -> None:
    items = read_catalog(_catalog(tmp_path, GOOD, "B,sS,2,9,normal,3,0,,,1:0.5 3:0.5,0.5,4"))
    assert [it.sku for it in items] == ["A", "B"]
    assert items[1].lead_time == {1: 0.5, 3: 0.5} and items[1].capacity == 4
