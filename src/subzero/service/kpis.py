"""Service KPIs from the live ledger, with the definitions of ``planning.kpis``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from subzero.domain.orders import OrderLine
from subzero.service.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from subzero.planning.kpis import ServiceKpis

__all__ = ["ledger_kpis", "line_kpis"]

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
