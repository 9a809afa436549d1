"""The demo: a small realistic shop selling below zero for 90 days, played through the
real message bus (orders below zero, make-to-order POs, receipts, shipments).

The catalogue: a few dozen items in three classes — fast movers (A) on a base-stock
policy sized to cover lead-time demand at a 95% cycle service level, medium (B) and
slow (C) movers make-to-order — several suppliers with different, uncertain lead times,
customers of different priorities. Half-way through, the planner lets subzero set
every item's policy (``ApplyPolicy``: base-stock for a 95 % fill rate from the item's
own order history and its supplier's fitted lead time; make-to-order where nobody
ordered), and the report compares the first half with the steady state after it
(leaving out the transition while the first half's backlog is served). Each simulated
day: suppliers deliver what is due (with ``split_share``, some in two parts), customers
order through the day (Poisson arrivals
per item), a few impatient customers cancel long waits, the warehouse ships every ready
order, the planner sends the day's draft purchase orders. The supplier's real delivery
day is drawn from its lead-time distribution; the system only knows the distribution, as
in life.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from subzero.domain import commands as c
from subzero.domain.errors import InvalidState
from subzero.planning.kpis import ServiceKpis
from subzero.service.kpis import ledger_kpis
from subzero.service.messagebus import MessageBus
from subzero.service.unit_of_work import UnitOfWork

__all__ = ["DemoClock", "DemoConfig", "DemoReport", "run_demo"]

logger = logging.getLogger(__name__)

_SUPPLIERS = (  # name, lead time (days), sd (days)
    ("Nordic-Parts", 3, 0.8),
    ("Atlas-Supply", 5, 1.5),
    ("Orient-Components", 10, 2.5),
    ("Iberia-Tools", 7, 1.0),
)
_CUSTOMERS = (  # name, priority, share of orders
    ("hospital-st-marys", 1, 0.08),
    ("fleet-metro-buses", 2, 0.12),
    ("garage-kovacs", 3, 0.15),
    ("garage-lindqvist", 4, 0.15),
    ("webshop-retail", 5, 0.30),
    ("walk-in", 6, 0.20),
)


@dataclass
class DemoClock:
    """The simulated wall clock handed to the bus (``clock.now`` is the callable)."""

    current: dt.datetime

    def now(self) -> dt.datetime:
        return self.current


@dataclass(frozen=True, slots=True)
class DemoConfig:
    days: int = 90
    items: int = 36
    seed: int = 7
    cancel_after_days: int = 12  # some customers give up after this long
    cancel_share: float = 0.15  # ... this share of those who wait that long
    service_target: float = 0.95  # fill rate the planner asks for at the half-way point
    # share of deliveries a supplier splits: half comes when due, the rest 1 + Poisson(its
    # lead time / 2) days later (0: every delivery whole, as in the default demo)
    split_share: float = 0.0

    @property
    def policy_day(self) -> int:
        """The day (index) the planner lets subzero set every item's policy."""
        return self.days // 2


@dataclass(frozen=True, slots=True)
class DayLevels:
    day: dt.date
    on_hand: int
    backordered: int


@dataclass(frozen=True, slots=True)
class DemoReport:
    start: dt.date
    end: dt.date
    items: int
    suppliers: int
    customers: int
    orders: int
    cancelled_orders: int
    purchase_orders: int
    kpis: ServiceKpis
    kpis_before: ServiceKpis
    kpis_after: ServiceKpis
    policy_day: dt.date
    steady_from: dt.date  # first day of the "after" window (transition left out)
    policies_set: int
    levels: tuple[DayLevels, ...] = field(default=())

    @property
    def mean_on_hand(self) -> float:
        return float(np.mean([lv.on_hand for lv in self.levels])) if self.levels else 0.0

    @property
    def mean_backordered(self) -> float:
        return float(np.mean([lv.backordered for lv in self.levels])) if self.levels else 0.0


