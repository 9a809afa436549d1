"""After anything changes for an item, put it back in order — in one place.

``rebalance`` runs inside the caller's transaction, with the item's row locked:

1. **allocate** free on-hand units to waiting lines by the allocation rule
   (priority, then promise date at risk, then order time);
2. **replenish** by the item's policy (make-to-order by default): create or top up the
   one draft purchase order for (item, supplier, due week) by what the policy asks; if
   drafts are more than the policy's target needs (an order was cancelled), reduce them,
   latest first. Re-running on an unchanged position changes nothing. A vendor-managed
   item is left to its supplier;
3. **re-promise** every open line from free stock, open purchase orders and the
   supplier's lead time, stated and as its recent deliveries kept it, allowing for
   what customers ranked ahead of each line are expected to order meanwhile
   (``domain.promise``); each changed promise is a ``PromiseChanged`` event.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from subzero.domain.allocation import allocate
from subzero.domain.events import (
    LineAllocated,
    PromiseChanged,
    PurchaseOrderChanged,
    PurchaseOrderCreated,
)
from subzero.domain.items import Item
from subzero.domain.orders import OrderLine
from subzero.domain.position import StockPosition, stock_position
from subzero.domain.promise import DemandAhead, promise_lines
from subzero.domain.purchasing import POStatus, PurchaseOrder, due_period
from subzero.planning.policies.kinds import (
    PolicyKind,
    order_quantity,
    policy_from_text,
    target_level,
)
from subzero.service.context import Context
from subzero.service.lead_times import incoming_of, promise_lead_time
from subzero.service.unit_of_work import UnitOfWork

__all__ = ["ReplenishmentChange", "draft_changed", "position_of", "rebalance"]

logger = logging.getLogger(__name__)

SETTLE_PASSES = 3
"""At most this many passes of ``promise_lines`` settle the first promises of new lines."""

PREEMPTION_WINDOW_DAYS = 28
"""Recent demand by priority over this many days sets how fast customers ranked ahead of
a waiting line are expected to order (``domain.promise``)."""


@dataclass(frozen=True, slots=True)
class ReplenishmentChange:
    """What replenishment did to one item's draft purchase order."""

    sku: str
    po_id: int
    old_qty: int
    new_qty: int


def position_of(uow: UnitOfWork, item: Item) -> StockPosition:
    return stock_position(
        item.sku, item.on_hand, uow.orders.open_lines(item), uow.purchase_orders.open_for(item)
    )


def rebalance(
    uow: UnitOfWork, item: Item, ctx: Context, *, source: str = "receipt"
) -> list[ReplenishmentChange]:
    """Allocate, replenish and re-promise one (locked) item; see the module docstring."""
    lines = uow.orders.open_lines(item)
    _allocate_free_stock(uow, item, lines, ctx, source)
    changes = _replenish(uow, item, lines, ctx)
    _repromise(uow, item, lines, ctx)
    return changes


def _allocate_free_stock(
    uow: UnitOfWork, item: Item, lines: Sequence[OrderLine], ctx: Context, source: str
) -> None:
    free = item.on_hand - sum(line.allocated for line in lines)
    if free <= 0:
        return
    by_id = {line.id: line for line in lines}
    for allocation in allocate(free, lines, ctx.today):
        line = by_id[allocation.line_id]
        line.allocate(allocation.units, ctx.now)
        assert line.id is not None and line.order.id is not None
        uow.record(
            LineAllocated(line.order.id, line.id, item.sku, allocation.units, source), ctx.now
        )


def _replenish(
    uow: UnitOfWork, item: Item, lines: Sequence[OrderLine], ctx: Context
) -> list[ReplenishmentChange]:
    if item.vmi:
        return []  # vendor-managed: the supplier replenishes within the agreed bounds
    policy = policy_from_text(item.policy)
    pos = uow.purchase_orders.open_for(item)
    drafts = [po for po in pos if po.status is POStatus.DRAFT]
    for po in drafts:
        po.refresh_draft(ctx.today)
    ip = stock_position(item.sku, item.on_hand, lines, pos).inventory_position
    need = order_quantity(policy, ip, day=ctx.today.toordinal())
    excess = ip - target_level(policy)
    reason = (
        "make-to-order: covers backorders below zero"
        if policy.kind is PolicyKind.MAKE_TO_ORDER
        else f"{item.policy}: inventory position {ip}"
    )
    if need > 0:
        # the one draft for (item, supplier, this due period): top it up, or create it
        period = due_period(ctx.today + dt.timedelta(days=item.supplier.lead_time_days))
        draft = next(
            (
                po
                for po in drafts
                if po.supplier.id == item.supplier.id
                and not po.expedite
                and po.due_period == period
            ),
            None,
        )
        if draft is None:
            draft = PurchaseOrder(item, item.supplier, need, now=ctx.now, reason=reason)
            uow.purchase_orders.add(draft)
            uow.flush()
            assert draft.id is not None
            uow.record(
                PurchaseOrderCreated(draft.id, item.sku, item.supplier.name, need, reason),
                ctx.now,
            )
            logger.info("PO %s created: %d x %s (%s)", draft.id, need, item.sku, reason)
            return [ReplenishmentChange(item.sku, draft.id, 0, need)]
        old = draft.qty
        draft.top_up(need)
        return [draft_changed(uow, draft, old, reason, ctx)]
    changes = []
    own = [po for po in drafts if po.source == "replenish"]  # planned orders stay as planned
    for draft in sorted(own, key=lambda po: (po.expected_date, po.id or 0), reverse=True):
        if excess <= 0:
            break
        old = draft.qty
        cut = min(excess, draft.qty)
        draft.reduce(cut)
        excess -= cut
        changes.append(draft_changed(uow, draft, old, "reduced: no longer needed", ctx))
    return changes


