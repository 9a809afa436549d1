"""The steady-state simulator: many items at once, periodic review in day buckets.

Conventions (Zipkin, *Foundations of Inventory Management*, §6.2; Snyder & Shen,
*Fundamentals of Supply Chain Theory*, §4.3 — so the textbook formulas apply):

* an order placed at the start of period t arrives at the start of t + L (L = 0: before
  that period's demand); decisions use IP = on hand − backorders + on order;
* holding [h] and backorder [p] costs are charged on the end-of-period levels, K per
  order placed, p_lost per unit lost, the expedite cost per unit expedited;
* each demanded unit is one order line (demand is a stream of single-unit orders, as
  in the Poisson models of the textbooks), so the line KPIs of ``planning.kpis`` are
  unit KPIs and Little's law holds exactly: average backorders = demand rate × mean
  wait over all units (Little 1961);
* backorders are filled first in, first out; a unit's wait is the number of days from
  its period to the period whose receipt fills it.

``simulate`` runs single-stage items (``Item``), ``simulate_serial`` a serial system
(``SerialSystem``, echelon base-stock). Both return a ``SimulationResult`` of batch or
replication sums, turned into KPIs with 95% confidence intervals by ``stats``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from subzero.domain.errors import InvalidParameter
from subzero.planning.policies.kinds import RQ, RS, SS, BaseStock, MakeToOrder, MinMax, Policy
from subzero.planning.simulate import _kernels
from subzero.planning.simulate._reference import (
    simulate_items_reference,
    simulate_serial_reference,
)
from subzero.planning.simulate.demand import (
    DemandPattern,
    DemandSpec,
    TableBuilder,
    build_demand_tables,
    pmf_cdf,
)
from subzero.planning.simulate.stats import SimulationResult

__all__ = [
    "Disruption",
    "Expedite",
    "Item",
    "RunSettings",
    "SecondSupplier",
    "SerialSystem",
    "policy_code",
    "simulate",
    "simulate_serial",
]

logger = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
LeadTime = int | Mapping[int, float]
WAIT_BINS = 256  # waits ≥ 255 days share the last bin (percentiles only; means are exact)
_BIG = np.iinfo(np.int64).max // 4


@dataclass(frozen=True, slots=True)
class SecondSupplier:
    """A second source taking ``share`` of every order (rounded down) [split rule]."""

    supplier: str
    share: float
    lead_time: LeadTime


@dataclass(frozen=True, slots=True)
class Expedite:
    """Dual-index expediting (Veeraraghavan & Scheller-Wolf 2008, Mgmt Sci 54(4)).

    Each review, if net inventory + receipts due within ``lead_time`` days is below
    ``up_to``, the gap is ordered from the fast source at ``unit_cost`` extra per unit.
    """

    lead_time: int
    unit_cost: float
    up_to: int = 0


@dataclass(frozen=True, slots=True)
class Item:
    """One simulated SKU: its policy, demand, supply and costs.

    Args:
        lead_time: days [L], an int or a pmf {days: probability}.
        holding_cost: per unit per day on hand [h]; backorder_cost per unit per day
            backordered [p]; fixed_cost per order [K].
        lost_share: share α of the units short that are lost (0 backorders, 1 lost sales).
        lost_sale_cost: per unit lost (default: backorder_cost).
        orders_cross: False makes each order arrive no earlier than the previous one.
        capacity: most units the supplier takes per order (the rest is re-ordered later).
        promise_days: a backordered line keeps its promise when it waits at most this
            many days (default: the longest lead time + 1).
    """

    sku: str
    policy: Policy
    demand: DemandSpec
    lead_time: LeadTime = 0
    holding_cost: float = 1.0
    backorder_cost: float = 0.0
    fixed_cost: float = 0.0
    lost_share: float = 0.0
    lost_sale_cost: float | None = None
    orders_cross: bool = True
    supplier: str = "default"
    second: SecondSupplier | None = None
    capacity: int | None = None
    expedite: Expedite | None = None
    promise_days: int | None = None


@dataclass(frozen=True, slots=True)
class Disruption:
    """Supplier ``supplier`` delivers nothing on measured days first_day…last_day;
    receipts due then arrive on last_day + 1."""

    supplier: str
    first_day: int
    last_day: int


@dataclass(frozen=True, slots=True)
class RunSettings:
    """Run length and output analysis.

    ``method`` "batch-means": one run of warmup + periods, measured periods cut into
    ``batches`` batches (Law, *Simulation Modeling and Analysis*, §9.5.3);
    "replications": ``replications`` independent runs, each with its own warm-up.
    """

    periods: int
    warmup: int = 1000
    batches: int = 20
    replications: int = 1
    method: str = "batch-means"
    pattern: DemandPattern = field(default_factory=DemandPattern)
    disruptions: tuple[Disruption, ...] = ()
    kernel: str = "compiled"

    def __post_init__(self) -> None:
        if self.method not in ("batch-means", "replications"):
            raise InvalidParameter(f"method {self.method!r}: use batch-means or replications")
        if self.kernel not in ("compiled", "numpy"):
            raise InvalidParameter(f"kernel {self.kernel!r}: use compiled or numpy")
        if self.warmup < 0:
            raise InvalidParameter(f"warmup {self.warmup}: must be ≥ 0")
        groups = self.batches if self.method == "batch-means" else self.replications
        if groups < 2:
            raise InvalidParameter(f"{self.method}: need ≥ 2 batches or replications for a CI")
        if self.periods < self.batches:
            raise InvalidParameter(f"periods {self.periods}: need ≥ batches ({self.batches})")


def policy_code(policy: Policy) -> tuple[int, int, int, int]:
    """(kernel code, parameter a, parameter b, initial on hand) of a policy object."""
    match policy:
        case MakeToOrder():
            return 0, 0, 0, 0
        case BaseStock(base_stock_level=s_level):
            return 1, s_level, 0, max(0, s_level)
        case SS(reorder_point=s, order_up_to=s_up):
            return 2, s, s_up, max(0, s_up)
        case RQ(reorder_point=r, order_quantity=q):
            return 3, r, q, max(0, r + q)
        case RS(review_period_days=period, order_up_to=s_up):
            return 4, period, s_up, max(0, s_up)
        case MinMax(minimum=lo, maximum=hi):
            return 5, lo, hi, max(0, hi)
    raise InvalidParameter(f"unknown policy {policy!r}")


def _lead_cdf(lead: LeadTime, *, name: str) -> tuple[int, FloatArray]:
    if isinstance(lead, int):
        if lead < 0:
            raise InvalidParameter(f"{name}: lead time {lead} must be ≥ 0")
        return lead, np.ones(1)
    return pmf_cdf(dict(lead), name=name)


def _windows(
    items: Sequence[Item], settings: RunSettings, warmup: int
) -> tuple[IntArray, IntArray]:
    by_supplier: dict[str, tuple[int, int]] = {}
    for d in settings.disruptions:
        if d.last_day < d.first_day:
            raise InvalidParameter(f"disruption of {d.supplier}: day {d.last_day} < {d.first_day}")
        by_supplier[d.supplier] = (warmup + d.first_day, warmup + d.last_day)
    dis_a = np.full((2, len(items)), _BIG, np.int64)
    dis_b = np.full((2, len(items)), -1, np.int64)
    for i, item in enumerate(items):
        names = (item.supplier, item.second.supplier if item.second else None)
        for slot, name in enumerate(names):
            if name in by_supplier:
                dis_a[slot, i], dis_b[slot, i] = by_supplier[name]
    return dis_a, dis_b


def _pack(
    items: Sequence[Item],
    settings: RunSettings,
    warmup: int,
    T: int,
    keys: npt.NDArray[np.uint64],
    fast_path: bool = True,
) -> tuple[list[Any], int]:
    """Kernel arguments (without H, qcap and outputs) and the pipeline length H.

    The last argument, ``fast``, marks the items the compiled kernel may run on its fast
    path: a fixed lead time, no expedite, no disruption of its supplier and no order
    share to a second supplier.
    """
    n = len(items)
    regime, factors = settings.pattern.factors(T - warmup, warmup)
    tables = build_demand_tables([it.demand for it in items], factors)
    codes = np.empty((n, 4), np.int64)
    policy_memo: dict[Policy, tuple[int, int, int, int]] = {}
    lt = TableBuilder()
    lead_memo: dict[object, tuple[tuple[int, int, int], int]] = {}
    loff = np.zeros((2, n), np.int64)
    llen = np.ones((2, n), np.int64)
    llo = np.zeros((2, n), np.int64)
    fixed = np.ones(n, np.bool_)
    max_lead = 0
    cols: list[tuple[Any, ...]] = []
    for i, it in enumerate(items):
        code = policy_memo.get(it.policy)
        if code is None:
            code = policy_memo[it.policy] = policy_code(it.policy)
        codes[i] = code
        if not 0.0 <= it.lost_share <= 1.0:
            raise InvalidParameter(f"{it.sku}: lost share {it.lost_share} not in [0, 1]")
        second, expedite = it.second, it.expedite
        if second is not None and not 0.0 <= second.share <= 1.0:
            raise InvalidParameter(f"{it.sku}: supplier share {second.share} not in [0, 1]")
        leads = (it.lead_time,) if second is None else (it.lead_time, second.lead_time)
        for slot, lead in enumerate(leads):
            if isinstance(lead, int) and lead >= 0:
                llo[slot, i] = lead
                max_lead = max(max_lead, lead)
                continue
            key = lead if isinstance(lead, int) else tuple(sorted(dict(lead).items()))
            found = lead_memo.get(key)
            if found is None:
                lo, cdf = _lead_cdf(lead, name=f"{it.sku} lead time")
                found = lead_memo[key] = (lt.add(key, lo, cdf), lo + cdf.size - 1)
            (loff[slot, i], llen[slot, i], llo[slot, i]), top = found
            max_lead = max(max_lead, top)
            if slot == 0:
                fixed[i] = False
        cols.append(
            (
                second.share if second is not None else 0.0,
                it.orders_cross,
                it.capacity if it.capacity is not None else _BIG,
                expedite.lead_time if expedite is not None else -1,
                expedite.up_to if expedite is not None else 0,
                it.lost_share,
                it.holding_cost,
                it.backorder_cost,
                it.backorder_cost if it.lost_sale_cost is None else it.lost_sale_cost,
                it.fixed_cost,
                expedite.unit_cost if expedite is not None else 0.0,
                it.promise_days if it.promise_days is not None else -1,
            )
        )
    lcdf = lt.arrays()
    dis_a, dis_b = _windows(items, settings, warmup)
    window = int(np.max(dis_b - np.minimum(dis_a, dis_b) + 1, initial=0))
    f64 = np.float64
    share2, cross, capacity, exp_lt, exp_up, lost, h, p, p_lost, k_fix, c_exp, promise = (
        np.array(c, dtype=t)
        for c, t in zip(
            zip(*cols, strict=True),
            (f64, np.bool_, np.int64, np.int64, np.int64, f64, f64, f64, f64, f64, f64, np.int64),
            strict=True,
        )
    )
    promise[promise < 0] = max_lead + 1
    H = max_lead + window + int(exp_lt.max(initial=0)) + 2
    fast = (
        (fixed & (share2 == 0.0) & (exp_lt < 0) & (dis_a[0] == _BIG))
        if fast_path
        else np.zeros(n, np.bool_)
    )
    args: list[Any] = [
        T,
        warmup,
        settings.batches,
        keys,
        regime,
        tables.thr,
        tables.guide,
        tables.off,
        tables.goff,
        tables.shift,
        tables.lo,
        codes[:, 0].copy(),
        codes[:, 1].copy(),
        codes[:, 2].copy(),
        share2,
        lcdf,
        loff,
        llen,
        llo,
        cross,
        dis_a,
        dis_b,
        capacity,
        exp_lt,
        exp_up,
        lost,
        h,
        p,
        p_lost,
        k_fix,
        c_exp,
        promise,
        codes[:, 3].copy(),
        fast,
    ]
    return args, H


def _run(
    kernel: Callable[..., int], args: list[Any], n: int, nb: int, H: int | None
) -> tuple[FloatArray, IntArray, IntArray]:
    """Call a kernel, doubling the backorder queue until no item overflows it."""
    qcap = 64
    while True:
        acc = np.zeros((n, nb, _kernels.N_METRICS))
        hist = np.zeros((n, WAIT_BINS), np.int64)
        bhist = np.zeros(((n + _kernels.CHUNK - 1) // _kernels.CHUNK, nb, WAIT_BINS), np.int64)
        tail = [H, qcap] if H is not None else [qcap]
        if kernel(*args, *tail, acc, hist, bhist) == 0:
            return acc, hist, bhist.sum(axis=0)
        qcap *= 4
        logger.debug("backorder queue overflow, rerunning with %d cohorts", qcap)


def simulate(
    items: Sequence[Item],
    settings: RunSettings,
    rng: np.random.Generator,
    *,
    progress: Callable[[int, int], None] | None = None,
    block: int = 4096,
    keys: npt.NDArray[np.uint64] | None = None,
    fast_path: bool = True,
) -> SimulationResult:
    """Simulate ``items`` side by side; KPIs per item and overall with 95% CIs.

    The generator ``rng`` only draws one 64-bit key per item (and replication); all
    other randomness is a counter-based stream from that key (see ``_kernels``), so
    two runs with equal seeds give equal results — common random numbers across
    scenarios and tuning candidates that share the same keys. ``keys`` (one per item
    and replication) overrides the draw, e.g. to give tuning candidates equal streams.
    ``fast_path=False`` sends every item through the compiled general kernel (for tests:
    both paths give identical sums).
    """
    if not items:
        raise InvalidParameter("no items to simulate")
    reps = settings.replications if settings.method == "replications" else 1
    nb = settings.batches
    if keys is None:
        keys = rng.integers(0, 2**63, size=reps * len(items), dtype=np.uint64)
    elif keys.shape != (reps * len(items),):
        raise InvalidParameter(f"keys: shape {keys.shape}, need ({reps * len(items)},)")
    rows = list(items) * reps
    kernel = (
        _kernels.simulate_items_compiled
        if settings.kernel == "compiled"
        else simulate_items_reference
    )
    T = settings.warmup + settings.periods
    parts = []
    for start in range(0, len(rows), block):
        stop = min(len(rows), start + block)
        args, H = _pack(rows[start:stop], settings, settings.warmup, T, keys[start:stop], fast_path)
        parts.append(_run(kernel, args, stop - start, nb, H))
        if progress is not None:
            progress(stop, len(rows))
    acc = np.concatenate([p[0] for p in parts])
    hist = np.concatenate([p[1] for p in parts])
    bhist = np.sum([p[2] for p in parts], axis=0)
    return SimulationResult.from_runs(
        tuple(it.sku for it in items), acc, hist, bhist, settings.periods, nb, reps
    )


@dataclass(frozen=True, slots=True)
class SerialSystem:
    """A serial line, stage 1 facing the customer, stage N fed by an unlimited source.

    Lists run from stage 1 (downstream) to stage N (upstream).

    Args:
        echelon_base_stock: echelon base-stock levels [S_j] (stock at j and below, in
            transit below j, minus backorders); effective only when S_1 ≤ … ≤ S_N.
        lead_time: transit days into stage j from j + 1 [L_j].
        echelon_holding_cost: echelon holding cost [h_j] = installation cost of j minus
            that of j + 1 (Clark & Scarf 1960).
        backorder_cost: per unit per day backordered at stage 1 [p].
    """

    echelon_base_stock: tuple[int, ...]
    lead_time: tuple[int, ...]
    echelon_holding_cost: tuple[float, ...]
    backorder_cost: float
    demand: DemandSpec
    promise_days: int | None = None

    def __post_init__(self) -> None:
        n = len(self.echelon_base_stock)
        if n == 0 or len(self.lead_time) != n or len(self.echelon_holding_cost) != n:
            raise InvalidParameter(
                f"serial system: {n} base-stock levels, {len(self.lead_time)} lead times and "
                f"{len(self.echelon_holding_cost)} holding costs must be the same number ≥ 1"
            )
        if min(self.lead_time) < 0:
            raise InvalidParameter(f"serial lead times {self.lead_time}: must be ≥ 0")


def simulate_serial(
    system: SerialSystem, settings: RunSettings, rng: np.random.Generator
) -> SimulationResult:
    """Simulate a serial echelon base-stock system (Clark & Scarf 1960; Chen & Zheng 1994)."""
    reps = settings.replications if settings.method == "replications" else 1
    nb = settings.batches
    T = settings.warmup + settings.periods
    keys = rng.integers(0, 2**63, size=reps, dtype=np.uint64)
    regime, factors = settings.pattern.factors(settings.periods, settings.warmup)
    tables = build_demand_tables([system.demand] * reps, factors)
    lead = np.asarray(system.lead_time, np.int64)
    promise = system.promise_days if system.promise_days is not None else int(lead.sum()) + 1
    args: list[Any] = [
        T,
        settings.warmup,
        nb,
        keys,
        regime,
        tables.thr,
        tables.guide,
        tables.off,
        tables.goff,
        tables.shift,
        tables.lo,
        np.asarray(system.echelon_base_stock, np.int64),
        lead,
        np.asarray(system.echelon_holding_cost, np.float64),
        float(system.backorder_cost),
        promise,
        int(lead.max()) + 1,
    ]
    kernel = (
        _kernels.simulate_serial_compiled
        if settings.kernel == "compiled"
        else simulate_serial_reference
    )
    acc, hist, bhist = _run(kernel, args, reps, nb, None)
    return SimulationResult.from_runs(("serial",), acc, hist, bhist, settings.periods, nb, reps)