def run_demo(
    bus: MessageBus,
    uow_factory: Callable[[], UnitOfWork],
    clock: DemoClock,
    config: DemoConfig = DemoConfig(),
    *,
    progress: Callable[[int, int], None] | None = None,
) -> DemoReport:
    """Build the catalogue and play ``config.days`` days ending yesterday (by ``clock``)."""
    rng = np.random.default_rng(config.seed)
    first_day = clock.current.date() - dt.timedelta(days=config.days)
    clock.current = dt.datetime.combine(first_day, dt.time(7, 0), dt.UTC)
    catalogue = _build_catalogue(bus, rng, config)
    arrivals: dict[int, dt.date] = {}  # po id -> the day the supplier really delivers
    split: set[int] = set()  # po ids whose rest is still to come
    open_orders: dict[int, dt.datetime] = {}  # order id -> placed at
    orders = cancelled = 0
    levels: list[DayLevels] = []
    customer_names = [name for name, _, _ in _CUSTOMERS]
    customer_share = np.array([share for _, _, share in _CUSTOMERS])

    policies_set = 0
    for day_index in range(config.days):
        day = first_day + dt.timedelta(days=day_index)
        clock.current = dt.datetime.combine(day, dt.time(7, 0), dt.UTC)
        if day_index == config.policy_day:
            # half-way, the planner lets subzero set every item's policy from its own
            # order history and its supplier's real deliveries
            decisions = bus.handle(
                c.ApplyPolicy(service_target=config.service_target, history_days=max(7, day_index))
            )
            policies_set = sum(d.new_policy != d.old_policy for d in decisions)
        for po_id, arrival in sorted(arrivals.items()):
            if arrival <= day:
                rest = _split(uow_factory, po_id, rng, config.split_share, split)
                bus.handle(c.ReceivePurchaseOrder(po_id, None if rest is None else rest[0]))
                if rest is None:
                    del arrivals[po_id]
                else:
                    split.add(po_id)
                    arrivals[po_id] = day + dt.timedelta(days=rest[1])
        # customers order through the day
        times = []
        for sku, mean, _ in catalogue:
            for _ in range(rng.poisson(mean)):
                times.append((float(rng.uniform(8, 18)), sku))
        times.sort()
        for hour, sku in times:
            clock.current = dt.datetime.combine(day, dt.time(0), dt.UTC) + dt.timedelta(hours=hour)
            customer = customer_names[int(rng.choice(len(customer_names), p=customer_share))]
            qty = int(rng.geometric(0.55))
            order_id = bus.handle(c.PlaceOrder(customer, (c.OrderLineRequest(sku, qty),)))
            open_orders[order_id] = clock.current
            orders += 1
        clock.current = dt.datetime.combine(day, dt.time(18, 30), dt.UTC)
        cancelled += _impatient_customers(bus, uow_factory, rng, config, open_orders, clock)
        with uow_factory() as uow:
            ready = list(uow.orders.ready_to_ship())
        for order_id in ready:
            bus.handle(c.ShipOrder(order_id))
            open_orders.pop(order_id, None)
        clock.current = dt.datetime.combine(day, dt.time(19, 0), dt.UTC)
        for po_id in bus.handle(c.SendPurchaseOrders()):
            arrivals[po_id] = _delivery_day(uow_factory, po_id, rng)
        with uow_factory() as uow:
            levels.append(DayLevels(day, uow.items.on_hand_total(), uow.orders.backordered_total()))
        if progress:
            progress(day_index + 1, config.days)

    end = first_day + dt.timedelta(days=config.days)
    clock.current = dt.datetime.combine(end, dt.time(0), dt.UTC)
    switch = first_day + dt.timedelta(days=config.policy_day)
    # Steady state: leave out the transition while the backlog of the first half is
    # served — the longest supplier lead time plus two standard deviations, at most
    # half of what remains.
    transition = max(math.ceil(lead + 2 * sd) for _, lead, sd in _SUPPLIERS)
    steady_from = switch + dt.timedelta(
        days=min(transition, (config.days - config.policy_day) // 2)
    )

    def kpis_between(start: dt.date, stop: dt.date) -> ServiceKpis:
        return ledger_kpis(
            uow_factory(),
            start=dt.datetime.combine(start, dt.time(0), dt.UTC),
            end=dt.datetime.combine(stop, dt.time(0), dt.UTC),
            now=clock.current,
        )

    kpis = kpis_between(first_day, end)
    with uow_factory() as uow:
        n_pos = len(uow.purchase_orders.list())
    return DemoReport(
        start=first_day,
        end=end - dt.timedelta(days=1),
        items=len(catalogue),
        suppliers=len(_SUPPLIERS),
        customers=len(_CUSTOMERS),
        orders=orders,
        cancelled_orders=cancelled,
        purchase_orders=n_pos,
        kpis=kpis,
        kpis_before=kpis_between(first_day, switch),
        kpis_after=kpis_between(steady_from, end),
        policy_day=switch,
        steady_from=steady_from,
        policies_set=policies_set,
        levels=tuple(levels),
    )


def _build_catalogue(
    bus: MessageBus, rng: np.random.Generator, config: DemoConfig
) -> list[tuple[str, float, str]]:
    """Suppliers, customers and items; returns (sku, daily order rate, class)."""
    from scipy.stats import poisson

    for name, lead, sd in _SUPPLIERS:
        bus.handle(c.AddSupplier(name, lead, sd))
    for name, priority, _ in _CUSTOMERS:
        bus.handle(c.AddCustomer(name, priority))
    catalogue = []
    families = ("BRK", "FLT", "BLT", "LMP", "SNS", "PMP")
    for i in range(config.items):
        cls = "A" if i < config.items // 6 else ("B" if i < config.items // 2 else "C")
        rate = {
            "A": rng.uniform(1.5, 3.0),
            "B": rng.uniform(0.3, 1.0),
            "C": rng.uniform(0.03, 0.2),
        }[cls]
        supplier, lead, sd = _SUPPLIERS[i % len(_SUPPLIERS)]
        sku = f"{families[i % len(families)]}-{1000 + i}"
        mean_units_per_order = 1 / 0.55  # geometric(0.55) order sizes
        policy = "mto"
        on_hand = int(rng.integers(0, 4))
        if cls == "A":
            # cover demand over lead time + review day (with the sd of the lead time) at 95%
            cover_days = lead + 1 + 1.645 * sd
            level = int(poisson.ppf(0.95, rate * mean_units_per_order * cover_days))
            policy, on_hand = f"base-stock:S={level}", level
        bus.handle(c.AddItem(sku, supplier, on_hand, policy=policy))
        catalogue.append((sku, float(rate), cls))
    return catalogue


def _delivery_day(
    uow_factory: Callable[[], UnitOfWork], po_id: int, rng: np.random.Generator
) -> dt.date:
    with uow_factory() as uow:
        po = uow.purchase_orders.get(po_id)
        assert po is not None and po.sent_at is not None
        lead, sd = po.supplier.lead_time_days, po.supplier.lead_time_sd_days
        sent = po.sent_at.date()
    days = max(1, math.floor(rng.normal(lead, sd) + 0.5) if sd > 0 else lead)
    return sent + dt.timedelta(days=days)


def _split(
    uow_factory: Callable[[], UnitOfWork],
    po_id: int,
    rng: np.random.Generator,
    share: float,
    split: set[int],
) -> tuple[int, int] | None:
    """(units delivered now, days until the rest) if the supplier splits this delivery;
    None to deliver it whole. Draws nothing when ``share`` is 0 (the default demo)."""
    if share <= 0.0 or po_id in split or rng.random() >= share:
        return None
    with uow_factory() as uow:
        po = uow.purchase_orders.get(po_id)
        assert po is not None
        outstanding, lead = po.outstanding, po.supplier.lead_time_days
    if outstanding < 2:
        return None
    return outstanding // 2, 1 + int(rng.poisson(lead / 2))


def _impatient_customers(
    bus: MessageBus,
    uow_factory: Callable[[], UnitOfWork],
    rng: np.random.Generator,
    config: DemoConfig,
    open_orders: dict[int, dt.datetime],
    clock: DemoClock,
) -> int:
    """A share of customers who have waited too long cancel what is still open."""
    cutoff = clock.current - dt.timedelta(days=config.cancel_after_days)
    cancelled = 0
    for order_id, placed in list(open_orders.items()):
        if placed > cutoff:
            continue
        if rng.random() >= config.cancel_share / config.cancel_after_days:
            continue
        try:
            bus.handle(c.CancelOrder(order_id))
        except InvalidState:
            pass  # shipped or cancelled meanwhile
        else:
            cancelled += 1
        open_orders.pop(order_id, None)
    return cancelled
