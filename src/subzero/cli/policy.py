"""``subzero policy …``: the stock-policy optimisers of ``subzero.planning.policies``.

Every command prints a readable table, or one JSON object with ``--json``. numpy and
scipy are imported inside the commands so that ``subzero`` starts fast.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from subzero.cli.output import emit_json, parse_float_list, parse_int_list, parse_pmf, print_table
from subzero.domain.errors import InvalidParameter

__all__ = ["register"]

policy_app = typer.Typer(
    help="Optimal stock policies: newsvendor, base-stock, (s,S), (r,Q), EOQ, "
    "Wagner-Whitin, serial multi-echelon.",
    no_args_is_help=True,
)

Holding = Annotated[
    float, typer.Option("--holding", help="Holding cost per unit per period (h), > 0.")
]
Backorder = Annotated[
    float,
    typer.Option("--backorder", help="Backorder (stockout) cost per unit per period (p), > 0."),
]
FixedCost = Annotated[float, typer.Option("--fixed-cost", help="Fixed cost per order (K), > 0.")]
Normal = Annotated[
    str | None,
    typer.Option(
        "--normal",
        help="Normal demand per period as MEAN,SD (MEAN ≥ 0, SD > 0).",
        metavar="MEAN,SD",
    ),
]
Poisson = Annotated[
    float | None, typer.Option("--poisson", help="Poisson demand per period with this MEAN > 0.")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")]


def _show(as_json: bool, title: str, result: dict[str, Any]) -> None:
    if as_json:
        emit_json(result)
        return
    rows = [
        (key, ", ".join(_fmt(v) for v in value) if isinstance(value, list) else _fmt(value))
        for key, value in result.items()
    ]
    print_table(title, ["quantity", "value"], rows)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e6 else f"{value:.2f}"
    return str(value)


def _normal(text: str) -> tuple[float, float]:
    values = parse_float_list(text, name="--normal")
    if len(values) != 2:
        raise InvalidParameter(f"--normal: {text!r} must be MEAN,SD (two numbers)")
    if values[1] <= 0:
        raise InvalidParameter(f"--normal: SD={values[1]} must be > 0")
    if values[0] < 0:
        raise InvalidParameter(
            f"--normal: MEAN={values[0]} must be ≥ 0 (demand cannot be negative)"
        )
    return values[0], values[1]


def _poisson(mean: float) -> float:
    """The --poisson mean; > 0 for every command (0 has no (s,S) and no fill rate)."""
    if not mean > 0:
        raise InvalidParameter(f"--poisson mean {mean} must be > 0")
    return mean


def _one_of(**options: object) -> str:
    given = [name for name, value in options.items() if value is not None]
    if len(given) != 1:
        names = ", ".join(f"--{n.replace('_', '-')}" for n in options)
        raise InvalidParameter(f"give exactly one demand option of {names} (got {len(given)})")
    return given[0]


@policy_app.command("newsvendor")
def newsvendor(
    holding: Holding,
    backorder: Backorder,
    normal: Normal = None,
    poisson: Poisson = None,
    pmf: Annotated[
        str | None,
        typer.Option(
            "--pmf", help='Demand pmf table "VALUE:PROB,…" (values ≥ 0, probabilities sum to 1).'
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Single-period optimal stock level S* = F⁻¹(p/(p+h)) and its expected cost."""
    from subzero.planning.policies import newsvendor as nv

    which = _one_of(normal=normal, poisson=poisson, pmf=pmf)
    result: dict[str, Any]
    if which == "normal":
        assert normal is not None
        sol = nv.newsvendor_normal(holding, backorder, *_normal(normal))
        result = {"S": sol.base_stock_level, "cost": sol.cost}
    else:
        if which == "poisson":
            assert poisson is not None
            sol = nv.newsvendor_poisson(holding, backorder, _poisson(poisson))
        else:
            assert pmf is not None
            sol = nv.newsvendor_pmf(holding, backorder, dict(parse_pmf(pmf, name="--pmf")))
        result = {"S": int(sol.base_stock_level), "cost": sol.cost}
    _show(as_json, "newsvendor", result)


