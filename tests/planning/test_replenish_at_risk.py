"""Backorders covered only by an order due after their promise: expedite, never a
second normal order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np

from subzero.planning.policies.kinds import MakeToOrder
from subzero.planning.replenish import ItemPlanInput, ItemState, OpenOrder, plan_item
from subzero.planning.sourcing import ExpediteOption, SupplierTerms

TODAY = dt.date(2026, 3, 2)


def _state() -> ItemState:
    # 4 units wait, promised in 3 days; the PO that covers them slipped to day 8
    late = OpenOrder("ACME", 4, TODAY + dt.timedelta(days=8))
    return ItemState(
        "W",
        on_hand=0,
        allocated=0,
        backordered=4,
        open_orders=(late,),
        promised_date=TODAY + dt.timedelta(days=3),
    )


def test_slipped_order_is_expedited_when_an_option_keeps_the_promise() -> None:
    terms = SupplierTerms("ACME", 5, Decimal("10"), expedite=ExpediteOption(1, Decimal("2.50")))
    plan = plan_item(ItemPlanInput(_state(), MakeToOrder(), np.zeros(14), (terms,)), today=TODAY)
    (proposal,) = plan.proposals
    assert proposal.expedite and proposal.qty == 4 and proposal.supplier == "ACME"
    assert proposal.due_date <= TODAY + dt.timedelta(days=3)
    assert "saves" in proposal.reason and "+2.50/unit" in proposal.reason
    assert plan.unsourced == 0


def test_no_faster_option_means_no_second_order() -> None:
    terms = SupplierTerms("ACME", 5, Decimal("10"))
    plan = plan_item(ItemPlanInput(_state(), MakeToOrder(), np.zeros(14), (terms,)), today=TODAY)
    assert plan.proposals == () and plan.unsourced == 0


def test_a_faster_supplier_is_used_instead() -> None:
    slow = SupplierTerms("ACME", 5, Decimal("10"))
    fast = SupplierTerms("QUICK", 2, Decimal("12"))
    plan = plan_item(
        ItemPlanInput(_state(), MakeToOrder(), np.zeros(14), (slow, fast)), today=TODAY
    )
    (proposal,) = plan.proposals
    assert (proposal.supplier, proposal.qty, proposal.expedite) == ("QUICK", 4, True)


def test_once_expedited_nothing_more_is_proposed() -> None:
    terms = SupplierTerms("ACME", 5, Decimal("10"), expedite=ExpediteOption(1, Decimal("2.50")))
    state = _state()
    (proposal,) = plan_item(
        ItemPlanInput(state, MakeToOrder(), np.zeros(14), (terms,)), today=TODAY
    ).proposals
    fast = OpenOrder("ACME", proposal.qty, proposal.due_date, expedite=True)
    again = ItemState("W", 0, 0, 4, (*state.open_orders, fast), state.promised_date)
    assert (
        plan_item(
            ItemPlanInput(again, MakeToOrder(), np.zeros(14), (terms,)), today=TODAY
        ).proposals
        == ()
    )
