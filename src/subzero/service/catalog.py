"""Use cases on master data: suppliers, customers, items."""

from __future__ import annotations

from subzero.domain.commands import (
    AddCustomer,
    AddItem,
    AddSupplier,
    UpdateCustomer,
    UpdateItem,
    UpdateSupplier,
)
from subzero.domain.errors import AlreadyExists, NotFound
from subzero.domain.events import (
    CustomerAdded,
    CustomerPriorityChanged,
    ItemAdded,
    ItemChanged,
    SupplierAdded,
    SupplierLeadTimeSet,
    VmiSet,
)
from subzero.domain.items import Customer, Item, Supplier, validate_quantity
from subzero.domain.ledger import MoveKind, StockMove
from subzero.domain.purchasing import POStatus
from subzero.planning.policies.kinds import policy_from_text
from subzero.service.context import Context
from subzero.service.orders import lock_items
from subzero.service.rebalance import draft_changed, rebalance
from subzero.service.unit_of_work import UnitOfWork

__all__ = [
    "add_customer",
    "add_item",
    "add_supplier",
    "update_customer",
    "update_item",
    "update_supplier",
]


def add_supplier(cmd: AddSupplier, *, uow: UnitOfWork, ctx: Context) -> str:
    supplier = Supplier(cmd.name, cmd.lead_time_days, cmd.lead_time_sd_days)
    if uow.suppliers.get(cmd.name) is not None:
        raise AlreadyExists(f"supplier {cmd.name!r} already exists")
    uow.suppliers.add(supplier)
    uow.record(
        SupplierAdded(supplier.name, supplier.lead_time_days, supplier.lead_time_sd_days),
        ctx.now,
    )
    uow.commit()
    return supplier.name


def update_supplier(cmd: UpdateSupplier, *, uow: UnitOfWork, ctx: Context) -> int:
    """Restate a supplier's lead time (``alerts`` says when its deliveries disagree).

    Promises then learn its lateness afresh, from orders sent from now on
    (``domain.promise``); every item it supplies, or has open orders from it, is
    re-promised at once. Its open orders that took the old lead time, and whose dates it
    has not moved itself, now expect the new one (``PurchaseOrder.restate_lead_time``).
    Returns how many orders that moved.
    """
    supplier = uow.suppliers.get(cmd.name)
    if supplier is None:
        raise NotFound(f"supplier {cmd.name!r} not found")
    old_days, old_sd = supplier.lead_time_days, supplier.lead_time_sd_days
    supplier.restate_lead_time(cmd.lead_time_days, cmd.lead_time_sd_days, ctx.now)
    uow.record(
        SupplierLeadTimeSet(
            supplier.name, old_days, supplier.lead_time_days, old_sd, supplier.lead_time_sd_days
        ),
        ctx.now,
    )
    skus = {item.sku for item in uow.items.list() if item.supplier.name == supplier.name}
    skus.update(
        po.item.sku for po in uow.purchase_orders.open_all() if po.supplier.name == supplier.name
    )
    moved = 0
    for item in lock_items(uow, skus).values():  # its orders change under the item's lock
        for po in uow.purchase_orders.open_for(item):
            if po.supplier.name == supplier.name:
                moved += po.restate_lead_time(old_days, supplier.lead_time_days, ctx.today)
        rebalance(uow, item, ctx)
    uow.commit()
    return moved


def add_customer(cmd: AddCustomer, *, uow: UnitOfWork, ctx: Context) -> str:
    customer = Customer(cmd.name, cmd.priority)
    if uow.customers.get(cmd.name) is not None:
        raise AlreadyExists(f"customer {cmd.name!r} already exists")
    uow.customers.add(customer)
    uow.record(CustomerAdded(customer.name, customer.priority), ctx.now)
    uow.commit()
    return customer.name


