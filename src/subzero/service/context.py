"""What every use case needs besides its command: the time, the promise target, and
where a long use case reports its progress."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Context", "Progress"]

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)`` after each stage of a long use case."""


@dataclass(frozen=True, slots=True)
class Context:
    """``now`` is UTC-aware; the demo and tests pass their own clock's time."""

    now: dt.datetime
    promise_confidence: float = 0.9
    progress: Progress | None = None
    """Hears the stages of a long use case (the forecast run); the CLI draws a bar."""

    @property
    def today(self) -> dt.date:
        return self.now.date()
