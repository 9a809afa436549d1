"""Use cases on purchase orders: receive, send, and the replenishment run."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from subzero.domain.commands import ReceivePurchaseOrder, Replenish, SendPurchaseOrders
from subzero.domain.errors import NotFound
from subzero.domain.events import PromiseChanged, PurchaseOrderSent, StockReceived
from subzero.domain.items import validate_quantity
from subzero.domain.ledger import MoveKind, StockMove
from subzero.domain.purchasing import POStatus, Receipt
from subzero.service.context import Context
from subzero.service.orders import lock_items
from subzero.service.rebalance import ReplenishmentChange, rebalance
from subzero.service.unit_of_work import UnitOfWork

__all__ = ["receive_purchase_order", "replenish", "send_purchase_orders"]

logger = logging.getLogger(__name__)


def receive_purchase_order(cmd: ReceivePurchaseOrder, *, uow: UnitOfWork, ctx: Context) -> int:
    """Book a delivery (whole, or ``qty`` units). Arriving units go to waiting backorders
    by priority, then promise date, then order time; promises are recomputed."""
    po = uow.purchase_orders.get(cmd.po_id)
    if po is None:
        raise NotFound(f"purchase order {cmd.po_id} not found")
    item = lock_items(uow, [po.item.sku])[po.item.sku]
    po = uow.purchase_orders.get(cmd.po_id, refresh=True)  # re-read under the item's lock
    assert po is not None and po.id is not None and item.id is not None
    units = po.outstanding if cmd.qty is None else validate_quantity(f"PO {po.id} receipt", cmd.qty)
    po.receive(units, ctx.now)
    item.on_hand += units
    uow.items.add_move(StockMove(item.id, units, MoveKind.RECEIPT, ctx.now, f"po:{po.id}"))
    uow.purchase_orders.add_receipt(Receipt(po, units, ctx.now))
    uow.record(StockReceived(po.id, item.sku, units, item.on_hand), ctx.now)
    rebalance(uow, item, ctx, source="receipt")
    uow.commit()
    logger.info("PO %s: received %d x %s", po.id, units, item.sku)
    return po.id


def send_purchase_orders(cmd: SendPurchaseOrders, *, uow: UnitOfWork, ctx: Context) -> list[int]:
    """Send drafts to their suppliers (all drafts, or the ones named); the lead time
    starts now and the items' lines are re-promised."""
    if cmd.po_ids:
        drafts = []
        for po_id in dict.fromkeys(cmd.po_ids):  # each once, in the order given
            po = uow.purchase_orders.get(po_id)
            if po is None:
                raise NotFound(f"purchase order {po_id} not found")
            drafts.append(po)
    else:
        drafts = list(uow.purchase_orders.list(status=POStatus.DRAFT))
    items = lock_items(uow, (po.item.sku for po in drafts))
    sent: list[int] = []
    for po in drafts:
        fresh = uow.purchase_orders.get(po.id or 0, refresh=True)
        assert fresh is not None and fresh.id is not None
        fresh.send(ctx.now)
        uow.record(
            PurchaseOrderSent(
                fresh.id, fresh.item.sku, fresh.supplier.name, fresh.qty, fresh.expected_date
            ),
            ctx.now,
        )
        sent.append(fresh.id)
    for item in items.values():
        rebalance(uow, item, ctx)
    uow.commit()
    return sent


@dataclass(frozen=True, slots=True)
class ReplenishResult:
    """What a replenishment run changed: draft purchase orders, and the promises that
    moved with the day's knowledge (an order running late, new demand ahead)."""

    changes: tuple[ReplenishmentChange, ...]
    repromised: tuple[PromiseChanged, ...]


def replenish(cmd: Replenish, *, uow: UnitOfWork, ctx: Context) -> ReplenishResult:
    """Run replenishment for every item (or the ones named) and re-promise their waiting
    lines. Idempotent: on an unchanged position it changes nothing and creates no second
    purchase order."""
    skus = list(cmd.skus) or [item.sku for item in uow.items.list()]
    changes: list[ReplenishmentChange] = []
    for item in lock_items(uow, skus).values():
        changes.extend(rebalance(uow, item, ctx))
    done = len(uow.published)
    uow.commit()
    moved = tuple(e for e in uow.published[done:] if isinstance(e, PromiseChanged))
    return ReplenishResult(tuple(changes), moved)
