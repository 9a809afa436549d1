"""Multi-sourcing and expedite: the split MIP against hand-computed optima, a pinned
supplier, and the expedite decision (at risk / not at risk / faster supplier)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal as D

import numpy as np
import pytest

from subzero.planning.policies.kinds import MakeToOrder
from subzero.planning.replenish import ItemPlan, ItemPlanInput, ItemState, plan_item
from subzero.planning.sourcing import ExpediteOption, SourcingSettings, SupplierTerms

TODAY = dt.date(2026, 11, 23)
DAY = dt.timedelta(days=1)
# unreliability penalty c_u = 2 per unit: landed cost = price + (1 - reliability) x 2
PENALTY = SourcingSettings(unreliability_cost_per_unit=D("2"))


def mto(
    backordered: int,
    *suppliers: SupplierTerms,
    settings: SourcingSettings = PENALTY,
    promised: dt.date | None = None,
) -> ItemPlan:
    state = ItemState("SKU-1", on_hand=0, backordered=backordered, promised_date=promised)
    item = ItemPlanInput(state, MakeToOrder(), np.full(28, 5.0), tuple(suppliers))
    return plan_item(item, today=TODAY, settings=settings)


def by_supplier(plan: ItemPlan) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in plan.proposals:
        out[p.supplier] = out.get(p.supplier, 0) + p.qty
    return out


# A: cheaper but unreliable (landed 10 + 0.3 x 2 = 10.60), at most 60 a week, lots of 10.
# B: dearer but reliable (landed 11 + 0.02 x 2 = 11.04). Same lead time, both on time.
CHEAP = SupplierTerms("cheap", 7, D("10"), lot_size=10, capacity=60, reliability=0.7)
SURE = SupplierTerms("sure", 7, D("11"), reliability=0.98)


def _landed(a: int, b: int, b_moq: int = 1) -> float | None:
    if a + b < 100 or (0 < b < b_moq):
        return None
    return a * 10.6 + b * 11.04


def test_split_cheap_unreliable_and_dear_reliable_matches_hand_optimum() -> None:
    # by hand: A takes its capacity 60 (10.60 < 11.04), B the other 40: 636 + 441.60
    plan = mto(100, CHEAP, SURE)
    assert by_supplier(plan) == {"cheap": 60, "sure": 40}
    brute = min(
        c
        for a, b in itertools.product(range(0, 61, 10), range(0, 101))
        if (c := _landed(a, b)) is not None
    )
    assert brute == 60 * 10.6 + 40 * 11.04 == _landed(60, 40)
    assert "split 100 by landed cost" in plan.proposals[0].reason


def test_split_follows_the_unreliability_penalty() -> None:
    # with c_u = 5: A lands at 11.50, B at 11.10 -> B takes everything
    plan = mto(100, CHEAP, SURE, settings=SourcingSettings(unreliability_cost_per_unit=D("5")))
    assert by_supplier(plan) == {"sure": 100}


def test_split_mip_weighs_unreliability() -> None:
    # c_u = 5: A lands at 11.50, B at 11.10; B in lots of 7 (so no single-supplier fast
    # path). Cheapest cover by hand: 10a + 7b >= 100, a <= 6 lots -> A30 + B70 = 1122.00
    # (A60 + B42 would win at 1062.00 if unreliability were ignored).
    sure = SupplierTerms("sure", 7, D("11"), reliability=0.98, lot_size=7)
    settings = SourcingSettings(unreliability_cost_per_unit=D("5"))
    plan = mto(100, CHEAP, sure, settings=settings)
    assert by_supplier(plan) == {"cheap": 30, "sure": 70}
    brute = min(
        (a * 11.5 + b * 11.1, a, b)
        for a, b in itertools.product(range(0, 61, 10), range(0, 106, 7))
        if a + b >= 100
    )
    assert brute[1:] == (30, 70) and brute[0] == pytest.approx(1122.0)


def test_split_respects_moq_with_a_binary() -> None:
    # B needs at least 50: A60+B40 is not allowed; A60+B50 (1188.00 + holding) and
    # A50+B50 (530 + 552 = 1082.00) remain: the optimum is 50/50.
    sure = SupplierTerms("sure", 7, D("11"), reliability=0.98, moq=50)
    plan = mto(100, CHEAP, sure)
    assert by_supplier(plan) == {"cheap": 50, "sure": 50}
    brute = min(
        (c, a, b)
        for a, b in itertools.product(range(0, 61, 10), range(0, 101))
        if (c := _landed(a, b, 50)) is not None
    )
    assert brute[1:] == (50, 50)


def test_one_clearly_cheapest_supplier_takes_all_without_a_split() -> None:
    plan = mto(100, SupplierTerms("cheap", 7, D("10")), SURE)
    assert by_supplier(plan) == {"cheap": 100}
    assert "lowest landed cost" in plan.proposals[0].reason


def test_pinned_supplier_takes_all_it_can() -> None:
    # B pinned with 70 a week: it takes 70 although A is cheaper; A takes the rest.
    pinned = SupplierTerms("sure", 7, D("11"), capacity=70, preferred=True)
    plan = mto(100, SupplierTerms("cheap", 7, D("10")), pinned)
    assert by_supplier(plan) == {"sure": 70, "cheap": 30}
    assert all("pinned" in p.reason for p in plan.proposals if p.supplier == "sure")


def test_expedite_when_the_promise_is_at_risk() -> None:
    # lead 10, promise in 5 days: normal arrival today+10 misses it. Expedite (3 days,
    # +2.50/unit): ordered today+2, due today+5: saves 5 waiting days, +50.00 for 20.
    acme = SupplierTerms("acme", 10, D("10.00"), expedite=ExpediteOption(3, D("2.50")))
    (prop,) = mto(20, acme, promised=TODAY + 5 * DAY).proposals
    assert prop.expedite
    assert (prop.qty, prop.order_date, prop.due_date) == (20, TODAY + 2 * DAY, TODAY + 5 * DAY)
    assert prop.unit_price == D("12.50")
    assert "saves 5 waiting days" in prop.reason
    assert "+2.50/unit" in prop.reason and "+50.00 in total" in prop.reason


def test_no_expedite_when_the_promise_is_safe() -> None:
    acme = SupplierTerms("acme", 10, D("10.00"), expedite=ExpediteOption(3, D("2.50")))
    (prop,) = mto(20, acme, promised=TODAY + 15 * DAY).proposals
    assert not prop.expedite
    assert (prop.due_date, prop.unit_price) == (TODAY + 10 * DAY, D("10.00"))


def test_without_an_expedite_option_a_faster_supplier_is_proposed() -> None:
    slow = SupplierTerms("slow", 10, D("10.00"))
    fast = SupplierTerms("fast", 4, D("11.00"))
    (prop,) = mto(20, slow, fast, promised=TODAY + 5 * DAY).proposals
    assert (prop.supplier, prop.expedite, prop.due_date) == ("fast", True, TODAY + 5 * DAY)
    assert "faster supplier fast" in prop.reason and "saves 5 waiting days" in prop.reason
    assert "+1.00/unit" in prop.reason


def test_no_faster_way_means_no_expedite() -> None:
    (prop,) = mto(20, SupplierTerms("slow", 10, D("10")), promised=TODAY + 5 * DAY).proposals
    assert not prop.expedite and "late" in prop.reason
