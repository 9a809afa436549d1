"""Service tests on the in-memory unit of work: the real use cases, no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from tests.fakes import FakeUnitOfWork, _Store

from subzero.domain import commands as c
from subzero.service.messagebus import MessageBus


@dataclass
class Clock:
    current: dt.datetime = field(
        default_factory=lambda: dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    )

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += dt.timedelta(**kwargs)


@dataclass
class Shop:
    bus: MessageBus
    clock: Clock
    store: _Store

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)

    def order(self, customer: str, sku: str, qty: int) -> int:
        return int(self.bus.handle(c.PlaceOrder(customer, (c.OrderLineRequest(sku, qty),))))


@pytest.fixture
def shop() -> Shop:
    """ACME (lead time 5 d), bob (priority 5), alice (priority 1), W with 3 on hand."""
    store = _Store()
    clock = Clock()
    bus = MessageBus(lambda: FakeUnitOfWork(store), clock=clock.now)
    bus.handle(c.AddSupplier("ACME", 5))
    bus.handle(c.AddCustomer("bob", 5))
    bus.handle(c.AddCustomer("alice", 1))
    bus.handle(c.AddItem("W", "ACME", 3))
    return Shop(bus, clock, store)
