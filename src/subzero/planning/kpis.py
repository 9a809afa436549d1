"""Customer-satisfaction KPIs, one definition for the live ledger and the simulator.

Definitions (per order line; the same in ``subzero demo``, the live reports and the
simulator):

* **fill rate** — units served from stock at order time / units ordered
  (type-2 service level, β).
* **backorder rate** — share of order lines with at least one unit backordered.
* **backorder wait** — for a backordered line, days from the order until its last unit
  is allocated (ready to ship). A line still waiting at the end of the window counts
  with its age so far (a lower bound, never dropped). Mean and 95th percentile are
  over backordered lines.
* **promise reliability** — share of lines ready to ship by their *first* promised date.
* **satisfaction** — a 0–100 score::

      100 × (0.30 β + 0.30 R + 0.20 exp(-W̄ / 7) + 0.20 exp(-W95 / 14))

  with β the fill rate, R the promise reliability, W̄ the mean wait over *all* lines
  (zero for lines served from stock) and W95 the 95th-percentile wait of backordered
  lines. A week of average wait costs about 7 points of the 20 it can take; the score
  rewards keeping promises as much as serving from stock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["ServiceKpis", "satisfaction_score", "service_kpis"]


@dataclass(frozen=True, slots=True)
class ServiceKpis:
    """Service KPIs over a set of order lines (see the module docstring)."""

    lines: int
    units_ordered: int
    fill_rate: float
    backorder_rate: float
    mean_wait_days: float
    p95_wait_days: float
    promise_reliability: float
    satisfaction: float


def satisfaction_score(
    *,
    fill_rate: float,
    promise_reliability: float,
    mean_wait_all_lines_days: float,
    p95_wait_days: float,
) -> float:
    """The 0–100 satisfaction score of the module docstring."""
    return 100.0 * (
        0.30 * fill_rate
        + 0.30 * promise_reliability
        + 0.20 * math.exp(-mean_wait_all_lines_days / 7.0)
        + 0.20 * math.exp(-p95_wait_days / 14.0)
    )


def service_kpis(
    qty: npt.ArrayLike,
    served_from_stock: npt.ArrayLike,
    wait_days: npt.ArrayLike,
    promise_kept: npt.ArrayLike,
    promise_decided: npt.ArrayLike | None = None,
) -> ServiceKpis:
    """KPIs over order lines.

    Args:
        qty: units ordered per line, shape (n_lines,); > 0.
        served_from_stock: units allocated from stock when the line was placed, (n_lines,).
        wait_days: days each line waited for its backordered units (0 when none were
            backordered; age so far when still waiting), (n_lines,).
        promise_kept: True where the line was ready by its first promised date, (n_lines,).
        promise_decided: False for lines whose promise cannot be judged yet (still
            waiting, promised date not passed); they are left out of promise
            reliability. Default: every line is decided.
    """
    q = np.asarray(qty, dtype=np.float64)
    served = np.asarray(served_from_stock, dtype=np.float64)
    wait = np.asarray(wait_days, dtype=np.float64)
    kept = np.asarray(promise_kept, dtype=bool)
    decided = (
        np.ones(kept.shape, dtype=bool)
        if promise_decided is None
        else np.asarray(promise_decided, dtype=bool)
    )
    n = int(q.size)
    if n == 0:
        return ServiceKpis(0, 0, 1.0, 0.0, 0.0, 0.0, 1.0, 100.0)
    backordered = served < q
    fill_rate = float(served.sum() / q.sum())
    backorder_rate = float(backordered.mean())
    waits = wait[backordered]
    mean_wait = float(waits.mean()) if waits.size else 0.0
    p95_wait = float(np.percentile(waits, 95)) if waits.size else 0.0
    reliability = float(kept[decided].mean()) if decided.any() else 1.0
    score = satisfaction_score(
        fill_rate=fill_rate,
        promise_reliability=reliability,
        mean_wait_all_lines_days=float(np.where(backordered, wait, 0.0).mean()),
        p95_wait_days=p95_wait,
    )
    return ServiceKpis(
        lines=n,
        units_ordered=int(q.sum()),
        fill_rate=fill_rate,
        backorder_rate=backorder_rate,
        mean_wait_days=mean_wait,
        p95_wait_days=p95_wait,
        promise_reliability=reliability,
        satisfaction=score,
    )
