"""``subzero simulate | tune | scenario`` options read into the simulator's values.

Parsing and checking only: the run settings, the demand, the policy and the one item of
a single-item run, the options a run would ignore, and the names of the options behind
a value ``checks`` refuses. Each refusal names the option. The commands themselves, and
their output, are in ``cli/simulate.py``; planning modules are imported inside the
functions, as there, so other commands start fast.
"""

from __future__ import annotations

import math
from typing import Any

from subzero.cli.output import parse_float_list, parse_int_list, parse_pmf, parse_whole
from subzero.domain.errors import InvalidParameter

__all__ = [
    "POLICY_LEVELS",
    "SERIAL_OPTIONS",
    "check_seed",
    "demand_from_options",
    "demand_option",
    "describe_item_option",
    "describe_serial_option",
    "item_from_options",
    "need_option",
    "parse_float_pairs",
    "policy_from_options",
    "refuse_unused",
    "run_settings",
    "with_disruption",
]

SERIAL_OPTIONS = {
    "--policy",
    "--S",
    "--lead-time",
    "--holding",
    "--backorder",
    "--seasonality",
    "--poisson",
    "--normal",
    "--history",
    "--quantiles",
}


POLICY_LEVELS = {
    "mto": (),
    "base-stock": ("--S",),
    "sS": ("--s", "--S"),
    "rQ": ("--r", "--Q"),
    "RS": ("--R", "--S"),
    "minmax": ("--s", "--S"),
}  # the options each single-item policy reads


def run_settings(
    periods: int,
    warmup: int,
    batches: int,
    replications: int,
    kernel: str = "compiled",
    **extra: Any,
) -> Any:
    """``RunSettings`` of the options: batch means for 1 replication, else replications."""
    from subzero.planning.simulate.engine import RunSettings

    if periods <= 0:
        raise InvalidParameter(f"--periods {periods}: must be positive")
    if replications < 1:
        raise InvalidParameter(
            f"--replications {replications}: must be ≥ 1 (1: batch means of one run; 2 or "
            "more: independent replications)"
        )
    method = "replications" if replications > 1 else "batch-means"
    return RunSettings(
        periods=periods,
        warmup=warmup,
        batches=batches,
        replications=max(replications, 1),
        method=method,
        kernel=kernel,
        **extra,
    )


def demand_from_options(
    poisson: float | None, normal: str | None, history: str | None, quantiles: str | None
) -> Any:
    """The demand of the one demand option given (exactly one is required)."""
    from subzero.planning.simulate import demand as dm

    given = [x is not None for x in (poisson, normal, history, quantiles)]
    if sum(given) != 1:
        raise InvalidParameter(
            "give exactly one demand: --poisson, --normal, --history or --quantiles"
        )
    if poisson is not None:
        return dm.PoissonDemand(poisson)
    if normal is not None:
        values = parse_float_list(normal, name="--normal")
        if len(values) != 2:
            raise InvalidParameter(f"--normal {normal!r}: use MEAN,SD (MEAN ≥ 0, SD ≥ 0)")
        return dm.NormalDemand(values[0], values[1])
    if history is not None:
        return dm.EmpiricalDemand(tuple(parse_int_list(history, name="--history")))
    pmf = parse_float_pairs(quantiles or "", name="--quantiles")
    return dm.QuantileDemand(tuple(pmf), tuple(pmf.values()))


def parse_float_pairs(text: str, *, name: str) -> dict[float, float]:
    """``0.1:5,0.5:9`` → {0.1: 5.0, 0.5: 9.0}; an empty item, one that is not two finite
    numbers LEVEL:VALUE, or a level given twice is refused, naming its position."""
    out: dict[float, float] = {}
    for position, part in enumerate(text.split(","), start=1):
        item = f"{name}: item {position} of {text!r}"
        if not part.strip():
            raise InvalidParameter(f"{item} is empty")
        try:
            key, value = part.split(":")
            level, amount = float(key), float(value)
        except ValueError:
            level = amount = math.nan
        if not (math.isfinite(level) and math.isfinite(amount)):
            raise InvalidParameter(f"{item}, {part.strip()!r}, is not LEVEL:VALUE")
        if level in out:
            raise InvalidParameter(f"{item} gives level {level:g} a second time")
        out[level] = amount
    return out


def need_option(value: Any, option: str, policy: str) -> Any:
    """``value``, or a refusal saying that ``--policy policy`` needs ``option``."""
    if value is None:
        raise InvalidParameter(f"--policy {policy} needs {option}")
    return value


def policy_from_options(
    policy: str, big_s: str | None, s: int | None, r: int | None, q: int | None, review: int
) -> Any:
    """The single-item policy named by ``--policy``, from the levels it reads."""
    from subzero.planning.policies import kinds

    def level() -> int:
        levels = parse_int_list(need_option(big_s, "--S", policy), name="--S")
        if len(levels) != 1:
            raise InvalidParameter(
                f"--S {big_s!r}: one level for --policy {policy} (a list is for --policy serial)"
            )
        return levels[0]

    match policy:
        case "mto":
            return kinds.MakeToOrder()
        case "base-stock":
            return kinds.BaseStock(level())
        case "sS":
            return kinds.SS(need_option(s, "--s", policy), level())
        case "rQ":
            return kinds.RQ(need_option(r, "--r", policy), need_option(q, "--Q", policy))
        case "RS":
            return kinds.RS(review, level())
        case "minmax":
            return kinds.MinMax(need_option(s, "--s", policy), level())
    raise InvalidParameter(
        f"--policy {policy!r}: use mto, base-stock, sS, rQ, RS, minmax or serial"
    )


