"""The message bus: one entry point for every command.

``bus.handle(cmd)`` opens a unit of work, runs the command's handler with the current
time, retries a transient conflict (PostgreSQL deadlock or serialisation failure), and
after the commit hands the stored events to the event handlers (notifications and
partner feeds subscribe here).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from subzero.domain import commands as c
from subzero.domain.events import DomainEvent
from subzero.service.context import Context, Progress
from subzero.service.unit_of_work import UnitOfWork

__all__ = ["COMMAND_HANDLERS", "EventHandler", "MessageBus", "handler_for"]

logger = logging.getLogger(__name__)

EventHandler = Callable[[DomainEvent], None]

# Command -> "module:function" in subzero.service, imported when first handled, so a
# command pays only for the use case it runs (the CLI starts fast).
COMMAND_HANDLERS: Mapping[type[c.Command], str] = {
    c.AddSupplier: "catalog:add_supplier",
    c.UpdateSupplier: "catalog:update_supplier",
    c.UpdateCustomer: "catalog:update_customer",
    c.UpdateItem: "catalog:update_item",
    c.AddCustomer: "catalog:add_customer",
    c.AddItem: "catalog:add_item",
    c.PlaceOrder: "orders:place_order",
    c.CancelOrder: "orders:cancel_order",
    c.ShipOrder: "orders:ship_order",
    c.ReceivePurchaseOrder: "purchasing:receive_purchase_order",
    c.SendPurchaseOrders: "purchasing:send_purchase_orders",
    c.Replenish: "purchasing:replenish",
    c.ApplyPolicy: "stock_policies:apply_policies",
    c.RunForecast: "forecasting:run_forecast",
    c.OverrideForecast: "forecasting:override_forecast",
    c.SetSupplierTerms: "supplier_terms:set_supplier_terms",
    c.ConfirmPurchaseOrder: "collaboration:confirm_purchase_order",
    c.ReschedulePurchaseOrder: "collaboration:reschedule_purchase_order",
    c.SetVmi: "collaboration:set_vmi",
    c.PlaceVmiOrder: "collaboration:place_vmi_order",
    c.ApplyProposals: "planning_run:apply_proposals",
}


def handler_for(command_type: type[c.Command]) -> Callable[..., Any]:
    """The use case that handles ``command_type``."""
    import importlib

    module, _, name = COMMAND_HANDLERS[command_type].partition(":")
    handler: Callable[..., Any] = getattr(
        importlib.import_module(f"subzero.service.{module}"), name
    )
    return handler


class MessageBus:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        *,
        clock: Callable[[], dt.datetime],
        promise_confidence: float = 0.9,
        event_handlers: Mapping[type[DomainEvent], Sequence[EventHandler]] | None = None,
        max_attempts: int = 5,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.promise_confidence = promise_confidence
        self.event_handlers = dict(event_handlers or {})
        self.max_attempts = max_attempts

    def context(self, progress: Progress | None = None) -> Context:
        return Context(
            now=self.clock(), promise_confidence=self.promise_confidence, progress=progress
        )

    def handle(self, cmd: c.Command, *, progress: Progress | None = None) -> Any:
        """Run ``cmd``'s use case; ``progress`` (see :class:`Context`) hears its stages."""
        handler = handler_for(type(cmd))
        for attempt in range(1, self.max_attempts + 1):
            uow = self.uow_factory()
            try:
                with uow:
                    result = handler(cmd, uow=uow, ctx=self.context(progress))
            except Exception as exc:
                if attempt < self.max_attempts and uow.is_retryable(exc):
                    logger.info("%s: transient conflict, retry %d", type(cmd).__name__, attempt)
                    continue
                raise
            for event in uow.published:
                for subscriber in self.event_handlers.get(type(event), ()):
                    subscriber(event)
            return result
        raise AssertionError("unreachable")