def draft_changed(
    uow: UnitOfWork, draft: PurchaseOrder, old: int, reason: str, ctx: Context
) -> ReplenishmentChange:
    """Record that ``draft`` went from ``old`` units to its quantity now, and why."""
    assert draft.id is not None
    uow.record(PurchaseOrderChanged(draft.id, draft.item.sku, old, draft.qty, reason), ctx.now)
    logger.info("PO %s changed: %d -> %d (%s)", draft.id, old, draft.qty, reason)
    return ReplenishmentChange(draft.item.sku, draft.id, old, draft.qty)


@dataclass(frozen=True, slots=True)
class _Tentative:
    """A waiting line never promised, seen with the first promise it is about to get."""

    id: int | None
    priority: int
    first_promised_date: dt.date | None
    placed_at: dt.datetime
    backordered: int


def _repromise(uow: UnitOfWork, item: Item, lines: Sequence[OrderLine], ctx: Context) -> None:
    # the repository caches each supplier's reads
    incoming = [incoming_of(uow, po) for po in uow.purchase_orders.open_for(item)]
    lead, preemption = promise_lead_time(uow, item.supplier), _preemption(uow, item, lines, ctx)
    # A line never promised sorts last among its priority (the allocation rule's promise
    # date at risk), and once promised it sorts by that date: promise again with the
    # dates about to be told until they settle, so the next run keeps them.
    never = {line.id for line in lines if line.first_promised_date is None}
    told: dict[int | None, dt.date] = {}
    for _ in range(SETTLE_PASSES):
        view = [
            _Tentative(ln.id, ln.priority, told[ln.id], ln.placed_at, ln.backordered)
            if ln.id in told
            else ln
            for ln in lines
        ]
        promises = promise_lines(
            today=ctx.today,
            lines=view,
            incoming=incoming,
            replenishment_lead_time=lead,
            confidence=ctx.promise_confidence,
            preemption=preemption,
        )
        settled = {p.line_id: p.date for p in promises if p.line_id in never}
        if settled == told:
            break
        told = settled
    by_id = {line.id: line for line in lines}
    for promise in promises:
        _set_promise(uow, by_id[promise.line_id], promise.date, promise.probability, ctx)
    for line in lines:
        if line.backordered == 0 and line.promised_date is None:
            _set_promise(uow, line, ctx.today, 1.0, ctx)


def _preemption(
    uow: UnitOfWork, item: Item, lines: Sequence[OrderLine], ctx: Context
) -> Callable[[int], DemandAhead] | None:
    """What customers ranked ahead of a priority may yet order of the item: the lines
    they placed over the last ``PREEMPTION_WINDOW_DAYS``, their rate and sizes; None
    when no line waits (nothing to promise)."""
    if not any(line.backordered > 0 for line in lines):
        return None
    since = ctx.now - dt.timedelta(days=PREEMPTION_WINDOW_DAYS)
    by_priority = uow.orders.line_sizes_by_priority(item, since=since)

    @cache
    def ahead(priority: int) -> DemandAhead:
        sizes: dict[int, int] = {}
        for p, seen in by_priority.items():
            if p < priority:
                for units, count in seen.items():
                    sizes[units] = sizes.get(units, 0) + count
        return DemandAhead.observed(sizes, PREEMPTION_WINDOW_DAYS)

    return ahead


def _set_promise(
    uow: UnitOfWork, line: OrderLine, day: dt.date, probability: float, ctx: Context
) -> None:
    line.promise_probability = round(probability, 4)
    if line.promised_date == day:
        return
    old = line.promised_date
    line.promised_date = day
    if line.first_promised_date is None:
        line.first_promised_date = day
        line.first_promise_probability = line.promise_probability
    assert line.id is not None and line.order.id is not None
    uow.record(
        PromiseChanged(line.order.id, line.id, line.item.sku, old, day, round(probability, 4)),
        ctx.now,
    )
