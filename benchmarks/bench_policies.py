"""Policy optimisers: exact (s,S) for 10,000 Poisson items (issue 4's speed goal: < 10 s).

Figures: the numba batch (Zheng–Federgruen, parallel over items) on 10,000 items with
means evenly spaced over 1…100 (h=1, p=9, K=64 as in Zheng & Federgruen 1991, Table 1),
after one warm-up call that compiles or loads the numba cache (timed separately); and
the plain-Python per-item reference (``ss_exact_poisson``) on a sample of 50 of those
items, measured in the same run, with the agreement of the two on that sample.
"""

from __future__ import annotations

import time

import numpy as np

N_ITEMS = 10_000
SAMPLE = 50


def run() -> dict[str, object]:
    from subzero.planning.policies.s_S import ss_exact_poisson, ss_exact_poisson_batch

    means = np.linspace(1.0, 100.0, N_ITEMS)

    start = time.perf_counter()
    ss_exact_poisson_batch(1, 9, 64, means[:8])
    warm_up = time.perf_counter() - start

    start = time.perf_counter()
    batch = ss_exact_poisson_batch(1, 9, 64, means)
    batch_seconds = time.perf_counter() - start

    sample = np.linspace(0, N_ITEMS - 1, SAMPLE).astype(int)
    start = time.perf_counter()
    reference = [ss_exact_poisson(1, 9, 64, float(means[i])) for i in sample]
    reference_seconds = (time.perf_counter() - start) / SAMPLE

    agree = all(
        (batch.reorder_point[i], batch.order_up_to[i]) == (r.reorder_point, r.order_up_to)
        and abs(batch.cost[i] - r.cost) <= 1e-9 * r.cost
        for i, r in zip(sample, reference, strict=True)
    )
    per_item_batch = batch_seconds / N_ITEMS
    return {
        "sS_exact_10000_poisson_seconds": round(batch_seconds, 4),
        "sS_exact_batch_per_item_seconds": per_item_batch,
        "sS_exact_per_item_reference_seconds": reference_seconds,
        "sS_exact_reference_10000_estimate_seconds": round(reference_seconds * N_ITEMS, 1),
        "speedup": round(reference_seconds / per_item_batch, 1),
        "sS_numba_warm_up_seconds": round(warm_up, 3),
        "sS_reference_sample_items": SAMPLE,
        "sS_batch_agrees_with_reference": agree,
        "goal_seconds": 10.0,
        "goal_met": batch_seconds < 10.0,
    }
