"""Use cases on customer orders: place, cancel, ship."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable

from subzero.domain.commands import CancelOrder, PlaceOrder, ShipOrder
from subzero.domain.errors import InsufficientStock, InvalidParameter, InvalidState, NotFound
from subzero.domain.events import (
    DemandRefused,
    LineAllocated,
    LineBackordered,
    LineCancelled,
    LineShipped,
    OrderPlaced,
)
from subzero.domain.items import Item, validate_quantity
from subzero.domain.ledger import MoveKind, StockMove
from subzero.domain.orders import Order, OrderLine, OrderStatus
from subzero.service.context import Context
from subzero.service.rebalance import position_of, rebalance
from subzero.service.unit_of_work import UnitOfWork

__all__ = ["cancel_order", "lock_items", "place_order", "ship_order"]

logger = logging.getLogger(__name__)


def lock_items(uow: UnitOfWork, skus: Iterable[str]) -> dict[str, Item]:
    """Lock the items' rows in SKU order (a fixed order: no deadlocks between use cases)."""
    locked: dict[str, Item] = {}
    for sku in sorted(set(skus)):
        item = uow.items.get(sku, lock=True)
        if item is None:
            raise NotFound(f"SKU {sku!r} not found")
        locked[sku] = item
    return locked


def place_order(cmd: PlaceOrder, *, uow: UnitOfWork, ctx: Context) -> int:
    """Take an order for any quantity; returns the new order's id.

    Each line takes what free stock there is; the rest is **backordered** (available
    goes below zero). An item marked ``--no-negative`` (or whose backorder limit would
    be passed) refuses the whole order with ``InsufficientStock``: nothing is written
    for the order, but the refusal is recorded (``DemandRefused``, one event per item of
    the order) so the demand history still sees what the customer asked for.
    Make-to-order replenishment and promises follow at once (``rebalance``).
    """
    try:
        return _take_order(cmd, uow=uow, ctx=ctx)
    except InsufficientStock as refused:
        uow.rollback()
        asked: Counter[str] = Counter()
        for request in cmd.lines:
            asked[request.sku] += request.qty
        for sku, qty in sorted(asked.items()):
            uow.record(DemandRefused(sku, cmd.customer, qty, str(refused)), ctx.now)
        uow.commit()
        logger.info("order for %s refused and recorded as demand: %s", cmd.customer, refused)
        raise


def _take_order(cmd: PlaceOrder, *, uow: UnitOfWork, ctx: Context) -> int:
    if not cmd.lines:
        raise InvalidParameter("an order needs at least one line")
    for request in cmd.lines:
        validate_quantity(f"order line {request.sku}", request.qty)
    customer = uow.customers.get(cmd.customer)
    if customer is None:
        raise NotFound(f"customer {cmd.customer!r} not found")
    items = lock_items(uow, (r.sku for r in cmd.lines))
    positions = {sku: position_of(uow, item) for sku, item in items.items()}
    free = {sku: p.free for sku, p in positions.items()}
    waiting = {sku: p.backordered for sku, p in positions.items()}

    asked: Counter[str] = Counter()  # of each item, this order's lines so far
    order = Order(customer, ctx.now)
    for request in cmd.lines:
        asked[request.sku] += request.qty
        item = items[request.sku]
        line = OrderLine(item, request.qty, priority=customer.priority, placed_at=ctx.now)
        take = min(free[request.sku], request.qty)
        free[request.sku] -= take
        waiting[request.sku] += request.qty - take
        limit = item.max_backordered
        if limit is not None and waiting[request.sku] > limit:
            raise InsufficientStock(
                f"item {item.sku}: {positions[item.sku].available} available, "
                f"{asked[request.sku]} requested"
                + (
                    "; the item may not go below zero"
                    if limit == 0
                    else f"; at most {limit} units may be backordered"
                )
            )
        line.allocated = line.served_from_stock = take
        if take == request.qty:
            line.filled_at = ctx.now
        order.lines.append(line)
    uow.orders.add(order)
    uow.flush()
    assert order.id is not None
    uow.record(
        OrderPlaced(
            order.id,
            customer.name,
            [{"line_id": ln.id, "sku": ln.item.sku, "qty": ln.qty} for ln in order.lines],
        ),
        ctx.now,
    )
    for line in order.lines:
        assert line.id is not None
        if line.allocated:
            uow.record(
                LineAllocated(order.id, line.id, line.item.sku, line.allocated, "stock"), ctx.now
            )
        if line.backordered:
            uow.record(LineBackordered(order.id, line.id, line.item.sku, line.backordered), ctx.now)
    for item in items.values():
        rebalance(uow, item, ctx, source="stock")
    uow.commit()
    logger.info("order %s placed for %s: %d line(s)", order.id, customer.name, len(order.lines))
    return order.id


