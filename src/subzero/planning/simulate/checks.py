"""What the simulator refuses before it runs, with one set of rules for every caller.

A value the model has no meaning for is an error, not a number: a cost below zero (it
would pay to hold stock or to keep customers waiting, and totals come out negative), a
lead time, expedite lead time or promise window below zero days, a capacity below one
unit, a share outside [0, 1], demand below zero, and an expedite that is not faster
than the normal supply (as the supplier terms of ``planning/sourcing.py`` require).
Before these checks the kernels read a negative lead time as 0 and a negative capacity
as "order nothing", silently.

``simulate`` and ``simulate_serial`` call ``check_items`` / ``check_serial`` and name the
item (its sku) or stage. The catalogue reader and the command line call them first with
their own ``describe(index, field)``, so the message names the file, line and column, or
the option, of the value refused. The checks are vectorised over items (one pass per
field), so a 10,000-item catalogue costs a few milliseconds; nothing here runs in the
kernels' loops.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from subzero.domain.errors import InvalidParameter
from subzero.planning.simulate.demand import check_demands, pmf_cdf

if TYPE_CHECKING:
    from subzero.planning.simulate.engine import Item, SerialSystem

__all__ = ["Describe", "check_items", "check_serial", "lead_time_median"]

Describe = Callable[[int, str], str]
"""``describe(index, field)`` names a value in a message: the item (or stage) at
``index``, its attribute ``field`` (dotted for parts: ``expedite.lead_time``,
``demand.mean``); e.g. ``"--holding"`` or ``"catalog.csv line 3, sku 'A', holding"``."""


def _default(items: Sequence[Item]) -> Describe:
    return lambda i, field: f"item {items[i].sku!r}: {field}"


def _refuse(describe: Describe, index: int, field: str, value: object, rule: str) -> None:
    raise InvalidParameter(f"{describe(index, field)}: {value} {rule}")


def _first_bad(ok: np.ndarray[Any, Any]) -> int | None:
    return None if ok.all() else int(np.flatnonzero(~ok)[0])


def _numbers(
    items: Sequence[Any], field: str, describe: Describe, *, top: float = math.inf
) -> None:
    """``field`` of every item (None allowed: not set) must be a finite number in [0, top]."""
    values = list(map(attrgetter(field), items))
    if values.count(None) == len(values):
        return
    array = np.array(
        [0.0 if v is None else v for v in values] if None in values else values, dtype=np.float64
    )
    bad = _first_bad(np.isfinite(array) & (array >= 0) & (array <= top))
    if bad is not None:
        rule = "must be ≥ 0" if top == math.inf else f"must be in [0, {top:g}]"
        _refuse(describe, bad, field, values[bad], rule)


def _whole(
    values: Sequence[object], field: str, describe: Describe, lowest: int, unit: str
) -> None:
    """Each value not None must be an int ≥ ``lowest``."""
    if values.count(None) == len(values):
        return
    for i, v in enumerate(values):
        if v is not None and (type(v) is not int or v < lowest):
            _refuse(describe, i, field, v, f"must be a whole number of {unit} ≥ {lowest}")


def lead_time_median(lead: int | Mapping[int, float]) -> int:
    """The lead time itself, or the median of a pmf (its smallest day with P(≤ day) ≥ ½)."""
    if isinstance(lead, int):
        return lead
    days = sorted(lead.items())
    cdf = np.cumsum([p for _, p in days])
    return int(days[int(np.searchsorted(cdf, 0.5 - 1e-12))][0])


def _lead_times(leads: Sequence[object], field: str, describe: Describe) -> None:
    """Each lead time: a whole number of days ≥ 0, or a pmf {days ≥ 0: probability}."""
    if all(type(x) is int for x in leads):
        array = np.array(leads, dtype=np.int64)
        bad = _first_bad(array >= 0)
        if bad is not None:
            _refuse(describe, bad, field, leads[bad], "must be ≥ 0 days")
        return
    checked: set[tuple[tuple[Any, float], ...]] = set()
    for i, lead in enumerate(leads):
        if type(lead) is int:
            if lead < 0:
                _refuse(describe, i, field, lead, "must be ≥ 0 days")
            continue
        if not isinstance(lead, Mapping):
            _refuse(describe, i, field, repr(lead), "is neither whole days nor a pmf")
            continue
        key = tuple(sorted(lead.items()))
        if key not in checked:
            pmf_cdf(dict(lead), name=describe(i, field))
            checked.add(key)


def check_items(items: Sequence[Item], describe: Describe | None = None) -> None:
    """Raise InvalidParameter for a value of ``items`` the simulator cannot take (rules
    are checked one field at a time; the message names the first item failing the rule).

    Costs [h, p, K, p_lost, expedite cost] ≥ 0; ``lost_share`` [α] and a second
    supplier's share in [0, 1]; lead times (fixed or pmf, of both suppliers) ≥ 0 days;
    ``capacity`` ≥ 1 unit; ``promise_days`` ≥ 0; demand as ``check_demands``; an
    expedite's lead time ≥ 0 and shorter than the normal lead time (for a pmf, its
    median — the rule of ``planning.sourcing.SupplierTerms``).

    Args:
        items: the items to check.
        describe: names the value refused (default: "item 'SKU': field").
    """
    name = describe or _default(items)
    for field in ("holding_cost", "backorder_cost", "fixed_cost", "lost_sale_cost"):
        _numbers(items, field, name)
    _numbers(items, "lost_share", name, top=1.0)
    leads = list(map(attrgetter("lead_time"), items))
    _lead_times(leads, "lead_time", name)
    _whole(list(map(attrgetter("capacity"), items)), "capacity", name, 1, "units")
    _whole(list(map(attrgetter("promise_days"), items)), "promise_days", name, 0, "days")
    check_demands(list(map(attrgetter("demand"), items)), lambda i, f: name(i, f"demand.{f}"))
    seconds = list(map(attrgetter("second"), items))
    if seconds.count(None) != len(seconds):
        rows = [i for i, sec in enumerate(seconds) if sec is not None]
        part = [seconds[i] for i in rows]
        _numbers(part, "share", lambda k, f: name(rows[k], f"second.{f}"), top=1.0)
        _lead_times(
            [sec.lead_time for sec in part], "lead_time", lambda k, f: name(rows[k], f"second.{f}")
        )
    expedites = list(map(attrgetter("expedite"), items))
    for i in [] if expedites.count(None) == len(items) else range(len(items)):
        item = items[i]  # few items expedite: a plain loop over those
        if item.expedite is None:
            continue
        fast, unit_cost = item.expedite.lead_time, item.expedite.unit_cost
        if type(fast) is not int or fast < 0:
            _refuse(name, i, "expedite.lead_time", fast, "must be a whole number of days ≥ 0")
        if not (math.isfinite(unit_cost) and unit_cost >= 0):
            _refuse(name, i, "expedite.unit_cost", unit_cost, "must be ≥ 0")
        normal = lead_time_median(item.lead_time)
        if fast >= normal:
            what = "lead time" if isinstance(item.lead_time, int) else "median lead time"
            _refuse(
                name,
                i,
                "expedite.lead_time",
                fast,
                f"must be shorter than the {what} ({normal} days): an expedite is faster",
            )


def check_serial(system: SerialSystem, describe: Describe | None = None) -> None:
    """Raise InvalidParameter for a value of a serial system the simulator cannot take:
    a lead time below 0 days, an echelon holding cost [h_j] or the backorder cost [p]
    below 0, ``promise_days`` below 0, or demand as ``check_demands``.

    ``describe(stage, field)`` gets the stage's index (0 = stage 1) for the per-stage
    fields ``lead_time`` and ``echelon_holding_cost`` and 0 for the others (default:
    "serial system: field of stage j").
    """

    def default(stage: int, field: str) -> str:
        per_stage = field in ("lead_time", "echelon_holding_cost")
        return f"serial system: {field}" + (f" of stage {stage + 1}" if per_stage else "")

    name = describe or default
    for stage, lead in enumerate(system.lead_time):
        if type(lead) is not int or lead < 0:
            _refuse(name, stage, "lead_time", lead, "must be a whole number of days ≥ 0")
    for stage, cost in enumerate(system.echelon_holding_cost):
        if not (math.isfinite(cost) and cost >= 0):
            _refuse(name, stage, "echelon_holding_cost", cost, "must be ≥ 0")
    _numbers([system], "backorder_cost", name)
    _whole([system.promise_days], "promise_days", name, 0, "days")
    check_demands([system.demand], lambda _, f: name(0, f"demand.{f}"))
