"""Time-phased net requirements of one item: how many units it needs, and by when.

The first half of ``replenish.plan_item``: the item's stock position and open orders
(``ItemState``), its policy and its forecast give ``Requirement``s (units needed by a
date, with the reason), which ``replenish`` then sources into purchase proposals. Pure
functions over frozen dataclasses and arrays. docs/replenishment.md has worked examples.

Rules, in words:

* **Inventory position** (``subzero.domain.position``): IP = on hand − allocated −
  backordered + on order, where *on order* counts **firm** open orders (sent or
  confirmed). Drafts are the plan's own earlier output: netting ignores them and
  ``replenish.merge_with_open_orders`` subtracts them, key by key (regenerative
  planning, Orlicky's MRP; it keeps a re-run from double-ordering).
* **Policy netting** (``Policy`` from ``kinds.py``; Zipkin, *Foundations of Inventory
  Management*, ch. 6): on each review day t of the horizon (daily; (R,S) on its review
  days, ``day = date.toordinal()`` as in the service) the projected position
  IP_t = IP_0 + planned so far − rounded cumulative forecast before t is given to
  ``order_quantity``; an order of q > 0 is a requirement needed at t + L (L = the
  planning supplier's lead time at the service level), because the policy's parameters
  cover the lead-time demand. Make-to-order only covers IP_0 < 0 and ignores the forecast.
* **Backorders**: on day 0 the part of the order that covers backorders no stock or firm
  order covers (min(q_0, −IP_0)) is a requirement of its own, needed by the earliest
  promise (or today + L, whichever is first). Backordered units whose only cover is a
  firm order due after their promise are a requirement too (``late_until``): not for a
  second normal order, only for the expedite ``replenish`` may propose.
* **JIT items** are netted lot-for-lot on projected *available* stock (MRP): firm
  receipts count on their expected dates, and a need arises the day projected available
  would fall below the safety buffer (lead-time-demand quantile − mean, 0 without one).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from subzero.domain.errors import InvalidParameter
from subzero.planning.policies.kinds import (
    MakeToOrder,
    Policy,
    order_quantity,
    policy_to_text,
)

__all__ = [
    "ItemState",
    "NetRequirements",
    "OpenOrder",
    "Requirement",
    "net_requirements",
]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class OpenOrder:
    """An open purchase order of the item: units outstanding and when they are expected.

    ``draft`` marks an order not yet sent (an earlier proposal): it is reconciled by key,
    not netted. ``po_id`` lets the service find the draft to top up or reduce.
    """

    supplier: str
    qty: int
    expected_date: dt.date
    draft: bool = False
    po_id: int | None = None
    expedite: bool = False


@dataclass(frozen=True, slots=True)
class ItemState:
    """The item's stock position today (``subzero.domain.position``) and its open orders.

    ``promised_date`` is the earliest promise among its backordered lines, if any.
    """

    sku: str
    on_hand: int
    allocated: int = 0
    backordered: int = 0
    open_orders: tuple[OpenOrder, ...] = ()
    promised_date: dt.date | None = None

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated - self.backordered

    @property
    def inventory_position(self) -> int:
        """Available plus firm orders outstanding (drafts are not counted)."""
        return self.available + sum(o.qty for o in self.open_orders if not o.draft)


@dataclass(frozen=True, slots=True)
class Requirement:
    """Units needed by ``need_date``; ``promised_date`` set when they cover backorders."""

    qty: int
    need_date: dt.date
    reason: str
    promised_date: dt.date | None = None
    backorder: bool = False
    late_until: dt.date | None = None  # covered, but only by an order due after the promise


@dataclass(frozen=True, slots=True, eq=False)
class NetRequirements:
    """Requirements over the horizon, and the projections behind them.

    ``inventory_position[t]`` is IP at the review of day t and ``projected_available[t]``
    the available stock at the end of day t (firm receipts on their expected dates,
    requirements on their need dates), both of shape (horizon_days,).
    """

    requirements: tuple[Requirement, ...]
    inventory_position: IntArray
    projected_available: IntArray


def _demand_before(forecast: npt.NDArray[np.float64]) -> IntArray:
    """Rounded cumulative forecast: element t is the demand of days 0 … t − 1."""
    cum = np.concatenate(([0.0], np.cumsum(forecast)))
    return np.floor(cum + 0.5).astype(np.int64)


def _firm_receipts(state: ItemState, today: dt.date, horizon: int) -> IntArray:
    receipts = np.zeros(horizon, dtype=np.int64)
    for order in state.open_orders:
        day = (order.expected_date - today).days
        if not order.draft and day < horizon:
            receipts[max(day, 0)] += order.qty  # overdue orders are expected today
    return receipts


def _backorder_requirement(
    state: ItemState, qty: int, today: dt.date, lead_time_days: int
) -> Requirement:
    normal = today + dt.timedelta(days=lead_time_days)
    promised = state.promised_date
    need = normal if promised is None else max(today, min(promised, normal))
    return Requirement(
        qty,
        need,
        f"{qty} backordered units not covered by stock or open orders",
        promised,
        backorder=True,
    )


def _at_risk_requirement(state: ItemState, today: dt.date) -> Requirement | None:
    """Backordered units whose only cover is an open order due after their promise
    (a supplier slipped, or a promise was made before the order was late): a candidate
    for an expedite — never for a second normal order, since the late one still comes."""
    promised = state.promised_date
    if promised is None or state.backordered <= 0:
        return None
    firm = [o for o in state.open_orders if not o.draft]
    in_time = max(0, state.on_hand - state.allocated) + sum(
        o.qty for o in firm if o.expected_date <= promised
    )
    late = sorted((o for o in firm if o.expected_date > promised), key=lambda o: o.expected_date)
    at_risk = min(state.backordered - in_time, sum(o.qty for o in late))
    if at_risk <= 0:
        return None
    covered, late_until = 0, promised
    for order in late:
        covered += order.qty
        late_until = order.expected_date
        if covered >= at_risk:
            break
    return Requirement(
        at_risk,
        max(today, promised),
        f"{at_risk} backordered units promised by {promised} wait for an order due {late_until}",
        promised,
        backorder=True,
        late_until=late_until,
    )


def net_requirements(
    state: ItemState,
    policy: Policy,
    forecast: npt.ArrayLike,
    *,
    today: dt.date,
    lead_time_days: int,
    jit: bool = False,
    safety_stock: int = 0,
) -> NetRequirements:
    """Time-phased net requirements of one item (rules in the module docstring).

    Args:
        state: stock position and open orders today.
        policy: the item's policy; ``MakeToOrder`` ignores the forecast (unless ``jit``:
            a JIT item is netted lot-for-lot against its forecast whatever its policy).
        forecast: mean demand per day from today, shape (horizon_days,), ≥ 0.
        today: the planning day (day 0).
        lead_time_days: planning lead time [L] of the item's main supplier.
        jit: net lot-for-lot on projected available stock instead of the policy.
        safety_stock: JIT buffer below which projected available stock is a need.

    Raises:
        InvalidParameter: an empty, negative or non-finite forecast, or a negative lead time.
    """
    daily = np.asarray(forecast, dtype=np.float64)
    if daily.ndim != 1 or daily.size == 0:
        raise InvalidParameter(
            f"item {state.sku}: forecast needs one mean per day of the horizon, "
            f"got shape {daily.shape}"
        )
    if not np.all(np.isfinite(daily)) or np.any(daily < 0):
        raise InvalidParameter(
            f"item {state.sku}: forecast must be finite daily means ≥ 0, got {daily[:5]}…"
        )
    if lead_time_days < 0:
        raise InvalidParameter(f"item {state.sku}: lead time {lead_time_days} days; must be ≥ 0")
    horizon = daily.size
    before = _demand_before(daily)
    mto = isinstance(policy, MakeToOrder) and not jit  # JIT plans from the forecast
    if not jit:
        reqs = _policy_requirements(policy, state, before, today, lead_time_days, mto)
    else:
        reqs = _jit_requirements(state, before, today, lead_time_days, safety_stock)
    at_risk = _at_risk_requirement(state, today)
    consumed = np.zeros(horizon + 1, dtype=np.int64) if mto else before
    placed = np.zeros(horizon, dtype=np.int64)
    arriving = np.zeros(horizon, dtype=np.int64)
    for req in reqs:
        placed[min(horizon - 1, _release_day(req, today, lead_time_days))] += req.qty
        need_day = (req.need_date - today).days
        if need_day < horizon:
            arriving[max(need_day, 0)] += req.qty
    ip = state.inventory_position + np.cumsum(placed) - placed - consumed[:horizon]
    firm = _firm_receipts(state, today, horizon)
    available = state.available + np.cumsum(firm + arriving) - consumed[1:]
    if at_risk is not None:  # extra supply only if an expedite is taken: not in the projection
        reqs.append(at_risk)
    return NetRequirements(tuple(reqs), ip.astype(np.int64), available.astype(np.int64))


def _release_day(req: Requirement, today: dt.date, lead_time_days: int) -> int:
    return max(0, (req.need_date - today).days - lead_time_days)


def _policy_requirements(
    policy: Policy,
    state: ItemState,
    before: IntArray,
    today: dt.date,
    lead_time_days: int,
    mto: bool,
) -> list[Requirement]:
    reqs: list[Requirement] = []
    ip0 = state.inventory_position
    label = policy_to_text(policy)
    lead = dt.timedelta(days=lead_time_days)
    first = today.toordinal()
    planned = 0
    for t in range(1 if mto else before.size - 1):
        ip = ip0 + planned - int(before[t])
        qty = order_quantity(policy, ip, day=first + t)
        if qty <= 0:
            continue
        planned += qty
        if t == 0 and ip < 0:
            covered = min(qty, -ip)
            reqs.append(_backorder_requirement(state, covered, today, lead_time_days))
            qty -= covered
            if qty == 0:
                continue
        day = today + dt.timedelta(days=t)
        reqs.append(
            Requirement(qty, day + lead, f"{label}: inventory position {ip} on {day} → order {qty}")
        )
    return reqs


def _jit_requirements(
    state: ItemState, before: IntArray, today: dt.date, lead_time_days: int, safety: int
) -> list[Requirement]:
    horizon = before.size - 1
    firm = _firm_receipts(state, today, horizon).copy()
    # An order arriving within the lead time counts from day 0: a new order could not
    # come sooner, so a shortfall before it is late, not a reason to order again (this
    # keeps the run idempotent once its late proposals are released).
    window = min(lead_time_days, horizon - 1)
    if window > 0:
        firm[0] += int(firm[1 : window + 1].sum())
        firm[1 : window + 1] = 0
    reqs: list[Requirement] = []
    uncovered = max(0, -state.inventory_position)
    if uncovered:
        reqs.append(_backorder_requirement(state, uncovered, today, lead_time_days))
    available = state.available + uncovered
    for d in range(horizon):
        available += int(firm[d]) - int(before[d + 1] - before[d])
        if available < safety:
            qty = safety - available
            day = today + dt.timedelta(days=d)
            reqs.append(
                Requirement(qty, day, f"JIT: projected available {available} on {day} → {qty}")
            )
            available = safety
    return reqs
