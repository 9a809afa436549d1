"""Simulator throughput: SKU-periods per second, compiled vs numpy vs plain Python.

Work: 10,000 items × 1,000 periods, base-stock, Poisson demand (means 1…20), lead time 2,
demand drawing included (``subzero.planning.simulate.simulate`` end to end, with the
table set-up). The plain Python reference (one item, one period at a time, inverse-CDF
Poisson draws from ``random``) runs on a smaller sample in the same process. Then the
wall time of ``subzero simulate --catalog`` on a generated 10,000-item catalogue over
5,000 periods, start-up included (subprocess). Goal: ≥ 1e8 SKU-periods/s on 2 cores.
"""

from __future__ import annotations

import csv
import math
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from subzero.planning.policies.kinds import BaseStock
from subzero.planning.simulate.demand import PoissonDemand
from subzero.planning.simulate.engine import Item, RunSettings, simulate

N_ITEMS, N_PERIODS, LEAD = 10_000, 1_000, 2


def _items(n: int, rng: np.random.Generator) -> list[Item]:
    means = rng.uniform(1.0, 20.0, size=n).round(2)
    return [Item(f"SKU{i}", BaseStock(int(3 * m + 2 * math.sqrt(3 * m))), PoissonDemand(m),
                 lead_time=LEAD, holding_cost=1.0, backorder_cost=9.0)
            for i, m in enumerate(means)]


def _timed(items: list[Item], periods: int, kernel: str) -> float:
    settings = RunSettings(periods=periods, warmup=0, batches=10, kernel=kernel)
    start = time.perf_counter()
    simulate(items, settings, np.random.default_rng(1))
    return time.perf_counter() - start


def _python_reference(n: int, periods: int, seed: int) -> float:
    """Plain per-period, per-item base-stock loop (the pure-Python baseline)."""
    rnd = random.Random(seed)
    start = time.perf_counter()
    for i in range(n):
        mean = 1.0 + 19.0 * (i % 97) / 96
        level = int(3 * mean + 2 * math.sqrt(3 * mean))
        on_hand, backorders, pipeline, cost = level, 0, [0] * (LEAD + 1), 0.0
        for t in range(periods):
            ip = on_hand - backorders + sum(pipeline)
            pipeline[(t + LEAD) % (LEAD + 1)] += max(0, level - ip)
            arrived = pipeline[t % (LEAD + 1)]
            pipeline[t % (LEAD + 1)] = 0
            net = on_hand - backorders + arrived
            u, k, p = rnd.random(), 0, math.exp(-mean)
            cum = p
            while u > cum:
                k += 1
                p *= mean / k
                cum += p
            net -= k
            on_hand, backorders = max(net, 0), max(-net, 0)
            cost += on_hand + 9.0 * backorders
    return time.perf_counter() - start


def _cli_wall(n: int, periods: int) -> dict[str, object]:
    exe = Path(sys.executable).with_name("subzero")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "catalog.csv"
        rng = np.random.default_rng(3)
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["sku", "policy", "s", "S", "r", "Q", "demand", "mean", "sd",
                        "lead_time", "holding", "backorder", "fixed_cost"])
            for i in range(n):
                m = round(float(rng.uniform(1, 20)), 2)
                w.writerow([f"SKU{i}", "base-stock", "", int(3 * m + 2 * math.sqrt(3 * m)), "",
                            "", "poisson", m, "", LEAD, 1, 9, 0])
        cmd = [str(exe), "simulate", "--catalog", str(path), "--periods", str(periods),
               "--warmup", "100", "--json"]
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
    return {"items": n, "periods": periods, "wall_s": round(wall, 3),
            "ok": done.returncode == 0, "stdout_bytes": len(done.stdout),
            "stderr_tail": done.stderr[-300:] if done.returncode else ""}


def run() -> dict[str, object]:
    rng = np.random.default_rng(0)
    items = _items(N_ITEMS, rng)
    _timed(items[:200], 50, "compiled")  # compile or load the numba cache
    compiled_s = min(_timed(items, N_PERIODS, "compiled") for _ in range(3))
    numpy_s = _timed(items, N_PERIODS, "numpy")
    py_items, py_periods = 100, 1_000
    python_s = _python_reference(py_items, py_periods, 7)
    work = N_ITEMS * N_PERIODS
    compiled_rate = work / compiled_s
    numpy_rate = work / numpy_s
    python_rate = py_items * py_periods / python_s
    return {
        "work": f"{N_ITEMS} items x {N_PERIODS} periods, base-stock, Poisson, L={LEAD}",
        "compiled_sku_periods_per_s": round(compiled_rate),
        "numpy_sku_periods_per_s": round(numpy_rate),
        "python_sku_periods_per_s": round(python_rate),
        "python_sample": f"{py_items} items x {py_periods} periods",
        "compiled_over_numpy": round(compiled_rate / numpy_rate, 1),
        "compiled_over_python": round(compiled_rate / python_rate, 1),
        "numpy_over_python": round(numpy_rate / python_rate, 1),
        "goal_sku_periods_per_s": 100_000_000,
        "goal_met": compiled_rate >= 1e8,
        "cli_catalog": _cli_wall(N_ITEMS, 5_000),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
