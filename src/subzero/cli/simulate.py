"""``subzero simulate | tune | scenario``: the steady-state simulator from the shell.

numpy, numba and scipy are imported inside the commands, so other commands start fast.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import typer

from subzero.cli.output import (
    check_output_path,
    emit_json,
    parse_float_list,
    parse_int_list,
    parse_pmf,
    parse_whole,
    print_table,
)
from subzero.domain.errors import InvalidParameter

__all__ = ["register"]

CATALOG_HELP = (
    "Catalogue CSV, one item per row, header required, unused cells empty. Columns: "
    "sku; policy (mto|base-stock|sS|rQ|RS|minmax); s, S (sS: reorder point and "
    "order-up-to; minmax: min and max; base-stock and RS: S); r, Q (rQ); R (RS review "
    "days, default 1); demand (poisson|normal|empirical); mean, sd (per day); history "
    "(empirical: past daily demands separated by spaces); lead_time (days, default 0) or "
    "lead_time_pmf ('1:0.2 2:0.5 4:0.3'); holding [h] (default 1); backorder [p] (default "
    "0); fixed_cost [K] (default 0); optional lost_share (0..1), supplier, capacity. "
    "Each sku once; costs, mean, sd and lead times ≥ 0, capacity ≥ 1."
)
KPI_ORDER = (
    "cost",
    "fill_rate",
    "backorder_rate",
    "lost_rate",
    "mean_wait",
    "p95_wait",
    "mean_wait_all_lines",
    "promise_reliability",
    "avg_on_hand",
    "avg_backorders",
    "inventory_turns",
    "orders_per_day",
    "holding_cost",
    "backorder_cost",
    "ordering_cost",
    "expedite_cost",
    "lost_sales_cost",
    "satisfaction",
)


def _settings(
    periods: int,
    warmup: int,
    batches: int,
    replications: int,
    kernel: str = "compiled",
    **extra: Any,
) -> Any:
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


def _note_first_compile(settings: Any, serial: bool = False) -> None:
    """Say why the first run on a machine waits: numba compiles the kernel once."""
    from subzero.planning.simulate._kernels import needs_compiling

    if settings.kernel == "compiled" and needs_compiling(serial):
        typer.secho(
            "compiling the simulator for this machine: the first run takes about half a "
            "minute, later runs load it from the cache",
            err=True,
            fg="yellow",
        )


def _demand(
    poisson: float | None, normal: str | None, history: str | None, quantiles: str | None
) -> Any:
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


def _need(value: Any, option: str, policy: str) -> Any:
    if value is None:
        raise InvalidParameter(f"--policy {policy} needs {option}")
    return value


def _policy(
    policy: str, big_s: str | None, s: int | None, r: int | None, q: int | None, review: int
) -> Any:
    from subzero.planning.policies import kinds

    def level() -> int:
        levels = parse_int_list(_need(big_s, "--S", policy), name="--S")
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
            return kinds.SS(_need(s, "--s", policy), level())
        case "rQ":
            return kinds.RQ(_need(r, "--r", policy), _need(q, "--Q", policy))
        case "RS":
            return kinds.RS(review, level())
        case "minmax":
            return kinds.MinMax(_need(s, "--s", policy), level())
    raise InvalidParameter(
        f"--policy {policy!r}: use mto, base-stock, sS, rQ, RS, minmax or serial"
    )


def _progress(total_work: int, enabled: bool) -> Any:
    from subzero.cli.output import progress_bar

    if not enabled or total_work < 20_000_000:
        return None
    return progress_bar()


def _kpi_table(title: str, kpis: dict[str, Any]) -> None:
    rows = []
    for name in KPI_ORDER:
        e = kpis[name]
        lo, hi = e["ci95"]
        ci = "" if lo is None or hi is None else f"[{lo:.4g}, {hi:.4g}]"
        rows.append([name, "" if e["mean"] is None else f"{e['mean']:.4g}", ci])
    print_table(title, ["KPI", "mean", "95% CI"], rows)


def simulate_command(
    policy: str = typer.Option(
        None,
        "--policy",
        help="mto | base-stock | sS | rQ | RS | minmax | serial (default base-stock; not "
        "with --catalog, whose rows name their policies).",
    ),
    big_s: str = typer.Option(
        None,
        "--S",
        help="Order-up-to / base-stock level S (sS, "
        "base-stock, RS; minmax: max). serial: echelon levels, stage 1 "
        "(customer-facing) first, e.g. 20,30,40.",
    ),
    small_s: int = typer.Option(None, "--s", help="Reorder point s (sS; minmax: min)."),
    r: int = typer.Option(None, "--r", help="Reorder point r (rQ)."),
    q: int = typer.Option(None, "--Q", help="Order quantity Q (rQ)."),
    review: int = typer.Option(None, "--R", help="Review period in days (RS; default 1)."),
    poisson: float = typer.Option(None, "--poisson", help="Poisson demand per day: MEAN ≥ 0."),
    normal: str = typer.Option(
        None,
        "--normal",
        help="Normal demand per day: MEAN,SD, both ≥ 0 (rounded to units, truncated at 0).",
    ),
    history: str = typer.Option(
        None, "--history", help="Bootstrap demand from past daily demands: v1,v2,... (≥ 0)."
    ),
    quantiles: str = typer.Option(
        None,
        "--quantiles",
        help="Demand from forecast quantiles: LEVEL:VALUE,... e.g. 0.1:4,0.5:9,0.9:17.",
    ),
    seasonality: str = typer.Option(
        None,
        "--seasonality",
        help="Demand factors repeating every N days, e.g. 1,1,1,1,1.3,0.6,0.4 (weekly).",
    ),
    lead_time: str = typer.Option(
        None,
        "--lead-time",
        help="Lead time L in days, ≥ 0 (default 0; serial: one per stage, stage 1 first). "
        "An order placed at the start of day t arrives at the start of day t+L.",
    ),
    lead_time_pmf: str = typer.Option(
        None,
        "--lead-time-pmf",
        help="Stochastic lead time instead of --lead-time, DAYS:PROB,... e.g. 1:0.2,2:0.5,4:0.3.",
    ),
    no_crossing: bool = typer.Option(
        False,
        "--no-crossing",
        help="Orders never overtake each other (an order arrives no earlier than the last).",
    ),
    holding: str = typer.Option(
        None,
        "--holding",
        help="Holding cost h ≥ 0 per unit per day, default 1 "
        "(serial: echelon holding cost per stage, stage 1 first).",
    ),
    backorder: float = typer.Option(
        None,
        "--backorder",
        help="Backorder cost p ≥ 0 per unit per day, default 0 (also per unit lost under "
        "lost sales).",
    ),
    fixed_cost: float = typer.Option(
        None, "--fixed-cost", help="Fixed cost K ≥ 0 per order, default 0."
    ),
    lost_sales: bool = typer.Option(False, "--lost-sales", help="Unmet demand is lost."),
    lost_share: float = typer.Option(
        None,
        "--lost-share",
        help="Share (0..1) of short units lost; the rest is backordered (--lost-sales is 1).",
    ),
    capacity: int = typer.Option(None, "--capacity", help="Most units per order, ≥ 1."),
    expedite_lead_time: int = typer.Option(
        None,
        "--expedite-lead-time",
        help="Expedite option: its lead time in days, ≥ 0 and shorter than --lead-time.",
    ),
    expedite_cost: float = typer.Option(
        None, "--expedite-cost", help="Extra cost per unit expedited, ≥ 0 (default 0)."
    ),
    expedite_up_to: int = typer.Option(
        None,
        "--expedite-up-to",
        help="Expedite when net stock + receipts within the expedite lead time is below "
        "this (default 0).",
    ),
    disrupt: str = typer.Option(
        None,
        "--disrupt",
        help="Supplier disruption FIRST:LAST (measured days from 0, the item's supplier "
        "delivers nothing).",
    ),
    catalog: str = typer.Option(None, "--catalog", help=CATALOG_HELP),
    periods: int = typer.Option(100_000, "--periods", help="Measured days (after warm-up)."),
    warmup: int = typer.Option(1000, "--warmup", help="Warm-up days, simulated, not measured."),
    batches: int = typer.Option(20, "--batches", help="Batches for batch-means CIs."),
    replications: int = typer.Option(
        1,
        "--replications",
        help="Independent replications, each with its own warm-up, for the CIs; 1 (the "
        "default) uses batch means of one run instead.",
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed, ≥ 0."),
    kernel: str = typer.Option("compiled", "--kernel", help="compiled (numba) or numpy."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Simulate one item, a serial line or a whole catalogue; KPIs with 95% CIs."""
    import numpy as np

    from subzero.planning.simulate import engine
    from subzero.planning.simulate.checks import check_items, check_serial

    item_options = {
        "--policy": policy,
        "--S": big_s,
        "--s": small_s,
        "--r": r,
        "--Q": q,
        "--R": review,
        "--poisson": poisson,
        "--normal": normal,
        "--history": history,
        "--quantiles": quantiles,
        "--seasonality": seasonality,
        "--lead-time": lead_time,
        "--lead-time-pmf": lead_time_pmf,
        "--no-crossing": no_crossing or None,
        "--holding": holding,
        "--backorder": backorder,
        "--fixed-cost": fixed_cost,
        "--lost-sales": lost_sales or None,
        "--lost-share": lost_share,
        "--capacity": capacity,
        "--expedite-lead-time": expedite_lead_time,
        "--expedite-cost": expedite_cost,
        "--expedite-up-to": expedite_up_to,
        "--disrupt": disrupt,
    }
    _check_seed(seed)
    settings = _settings(periods, warmup, batches, replications, kernel)
    if catalog is not None:
        _refuse_unused(item_options, "--catalog (each row describes its item)")
    policy = policy or "base-stock"
    rng = np.random.default_rng(seed)
    if catalog is not None:
        _simulate_catalog(catalog, settings, rng, periods, as_json)
        return
    demand = _demand(poisson, normal, history, quantiles)
    if seasonality:
        from subzero.planning.simulate.demand import DemandPattern

        pattern = DemandPattern(tuple(parse_float_list(seasonality, name="--seasonality")))
        settings = _settings(periods, warmup, batches, replications, kernel, pattern=pattern)
    if policy == "serial":
        _refuse_unused(
            {k: v for k, v in item_options.items() if k not in _SERIAL_OPTIONS},
            "--policy serial (echelon base-stock with backorders)",
        )
        system = engine.SerialSystem(
            tuple(parse_int_list(_need(big_s, "--S", policy), name="--S")),
            tuple(parse_int_list(lead_time or "0", name="--lead-time")),
            tuple(parse_float_list(holding or "1", name="--holding")),
            backorder or 0.0,
            demand,
        )
        check_serial(system, _serial_option(_demand_option(poisson, normal, history)))
        _note_first_compile(settings, serial=True)
        kpis = engine.simulate_serial(system, settings, rng).item(0).to_json()
    else:
        if policy in _POLICY_LEVELS:  # an unknown one is refused by name in _policy
            _refuse_unused(
                {
                    k: item_options[k]
                    for k in ("--S", "--s", "--r", "--Q", "--R")
                    if k not in _POLICY_LEVELS[policy]
                },
                f"--policy {policy}",
            )
        item = _item(
            policy,
            demand,
            _policy(policy, big_s, small_s, r, q, review or 1),
            lead_time=lead_time,
            lead_time_pmf=lead_time_pmf,
            no_crossing=no_crossing,
            holding=holding,
            backorder=backorder,
            fixed_cost=fixed_cost,
            lost_sales=lost_sales,
            lost_share=lost_share,
            capacity=capacity,
            expedite=(expedite_lead_time, expedite_cost, expedite_up_to),
        )
        check_items([item], _item_option(_demand_option(poisson, normal, history), item))
        if disrupt:
            settings = _with_disruption(settings, disrupt)
        _note_first_compile(settings)
        kpis = engine.simulate([item], settings, rng).item(0).to_json()
    if as_json:
        emit_json(kpis)
    else:
        _kpi_table(f"{policy}, {periods} days (seed {seed})", kpis)


