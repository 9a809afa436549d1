"""What every use case needs besides its command: the time and the promise target."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["Context"]


@dataclass(frozen=True, slots=True)
class Context:
    """``now`` is UTC-aware; the demo and tests pass their own clock's time."""

    now: dt.datetime
    promise_confidence: float = 0.9

    @property
    def today(self) -> dt.date:
        return self.now.date()
