"""Planning run (forecast → policy → proposals) on synthetic intermittent demand:
30,490 items × 730 days, in one process and on a 2-worker local Dask cluster, and how
the time grows from 3,000 items. The database gather is not included (the state is
built in memory); the same partitions run in both modes."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from decimal import Decimal

import numpy as np
import pandas as pd

from subzero.planning.pipeline import partitions, run_partition
from subzero.planning.policies.kinds import BaseStock, MakeToOrder
from subzero.planning.replenish import ItemPlanInput, ItemState
from subzero.planning.sourcing import SupplierTerms

TODAY = dt.date(2026, 11, 25)
DAYS = 730
HORIZON = 28


def _history(n: int, rng: np.random.Generator) -> pd.DataFrame:
    rate = rng.gamma(0.6, 1.0, n)  # most items slow, a few fast
    occurrence = np.clip(rate, 0.02, 0.95)
    size = 1 + rng.poisson(rng.uniform(0.3, 4.0, n))
    demand = (rng.random((n, DAYS)) < occurrence[:, None]) * rng.poisson(size[:, None], (n, DAYS))
    days = pd.date_range(TODAY - dt.timedelta(days=DAYS), periods=DAYS, freq="D")
    return pd.DataFrame(
        {
            "unique_id": np.repeat([f"SKU{i:06d}" for i in range(n)], DAYS),
            "ds": np.tile(days, n),
            "y": demand.ravel().astype(np.int64),
        }
    )


def _items(n: int, rng: np.random.Generator) -> list[ItemPlanInput]:
    out = []
    for i in range(n):
        policy = BaseStock(int(rng.integers(2, 40))) if i % 3 else MakeToOrder()
        terms = (
            SupplierTerms(
                f"S{i % 7}",
                int(rng.integers(2, 15)),
                Decimal("3.50"),
                moq=int(rng.choice([1, 5, 10])),
                lot_size=1,
            ),
        )
        state = ItemState(f"SKU{i:06d}", int(rng.integers(0, 20)), 0, int(rng.integers(0, 3)))
        out.append(ItemPlanInput(state, policy, np.zeros(HORIZON), terms))
    return out


def _run(n: int, workers: int) -> dict[str, float]:
    rng = np.random.default_rng(7)
    history, items = _history(n, rng), _items(n, rng)
    parts = partitions(items, today=TODAY, horizon_days=HORIZON, history=history)
    start = time.perf_counter()
    if workers:
        from distributed import Client, LocalCluster

        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            Client(cluster) as client,
        ):
            up = time.perf_counter() - start
            futures = client.map(run_partition, parts, pure=False)
            plans = [p for chunk in client.gather(futures) for p in chunk]
    else:
        up = 0.0
        plans = [p for part in parts for p in run_partition(part)]
    seconds = time.perf_counter() - start
    return {
        "items": n,
        "partitions": len(parts),
        "seconds": round(seconds, 2),
        "cluster_start_seconds": round(up, 2),
        "proposals": sum(len(p.proposals) for p in plans),
    }


def run() -> dict[str, object]:
    full = int(os.environ.get("PLAN_ITEMS", "30490"))
    out: dict[str, object] = {}
    for n in (3000, full):
        print(f"[bench plan] {n} items single process …", file=sys.stderr, flush=True)
        out[f"single_{n}"] = _run(n, 0)
    print(f"[bench plan] {full} items on 2 Dask workers …", file=sys.stderr, flush=True)
    out[f"dask2_{full}"] = _run(full, 2)
    single, dask2 = out[f"single_{full}"], out[f"dask2_{full}"]
    small = out["single_3000"]
    assert isinstance(single, dict) and isinstance(dask2, dict) and isinstance(small, dict)
    out["growth_3000_to_full"] = round(single["seconds"] / small["seconds"], 2)
    out["dask_speedup"] = round(single["seconds"] / dask2["seconds"], 2)
    out["goal_seconds"] = 300
    out["goal_met"] = min(single["seconds"], dask2["seconds"]) <= 300
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
