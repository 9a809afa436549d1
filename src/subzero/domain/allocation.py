"""Who gets arriving stock: one explicit, testable rule.

Waiting (backordered) lines are served in this order:

1. customer **priority** (1 first), which **ages**: every ``aging_days`` (default 7)
   a line has waited raises it one step (never above 1), so no customer waits forever
   behind a stream of more important ones;
2. then the **promise date at risk** — the earliest first-promised date first
   (a line never promised sorts last);
3. then **order time** (first come, first served);
4. then line id (a stable tie-break).

Free units go to the first line until it is complete, then to the next; a line may be
filled partially. This is a pure function so it can be simulated, property-tested and
explained to a customer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

__all__ = [
    "DEFAULT_AGING_DAYS",
    "Allocation",
    "WaitingLine",
    "allocate",
    "effective_priority",
    "queue_key",
    "waiting_queue",
]

_NEVER = dt.date.max


class WaitingLine(Protocol):
    """What the rule needs to know of a line."""

    @property
    def id(self) -> int | None: ...
    @property
    def priority(self) -> int: ...
    @property
    def first_promised_date(self) -> dt.date | None: ...
    @property
    def placed_at(self) -> dt.datetime: ...
    @property
    def backordered(self) -> int: ...


_L = TypeVar("_L", bound=WaitingLine)


@dataclass(frozen=True, slots=True)
class Allocation:
    line_id: int | None
    units: int


DEFAULT_AGING_DAYS = 7


def effective_priority(
    line: WaitingLine, today: dt.date | None, aging_days: int = DEFAULT_AGING_DAYS
) -> int:
    """The line's priority after ageing (unchanged when ``today`` is None)."""
    if today is None or aging_days <= 0:
        return line.priority
    waited = (today - line.placed_at.date()).days
    return max(1, line.priority - max(0, waited) // aging_days)


def queue_key(
    line: WaitingLine, today: dt.date | None = None, aging_days: int = DEFAULT_AGING_DAYS
) -> tuple[int, dt.date, dt.datetime, int]:
    """Sort key of the allocation rule: aged priority, promise date, order time, id."""
    return (
        effective_priority(line, today, aging_days),
        line.first_promised_date or _NEVER,
        line.placed_at,
        line.id if line.id is not None else 0,
    )


def waiting_queue(
    lines: Iterable[_L], today: dt.date | None = None, aging_days: int = DEFAULT_AGING_DAYS
) -> list[_L]:
    """The lines that wait for stock, in the order they will be served on ``today``."""
    return sorted(
        (ln for ln in lines if ln.backordered > 0),
        key=lambda ln: queue_key(ln, today, aging_days),
    )


def allocate(
    free_units: int,
    lines: Sequence[WaitingLine],
    today: dt.date | None = None,
    aging_days: int = DEFAULT_AGING_DAYS,
) -> list[Allocation]:
    """Share ``free_units`` among the waiting lines by the rule; never more than is free
    and never more than a line waits for."""
    out: list[Allocation] = []
    left = max(0, free_units)
    for line in waiting_queue(lines, today, aging_days):
        if left == 0:
            break
        units = min(left, line.backordered)
        out.append(Allocation(line.id, units))
        left -= units
    return out
