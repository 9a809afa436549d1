"""What the policy optimisers and ``subzero policy …`` refuse (found by exploratory
testing): negative normal demand, empty list items, a Poisson mean of 0, and help texts
that said otherwise."""

from __future__ import annotations

import json

import pytest
import typer
from tests.planning.cli_group import command_group
from typer.testing import CliRunner

from subzero.cli import policy
from subzero.domain.errors import InvalidParameter
from subzero.planning.policies import base_stock, newsvendor
from subzero.planning.policies.demand import (
    NormalDemand,
    demand_from_quantiles,
    discrete_demand_from_quantiles,
    discretised_normal,
)
from subzero.planning.policies.multi_echelon import serial_base_stock

runner = CliRunner()


def _app() -> typer.Typer:
    return command_group(policy.register)


def _help(command: str) -> str:
    """The command's help as one line (rich wraps it inside a box)."""
    output = runner.invoke(_app(), ["policy", command, "--help"]).output
    return " ".join(output.replace("│", " ").split())


def _refused(*args: str) -> str:
    result = runner.invoke(_app(), ["policy", *args, "--json"])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, InvalidParameter), result.exception
    return str(result.exception)


def test_wagner_whitin_refuses_an_empty_period_instead_of_dropping_it() -> None:
    """``--demand 90,,80`` planned two periods, orders [170, 0] for 660."""
    args = ("wagner-whitin", "--fixed-cost", "500", "--holding", "2", "--demand")
    assert _refused(*args, "90,,80") == "--demand: item 2 of '90,,80' is empty"
    ok = runner.invoke(_app(), ["policy", *args, "90,0,80", "--json"])
    assert json.loads(ok.stdout) == {"orders": [170, 0, 0], "cost": 820.0}


@pytest.mark.parametrize(
    "args",
    [
        ["newsvendor", "--holding", "1", "--backorder", "1"],
        ["base-stock", "--holding", "1", "--backorder", "1"],
        ["sS", "--holding", "1", "--backorder", "4", "--fixed-cost", "5"],
        ["serial", "--holding", "2,1", "--lead-time", "1,1", "--backorder", "5"],
    ],
)
def test_every_policy_command_refuses_a_negative_normal_mean(args: list[str]) -> None:
    """S = −5 (newsvendor), −10.56 with fill rate 1.0 (base-stock), negative levels and
    cost −12.34 (serial): demand cannot be negative."""
    message = _refused(*args, "--normal", "-5,2")
    assert message == "--normal: MEAN=-5.0 must be ≥ 0 (demand cannot be negative)"


def test_the_library_refuses_a_negative_normal_mean_too() -> None:
    with pytest.raises(InvalidParameter, match=r"mean=-5\.0 must be ≥ 0"):
        NormalDemand(-5.0, 2.0)
    with pytest.raises(InvalidParameter, match=r"mean=-5\.0 must be ≥ 0"):
        discretised_normal(-5.0, 2.0)  # the (s,S) route for normal demand
    with pytest.raises(InvalidParameter, match=r"demand mean -5\.0 must be ≥ 0"):
        newsvendor.newsvendor_normal(1.0, 1.0, -5.0, 2.0)
    with pytest.raises(InvalidParameter, match=r"demand mean -5\.0 must be ≥ 0"):
        serial_base_stock([2.0, 1.0], [1, 1], 5.0, -5.0, 1.0)
    # a mean of zero is still a demand (S = z σ)
    assert newsvendor.newsvendor_normal(1.0, 1.0, 0.0, 2.0).base_stock_level == 0.0
    sol = base_stock.optimal_base_stock(1.0, 9.0, NormalDemand(0.0, 1.0), 1)
    assert sol.base_stock_level > 0


def test_quantiles_that_fit_a_negative_mean_are_refused_as_a_normal_only() -> None:
    """Levels 0.9 and 0.99 at 0 and 1 unit fit μ ≈ −1.23: a normal cannot describe them,
    but the piecewise-linear discrete demand can (its tails are folded at 0)."""
    with pytest.raises(InvalidParameter, match="negative mean"):
        demand_from_quantiles([0.9, 0.99], [0.0, 1.0])
    discrete = discrete_demand_from_quantiles([0.9, 0.99], [0.0, 1.0])
    assert float(discrete.cdf(0)) >= 0.9
    with pytest.raises(InvalidParameter, match="≥ 0"):
        demand_from_quantiles([0.1, 0.9], [-3.0, 5.0])


def test_poisson_mean_zero_is_refused_by_every_command_as_the_help_says() -> None:
    """newsvendor took 0 while its help said MEAN > 0 and base-stock refused it."""
    for args in (
        ["newsvendor", "--holding", "1", "--backorder", "1"],
        ["base-stock", "--holding", "1", "--backorder", "1"],
        ["sS", "--holding", "1", "--backorder", "4", "--fixed-cost", "5"],
    ):
        assert _refused(*args, "--poisson", "0") == "--poisson mean 0.0 must be > 0"
        assert "Poisson demand per period with this MEAN > 0." in _help(args[0])


def test_rq_lead_time_help_says_normal_demand_needs_more_than_zero() -> None:
    """The help said "≥ 0" but normal demand refuses L = 0."""
    assert "≥ 0 with --poisson, > 0 with --normal-sd." in _help("rQ")
    base = ["rQ", "--holding", "1", "--backorder", "4", "--fixed-cost", "5", "--rate", "5"]
    assert "lead time must be > 0" in _refused(*base, "--normal-sd", "2", "--lead-time", "0")
    ok = runner.invoke(_app(), ["policy", *base, "--poisson", "--lead-time", "0", "--json"])
    assert ok.exit_code == 0, ok.output


def test_apply_says_what_is_missing_or_too_much() -> None:
    """With no argument it said "…or give --all, not both" though neither was given."""
    assert _refused("apply") == "no items given: name them (SKU ...) or give --all"
    assert "not both" in _refused("apply", "SKU-1", "--all")
