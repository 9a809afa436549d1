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
(``SerialSystem``, echelon base-stock); these and ``RunSettings`` are defined in
``model`` and importable from here too. Both return a ``SimulationResult`` of batch or
replication sums, turned into KPIs with 95% confidence intervals by ``stats``. Both
first refuse, by ``checks``, values the model has no meaning for (a negative cost, lead
time or capacity, an expedite that is not faster, negative demand, ...).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from operator import attrgetter
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
from subzero.planning.simulate.checks import check_items, check_serial
from subzero.planning.simulate.demand import TableBuilder, build_demand_tables, pmf_cdf
from subzero.planning.simulate.model import (
    Disruption,
    Expedite,
    Item,
    LeadTime,
    RunSettings,
    SecondSupplier,
    SerialSystem,
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
WAIT_BINS = 256  # waits ≥ 255 days share the last bin (percentiles only; means are exact)
# the compiled fast path keeps per-day logs (5 int64 per day and thread): longer runs
# take the general path
FAST_MAX_DAYS = 500_000
_BIG = np.iinfo(np.int64).max // 4


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
        by_supplier[d.supplier] = (warmup + d.first_day, warmup + d.last_day)
    dis_a = np.full((2, len(items)), _BIG, np.int64)
    dis_b = np.full((2, len(items)), -1, np.int64)
    if not by_supplier:
        return dis_a, dis_b
    for i, item in enumerate(items):
        names = (item.supplier, item.second.supplier if item.second else None)
        for slot, name in enumerate(names):
            if name in by_supplier:
                dis_a[slot, i], dis_b[slot, i] = by_supplier[name]
    return dis_a, dis_b


def _column(
    items: Sequence[Item],
    name: str,
    dtype: Any,
    default: Any = None,
    fallback: npt.NDArray[Any] | None = None,
) -> npt.NDArray[Any]:
    """Attribute ``name`` of every item as an array; None cells become ``default``, or
    the ``fallback`` array's value."""
    values = list(map(attrgetter(name), items))
    if None in values:
        if fallback is not None:
            values = [fallback[i] if v is None else v for i, v in enumerate(values)]
        else:
            values = [default if v is None else v for v in values]
    return np.array(values, dtype=dtype).reshape(len(items))


def _policy_codes(policies: list[Policy]) -> IntArray:
    """``policy_code`` of every policy, shape (n, 4); one pass per policy type."""
    codes = np.zeros((len(policies), 4), np.int64)
    kinds = [type(pol) for pol in policies]
    for kind in set(kinds):
        rows = [i for i, k in enumerate(kinds) if k is kind]
        if kind is BaseStock:
            level = np.array(
                [policies[i].base_stock_level for i in rows],  # type: ignore[union-attr]
                np.int64,
            )
            codes[rows] = np.stack(
                [np.ones_like(level), level, np.zeros_like(level), np.maximum(level, 0)], axis=1
            )
        else:
            codes[rows] = [policy_code(policies[i]) for i in rows]
    return codes


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
    share to a second supplier, in runs of at most FAST_MAX_DAYS days. Columns are
    gathered attribute by attribute (no per-item Python work beyond attribute reads).
    """
    n = len(items)
    regime, factors = settings.pattern.factors(T - warmup, warmup)
    tables = build_demand_tables(list(map(attrgetter("demand"), items)), factors)
    codes = _policy_codes(list(map(attrgetter("policy"), items)))
    f64 = np.float64
    lost = _column(items, "lost_share", f64)
    loff = np.zeros((2, n), np.int64)
    llen = np.ones((2, n), np.int64)
    llo = np.zeros((2, n), np.int64)
    lt = TableBuilder()
    lead_memo: dict[object, tuple[tuple[int, int, int], int]] = {}
    max_lead = 0
    leads = list(map(attrgetter("lead_time"), items))
    if all(type(x) is int and x >= 0 for x in leads):
        llo[0] = np.array(leads, np.int64)
        max_lead = int(llo[0].max(initial=0))
        fixed = np.ones(n, np.bool_)
    else:
        fixed = np.array([type(x) is int for x in leads], np.bool_)
    seconds = list(map(attrgetter("second"), items))
    simple = fixed.all() and all(sec is None for sec in seconds)
    for i in [] if simple else range(n):
        it = items[i]
        second = it.second
        slots = (it.lead_time,) if second is None else (it.lead_time, second.lead_time)
        for slot, lead in enumerate(slots):
            if type(lead) is int and lead >= 0:
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
    lcdf = lt.arrays()
    dis_a, dis_b = _windows(items, settings, warmup)
    window = int(np.max(dis_b - np.minimum(dis_a, dis_b) + 1, initial=0))
    expedites = list(map(attrgetter("expedite"), items))
    if all(e is None for e in expedites):
        exp_lt = np.full(n, -1, np.int64)
        exp_up = np.zeros(n, np.int64)
        c_exp = np.zeros(n, f64)
    else:
        exp_lt = np.array([e.lead_time if e else -1 for e in expedites], np.int64)
        exp_up = np.array([e.up_to if e else 0 for e in expedites], np.int64)
        c_exp = np.array([e.unit_cost if e else 0.0 for e in expedites], f64)
    share2 = (
        np.zeros(n, f64)
        if simple
        else np.array([sec.share if sec else 0.0 for sec in seconds], f64)
    )
    capacity = _column(items, "capacity", np.int64, _BIG)
    promise = _column(items, "promise_days", np.int64, max_lead + 1)
    backorder = _column(items, "backorder_cost", f64)
    p_lost = _column(items, "lost_sale_cost", f64, fallback=backorder)
    H = max_lead + window + int(exp_lt.max(initial=0)) + 2
    fast = (
        (fixed & (share2 == 0.0) & (exp_lt < 0) & (dis_a[0] == _BIG))
        if fast_path and T <= FAST_MAX_DAYS
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
        _column(items, "orders_cross", np.bool_),
        dis_a,
        dis_b,
        capacity,
        exp_lt,
        exp_up,
        lost,
        _column(items, "holding_cost", f64),
        backorder,
        p_lost,
        _column(items, "fixed_cost", f64),
        c_exp,
        promise,
        codes[:, 3].copy(),
        fast,
    ]
    return args, H


def _run(
    kernel: Callable[..., int],
    args: list[Any],
    nb: int,
    H: int | None,
    acc: FloatArray,
    hist: IntArray,
) -> IntArray:
    """Call a kernel on zeroed outputs ``acc`` and ``hist`` (rows of this block), growing
    the backorder queue of the general kernels until no item overflows it; returns the
    block's pooled per-batch wait histogram."""
    qcap = 64
    n = acc.shape[0]
    while True:
        bhist = np.zeros(((n + _kernels.CHUNK - 1) // _kernels.CHUNK, nb, WAIT_BINS), np.int64)
        tail = [H, qcap] if H is not None else [qcap]
        if kernel(*args, *tail, acc, hist, bhist) == 0:
            return np.asarray(bhist.sum(axis=0), dtype=np.int64)
        qcap *= 4
        acc[:] = 0.0
        hist[:] = 0
        logger.debug("backorder queue overflow, rerunning with %d cohorts", qcap)


def simulate(
    items: Sequence[Item],
    settings: RunSettings,
    rng: np.random.Generator,
    *,
    progress: Callable[[int, int], None] | None = None,
    block: int = 16384,
    keys: npt.NDArray[np.uint64] | None = None,
    fast_path: bool = True,
) -> SimulationResult:
    """Simulate ``items`` side by side; KPIs per item and overall with 95% CIs.

    The generator ``rng`` only draws one 64-bit key per item (and replication); all
    other randomness is a counter-based stream from that key (see ``_kernels``), so
    two runs with equal seeds give equal results — common random numbers across
    scenarios and tuning candidates that share the same keys. ``keys`` (one per item
    and replication) overrides the draw, e.g. to give tuning candidates equal streams.
    Items are simulated ``block`` at a time (memory, progress). ``fast_path=False``
    sends every item through the compiled general kernel (for tests: both paths give
    identical sums).

    Raises:
        InvalidParameter: no items, or a value ``checks.check_items`` refuses (named by
            the item's sku).
    """
    if not items:
        raise InvalidParameter("no items to simulate")
    check_items(items)
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
    acc = np.zeros((len(rows), nb, _kernels.N_METRICS))
    hist = np.zeros((len(rows), WAIT_BINS), np.int64)
    bhist = np.zeros((nb, WAIT_BINS), np.int64)
    for start in range(0, len(rows), block):
        stop = min(len(rows), start + block)
        args, H = _pack(rows[start:stop], settings, settings.warmup, T, keys[start:stop], fast_path)
        bhist += _run(kernel, args, nb, H, acc[start:stop], hist[start:stop])
        if progress is not None:
            progress(stop, len(rows))
    return SimulationResult.from_runs(
        tuple(it.sku for it in items), acc, hist, bhist, settings.periods, nb, reps
    )


def simulate_serial(
    system: SerialSystem, settings: RunSettings, rng: np.random.Generator
) -> SimulationResult:
    """Simulate a serial echelon base-stock system (Clark & Scarf 1960; Chen & Zheng 1994).

    Raises:
        InvalidParameter: a value ``checks.check_serial`` refuses.
    """
    check_serial(system)
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
    acc = np.zeros((reps, nb, _kernels.N_METRICS))
    hist = np.zeros((reps, WAIT_BINS), np.int64)
    bhist = _run(kernel, args, nb, None, acc, hist)
    return SimulationResult.from_runs(("serial",), acc, hist, bhist, settings.periods, nb, reps)