def check_seed(seed: int) -> None:
    """numpy's generators take seeds ≥ 0 only (a negative one was a traceback)."""
    if seed < 0:
        raise InvalidParameter(f"--seed {seed}: must be ≥ 0")


def refuse_unused(options: dict[str, object], used_with: str) -> None:
    """Refuse options the run would ignore: the first given one (not None) is named."""
    for option, value in options.items():
        if value is not None:
            raise InvalidParameter(f"{option} does not apply with {used_with}")


def item_from_options(
    policy_name: str,
    demand: Any,
    policy: Any,
    *,
    lead_time: str | None,
    lead_time_pmf: str | None,
    no_crossing: bool,
    holding: str | None,
    backorder: float | None,
    fixed_cost: float | None,
    lost_sales: bool,
    lost_share: float | None,
    capacity: int | None,
    expedite: tuple[int | None, float | None, int | None],
) -> Any:
    """The one item of a single-item run, from its options (the conflicting pairs refused)."""
    from subzero.planning.simulate import engine

    if lead_time is not None and lead_time_pmf is not None:
        raise InvalidParameter("give --lead-time or --lead-time-pmf, not both")
    if lost_sales and lost_share is not None:
        raise InvalidParameter(
            "give --lost-sales (every short unit lost) or --lost-share, not both"
        )
    exp_lead, exp_cost, exp_up_to = expedite
    if exp_lead is None:
        for option, value in (("--expedite-cost", exp_cost), ("--expedite-up-to", exp_up_to)):
            if value is not None:
                raise InvalidParameter(f"{option} needs --expedite-lead-time")
    lead: Any = parse_int_list(lead_time or "0", name="--lead-time")
    if len(lead) != 1:
        raise InvalidParameter(
            f"--lead-time {lead_time!r}: one lead time for --policy {policy_name} "
            "(a list is for --policy serial)"
        )
    lead = dict(parse_pmf(lead_time_pmf, name="--lead-time-pmf")) if lead_time_pmf else lead[0]
    costs = parse_float_list(holding or "1", name="--holding")
    if len(costs) != 1:
        raise InvalidParameter(
            f"--holding {holding!r}: one cost for --policy {policy_name} "
            "(a list is for --policy serial)"
        )
    return engine.Item(
        "item",
        policy,
        demand,
        lead_time=lead,
        holding_cost=costs[0],
        backorder_cost=backorder or 0.0,
        fixed_cost=fixed_cost or 0.0,
        lost_share=1.0 if lost_sales else (lost_share or 0.0),
        orders_cross=not no_crossing,
        capacity=capacity,
        expedite=(
            engine.Expedite(exp_lead, exp_cost or 0.0, exp_up_to or 0)
            if exp_lead is not None
            else None
        ),
    )


def demand_option(poisson: float | None, normal: str | None, history: str | None) -> str:
    """The demand option given (to name it when a demand value is refused)."""
    if poisson is not None:
        return "--poisson"
    if normal is not None:
        return "--normal"
    return "--history" if history is not None else "--quantiles"


_ITEM_OPTIONS = {
    "holding_cost": "--holding",
    "backorder_cost": "--backorder",
    "fixed_cost": "--fixed-cost",
    "lost_share": "--lost-share",
    "capacity": "--capacity",
    "expedite.lead_time": "--expedite-lead-time",
    "expedite.unit_cost": "--expedite-cost",
}


def describe_item_option(demand_option: str, item: Any) -> Any:
    """``describe`` for ``check_items``: the option that set the item's field."""

    def describe(_: int, field: str) -> str:
        if field.startswith("demand."):
            part = field.removeprefix("demand.")
            return f"{demand_option} {part}" if demand_option == "--normal" else demand_option
        if field == "lead_time":
            return "--lead-time" if isinstance(item.lead_time, int) else "--lead-time-pmf"
        return _ITEM_OPTIONS.get(field, field)

    return describe


def describe_serial_option(demand_option: str) -> Any:
    """``describe`` for ``check_serial``: the option (and stage) of the value."""
    per_stage = {"lead_time": "--lead-time", "echelon_holding_cost": "--holding"}

    def describe(stage: int, field: str) -> str:
        if field in per_stage:
            return f"{per_stage[field]} (stage {stage + 1})"
        if field.startswith("demand."):
            part = field.removeprefix("demand.")
            return f"{demand_option} {part}" if demand_option == "--normal" else demand_option
        return {"backorder_cost": "--backorder"}.get(field, field)

    return describe


def with_disruption(settings: Any, text: str) -> Any:
    """``settings`` with the item's supplier disrupted on days FIRST:LAST of ``text``."""
    from dataclasses import replace

    from subzero.planning.simulate import engine

    parts = text.split(":")
    if len(parts) != 2:
        raise InvalidParameter(f"--disrupt {text!r}: use FIRST:LAST (days), e.g. 10:20")
    first, last = (parse_whole("--disrupt day", part) for part in parts)
    try:
        return replace(settings, disruptions=(engine.Disruption("default", first, last),))
    except InvalidParameter as exc:
        raise InvalidParameter(f"--disrupt {text!r}: {exc}") from None
