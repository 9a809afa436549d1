"""Service KPIs from the live ledger, with the definitions of ``planning.kpis``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from subzero.domain.errors import InvalidParameter
from subzero.domain.events import LineCancelled
from subzero.domain.items import Item
from subzero.domain.ledger import MoveKind, StockMove
from subzero.domain.orders import OrderLine
from subzero.domain.purchasing import PurchaseOrder
from subzero.service.costs import CostRates, LedgerCosts, backordered_unit_days, expedite_premium
from subzero.service.unit_of_work import UnitOfWork
from subzero.service.views import check_names

if TYPE_CHECKING:
    from subzero.planning.kpis import ServiceKpis

__all__ = [
    "KPI_GROUPS",
    "GroupKpis",
    "KpiReport",
    "LedgerKpis",
    "kpi_fields",
    "kpi_report",
    "ledger_kpis",
    "line_kpis",
]

_DAY = 86400.0


def line_kpis(lines: Iterable[OrderLine], *, now: dt.datetime) -> ServiceKpis:
    """KPIs over order lines as of ``now``.

    A line still waiting counts with its age so far; a promise is kept when the line
    was ready (fully allocated) by the end of its first promised day. A line neither
    ready nor past its promised day is left out of promise reliability (not decided
    yet). A line cancelled before it was ever ready is left out altogether.
    """
    from subzero.planning.kpis import service_kpis

    qty: list[int] = []
    served: list[int] = []
    wait: list[float] = []
    kept: list[bool] = []
    decided: list[bool] = []
    for line in lines:
        if line.cancelled and line.filled_at is None:
            continue
        qty.append(line.qty)
        served.append(line.served_from_stock)
        backordered = line.served_from_stock < line.qty
        ready_at = line.filled_at or now
        wait.append((ready_at - line.placed_at).total_seconds() / _DAY if backordered else 0.0)
        outcome = _first_promise_kept(line, now)
        decided.append(outcome is not None)
        kept.append(bool(outcome))
    return service_kpis(qty, served, wait, kept, decided)


def _first_promise_kept(line: OrderLine, now: dt.datetime) -> bool | None:
    """Was the line ready (fully allocated) by the end of its first promised day? None
    while that cannot be told yet: still waiting, the day not passed. A line never
    promised counts as kept once ready, and as broken while it waits."""
    promised = line.first_promised_date
    if line.filled_at is not None:
        return promised is None or line.filled_at.date() <= promised
    if promised is None or now.date() > promised:
        return False
    return None


def ledger_kpis(
    uow: UnitOfWork, *, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> ServiceKpis:
    """KPIs (``line_kpis``) over the order lines placed in [start, end), as of ``now``."""
    with uow:
        return line_kpis(uow.orders.lines_placed_between(start, end), now=now)


KPI_GROUPS = ("item", "customer", "supplier", "week")


def kpi_fields(k: ServiceKpis) -> dict[str, float | int]:
    """JSON-ready KPIs, rounded as every report shows them."""
    return {
        "lines": k.lines,
        "units_ordered": k.units_ordered,
        "fill_rate": round(k.fill_rate, 4),
        "backorder_rate": round(k.backorder_rate, 4),
        "mean_wait_days": round(k.mean_wait_days, 2),
        "p95_wait_days": round(k.p95_wait_days, 2),
        "promise_reliability": round(k.promise_reliability, 4),
        "satisfaction": round(k.satisfaction, 1),
    }


@dataclass(frozen=True, slots=True)
class LedgerKpis:
    """What only the ledger knows of a group of lines.

    Attributes:
        otif: share of the judged lines shipped in full by the end of their first
            promised day (on time, in full); None when no line can be judged yet.
        otif_lines: lines judged: shipped in full, or still open after their first
            promised day. A line with cancelled units is left out (the customer's choice).
        units_shipped: units of the group's items shipped in the window.
        mean_on_hand: the items' mean end-of-day stock on hand over the window's days
            up to today; None for a customer's lines (the stock is not theirs).
        inventory_turns: units shipped per year / mean on hand; None without stock.
        cancelled_waiting: lines the customer cancelled while they waited, before they
            were ever ready. The service KPIs leave them out (``line_kpis``), so this
            count says what they do not: customers who gave up on a backorder.
        backorder_promises: lines that had to wait when placed (first promised a later
            day), with the probability told then, whose promise can be judged (filled,
            or past the day): are the probabilities told the truth?
        backorder_promises_kept: the share of those ready by their first promised day;
            None when there are none.
        backorder_promises_told: the mean probability told with them; None when none.
    """

    otif: float | None
    otif_lines: int
    units_shipped: int
    mean_on_hand: float | None
    inventory_turns: float | None
    cancelled_waiting: int = 0
    backorder_promises: int = 0
    backorder_promises_kept: float | None = None
    backorder_promises_told: float | None = None

    def as_dict(self) -> dict[str, Any]:
        def rounded(value: float | None, digits: int) -> float | None:
            return None if value is None else round(value, digits)

        return {
            "otif": rounded(self.otif, 4),
            "otif_lines": self.otif_lines,
            "units_shipped": self.units_shipped,
            "mean_on_hand": rounded(self.mean_on_hand, 1),
            "inventory_turns": rounded(self.inventory_turns, 2),
            "cancelled_waiting": self.cancelled_waiting,
            "backorder_promises": self.backorder_promises,
            "backorder_promises_kept": rounded(self.backorder_promises_kept, 4),
            "backorder_promises_told": rounded(self.backorder_promises_told, 4),
        }


@dataclass(frozen=True, slots=True)
class GroupKpis:
    """The KPIs of one row of the report: ``key`` is a SKU, customer, supplier or week;
    ``costs`` its cost drivers and, with rates, its costs (``service.costs``)."""

    key: str
    service: ServiceKpis
    ledger: LedgerKpis
    costs: LedgerCosts

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            **kpi_fields(self.service),
            **self.ledger.as_dict(),
            "costs": self.costs.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class KpiReport:
    """Service KPIs of the order lines placed from ``since`` to ``until`` (whole UTC
    days, both included), as of ``as_of``: overall and, with ``by``, per group, worst
    satisfaction first."""

    since: dt.date
    until: dt.date
    as_of: dt.datetime
    overall: GroupKpis
    by: str | None
    groups: tuple[GroupKpis, ...]
    rates: CostRates = field(default_factory=CostRates)

    def as_dict(self) -> dict[str, Any]:
        overall = self.overall.as_dict()
        del overall["key"]
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "as_of": self.as_of.isoformat(),
            "cost_rates": {
                "holding": self.rates.holding,
                "backorder": self.rates.backorder,
                "fixed_cost": self.rates.fixed,
            },
            "overall": overall,
            "by": self.by,
            "groups": [g.as_dict() for g in self.groups],
        }


def kpi_report(
    uow: UnitOfWork,
    *,
    since: dt.date,
    until: dt.date,
    now: dt.datetime,
    by: str | None = None,
    sku: str | None = None,
    customer: str | None = None,
    supplier: str | None = None,
    rates: CostRates | None = None,
) -> KpiReport:
    """The live system's KPIs over the lines placed in a window: the service KPIs of
    ``line_kpis`` (the simulator's definitions), OTIF and stock turns
    (:class:`LedgerKpis`) and the cost drivers, priced at ``rates``
    (:class:`~subzero.service.costs.LedgerCosts`); optionally for one item, customer or
    supplier only, and split by item, customer or supplier (an item's lines, stock and
    purchase orders count for its supplier).

    Raises:
        InvalidParameter: ``by`` is not one of ``KPI_GROUPS``, or ``until`` is before
            ``since``.
        NotFound: an unknown SKU, customer or supplier.
    """
    if by is not None and by not in KPI_GROUPS:
        raise InvalidParameter(f"--by {by!r}: use one of {', '.join(KPI_GROUPS)}")
    if until < since:
        raise InvalidParameter(f"--until {until} is before --since {since}")
    start = dt.datetime.combine(since, dt.time(0), dt.UTC)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(0), dt.UTC)
    with uow:
        check_names(uow, sku=sku, customer=customer, supplier=supplier)
        items = [
            item
            for item in uow.items.list()
            if (sku is None or item.sku == sku)
            and (supplier is None or item.supplier.name == supplier)
        ]
        lines = [
            line
            for line in uow.orders.lines_placed_between(start, end)
            if (sku is None or line.item.sku == sku)
            and (customer is None or line.order.customer.name == customer)
            and (supplier is None or line.item.supplier.name == supplier)
        ]
        # lines placed in the window may ship after it: their shipments run up to now
        moves = uow.items.moves_between(start, max(end, now + dt.timedelta(seconds=1)))
        stock = _Stock(uow.items.on_hand_before(start), moves, since, until, now)
        shipped_at = _shipment_times(lines, moves)
        money = _CostInputs(uow, items, start, end, since, until, now, rates or CostRates())
        split: dict[str, list[OrderLine]] = {}
        if by is not None:
            for line in lines:
                split.setdefault(_group_key(line, by), []).append(line)
        # the stock is the shop's: a customer's lines carry no stock figures, the whole
        # shop's lines do (also the overall row of a report by customer)
        shop_wide = customer is None
        every = {i.id for i in items if i.id is not None}

        def group(key: str, members: list[OrderLine]) -> GroupKpis:
            counted = _otif(members, shipped_at, now)
            waited = backordered_unit_days(members, now=now, cancelled_at=money.cancelled_at)
            if not shop_wide or (by == "customer" and key):
                ledger = stock.kpis(None, *counted)
                costs = money.costs(stock, None, waited)
            elif by == "week" and key:  # the shop's stock, on that week's days
                monday = dt.date.fromisoformat(key)
                sunday = monday + dt.timedelta(days=6)
                ledger = stock.kpis(every, *counted, monday, sunday)
                costs = money.costs(stock, every, waited, monday, sunday)
            else:
                ids = _items_of(items, by, key) if key else every
                ledger = stock.kpis(ids, *counted)
                costs = money.costs(stock, ids, waited)
            gave_up = sum(
                1
                for ln in members
                if ln.cancelled and ln.filled_at is None and ln.served_from_stock < ln.qty
            )
            ledger = replace(ledger, cancelled_waiting=gave_up, **_told(members, now))
            return GroupKpis(key, line_kpis(members, now=now), ledger, costs)

        overall = group("", lines)
        groups = sorted(
            (group(key, members) for key, members in split.items()),
            key=lambda g: (g.key,) if by == "week" else (g.service.satisfaction, g.key),
        )
    return KpiReport(
        since=since,
        until=until,
        as_of=now,
        overall=overall,
        by=by,
        groups=tuple(groups),
        rates=money.rates,
    )


def _group_key(line: OrderLine, by: str) -> str:
    if by == "item":
        return line.item.sku
    if by == "customer":
        return str(line.order.customer.name)
    if by == "week":  # the Monday of the week the line was placed
        day = line.placed_at.date()
        return (day - dt.timedelta(days=day.weekday())).isoformat()
    return str(line.item.supplier.name)


def _items_of(items: Sequence[Item], by: str | None, key: str) -> set[int]:
    return {
        i.id
        for i in items
        if i.id is not None and (i.sku == key if by == "item" else i.supplier.name == key)
    }


def _shipment_times(
    lines: Sequence[OrderLine], moves: Sequence[StockMove]
) -> dict[tuple[int, int], dt.datetime]:
    """When each (order, item) of ``lines`` had shipped all its lines' units, if it has:
    shipments are booked per order and item (``order:ID``)."""
    needed: dict[tuple[int, int], int] = {}
    for line in lines:
        key = (line.order.id or 0, line.item.id or 0)
        needed[key] = needed.get(key, 0) + line.qty
    done: dict[tuple[int, int], dt.datetime] = {}
    shipped: dict[tuple[int, int], int] = {}
    for move in moves:  # in booking order
        if move.kind is not MoveKind.SHIPMENT or not move.ref.startswith("order:"):
            continue
        key = (int(move.ref.removeprefix("order:")), move.item_id)
        if key not in needed or key in done:
            continue
        shipped[key] = shipped.get(key, 0) - move.qty
        if shipped[key] >= needed[key]:
            done[key] = move.at
    return done


def _told(lines: Sequence[OrderLine], now: dt.datetime) -> dict[str, Any]:
    """``LedgerKpis``' backorder promises: first promises of lines that had to wait, set
    against what happened."""
    told: list[float] = []
    kept = 0
    for line in lines:
        promised, probability = line.first_promised_date, line.first_promise_probability
        if promised is None or probability is None or promised <= line.placed_at.date():
            continue
        outcome = _first_promise_kept(line, now)
        if outcome is None:
            continue  # not decided yet
        told.append(probability)
        kept += outcome
    if not told:
        return {"backorder_promises": 0}
    return {
        "backorder_promises": len(told),
        "backorder_promises_kept": kept / len(told),
        "backorder_promises_told": sum(told) / len(told),
    }


def _otif(
    lines: Sequence[OrderLine], shipped_at: dict[tuple[int, int], dt.datetime], now: dt.datetime
) -> tuple[int, int]:
    """(lines on time in full, lines judged) of ``LedgerKpis.otif``."""
    hits = judged = 0
    for line in lines:
        if line.cancelled:
            continue
        promised = line.first_promised_date
        full_at = shipped_at.get((line.order.id or 0, line.item.id or 0))
        if full_at is not None:
            judged += 1
            hits += promised is None or full_at.date() <= promised
        elif promised is not None and now.date() > promised:
            judged += 1
    return hits, judged


class _Stock:
    """End-of-day stock on hand and units shipped per item and day, over the window's
    days up to today, from the ledger's moves."""

    def __init__(
        self,
        opening: dict[int, int],
        moves: Sequence[StockMove],
        since: dt.date,
        until: dt.date,
        now: dt.datetime,
    ) -> None:
        import numpy as np

        self.since = since
        last = min(until, now.date())
        self.days = max((last - since).days + 1, 0)
        ids = sorted({*opening, *(m.item_id for m in moves)})
        self.row = {item_id: k for k, item_id in enumerate(ids)}
        net = np.zeros((len(ids), self.days))
        self.shipped = np.zeros((len(ids), self.days))
        for m in moves:
            day = (m.at.date() - since).days
            if day >= self.days:
                continue  # after the last day counted (the window's, or today)
            net[self.row[m.item_id], day] += m.qty
            if m.kind is MoveKind.SHIPMENT:
                self.shipped[self.row[m.item_id], day] -= m.qty
        start = np.array([opening.get(i, 0) for i in ids], dtype=np.float64)
        self.level = start[:, None] + np.cumsum(net, axis=1)
        # a window reaching back before the ledger's first move counts from that day: the
        # days before the business kept stock here are not days of no stock
        self.first = 0
        if not opening:  # nothing before the window: the first move's day, if any
            self.first = max(0, min(((m.at.date() - since).days for m in moves), default=0))

    def kpis(
        self,
        item_ids: set[int] | None,
        hits: int,
        judged: int,
        first: dt.date | None = None,
        last: dt.date | None = None,
    ) -> LedgerKpis:
        """The group's figures over its items (None: a customer's lines), on the days
        from ``first`` to ``last`` (default: all the window's days up to today)."""
        otif = hits / judged if judged else None
        if item_ids is None:
            return LedgerKpis(otif, judged, 0, None, None)
        lo, hi = self.span(first, last)
        rows = [self.row[i] for i in item_ids if i in self.row]
        days = hi - lo
        if not days:
            return LedgerKpis(otif, judged, 0, None, None)
        shipped = int(self.shipped[rows, lo:hi].sum())
        mean = float(self.level[rows, lo:hi].sum(axis=0).mean()) if rows else 0.0
        turns = shipped / days * 365.0 / mean if mean else None
        return LedgerKpis(otif, judged, shipped, mean, turns)

    def span(self, first: dt.date | None, last: dt.date | None) -> tuple[int, int]:
        """Column range of the days from ``first`` to ``last`` (default: all)."""
        lo = max(self.first, 0 if first is None else (first - self.since).days)
        hi = self.days if last is None else min((last - self.since).days + 1, self.days)
        return lo, max(hi, lo)

    def held(self, item_ids: set[int], lo: int, hi: int) -> float:
        """Σ end-of-day stock on hand (never below zero) of the items on those days."""
        rows = [self.row[i] for i in item_ids if i in self.row]
        return float(self.level[rows, lo:hi].clip(min=0).sum()) if rows else 0.0


class _CostInputs:
    """The window's purchase orders, expedite prices and lost units, to price a group's
    cost drivers (``service.costs``)."""

    def __init__(
        self,
        uow: UnitOfWork,
        items: Sequence[Item],
        start: dt.datetime,
        end: dt.datetime,
        since: dt.date,
        until: dt.date,
        now: dt.datetime,
        rates: CostRates,
    ) -> None:
        from subzero.service.demand import refused_extra

        self.rates = rates
        self.pos: list[PurchaseOrder] = list(uow.purchase_orders.sent_between(start, end))
        expedited = any(po.expedite for po in self.pos)
        self.terms = {
            (t.item.id or 0, t.supplier.id or 0): t
            for t in (uow.items.all_terms() if expedited else ())
        }
        # when lines were cancelled: a line given up while waiting is charged its wait
        self.cancelled_at = {
            int(event.payload["line_id"]): event.at
            for event in uow.events.of_type(LineCancelled.type, since=start)
        }
        ids = {i.sku: i.id for i in items}  # the report's items: only theirs are counted
        last = min(until, now.date())
        self.lost = [
            (ids.get(sku), day, units)
            for sku, day, units in refused_extra(uow, since=start)
            if since <= day <= last
        ]

    def costs(
        self,
        stock: _Stock,
        item_ids: set[int] | None,
        waited: int,
        first: dt.date | None = None,
        last: dt.date | None = None,
    ) -> LedgerCosts:
        """A group's costs: its items' stock, POs and lost units on the days from
        ``first`` to ``last`` (default: the window's, up to today), and the backorders of
        its lines; a customer's lines (``item_ids`` None) have only the backorders."""
        lo, hi = stock.span(first, last)
        if item_ids is None:
            return LedgerCosts(hi - lo, None, waited, None, None, None, None, self.rates)
        day0 = stock.since + dt.timedelta(days=lo)
        day1 = stock.since + dt.timedelta(days=hi)  # exclusive

        def within(day: dt.date) -> bool:
            return day0 <= day < day1 if first is not None else True

        pos = [
            po
            for po in self.pos
            if po.item.id in item_ids and po.sent_at is not None and within(po.sent_at.date())
        ]
        units, premium = expedite_premium(pos, self.terms)
        lost = sum(n for item_id, day, n in self.lost if item_id in item_ids and within(day))
        return LedgerCosts(
            hi - lo,
            stock.held(item_ids, lo, hi),
            waited,
            lost,
            len(pos),
            units,
            premium,
            self.rates,
        )
