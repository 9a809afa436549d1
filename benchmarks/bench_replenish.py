"""Purchase proposals for 30,490 synthetic items, in-process (issue 7's planning run core).

Figures: time of ``plan_items`` over 30,490 items (the M5 item count) with a 28-day
horizon of intermittent daily forecasts, a mix of policies (make-to-order, base-stock,
(s,S), (r,Q), (R,S); 5% JIT), MOQ/lots/price breaks/capacity drawn at random, open
firm orders on a third of the items, and backorders with promises on a fifth; 90% of
the items have one supplier (the rule-based fast path), 10% two (the split MIP unless
one supplier clearly dominates). The two groups are timed separately, so the cost of
the solver path per item is visible. Seeded: the same items every run.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from subzero.planning.replenish import ItemPlanInput

N_ITEMS = 30_490
HORIZON_DAYS = 28
TWO_SUPPLIER_SHARE = 0.10


def _items(n: int, seed: int = 7) -> list[ItemPlanInput]:
    from subzero.planning.policies.kinds import RQ, RS, SS, BaseStock, MakeToOrder, Policy
    from subzero.planning.replenish import ItemPlanInput, ItemState, OpenOrder
    from subzero.planning.sourcing import ExpediteOption, PriceBreak, SupplierTerms

    rng = np.random.default_rng(seed)
    today = dt.date(2026, 11, 23)
    items: list[ItemPlanInput] = []
    for i in range(n):
        rate = float(rng.gamma(0.6, 2.0))
        forecast = np.asarray(rate * (rng.random(HORIZON_DAYS) < 0.6), dtype=np.float64)
        kind = rng.choice(5, p=[0.4, 0.3, 0.15, 0.1, 0.05])
        level = int(rate * 10) + 2
        policies: list[Policy] = [
            MakeToOrder(),
            BaseStock(level),
            SS(level // 2, level + 5),
            RQ(level // 2, max(1, level)),
            RS(7, level + 3),
        ]
        policy = policies[int(kind)]

        def terms(name: str, price: float, *, faster: bool = False) -> SupplierTerms:
            lot = int(rng.choice([1, 1, 5, 10, 12]))
            moq = int(rng.choice([1, 1, 10, 20]))
            smallest = lot * -(-moq // lot)
            capacity = None if rng.random() < 0.7 else smallest + int(rng.integers(20, 200))
            breaks = (PriceBreak(50, Decimal(f"{price * 0.95:.2f}")),) if rng.random() < 0.3 else ()
            lead = int(rng.integers(2, 6 if faster else 15))
            expedite = (
                ExpediteOption(1, Decimal("1.50")) if lead > 2 and rng.random() < 0.2 else None
            )
            return SupplierTerms(
                name,
                lead,
                Decimal(f"{price:.2f}"),
                breaks,
                moq,
                lot,
                capacity,
                reliability=float(rng.uniform(0.7, 1.0)),
                expedite=expedite,
            )

        price = float(rng.uniform(1, 50))
        suppliers: tuple[SupplierTerms, ...] = (terms("main", price),)
        if rng.random() < TWO_SUPPLIER_SHARE:
            suppliers += (terms("second", price * float(rng.uniform(0.9, 1.2)), faster=True),)
        backordered = int(rng.integers(1, 30)) if rng.random() < 0.2 else 0
        promised = today + dt.timedelta(days=int(rng.integers(1, 20))) if backordered else None
        orders: tuple[OpenOrder, ...] = ()
        if rng.random() < 0.33:
            due = today + dt.timedelta(days=int(rng.integers(0, 14)))
            orders = (OpenOrder("main", int(rng.integers(1, 40)), due),)
        state = ItemState(
            f"SKU-{i:05d}", int(rng.integers(0, 20)), 0, backordered, orders, promised
        )
        items.append(ItemPlanInput(state, policy, forecast, suppliers, jit=rng.random() < 0.05))
    return items


def run() -> dict[str, object]:
    from subzero.planning.replenish import plan_items

    today = dt.date(2026, 11, 23)
    start = time.perf_counter()
    items = _items(N_ITEMS)
    build_seconds = time.perf_counter() - start
    single = [it for it in items if len(it.suppliers) == 1]
    double = [it for it in items if len(it.suppliers) == 2]

    plan_items(single[:200] + double[:50], today=today)  # warm-up: imports, OR-Tools load

    start = time.perf_counter()
    single_plans = plan_items(single, today=today)
    single_seconds = time.perf_counter() - start
    start = time.perf_counter()
    double_plans = plan_items(double, today=today)
    double_seconds = time.perf_counter() - start

    again = plan_items(double[:300], today=today)
    deterministic = all(
        a.proposals == b.proposals for a, b in zip(again, double_plans[:300], strict=True)
    )
    plans = single_plans + double_plans
    total = single_seconds + double_seconds
    return {
        "replenish_items": N_ITEMS,
        "replenish_horizon_days": HORIZON_DAYS,
        "replenish_two_supplier_items": len(double),
        "replenish_seconds": round(total, 3),
        "replenish_items_per_second": round(N_ITEMS / total, 1),
        "replenish_single_supplier_per_item_ms": round(1000 * single_seconds / len(single), 4),
        "replenish_two_supplier_per_item_ms": round(1000 * double_seconds / len(double), 4),
        "replenish_proposals": sum(len(p.proposals) for p in plans),
        "replenish_expedited": sum(q.expedite for p in plans for q in p.proposals),
        "replenish_unsourced_units": sum(p.unsourced for p in plans),
        "replenish_deterministic": deterministic,
        "replenish_synthetic_build_seconds": round(build_seconds, 3),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
