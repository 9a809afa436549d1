"""``subzero simulate | tune | scenario``: the steady-state simulator from the shell.

numpy, numba and scipy are imported inside the commands, so other commands start fast.
The options are read into the simulator's values, and checked, by ``simulate_options``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from subzero.cli.output import (
    check_output_path,
    emit_json,
    parse_float_list,
    parse_int_list,
    print_table,
)
from subzero.cli.simulate_options import (
    POLICY_LEVELS,
    SERIAL_OPTIONS,
    check_seed,
    demand_from_options,
    demand_option,
    describe_item_option,
    describe_serial_option,
    item_from_options,
    need_option,
    policy_from_options,
    refuse_unused,
    run_settings,
    with_disruption,
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
    check_seed(seed)
    settings = run_settings(periods, warmup, batches, replications, kernel)
    if catalog is not None:
        refuse_unused(item_options, "--catalog (each row describes its item)")
    policy = policy or "base-stock"
    rng = np.random.default_rng(seed)
    if catalog is not None:
        _simulate_catalog(catalog, settings, rng, periods, as_json)
        return
    demand = demand_from_options(poisson, normal, history, quantiles)
    if seasonality:
        from subzero.planning.simulate.demand import DemandPattern

        pattern = DemandPattern(tuple(parse_float_list(seasonality, name="--seasonality")))
        settings = run_settings(periods, warmup, batches, replications, kernel, pattern=pattern)
    if policy == "serial":
        refuse_unused(
            {k: v for k, v in item_options.items() if k not in SERIAL_OPTIONS},
            "--policy serial (echelon base-stock with backorders)",
        )
        system = engine.SerialSystem(
            tuple(parse_int_list(need_option(big_s, "--S", policy), name="--S")),
            tuple(parse_int_list(lead_time or "0", name="--lead-time")),
            tuple(parse_float_list(holding or "1", name="--holding")),
            backorder or 0.0,
            demand,
        )
        check_serial(system, describe_serial_option(demand_option(poisson, normal, history)))
        _note_first_compile(settings, serial=True)
        kpis = engine.simulate_serial(system, settings, rng).item(0).to_json()
    else:
        if policy in POLICY_LEVELS:  # an unknown one is refused by name in policy_from_options
            refuse_unused(
                {
                    k: item_options[k]
                    for k in ("--S", "--s", "--r", "--Q", "--R")
                    if k not in POLICY_LEVELS[policy]
                },
                f"--policy {policy}",
            )
        item = item_from_options(
            policy,
            demand,
            policy_from_options(policy, big_s, small_s, r, q, review or 1),
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
        check_items([item], describe_item_option(demand_option(poisson, normal, history), item))
        if disrupt:
            settings = with_disruption(settings, disrupt)
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
    check_seed(seed)
    items = read_catalog(catalog)
    settings = run_settings(periods, warmup, 10, 1)
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
    check_seed(seed)
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
    settings = run_settings(periods, warmup, batches, replications)
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
