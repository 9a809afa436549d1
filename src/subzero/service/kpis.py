"""Service KPIs from the live ledger, with the definitions of ``planning.kpis``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from subzero.domain.errors import InvalidParameter, NotFound
from subzero.domain.orders import OrderLine
from subzero.service.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from subzero.planning.kpis import ServiceKpis

__all__ = ["KPI_GROUPS", "KpiReport", "kpi_fields", "kpi_report", "ledger_kpis", "line_kpis"]

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
        promised = line.first_promised_date
        if line.filled_at is not None:
            decided.append(True)
            kept.append(promised is None or line.filled_at.date() <= promised)
        else:
            decided.append(promised is None or now.date() > promised)
            kept.append(False)
    return service_kpis(qty, served, wait, kept, decided)


def ledger_kpis(
    uow: UnitOfWork, *, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> ServiceKpis:
    """KPIs (``line_kpis``) over the order lines placed in [start, end), as of ``now``."""
    with uow:
        return line_kpis(uow.orders.lines_placed_between(start, end), now=now)


KPI_GROUPS = ("item", "customer", "supplier")


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
class KpiReport:
    """Service KPIs of the order lines placed from ``since`` to ``until`` (whole UTC
    days, both included), as of ``as_of``: overall and, with ``by``, per group, worst
    satisfaction first."""

    since: dt.date
    until: dt.date
    as_of: dt.datetime
    overall: ServiceKpis
    by: str | None
    groups: tuple[tuple[str, ServiceKpis], ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "as_of": self.as_of.isoformat(),
            "overall": kpi_fields(self.overall),
            "by": self.by,
            "groups": [{"key": key, **kpi_fields(k)} for key, k in self.groups],
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
) -> KpiReport:
    """The live system's service KPIs (``line_kpis``, the simulator's definitions) over
    the lines placed in a window, optionally for one item, customer or supplier only,
    and split by item, customer or supplier (an item's lines count for its supplier).

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
        if sku is not None and uow.items.get(sku) is None:
            raise NotFound(f"SKU {sku!r} not found")
        if customer is not None and uow.customers.get(customer) is None:
            raise NotFound(f"customer {customer!r} not found")
        if supplier is not None and uow.suppliers.get(supplier) is None:
            raise NotFound(f"supplier {supplier!r} not found")
        lines = [
            line
            for line in uow.orders.lines_placed_between(start, end)
            if (sku is None or line.item.sku == sku)
            and (customer is None or line.order.customer.name == customer)
            and (supplier is None or line.item.supplier.name == supplier)
        ]
        split: dict[str, list[OrderLine]] = {}
        if by is not None:
            for line in lines:
                split.setdefault(_group_key(line, by), []).append(line)
        overall = line_kpis(lines, now=now)
        groups = sorted(
            ((key, line_kpis(members, now=now)) for key, members in split.items()),
            key=lambda kv: (kv[1].satisfaction, kv[0]),
        )
    return KpiReport(
        since=since, until=until, as_of=now, overall=overall, by=by, groups=tuple(groups)
    )


def _group_key(line: OrderLine, by: str) -> str:
    if by == "item":
        return line.item.sku
    if by == "customer":
        return str(line.order.customer.name)
    return str(line.item.supplier.name)
