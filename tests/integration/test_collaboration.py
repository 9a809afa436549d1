"""Supplier collaboration on SQLite and PostgreSQL: a reschedule re-promises at once,
scoping holds, VMI bounds are checked and reported — through the runtime and the CLI."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest

from subzero.bootstrap import Runtime
from subzero.domain import commands as c
from subzero.domain.errors import InvalidParameter, NotFound
from subzero.service.supplier_view import supplier_view, vmi_report
from subzero.service.views import order_view, purchase_orders

if TYPE_CHECKING:
    from tests.integration.conftest import Cli, Clock


def test_supplier_collaboration_end_to_end(runtime: Runtime, clock: Clock, cli: Cli) -> None:
    bus = runtime.bus
    bus.handle(c.AddSupplier("ACME", 5))
    bus.handle(c.AddSupplier("BETA", 7))
    bus.handle(c.AddCustomer("bob"))
    bus.handle(c.AddItem("W", "ACME", 0))
    bus.handle(c.AddItem("B1", "BETA", 0))
    order = bus.handle(c.PlaceOrder("bob", (c.OrderLineRequest("W", 6),)))
    (draft,) = purchase_orders(runtime.uow(), sku="W")
    bus.handle(c.SendPurchaseOrders((draft.po_id,)))
    day = clock.today

    # a quantity cut re-promises bob's line at once, to the later receipt
    clock.advance(days=2)
    with pytest.raises(NotFound, match=f"purchase order {draft.po_id} not found"):
        bus.handle(c.ReschedulePurchaseOrder(draft.po_id, "BETA", qty=1))
    update = bus.handle(c.ReschedulePurchaseOrder(draft.po_id, "ACME", qty=2))
    assert (update.shortfall, update.qty) == (4, 2)
    history = order_view(runtime.uow(), order).history
    last = [e for e in history if e["event"] == "PromiseChanged"][-1]
    assert (last["old_date"], last["new_date"]) == (
        (day + dt.timedelta(days=5)).isoformat(),
        (day + dt.timedelta(days=7)).isoformat(),
    )
    with runtime.uow() as uow:
        (event,) = [e for e in uow.events.history(po_id=draft.po_id) if e.type.endswith("duled")]
        assert (event.payload["old_qty"], event.payload["new_qty"]) == (6, 2)
        assert event.payload["shortfall"] == 4

    # scoping
    acme = supplier_view(runtime.uow(), "ACME", now=clock())
    assert [i.sku for i in acme.items] == ["W"]
    assert [(p.po_id, p.qty) for p in acme.purchase_orders] == [(draft.po_id, 2)]
    assert [i.sku for i in supplier_view(runtime.uow(), "BETA", now=clock()).items] == ["B1"]

    # VMI: bounds checked, the decision stored, the report built from the stored events
    bus.handle(c.SetVmi("B1", 2, 10))
    with pytest.raises(InvalidParameter, match="above the agreed maximum 10"):
        bus.handle(c.PlaceVmiOrder("B1", "BETA", 11))
    clock.advance(days=1)
    vmi_po = bus.handle(c.PlaceVmiOrder("B1", "BETA", 8))
    with runtime.uow() as uow:
        stored = uow.purchase_orders.get(vmi_po)
        item = uow.items.get("B1")
        assert stored is not None and item is not None
        assert (stored.source, str(stored.status)) == ("vmi", "sent")
        assert (item.vmi_min, item.vmi_max) == (2, 10)
    (row,) = vmi_report(runtime.uow(), now=clock(), days=2)
    assert (row.sku, row.review_days, row.days_below_min, row.inventory_position) == (
        "B1",
        2,
        1,
        8,
    )

    # the same through the CLI
    view = cli.json("supplier-view", "BETA")
    assert [(i["sku"], i["vmi"]) for i in view["items"]] == [
        ("B1", {"min": 2, "max": 10, "room": 2})
    ]
    refused = cli("vmi", "order", "B1", "--supplier", "BETA", "--qty", "5")
    assert refused.returncode == 1 and refused.stderr.startswith("error[invalid_parameter]")
    confirmed = cli.json("po", "confirm", str(draft.po_id), "--supplier", "ACME")
    assert (confirmed["po_id"], confirmed["qty"]) == (draft.po_id, 2)
    assert [r["sku"] for r in cli.json("vmi", "report")] == ["B1"]
