"""Property: whatever the terms and the position, proposals are allowed quantities
(≥ MOQ, lot multiples), fit each supplier's capacity window, are never ordered before
today, and together cover every requirement (nothing left unsourced while capacity
lasts), and re-running the plan once they are drafts proposes nothing new."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal as D

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subzero.planning.policies.kinds import BaseStock, MakeToOrder
from subzero.planning.replenish import (
    ItemPlanInput,
    ItemState,
    OpenOrder,
    merge_with_open_orders,
    plan_item,
    proposal_key,
)
from subzero.planning.sourcing import (
    CapacityPeriod,
    PriceBreak,
    SourcingSettings,
    SupplierTerms,
    period_start,
)

TODAY = dt.date(2026, 11, 23)


@st.composite
def terms(draw: st.DrawFn, name: str) -> SupplierTerms:
    moq = draw(st.integers(1, 40))
    lot = draw(st.integers(1, 15))
    smallest = lot * -(-moq // lot)
    capacity = draw(st.none() | st.integers(smallest, smallest + 200))
    breaks = draw(st.sampled_from([(), (PriceBreak(50, D("9")),), (PriceBreak(30, D("9.5")),)]))
    return SupplierTerms(
        name,
        draw(st.integers(0, 12)),
        D("10"),
        price_breaks=breaks,
        moq=moq,
        lot_size=lot,
        capacity=capacity,
        capacity_period=draw(st.sampled_from(list(CapacityPeriod))),
        reliability=draw(st.floats(0.5, 1.0)),
        preferred=draw(st.booleans()),
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=terms("first"),
    second=st.none() | terms("second"),
    backordered=st.integers(0, 400),
    on_hand=st.integers(0, 50),
    per_day=st.floats(0.0, 12.0),
    stocked=st.booleans(),
    jit=st.booleans(),
    period_days=st.sampled_from([1, 7]),
)
def test_proposals_respect_terms_and_cover_requirements(
    first: SupplierTerms,
    second: SupplierTerms | None,
    backordered: int,
    on_hand: int,
    per_day: float,
    stocked: bool,
    jit: bool,
    period_days: int,
) -> None:
    suppliers = (first,) if second is None else (first, second)
    if sum(t.preferred for t in suppliers) > 1:
        suppliers = (first,)
    policy = BaseStock(60) if stocked else MakeToOrder()
    state = ItemState("SKU-1", on_hand=on_hand, backordered=backordered)
    item = ItemPlanInput(state, policy, np.full(21, per_day), suppliers, jit=jit)
    plan = plan_item(item, today=TODAY, settings=SourcingSettings(period_days=period_days))

    by_name = {t.supplier: t for t in suppliers}
    booked: dict[tuple[str, dt.date], int] = {}
    for prop in plan.proposals:
        t = by_name[prop.supplier]
        assert t.allows(prop.qty), (prop, t)
        assert prop.order_date >= TODAY and prop.due_date >= prop.order_date
        assert prop.unit_price == t.price_for(prop.qty)
        if t.capacity is not None:
            window = max(t.capacity_period.days, period_days)
            key = (t.supplier, period_start(prop.due_date, window))
            booked[key] = booked.get(key, 0) + prop.qty
            assert booked[key] <= t.capacity * window // t.capacity_period.days
    needed = sum(r.qty for r in plan.requirements)
    assert sum(p.qty for p in plan.proposals) + plan.unsourced >= needed

    # nothing is left unsourced unless the capacity of the 13 spill periods runs out
    def window_limit(t: SupplierTerms) -> int:
        window = max(t.capacity_period.days, period_days)
        return t.largest_order((t.capacity or 0) * window // t.capacity_period.days)

    if all(t.capacity is None or window_limit(t) * 13 >= needed for t in suppliers):
        assert plan.unsourced == 0
    keys = [proposal_key(p, period_days) for p in plan.proposals]
    assert len(keys) == len(set(keys))
    # re-running once the proposals are drafts never double-orders
    drafts = tuple(OpenOrder(p.supplier, p.qty, p.due_date, draft=True) for p in plan.proposals)
    again = plan_item(
        replace(item, state=replace(state, open_orders=drafts)),
        today=TODAY,
        settings=SourcingSettings(period_days=period_days),
    )
    merged = merge_with_open_orders(again.proposals, drafts, sku="SKU-1", period_days=period_days)
    assert merged.proposals == () and merged.surplus == ()