def add_item(cmd: AddItem, *, uow: UnitOfWork, ctx: Context) -> str:
    """Add an item; its opening stock is the first move of its ledger."""
    validate_quantity(f"item {cmd.sku}: on hand", cmd.on_hand, allow_zero=True)
    policy_from_text(cmd.policy)  # refuse a bad policy before anything is written
    supplier = uow.suppliers.get(cmd.supplier)
    if supplier is None:
        raise NotFound(f"supplier {cmd.supplier!r} not found")
    if uow.items.get(cmd.sku) is not None:
        raise AlreadyExists(f"SKU {cmd.sku!r} already exists")
    item = Item(
        cmd.sku,
        supplier,
        allow_negative=cmd.allow_negative,
        backorder_limit=cmd.backorder_limit,
        policy=cmd.policy,
        jit=cmd.jit,
    )
    uow.items.add(item)
    uow.flush()
    assert item.id is not None
    if cmd.on_hand:
        item.on_hand = cmd.on_hand
        uow.items.add_move(StockMove(item.id, cmd.on_hand, MoveKind.OPENING, ctx.now, "opening"))
    uow.record(ItemAdded(item.sku, supplier.name, cmd.on_hand), ctx.now)
    rebalance(uow, item, ctx)  # a policy other than make-to-order may order at once
    uow.commit()
    return item.sku


def update_customer(cmd: UpdateCustomer, *, uow: UnitOfWork, ctx: Context) -> int:
    """A new priority for a customer. Its waiting and allocated lines take it at once
    (allocation order, ``domain.allocation``), so the items they wait for are
    re-allocated as stock comes and re-promised now; units already allocated stay.
    Returns how many open lines changed priority."""
    customer = uow.customers.get(cmd.name)
    if customer is None:
        raise NotFound(f"customer {cmd.name!r} not found")
    old = customer.priority
    customer.reprioritise(cmd.priority)
    skus = {
        line.item.sku
        for order in uow.orders.list(customer=customer.name, open_only=True)
        for line in order.lines
        if line.open_qty > 0
    }
    items = lock_items(uow, skus)  # the lines change under their items' locks
    moved = 0
    for item in items.values():
        for line in uow.orders.open_lines(item):
            if line.order.customer.name == customer.name and line.priority != customer.priority:
                line.priority = customer.priority
                moved += 1
    uow.record(CustomerPriorityChanged(customer.name, old, customer.priority, moved), ctx.now)
    for item in items.values():
        rebalance(uow, item, ctx)
    uow.commit()
    return moved


def update_item(cmd: UpdateItem, *, uow: UnitOfWork, ctx: Context) -> str:
    """Change an item's supplier, below-zero rules or JIT flag.

    The rules judge new orders; orders already accepted stay. A new supplier gets the
    item's next purchase orders: the old supplier's unsent replenishment drafts are
    cancelled (an event each) and replenishment orders what is still needed from the
    new one; sent orders stay with the supplier that has them. A VMI agreement is the
    old supplier's: it ends (``VmiSet`` to no bounds), and the item's own policy buys
    from the new one until a new agreement is set.
    """
    item = lock_items(uow, [cmd.sku])[cmd.sku]
    supplier = item.supplier if cmd.supplier is None else uow.suppliers.get(cmd.supplier)
    if supplier is None:
        raise NotFound(f"supplier {cmd.supplier!r} not found")
    item.set_rules(
        allow_negative=cmd.allow_negative,
        backorder_limit=cmd.backorder_limit,
        remove_backorder_limit=cmd.remove_backorder_limit,
        jit=cmd.jit,
    )
    if supplier.name != item.supplier.name:
        old = item.supplier.name
        if item.vmi:
            bounds = (item.vmi_min, item.vmi_max)
            item.set_vmi(None, None)
            uow.record(VmiSet(item.sku, old, *bounds, None, None), ctx.now)
        item.supplier = supplier
        for po in uow.purchase_orders.open_for(item):
            if po.status is POStatus.DRAFT and po.supplier.name == old and po.source == "replenish":
                qty = po.qty
                po.reduce(qty)
                reason = f"cancelled: {item.sku} is now bought from {supplier.name}"
                draft_changed(uow, po, qty, reason, ctx)
    uow.record(
        ItemChanged(
            item.sku, item.supplier.name, item.allow_negative, item.backorder_limit, item.jit
        ),
        ctx.now,
    )
    rebalance(uow, item, ctx)
    uow.commit()
    return item.sku
