"""Simulator throughput: SKU-periods per second, compiled vs numpy vs plain Python.

Work: 10,000 items × 1,000 periods, base-stock, Poisson demand (means 1…20), lead time 2,
demand drawing included. Figures, all from this one run:

* the compiled kernel alone (``_kernels.simulate_items_compiled`` on packed arrays) and
  ``simulate`` end to end (demand tables, packing, kernel, result), each the best of
  ``REPEATS`` runs, JIT excluded; the JIT compile is timed separately (a fresh process
  with an empty numba cache), as is this process's first call (normally a load from
  numba's on-disk cache); also the kernel on one thread;
* the numpy kernel (``kernel="numpy"``, one run: it is slow);
* a plain per-period, per-item Python loop (inverse-CDF Poisson draws from ``random``)
  on a sample;
* the wall time of ``subzero simulate --catalog`` on a generated 10,000-item catalogue
  over 5,000 periods (+100 warm-up), start-up included (subprocess, best of 2).

The load average is reported before and after: other processes share the 2 cores.
Goal: ≥ 1e8 SKU-periods/s end to end on 2 cores.
"""

from __future__ import annotations

import csv
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

from subzero.planning.policies.kinds import BaseStock
from subzero.planning.simulate import _kernels
from subzero.planning.simulate.demand import PoissonDemand
from subzero.planning.simulate.engine import WAIT_BINS, Item, RunSettings, _pack, _run, simulate

N_ITEMS, N_PERIODS, LEAD = 10_000, 1_000, 2
REPEATS = 7


def _items(n: int, rng: np.random.Generator) -> list[Item]:
    means = rng.uniform(1.0, 20.0, size=n).round(2)
    return [
        Item(
            f"SKU{i}",
            BaseStock(int(3 * m + 2 * math.sqrt(3 * m))),
            PoissonDemand(m),
            lead_time=LEAD,
            holding_cost=1.0,
            backorder_cost=9.0,
        )
        for i, m in enumerate(means)
    ]


def _timed(items: list[Item], periods: int, kernel: str) -> float:
    settings = RunSettings(periods=periods, warmup=0, batches=10, kernel=kernel)
    start = time.perf_counter()
    simulate(items, settings, np.random.default_rng(1))
    return time.perf_counter() - start


def _kernel_only(items: list[Item], periods: int) -> float:
    """Seconds of the compiled kernel alone on packed arrays (outputs allocated inside)."""
    settings = RunSettings(periods=periods, warmup=0, batches=10)
    keys = np.random.default_rng(1).integers(0, 2**63, size=len(items), dtype=np.uint64)
    args, H = _pack(items, settings, 0, periods, keys)
    start = time.perf_counter()
    acc = np.zeros((len(items), settings.batches, _kernels.N_METRICS))
    hist = np.zeros((len(items), WAIT_BINS), np.int64)
    _run(_kernels.simulate_items_compiled, args, settings.batches, H, acc, hist)
    return time.perf_counter() - start


_JIT_PROBE = """
import time
import numpy as np
from subzero.planning.policies.kinds import BaseStock
from subzero.planning.simulate.demand import PoissonDemand
from subzero.planning.simulate.engine import Item, RunSettings, simulate
items = [Item(f"S{i}", BaseStock(12), PoissonDemand(4.0), lead_time=2, backorder_cost=9.0)
         for i in range(100)]
start = time.perf_counter()
simulate(items, RunSettings(periods=50, warmup=0, batches=10), np.random.default_rng(1))
print(time.perf_counter() - start)
"""


def _jit_compile_s() -> float:
    """Seconds of the first ``simulate`` call in a fresh process with an empty numba
    cache (a temporary NUMBA_CACHE_DIR): the JIT compile of every kernel it needs."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NUMBA_CACHE_DIR": tmp}
        done = subprocess.run(
            [sys.executable, "-c", _JIT_PROBE], capture_output=True, text=True, check=True, env=env
        )
    return float(done.stdout.split()[-1])


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


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
            w.writerow(
                [
                    "sku",
                    "policy",
                    "s",
                    "S",
                    "r",
                    "Q",
                    "demand",
                    "mean",
                    "sd",
                    "lead_time",
                    "holding",
                    "backorder",
                    "fixed_cost",
                ]
            )
            for i in range(n):
                m = round(float(rng.uniform(1, 20)), 2)
                w.writerow(
                    [
                        f"SKU{i}",
                        "base-stock",
                        "",
                        int(3 * m + 2 * math.sqrt(3 * m)),
                        "",
                        "",
                        "poisson",
                        m,
                        "",
                        LEAD,
                        1,
                        9,
                        0,
                    ]
                )
        cmd = [
            str(exe),
            "simulate",
            "--catalog",
            str(path),
            "--periods",
            str(periods),
            "--warmup",
            "100",
            "--json",
        ]
        walls = []
        for _ in range(2):
            start = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            walls.append(time.perf_counter() - start)
    return {
        "items": n,
        "periods": periods,
        "warmup": 100,
        "wall_s": round(min(walls), 3),
        "wall_s_runs": [round(w, 3) for w in walls],
        "sku_periods_per_s": round(n * (periods + 100) / min(walls)),
        "ok": done.returncode == 0,
        "stdout_bytes": len(done.stdout),
        "stderr_tail": done.stderr[-300:] if done.returncode else "",
    }


def run() -> dict[str, object]:
    load_before = _load()
    rng = np.random.default_rng(0)
    items = _items(N_ITEMS, rng)
    work = N_ITEMS * N_PERIODS
    misses = _kernels.simulate_items_compiled.stats.cache_misses.copy()
    first_s = _timed(items[:200], 50, "compiled")  # JIT compile or load the numba cache
    compiled_now = _kernels.simulate_items_compiled.stats.cache_misses != misses
    kernel_s = min(_kernel_only(items, N_PERIODS) for _ in range(REPEATS))
    end_to_end_s = min(_timed(items, N_PERIODS, "compiled") for _ in range(REPEATS))
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        kernel_1t_s = min(_kernel_only(items, N_PERIODS) for _ in range(3))
    finally:
        numba.set_num_threads(threads)
    numpy_s = _timed(items, N_PERIODS, "numpy")
    py_items, py_periods = 100, 1_000
    python_s = _python_reference(py_items, py_periods, 7)
    jit_s = _jit_compile_s()
    kernel_rate = work / kernel_s
    compiled_rate = work / end_to_end_s
    numpy_rate = work / numpy_s
    python_rate = py_items * py_periods / python_s
    return {
        "work": f"{N_ITEMS} items x {N_PERIODS} periods, base-stock, Poisson, L={LEAD}",
        "load_average_before": load_before,
        "threads": threads,
        "jit_compile_s": round(jit_s, 1),
        "first_call_s": round(first_s, 3),
        "first_call": "JIT compiled" if compiled_now else "loaded from numba cache",
        "compiled_kernel_s": round(kernel_s, 4),
        "compiled_kernel_sku_periods_per_s": round(kernel_rate),
        "compiled_kernel_1_thread_sku_periods_per_s": round(work / kernel_1t_s),
        "compiled_end_to_end_s": round(end_to_end_s, 4),
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
        "load_average_after": _load(),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
