"""Idempotency: one proposal per key (sku, supplier, due period); merging with open
orders never proposes what an open draft with the same key covers; re-running the plan
after its proposals became orders proposes nothing new; inputs and plans pickle."""

from __future__ import annotations

import datetime as dt
import pickle
from decimal import Decimal as D

import numpy as np

from subzero.planning.policies.kinds import BaseStock, MakeToOrder
from subzero.planning.replenish import (
    ItemPlanInput,
    ItemState,
    OpenOrder,
    merge_with_open_orders,
    plan_item,
    plan_items,
    proposal_key,
)
from subzero.planning.sourcing import Proposal, SupplierTerms

TODAY = dt.date(2026, 11, 23)
DAY = dt.timedelta(days=1)
ACME = SupplierTerms("acme", 7, D("10"), lot_size=5, capacity=40)


def _item(*orders: OpenOrder, policy: object = None) -> ItemPlanInput:
    state = ItemState("SKU-1", on_hand=0, backordered=90, open_orders=orders)
    return ItemPlanInput(state, policy or MakeToOrder(), np.full(28, 3.0), (ACME,))  # type: ignore[arg-type]


def _as_orders(props: tuple[Proposal, ...], *, draft: bool) -> tuple[OpenOrder, ...]:
    return tuple(
        OpenOrder(p.supplier, p.qty, p.due_date, draft=draft, po_id=i) for i, p in enumerate(props)
    )


def test_one_proposal_per_key() -> None:
    plan = plan_item(_item(policy=BaseStock(60)), today=TODAY)
    keys = [proposal_key(p) for p in plan.proposals]
    assert len(keys) == len(set(keys)) > 1


def test_re_planning_with_the_proposals_as_drafts_proposes_nothing_new() -> None:
    first = plan_item(_item(), today=TODAY)
    assert sum(p.qty for p in first.proposals) == 90  # 40 + 40 + 10 over three weeks
    drafts = _as_orders(first.proposals, draft=True)
    again = plan_item(_item(*drafts), today=TODAY)
    assert again.proposals == first.proposals  # drafts are reconciled, not netted
    merged = merge_with_open_orders(again.proposals, drafts, sku="SKU-1")
    assert merged.proposals == () and merged.surplus == ()


def test_re_planning_after_the_orders_were_sent_proposes_nothing() -> None:
    first = plan_item(_item(), today=TODAY)
    sent = _as_orders(first.proposals, draft=False)
    assert plan_item(_item(*sent), today=TODAY).proposals == ()


def test_merge_tops_up_a_draft_with_the_same_key_and_reports_surplus() -> None:
    props = plan_item(_item(), today=TODAY).proposals  # 40 due 30 Nov, 40 due 7 Dec, 10 ...
    drafts = (
        OpenOrder("acme", 25, TODAY + 8 * DAY, draft=True, po_id=7),  # same week as 30 Nov
        OpenOrder("acme", 15, TODAY + 40 * DAY, draft=True, po_id=8),  # a week not planned
        OpenOrder("acme", 40, TODAY + 14 * DAY, po_id=9),  # firm: netting's business
    )
    merged = merge_with_open_orders(props, drafts, sku="SKU-1")
    assert [(p.qty, p.due_date) for p in merged.proposals] == [
        (15, TODAY + 7 * DAY),
        (40, TODAY + 14 * DAY),
        (10, TODAY + 21 * DAY),
    ]
    assert "25 already on draft PO 7" in merged.proposals[0].reason
    assert [(o.po_id, units) for o, units in merged.surplus] == [(8, 15)]
    # merging again with the topped-up draft changes nothing
    topped = (OpenOrder("acme", 40, TODAY + 8 * DAY, draft=True, po_id=7),)
    assert merge_with_open_orders(props[:1], topped, sku="SKU-1").proposals == ()


def test_same_inputs_same_plan_and_everything_pickles() -> None:
    items = [_item(), _item(policy=BaseStock(60))]
    local = plan_items(items, today=TODAY)
    shipped = pickle.loads(pickle.dumps(items))
    remote = pickle.loads(pickle.dumps(plan_items(shipped, today=TODAY)))
    assert [p.proposals for p in remote] == [p.proposals for p in local]
    assert [p.requirements for p in remote] == [p.requirements for p in local]


def test_proposal_json_has_exactly_the_fields_of_issue_7() -> None:
    (prop, *_) = plan_item(_item(), today=TODAY).proposals
    assert prop.as_dict() == {
        "sku": "SKU-1",
        "supplier": "acme",
        "qty": 40,
        "order_date": "2026-11-23",
        "due_date": "2026-11-30",
        "unit_price": "10",
        "reason": prop.reason,
        "expedite": False,
    }