def _locked_order(uow: UnitOfWork, order_id: int) -> tuple[Order, dict[str, Item]]:
    order = uow.orders.get(order_id)
    if order is None:
        raise NotFound(f"order {order_id} not found")
    items = lock_items(uow, (line.item.sku for line in order.lines))
    order = uow.orders.get(order_id, refresh=True)  # re-read (with its lines) under the locks
    assert order is not None
    return order, items


def cancel_order(cmd: CancelOrder, *, uow: UnitOfWork, ctx: Context) -> int:
    """Cancel the open units of an order (every line, or ``cmd.line_ids``; only the
    backordered units with ``cmd.backordered_only``). Released allocations go to the
    next waiting backorder; a draft purchase order that the order alone caused is
    reduced."""
    order, items = _locked_order(uow, cmd.order_id)
    if order.status in (OrderStatus.SHIPPED, OrderStatus.CANCELLED):
        raise InvalidState(f"order {order.id} is {order.status}; nothing to cancel")
    assert order.id is not None
    on_order = {line.id for line in order.lines}
    unknown = [lid for lid in cmd.line_ids if lid not in on_order]
    if unknown:
        raise NotFound(f"line {unknown[0]} is not on order {order.id}")
    chosen = [ln for ln in order.lines if not cmd.line_ids or ln.id in cmd.line_ids]
    touched: set[str] = set()
    for line in chosen:
        if cmd.backordered_only:
            units, released = line.cancel_backordered(), 0
        else:
            units, released = line.open_qty, line.cancel()
        if units == 0:
            continue
        assert line.id is not None
        uow.record(LineCancelled(order.id, line.id, line.item.sku, units, released), ctx.now)
        touched.add(line.item.sku)
    if not touched:
        what = "backordered units" if cmd.backordered_only else "open units"
        lines = ", ".join(map(str, cmd.line_ids)) if cmd.line_ids else "any line"
        raise InvalidState(f"order {order.id}: no {what} on {lines}; nothing to cancel")
    for sku in sorted(touched):
        rebalance(uow, items[sku], ctx, source="release")
    uow.commit()
    return order.id


def ship_order(cmd: ShipOrder, *, uow: UnitOfWork, ctx: Context) -> int:
    """Ship every allocated unit of the order (a partial shipment when some still wait)."""
    order, items = _locked_order(uow, cmd.order_id)
    assert order.id is not None
    shipped_any = False
    for line in order.lines:
        units = line.ship()
        if units == 0:
            continue
        shipped_any = True
        item = items[line.item.sku]
        item.on_hand -= units
        uow.items.add_move(
            StockMove(item.id or 0, -units, MoveKind.SHIPMENT, ctx.now, f"order:{order.id}")
        )
        assert line.id is not None
        uow.record(LineShipped(order.id, line.id, item.sku, units), ctx.now)
    if not shipped_any:
        waiting = sum(line.backordered for line in order.lines)
        if waiting:
            promised = max(
                (ln.promised_date for ln in order.lines if ln.promised_date), default=None
            )
            raise InvalidState(
                f"order {order.id}: nothing ready to ship; {waiting} unit(s) backordered, "
                f"promised {promised}"
            )
        raise InvalidState(f"order {order.id} is {order.status}; nothing to ship")
    uow.commit()
    return order.id