@policy_app.command("base-stock")
def base_stock(
    holding: Holding,
    backorder: Backorder,
    lead_time: Annotated[
        int, typer.Option("--lead-time", help="Lead time L in whole periods, ≥ 0.")
    ] = 0,
    normal: Normal = None,
    poisson: Poisson = None,
    fill_rate: Annotated[
        float | None,
        typer.Option("--fill-rate", help="Target type-2 fill rate β in (0,1) instead of min cost."),
    ] = None,
    in_stock: Annotated[
        float | None,
        typer.Option("--in-stock", help="Target type-1 in-stock probability α in (0,1)."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Periodic-review base-stock level with lead time L (backorders): cost-optimal, or the
    smallest level meeting a fill-rate or in-stock target; cost uses h and p."""
    from subzero.planning.policies import base_stock as bs
    from subzero.planning.policies.demand import NormalDemand, poisson_demand

    which = _one_of(normal=normal, poisson=poisson)
    if fill_rate is not None and in_stock is not None:
        raise InvalidParameter("give at most one of --fill-rate and --in-stock")
    if lead_time < 0:
        raise InvalidParameter(f"--lead-time {lead_time} must be ≥ 0")
    demand = (
        NormalDemand(*_normal(normal))
        if normal is not None
        else poisson_demand(_poisson(poisson or 0.0))
    )
    if fill_rate is not None:
        sol = bs.base_stock_for_fill_rate(
            fill_rate, demand, lead_time, holding_cost=holding, backorder_cost=backorder
        )
    elif in_stock is not None:
        sol = bs.base_stock_for_in_stock(
            in_stock, demand, lead_time, holding_cost=holding, backorder_cost=backorder
        )
    else:
        sol = bs.optimal_base_stock(holding, backorder, demand, lead_time)
    level: float | int = int(sol.base_stock_level) if which == "poisson" else sol.base_stock_level
    result = {
        "S": level,
        "cost": sol.cost,
        "fill_rate": sol.fill_rate,
        "in_stock": sol.in_stock_probability,
    }
    _show(as_json, "base-stock", result)


@policy_app.command("sS")
def s_s(
    holding: Holding,
    backorder: Backorder,
    fixed_cost: FixedCost,
    poisson: Poisson = None,
    normal: Normal = None,
    lead_time: Annotated[
        int, typer.Option("--lead-time", help="Lead time L in whole periods, ≥ 0.")
    ] = 0,
    approx: Annotated[
        str | None,
        typer.Option(
            "--approx",
            help="'power': Ehrhardt-Mosier power approximation (normal demand only); "
            "default is the exact Zheng-Federgruen optimum (normal demand rounded to integers).",
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """(s,S) policy: order up to S when the position falls to s or below."""
    from subzero.planning.policies import s_S
    from subzero.planning.policies.demand import discretised_normal

    which = _one_of(poisson=poisson, normal=normal)
    if approx not in (None, "power"):
        raise InvalidParameter(f"--approx {approx!r}: the only approximation is 'power'")
    if which == "poisson":
        if approx is not None:
            raise InvalidParameter("--approx power needs --normal demand")
        assert poisson is not None
        sol = s_S.ss_exact_poisson(holding, backorder, fixed_cost, _poisson(poisson), lead_time)
        result: dict[str, Any] = {
            "s": int(sol.reorder_point),
            "S": int(sol.order_up_to),
            "cost": sol.cost,
        }
    else:
        assert normal is not None
        mean, sd = _normal(normal)
        demand = discretised_normal(mean, sd)
        if approx == "power":
            sol = s_S.ss_power_approximation(holding, backorder, fixed_cost, mean, sd, lead_time)
            s_int, big_int = round(sol.reorder_point), round(sol.order_up_to)
            cost = s_S.ss_cost(
                s_int, max(big_int, s_int + 1), holding, backorder, fixed_cost, demand, lead_time
            )
            result = {"s": sol.reorder_point, "S": sol.order_up_to, "cost": cost}
        else:
            sol = s_S.ss_exact(holding, backorder, fixed_cost, demand, lead_time)
            result = {"s": int(sol.reorder_point), "S": int(sol.order_up_to), "cost": sol.cost}
    _show(as_json, "(s,S)", result)


@policy_app.command("rQ")
def r_q(
    holding: Holding,
    backorder: Backorder,
    fixed_cost: FixedCost,
    rate: Annotated[float, typer.Option("--rate", help="Mean demand per unit time (λ), > 0.")],
    lead_time: Annotated[
        float,
        typer.Option(
            "--lead-time",
            help="Lead time L in the same time unit: ≥ 0 with --poisson, > 0 with --normal-sd.",
        ),
    ],
    poisson: Annotated[
        bool, typer.Option("--poisson", help="Poisson demand (exact Federgruen-Zheng optimum).")
    ] = False,
    normal_sd: Annotated[
        float | None,
        typer.Option("--normal-sd", help="Normal demand with this SD per unit time (τ), > 0."),
    ] = None,
    approx: Annotated[
        str | None,
        typer.Option(
            "--approx",
            help="Normal demand only: 'eoqb' or 'loss-function' approximation; default exact.",
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Continuous-review (r,Q): order Q when the inventory position reaches r."""
    from subzero.planning.policies import r_Q

    if poisson == (normal_sd is not None):
        raise InvalidParameter("give exactly one of --poisson and --normal-sd")
    if poisson:
        if approx is not None:
            raise InvalidParameter("--approx applies to --normal-sd demand only")
        sol = r_Q.rq_poisson_exact(holding, backorder, fixed_cost, rate, lead_time)
        result: dict[str, Any] = {
            "r": int(sol.reorder_point),
            "Q": int(sol.order_quantity),
            "cost": sol.cost,
        }
    else:
        assert normal_sd is not None
        solvers = {
            None: r_Q.rq_normal_exact,
            "eoqb": r_Q.rq_eoqb_approximation,
            "loss-function": r_Q.rq_loss_function_approximation,
        }
        if approx not in solvers:
            raise InvalidParameter(f"--approx {approx!r}: use 'eoqb' or 'loss-function'")
        sol = solvers[approx](holding, backorder, fixed_cost, rate, normal_sd, lead_time)
        result = {"r": sol.reorder_point, "Q": sol.order_quantity, "cost": sol.cost}
    _show(as_json, "(r,Q)", result)


@policy_app.command("eoq")
def eoq(
    fixed_cost: FixedCost,
    holding: Annotated[
        float, typer.Option("--holding", help="Holding cost per unit per unit time (h), > 0.")
    ],
    rate: Annotated[float, typer.Option("--rate", help="Demand per unit time (λ), > 0.")],
    backorder: Annotated[
        float | None,
        typer.Option(
            "--backorder", help="Plan backorders at this cost per unit per unit time (p)."
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Economic order quantity, optionally with planned backorders."""
    from subzero.planning.policies import eoq as lot

    if backorder is None:
        sol = lot.economic_order_quantity(fixed_cost, holding, rate)
        result: dict[str, Any] = {"Q": sol.order_quantity, "cost": sol.cost}
    else:
        sol = lot.economic_order_quantity_with_backorders(fixed_cost, holding, backorder, rate)
        result = {
            "Q": sol.order_quantity,
            "cost": sol.cost,
            "backordered_fraction": sol.backordered_fraction,
        }
    _show(as_json, "EOQ", result)


@policy_app.command("wagner-whitin")
def wagner_whitin(
    fixed_cost: FixedCost,
    holding: Annotated[
        float, typer.Option("--holding", help="Holding cost per unit left at a period's end, ≥ 0.")
    ],
    demand: Annotated[
        str, typer.Option("--demand", help="Known demand per period as d1,d2,… (each ≥ 0).")
    ],
    as_json: AsJson = False,
) -> None:
    """Optimal order quantities for known demands (Wagner-Whitin dynamic lot sizing)."""
    from subzero.planning.policies import eoq as lot

    demands = parse_float_list(demand, name="--demand")
    plan = lot.wagner_whitin(fixed_cost, holding, demands)
    whole = all(float(d).is_integer() for d in demands)
    orders = [int(q) if whole else q for q in plan.orders]
    _show(as_json, "Wagner-Whitin", {"orders": orders, "cost": plan.cost})


@policy_app.command("serial")
def serial(
    holding: Annotated[
        str,
        typer.Option(
            "--holding", help="Local holding costs h1,h2,… per stage; stage 1 faces the customer."
        ),
    ],
    lead_time: Annotated[
        str, typer.Option("--lead-time", help="Lead times L1,L2,… per stage (periods, ≥ 0).")
    ],
    backorder: Backorder,
    normal: Annotated[
        str,
        typer.Option("--normal", help="Normal demand per period as MEAN,SD.", metavar="MEAN,SD"),
    ],
    as_json: AsJson = False,
) -> None:
    """Serial multi-echelon system: optimal echelon base-stock levels (Clark-Scarf/Chen-Zheng)."""
    from subzero.planning.policies.multi_echelon import serial_base_stock

    costs = parse_float_list(holding, name="--holding")
    leads = parse_float_list(lead_time, name="--lead-time")
    if all(x.is_integer() for x in leads):
        leads = [float(x) for x in parse_int_list(lead_time, name="--lead-time")]
    sol = serial_base_stock(costs, leads, backorder, *_normal(normal))
    _show(
        as_json,
        "serial base-stock",
        {"S": [float(x) for x in sol.echelon_levels], "cost": float(sol.cost)},
    )


@policy_app.command("apply")
def policy_apply(
    skus: Annotated[
        list[str] | None, typer.Argument(help="Items to parameterise; omit with --all.")
    ] = None,
    all_items: Annotated[bool, typer.Option("--all", help="Every item.")] = False,
    kind: Annotated[
        str,
        typer.Option("--kind", help="auto (default), base-stock, sS, rQ, RS, minmax or mto."),
    ] = "auto",
    service_target: Annotated[
        float | None,
        typer.Option("--service-target", help="Target fill rate in (0, 1); default 0.95."),
    ] = None,
    backorder: Annotated[
        float | None,
        typer.Option("--backorder", help="Backorder cost per unit per day, instead of a target."),
    ] = None,
    holding: Annotated[
        float, typer.Option("--holding", help="Holding cost per unit per day, > 0.")
    ] = 1.0,
    fixed_cost: Annotated[
        float, typer.Option("--fixed-cost", help="Fixed cost per purchase order, >= 0.")
    ] = 0.0,
    history_days: Annotated[
        int, typer.Option("--history-days", help="Days of order history to learn demand from.")
    ] = 90,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON value.")] = False,
) -> None:
    """Compute items' policies from their own demand (orders, backorders included) and
    their supplier's lead time (fitted from deliveries when there are enough), then set
    them: replenishment follows at once. `--kind auto` is the default."""
    from subzero.cli.runtime import runtime
    from subzero.domain.commands import ApplyPolicy

    if skus and all_items:
        raise InvalidParameter("name the items (SKU ...) or give --all, not both")
    if not skus and not all_items:
        raise InvalidParameter("no items given: name them (SKU ...) or give --all")
    target = service_target if backorder is not None or service_target is not None else 0.95
    decisions = runtime().bus.handle(
        ApplyPolicy(
            skus=tuple(skus or ()),
            kind=kind,
            service_target=None if backorder is not None and service_target is None else target,
            backorder_cost=backorder,
            holding_cost=holding,
            fixed_cost=fixed_cost,
            history_days=history_days,
        )
    )
    rows = [
        {
            "sku": d.sku,
            "old_policy": d.old_policy,
            "policy": d.new_policy,
            "demand_mean_per_day": round(d.demand_mean_per_day, 4),
            "demand_sd_per_day": round(d.demand_sd_per_day, 4),
            "lead_time_mean_days": round(d.lead_time_mean_days, 2),
            "lead_time_source": d.lead_time_source,
            "reason": d.reason,
        }
        for d in decisions
    ]
    if as_json:
        emit_json(rows)
        return
    print_table(
        "policies applied",
        ["sku", "old", "new", "demand/day", "lead time", "why"],
        [
            [
                r["sku"],
                r["old_policy"],
                r["policy"],
                r["demand_mean_per_day"],
                r["lead_time_mean_days"],
                r["reason"],
            ]
            for r in rows
        ],
    )


def register(app: typer.Typer) -> None:
    """Add the ``policy`` command group to the root app."""
    app.add_typer(policy_app, name="policy")
