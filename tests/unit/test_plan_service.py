"""The planning run on the in-memory unit of work: a slipped PO puts a promise at risk
and the run proposes an expedite; releasing it re-promises the line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.unit.conftest import Shop

from subzero.domain import commands as c
from subzero.service.planning_run import plan
from subzero.service.views import order_view, purchase_orders


def _stored_zero_forecast(shop: Shop) -> None:
    uow = shop.uow()
    uow.forecasts.add_run(shop.clock.current, 28, (0.5,), 0, 0.0)


def test_slipped_po_gets_an_expedite_proposal_and_release(shop: Shop) -> None:
    shop.bus.handle(
        c.SetSupplierTerms(
            "W",
            "ACME",
            unit_price=Decimal("10"),
            expedite_lead_time_days=1,
            expedite_cost_per_unit=Decimal("2.5"),
        )
    )
    order = shop.order("bob", "W", 7)  # 3 from stock, 4 backordered on a draft due in 5 days
    shop.bus.handle(c.SendPurchaseOrders())
    (po,) = [p for p in purchase_orders(shop.uow()) if p.status == "sent"]
    promised = order_view(shop.uow(), order).lines[0].promised_date
    assert promised == shop.clock.current.date() + dt.timedelta(days=5)
    store_po = shop.store.pos[po.po_id]
    store_po.reschedule(promised + dt.timedelta(days=6), None, today=shop.clock.current.date())
    _stored_zero_forecast(shop)

    run = plan(shop.uow(), shop.bus.context(), forecast_source="stored")
    (proposal,) = run.proposals
    assert proposal.expedite and proposal.qty == 4 and proposal.due_date <= promised
    assert "at risk" in proposal.reason

    shop.clock.advance(days=(proposal.order_date - shop.clock.current.date()).days)
    again = plan(shop.uow(), shop.bus.context(), forecast_source="stored")
    released = shop.bus.handle(c.ApplyProposals(again.proposals))
    assert len(released) == 1
    fast = shop.store.pos[released[0]]
    assert fast.expedite and fast.source == "plan" and fast.qty == 4
    line = order_view(shop.uow(), order).lines[0]
    assert line.promised_date is not None and line.promised_date <= promised
    # the next run proposes nothing more, and releasing again changes nothing
    final = plan(shop.uow(), shop.bus.context(), forecast_source="stored")
    assert final.proposals == ()
    assert shop.bus.handle(c.ApplyProposals(final.proposals)) == []
