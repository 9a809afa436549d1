"""Service tests on the in-memory unit of work: the real use cases, no database."""

from __future__ import annotations

import datetime as dt
import math
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


def lull(arrival_days: int, lines_per_day: float, lead_days: int = 5) -> tuple[int, float]:
    """(promised day, P(ready by it)) for a line with nothing to spare on a receipt due
    in ``arrival_days``, behind customers who place ``lines_per_day`` lines a day, each
    re-ordered and back ``lead_days`` later (``domain.promise._overtaken``), in closed
    form: the line is ready once a whole window of ``lead_days`` passed with no line
    ahead. By the receipt, P(some line came) = 1 − e^(−λ min(a, L)); the window only
    grows until L days have passed, and then, each quarter day it slides, a window that
    held a line still does with ρ = (1 − e^(−λ(L − ¼)) (1 − (1 − e^(−λ/4))²)) /
    (1 − e^(−λL)) (the part both windows share held one, or the quarter that left and
    the one that came each did). The promise is the first day's end with P ≥ 0.9."""
    lam, q = lines_per_day, lead_days * 4
    fail = 1.0 - math.exp(-lam * min(arrival_days, lead_days))
    rho = (1.0 - math.exp(-lam * (lead_days - 0.25)) * (1.0 - (1.0 - math.exp(-lam / 4)) ** 2)) / (
        1.0 - math.exp(-lam * lead_days)
    )
    step = arrival_days * 4
    while 1.0 - fail < 0.9 - 1e-12 or step % 4:
        step += 1
        if step > q:
            fail *= rho
    return step // 4, 1.0 - fail