def _simulate_catalog(catalog: str, settings: Any, rng: Any, periods: int, as_json: bool) -> None:
    from subzero.planning.simulate import engine
    from subzero.planning.simulate.catalog import read_catalog

    items = read_catalog(catalog)
    _note_first_compile(settings)
    progress = _progress(len(items) * (periods + settings.warmup), True)
    if progress is None:
        res = engine.simulate(items, settings, rng)
    else:
        with progress:
            task = progress.add_task("simulating", total=len(items))
            res = engine.simulate(
                items,
                settings,
                rng,
                block=512,
                progress=lambda done, _: progress.update(task, completed=done),
            )
    overall = res.overall().to_json()
    if as_json:
        points = res.item_points()
        emit_json(
            {
                "overall": overall,
                "items": [
                    {"sku": sku, **{k: _finite(points[k][i]) for k in KPI_ORDER}}
                    for i, sku in enumerate(res.skus)
                ],
            }
        )
    else:
        _kpi_table(f"{len(items)} items, {periods} days", overall)


_SERIAL_OPTIONS = {
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


_POLICY_LEVELS = {
    "mto": (),
    "base-stock": ("--S",),
    "sS": ("--s", "--S"),
    "rQ": ("--r", "--Q"),
    "RS": ("--R", "--S"),
    "minmax": ("--s", "--S"),
}  # the options each single-item policy reads


def _check_seed(seed: int) -> None:
    """numpy's generators take seeds ≥ 0 only (a negative one was a traceback)."""
    if seed < 0:
        raise InvalidParameter(f"--seed {seed}: must be ≥ 0")


def _refuse_unused(options: dict[str, object], used_with: str) -> None:
    """Refuse options the run would ignore: the first given one (not None) is named."""
    for option, value in options.items():
        if value is not None:
            raise InvalidParameter(f"{option} does not apply with {used_with}")


def _item(
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


def _demand_option(poisson: float | None, normal: str | None, history: str | None) -> str:
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


def _item_option(demand_option: str, item: Any) -> Any:
    """``describe`` for ``check_items``: the option that set the item's field."""

    def describe(_: int, field: str) -> str:
        if field.startswith("demand."):
            part = field.removeprefix("demand.")
            return f"{demand_option} {part}" if demand_option == "--normal" else demand_option
        if field == "lead_time":
            return "--lead-time" if isinstance(item.lead_time, int) else "--lead-time-pmf"
        return _ITEM_OPTIONS.get(field, field)

    return describe


def _serial_option(demand_option: str) -> Any:
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


def _with_disruption(settings: Any, text: str) -> Any:
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


def _finite(x: float) -> float | None:
    import math

    return float(x) if math.isfinite(x) else None


def tune_command(
    catalog: str = typer.Option(..., "--catalog", help=CATALOG_HELP),
    fill_rate: float = typer.Option(None, "--fill-rate", help="Target fill rate, e.g. 0.95."),
    max_wait: float = typer.Option(
        None,
        "--max-wait",
        help="Target mean backorder wait over all lines, in days (instead of --fill-rate).",
    ),
    output: str = typer.Option(
        None,
        "--output",
        help="Write the tuned catalogue CSV here "
        "(same columns, plus fill_rate, mean_wait, cost, meets_target).",
    ),
    periods: int = typer.Option(20_000, "--periods", help="Measured days per candidate."),
    warmup: int = typer.Option(500, "--warmup", help="Warm-up days."),
    seed: int = typer.Option(0, "--seed", help="Random seed, ≥ 0."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Per item, the cheapest policy level that meets a fill-rate or wait target."""
    import numpy as np

    from subzero.planning.simulate.catalog import item_row, read_catalog, write_catalog
    from subzero.planning.simulate.tune import tune

    check_output_path(Path(output) if output else None, "--output")
    _check_seed(seed)
    items = read_catalog(catalog)
    settings = _settings(periods, warmup, 10, 1)
    _note_first_compile(settings)
    tuned = tune(
        items,
        settings,
        np.random.default_rng(seed),
        fill_rate=fill_rate,
        max_wait=max_wait,
    )
    rows = [
        {
            **item_row(t.item),
            "fill_rate": round(t.fill_rate, 6),
            "mean_wait": round(t.mean_wait_all_lines, 6),
            "cost": round(t.cost, 6),
            "meets_target": t.meets_target,
        }
        for t in tuned
    ]
    if output:
        write_catalog(output, rows)
    if as_json:
        emit_json({"items": rows, "output": output})
    else:
        print_table(
            "tuned policies",
            ["sku", "policy", "s", "S", "r", "Q", "fill rate", "mean wait", "cost", "meets"],
            [
                [
                    r.get("sku"),
                    r.get("policy"),
                    r.get("s"),
                    r.get("S"),
                    r.get("r"),
                    r.get("Q"),
                    r["fill_rate"],
                    r["mean_wait"],
                    r["cost"],
                    r["meets_target"],
                ]
                for r in rows
            ],
        )


def scenario_command(
    catalog: str = typer.Option(..., "--catalog", help=CATALOG_HELP),
    spike: str = typer.Option(
        None,
        "--spike",
        help="Demand spike PERCENT%:DAYS[:START], e.g. 30%:14 (+30% for 14 days from day 0).",
    ),
    lead_time_x: float = typer.Option(
        None, "--lead-time-x", help="Multiply every lead time by this factor."
    ),
    disrupt: str = typer.Option(
        None, "--disrupt", help="SUPPLIER:FIRST:LAST: the supplier delivers nothing on those days."
    ),
    lost_share: float = typer.Option(
        None, "--lost-share", help="Share (0..1) of customers who will not wait."
    ),
    periods: int = typer.Option(365, "--periods", help="Measured days."),
    warmup: int = typer.Option(500, "--warmup", help="Warm-up days."),
    batches: int = typer.Option(
        10, "--batches", help="Batches (replications with --replications)."
    ),
    replications: int = typer.Option(
        20, "--replications", help="Independent replications (paired between base and scenario)."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed, ≥ 0."),
    plot: str = typer.Option(None, "--plot", help="Write a PNG bar chart of KPI deltas."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Run the catalogue under one change and report KPI deltas with 95% CIs."""
    from subzero.planning.simulate import scenarios as sc
    from subzero.planning.simulate.catalog import read_catalog

    check_output_path(Path(plot) if plot else None, "--plot")
    _check_seed(seed)
    given = [x is not None for x in (spike, lead_time_x, disrupt, lost_share)]
    if sum(given) != 1:
        raise InvalidParameter(
            "give exactly one change: --spike, --lead-time-x, --disrupt or --lost-share"
        )
    change: Any
    if spike is not None:
        change = sc.parse_spike(spike)
    elif lead_time_x is not None:
        change = sc.LeadTimeFactor(lead_time_x)
    elif disrupt is not None:
        change = sc.parse_disruption(disrupt)
    else:
        change = sc.LostSalesShare(float(lost_share))
    items = read_catalog(catalog)
    settings = _settings(periods, warmup, batches, replications)
    _note_first_compile(settings)
    report = sc.run_scenario(items, settings, change, seed)
    if plot:
        sc.plot_deltas(report, plot, f"{change}")
    data = report.to_json()
    if as_json:
        emit_json({"scenario": str(change), **data})
        return
    rows = []
    for name in KPI_ORDER:
        b, s_, d = data["base"][name], data["scenario"][name], data["delta"][name]
        lo, hi = d["ci95"]
        rows.append(
            [
                name,
                _fmt(b["mean"]),
                _fmt(s_["mean"]),
                _fmt(d["mean"]),
                "" if lo is None else f"[{lo:.4g}, {hi:.4g}]",
            ]
        )
    print_table(str(change), ["KPI", "base", "scenario", "delta", "95% CI"], rows)


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:.4g}"


def register(app: typer.Typer) -> None:
    """Add ``simulate``, ``tune`` and ``scenario`` to the root app."""
    app.command("simulate")(simulate_command)
    app.command("tune")(tune_command)
    app.command("scenario")(scenario_command)
