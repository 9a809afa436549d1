"""Time-phased net requirements and purchase proposals for one item (issue 7's planning run).

Pure functions over frozen dataclasses and arrays: the service layer calls ``plan_item``
per item, a Dask run calls ``plan_items`` per partition (inputs and outputs pickle, no
global state, same inputs → same proposals). docs/replenishment.md has worked examples.

Rules, in words:

* **Inventory position** (``subzero.domain.position``): IP = on hand − allocated −
  backordered + on order, where *on order* counts **firm** open orders (sent or
  confirmed). Drafts are the plan's own earlier output: netting ignores them and
  ``merge_with_open_orders`` subtracts them, key by key (regenerative planning, Orlicky's
  MRP; it keeps a re-run from double-ordering).
* **Policy netting** (``Policy`` from ``kinds.py``; Zipkin, *Foundations of Inventory
  Management*, ch. 6): on each review day t of the horizon (daily; (R,S) on its review
  days, ``day = date.toordinal()`` as in the service) the projected position
  IP_t = IP_0 + planned so far − rounded cumulative forecast before t is given to
  ``order_quantity``; an order of q > 0 is a requirement needed at t + L (L = the
  planning supplier's lead time at the service level), because the policy's parameters
  cover the lead-time demand. Make-to-order only covers IP_0 < 0 and ignores the forecast.
* **Backorders**: on day 0 the part of the order that covers backorders no stock or firm
  order covers (min(q_0, −IP_0)) is a requirement of its own, needed by the earliest
  promise (or today + L, whichever is first). If the normal lead time lands after that
  promise, the promise is **at risk** and the plan proposes the expedite option or a
  faster supplier (``expedite=True``), stating the waiting days saved and the extra cost.
* **JIT items** are netted lot-for-lot on projected *available* stock (MRP): firm
  receipts count on their expected dates, and a need arises the day projected available
  would fall below the safety buffer (lead-time-demand quantile − mean, 0 without one).
  Proposals take the smallest allowed lots and arrive just before the need.
* **Proposals** group the requirements of one need period (``settings.period_days``) and
  kind (normal / backorder) and are sourced by ``sourcing.split_requirement``, in date
  order; units a proposal brings beyond its need (MOQ, lots, a price break) cover the
  next needs first. Each has a
  key (sku, supplier, due period, expedite); the plan holds one proposal per key.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from subzero.domain.errors import InvalidParameter
from subzero.planning.policies.kinds import (
    MakeToOrder,
    Policy,
    order_quantity,
    policy_to_text,
)
from subzero.planning.sourcing import (
    CapacityBook,
    Proposal,
    SourcingContext,
    SourcingSettings,
    SupplierTerms,
    period_start,
    split_requirement,
)

__all__ = [
    "ItemPlan",
    "ItemPlanInput",
    "ItemState",
    "NetRequirements",
    "OpenOrder",
    "ProposalKey",
    "Reconciliation",
    "Requirement",
    "merge_with_open_orders",
    "net_requirements",
    "plan_item",
    "plan_items",
    "proposal_key",
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


@dataclass(frozen=True, slots=True, eq=False)
class ItemPlanInput:
    """Everything ``plan_item`` needs for one item (picklable: one Dask task's share).

    ``forecast`` is the mean demand per day from today, shape (horizon_days,);
    ``lead_time_demand_quantile`` (optional, JIT only) sets the safety buffer to its
    excess over the mean lead-time demand.
    """

    state: ItemState
    policy: Policy
    forecast: npt.NDArray[np.float64]
    suppliers: tuple[SupplierTerms, ...]
    jit: bool = False
    lead_time_demand_quantile: float | None = None


@dataclass(frozen=True, slots=True, eq=False)
class ItemPlan:
    """The plan of one item: its requirements, proposals and what no supplier could take."""

    sku: str
    requirements: tuple[Requirement, ...]
    proposals: tuple[Proposal, ...]
    unsourced: int
    inventory_position: IntArray
    projected_available: IntArray


@dataclass(frozen=True, slots=True, order=True)
class ProposalKey:
    """Idempotency key of a proposal: at most one open order per key."""

    sku: str
    supplier: str
    due_period: dt.date
    expedite: bool = False


def proposal_key(proposal: Proposal, period_days: int = 7) -> ProposalKey:
    """(sku, supplier, first day of the due period, expedite) of ``proposal``."""
    start = period_start(proposal.due_date, period_days)
    return ProposalKey(proposal.sku, proposal.supplier, start, proposal.expedite)


def _check_suppliers(sku: str, suppliers: Sequence[SupplierTerms]) -> SupplierTerms:
    if not suppliers:
        raise InvalidParameter(f"item {sku}: no supplier terms; give at least one supplier")
    names = [t.supplier for t in suppliers]
    if len(set(names)) != len(names):
        raise InvalidParameter(f"item {sku}: supplier listed twice in {names}")
    pinned = [t.supplier for t in suppliers if t.preferred]
    if len(pinned) > 1:
        raise InvalidParameter(f"item {sku}: {len(pinned)} suppliers pinned ({pinned}); pin one")
    return next((t for t in suppliers if t.preferred), suppliers[0])


def plan_item(
    item: ItemPlanInput, *, today: dt.date, settings: SourcingSettings | None = None
) -> ItemPlan:
    """Net requirements and purchase proposals of one item (see the module docstring).

    The planning lead time is the pinned supplier's, else the first listed supplier's, at
    ``settings.service_level``. Firm open orders use their supplier's capacity first.

    Raises:
        InvalidParameter: no supplier, a supplier listed twice, two pinned suppliers, or
            a bad forecast.
    """
    settings = settings or SourcingSettings()
    state, suppliers = item.state, item.suppliers
    primary = _check_suppliers(state.sku, suppliers)
    lead = primary.lead_time_days(settings.service_level)
    forecast = np.asarray(item.forecast, dtype=np.float64)
    safety = 0
    if item.jit and item.lead_time_demand_quantile is not None:
        mean_ltd = float(forecast[:lead].sum())
        safety = max(0, math.ceil(item.lead_time_demand_quantile - mean_ltd - 1e-9))
    net = net_requirements(
        state,
        item.policy,
        forecast,
        today=today,
        lead_time_days=lead,
        jit=item.jit,
        safety_stock=safety,
    )
    book = CapacityBook(settings.period_days)
    by_name = {t.supplier: t for t in suppliers}
    for order in state.open_orders:
        if not order.draft and order.supplier in by_name:
            book.book(by_name[order.supplier], max(order.expected_date, today), order.qty)
    per_day = float(forecast.mean()) if forecast.size else 0.0
    ctx = SourcingContext(state.sku, today, per_day, book, settings, item.jit)
    proposals: list[Proposal] = []
    unsourced = 0
    carry = 0  # units earlier proposals bring beyond their needs (lots, MOQ, price breaks)
    for group in _groups(net.requirements, settings.period_days):
        used = min(carry, group.qty)
        carry -= used
        if used == group.qty:
            continue
        if used:
            note = f"; {used} covered by the rounding of earlier proposals"
            group = replace(group, qty=group.qty - used, reason=group.reason + note)
        got: tuple[Proposal, ...] = ()
        if group.backorder:
            got = _expedite(ctx, suppliers, primary, group)
        if group.late_until is not None:
            proposals.extend(got)  # covered by the late order: expedite or nothing
            carry += max(0, sum(p.qty for p in got) - group.qty)
            continue
        rest = group.qty - sum(p.qty for p in got)
        if rest > 0:
            got += split_requirement(ctx, suppliers, rest, group.need_date, group.reason)
        proposals.extend(got)
        sourced = sum(p.qty for p in got)
        unsourced += max(0, group.qty - sourced)
        carry += max(0, sourced - group.qty)
    return ItemPlan(
        state.sku,
        net.requirements,
        _coalesce(proposals, by_name, settings.period_days),
        unsourced,
        net.inventory_position,
        net.projected_available,
    )


def plan_items(
    items: Iterable[ItemPlanInput], *, today: dt.date, settings: SourcingSettings | None = None
) -> list[ItemPlan]:
    """``plan_item`` over a partition of items (what one Dask task runs)."""
    settings = settings or SourcingSettings()
    return [plan_item(item, today=today, settings=settings) for item in items]


def _groups(reqs: Sequence[Requirement], period_days: int) -> list[Requirement]:
    """One requirement per (kind, need period): summed, needed on the earliest date."""
    groups: dict[tuple[bool, bool, dt.date], list[Requirement]] = {}
    for req in reqs:
        start = period_start(req.need_date, period_days)
        groups.setdefault((not req.backorder, req.late_until is not None, start), []).append(req)
    out = []
    for _, members in sorted(groups.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1])):
        first = min(members, key=lambda r: r.need_date)
        more = f" (+{len(members) - 1} more in the period)" if len(members) > 1 else ""
        promises = [r.promised_date for r in members if r.promised_date is not None]
        out.append(
            Requirement(
                sum(r.qty for r in members),
                first.need_date,
                first.reason + more,
                min(promises) if promises else None,
                first.backorder,
                max((r.late_until for r in members if r.late_until), default=None),
            )
        )
    return out


def _coalesce(
    proposals: Sequence[Proposal], by_name: dict[str, SupplierTerms], period_days: int
) -> tuple[Proposal, ...]:
    """Merge proposals that share a key (a spill meeting a later need): one per key."""
    keyed: dict[ProposalKey, list[Proposal]] = {}
    for prop in proposals:
        keyed.setdefault(proposal_key(prop, period_days), []).append(prop)
    out = []
    for members in keyed.values():
        if len(members) == 1:
            out.append(members[0])
            continue
        qty = sum(p.qty for p in members)
        first = min(members, key=lambda p: (p.due_date, p.order_date))
        price = first.unit_price if first.expedite else by_name[first.supplier].price_for(qty)
        reason = " | ".join(dict.fromkeys(p.reason for p in members))
        out.append(replace(first, qty=qty, unit_price=price, reason=reason))
    return tuple(sorted(out, key=lambda p: (p.due_date, p.supplier, p.expedite)))


def _expedite(
    ctx: SourcingContext,
    suppliers: Sequence[SupplierTerms],
    primary: SupplierTerms,
    group: Requirement,
) -> tuple[Proposal, ...]:
    """Expedite a backorder requirement whose promise the normal lead time would miss.

    Candidates: every supplier's expedite option and every other supplier's normal
    delivery that arrives before the primary's normal arrival (or, for units already on a
    late order, before that order). Among those that keep the
    promise the cheapest wins; if none keeps it, the earliest. Nothing if not at risk.
    """
    promised, need, today = group.promised_date, group.need_date, ctx.today
    level = ctx.settings.service_level
    normal_due = group.late_until or _arrival(today, need, primary.lead_time_days(level))
    if promised is None or normal_due <= promised:
        return ()
    best: tuple[tuple[bool, dt.date, Decimal, str], SupplierTerms, bool, dt.date, int] | None
    best = None
    for terms in suppliers:
        options = [(True, terms.expedite.extra_cost_per_unit)] if terms.expedite else []
        if terms is not primary:
            options.append((False, Decimal(0)))
        for by_option, extra in options:
            due = _arrival(today, need, terms.lead_time_days(level, expedited=by_option))
            free = ctx.book.free(terms, due)
            take = terms.smallest_order(group.qty)
            if free is not None and take > free:
                take = terms.largest_order(free)
            if due >= normal_due or take == 0:
                continue
            late = due > promised
            rank = (late, due if late else today, terms.price_for(take) + extra, terms.supplier)
            if best is None or rank < best[0]:
                best = (rank, terms, by_option, due, take)
    if best is None:
        return ()
    (_, _, unit, _), terms, by_option, due, take = best
    base = primary.price_for(primary.smallest_order(take))
    how = (
        f"expedite option of {terms.supplier}" if by_option else f"faster supplier {terms.supplier}"
    )
    saved = (normal_due - due).days
    reason = (
        f"{group.reason}; expedite: promise {promised} at risk (normal arrival {normal_due}); "
        f"{how} arrives {due}, saves {saved} waiting days for {unit - base:+.2f}/unit "
        f"({(unit - base) * take:+.2f} in total)"
    )
    ctx.book.book(terms, due, take)
    lead = dt.timedelta(days=terms.lead_time_days(level, expedited=by_option))
    return (Proposal(ctx.sku, terms.supplier, take, due - lead, due, unit, reason, expedite=True),)


def _arrival(today: dt.date, need: dt.date, lead_days: int) -> dt.date:
    lead = dt.timedelta(days=lead_days)
    return max(today, need - lead) + lead


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """Proposals against the item's drafts, key by key.

    ``proposals``: units still to order per key — the service tops up the draft with the
    same key if there is one, else creates a PO; ``surplus``: drafts holding more than the
    plan now wants, with the units to take off.
    """

    proposals: tuple[Proposal, ...]
    surplus: tuple[tuple[OpenOrder, int], ...]


def merge_with_open_orders(
    proposals: Sequence[Proposal],
    open_orders: Sequence[OpenOrder],
    *,
    sku: str,
    period_days: int = 7,
) -> Reconciliation:
    """Never propose what an open draft with the same key already covers.

    Firm orders were netted already and are left alone. Merging the same plan twice, or
    re-planning after its proposals became drafts, proposes nothing new.
    """
    covered: dict[ProposalKey, list[OpenOrder]] = {}
    for order in open_orders:
        if order.draft:
            start = period_start(order.expected_date, period_days)
            key = ProposalKey(sku, order.supplier, start, order.expedite)
            covered.setdefault(key, []).append(order)
    planned: dict[ProposalKey, int] = {}
    out = []
    for prop in proposals:
        key = proposal_key(prop, period_days)
        planned[key] = planned.get(key, 0) + prop.qty
        drafts = covered.get(key, [])
        held = sum(o.qty for o in drafts) - (planned[key] - prop.qty)
        if prop.qty > held:
            note = f"; {held} already on draft PO {drafts[0].po_id}" if held > 0 else ""
            out.append(replace(prop, qty=prop.qty - max(held, 0), reason=prop.reason + note))
    surplus = []
    for key, drafts in sorted(covered.items()):
        extra = sum(o.qty for o in drafts) - planned.get(key, 0)
        for order in sorted(drafts, key=lambda o: o.expected_date, reverse=True):
            if extra <= 0:
                break
            take = min(extra, order.qty)
            surplus.append((order, take))
            extra -= take
    return Reconciliation(tuple(out), tuple(surplus))
