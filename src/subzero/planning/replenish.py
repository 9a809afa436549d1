"""Purchase proposals for one item from its net requirements (issue 7's planning run).

Pure functions over frozen dataclasses and arrays: the service layer calls ``plan_item``
per item, a Dask run calls ``plan_items`` per partition (inputs and outputs pickle, no
global state, same inputs → same proposals). docs/replenishment.md has worked examples.

The requirements come from ``netting`` (inventory position, policy and JIT netting,
backorders; its names are importable from here too). Rules, in words:

* **Backorders at risk**: if the normal lead time lands after the earliest promise, the
  promise is **at risk** and the plan proposes the expedite option or a faster supplier
  (``expedite=True``), stating the waiting days saved and the extra cost.
* **JIT items** take the smallest allowed lots, arriving just before the need.
* **Proposals** group the requirements of one need period (``settings.period_days``) and
  kind (normal / backorder) and are sourced by ``sourcing.split_requirement``, in date
  order; units a proposal brings beyond its need (MOQ, lots, a price break) cover the
  next needs first. Each has a
  key (sku, supplier, due period, expedite); the plan holds one proposal per key.
* **Drafts** (open orders not yet sent) are reconciled with the proposals key by key
  (``merge_with_open_orders``), so re-running the plan never double-orders.
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
from subzero.planning.netting import (
    ItemState,
    NetRequirements,
    OpenOrder,
    Requirement,
    net_requirements,
)
from subzero.planning.policies.kinds import Policy
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
