"""Numba kernel: Zheng–Federgruen (s, S) search for many Poisson items.

The plain-Python reference is ``subzero.planning.policies.s_S.ss_exact``; the tests
check that both return the same (s, S, cost) item by item. Formulas are documented
there. Importing this module compiles nothing; the first call compiles (or loads the
on-disk cache, ``cache=True``).
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

__all__ = ["solve_poisson_batch"]


@numba.njit(cache=True)
def _poisson_pmf(mean: float) -> Any:
    hi = int(mean + 12.0 * math.sqrt(mean) + 30.0)
    pmf = np.zeros(hi + 1)
    # log-space start avoids underflow of exp(-mean) for large means
    mode = int(mean)
    log_mode = -mean + mode * math.log(mean) - math.lgamma(mode + 1.0) if mean > 0 else 0.0
    pmf[mode] = math.exp(log_mode)
    for k in range(mode + 1, hi + 1):
        pmf[k] = pmf[k - 1] * mean / k
    for k in range(mode - 1, -1, -1):
        pmf[k] = pmf[k + 1] * (k + 1) / mean
    return pmf / pmf.sum()


@numba.njit(cache=True)
def _g(y: int, leftover: Any, mean_ltd: float, h: float, p: float) -> float:
    n = leftover.size - 1
    if y <= 0:
        a = 0.0
    elif y <= n:
        a = leftover[y]
    else:
        a = leftover[n] + (y - n)
    return h * a + p * (a + mean_ltd - y)


@numba.njit(cache=True)
def _ensure(m: Any, big_m: Any, filled: int, need: int, pmf: Any) -> Any:
    """Extend renewal masses m(0..need-1), M(0..need); returns (m, big_m, filled)."""
    if need > m.size:
        size = max(need, 2 * m.size)
        m2 = np.zeros(size)
        m2[: m.size] = m
        bm2 = np.zeros(size + 1)
        bm2[: big_m.size] = big_m
        m, big_m = m2, bm2
    last = pmf.size - 1
    for j in range(filled, need):
        total = 0.0
        for lag in range(1, min(j, last) + 1):
            total += pmf[lag] * m[j - lag]
        m[j] = total * m[0]
        big_m[j + 1] = big_m[j] + m[j]
    return m, big_m, max(filled, need)


@numba.njit(cache=True)
def _solve_one(mean: float, h: float, p: float, k: float, lead_time: int) -> Any:
    pmf = _poisson_pmf(mean)
    ltd = _poisson_pmf(mean * (lead_time + 1))
    cdf = np.cumsum(ltd)
    leftover = np.zeros(ltd.size + 1)  # leftover[y] = sum_{j<y} F(j)
    for y in range(1, ltd.size + 1):
        leftover[y] = leftover[y - 1] + cdf[y - 1]
    mean_ltd = mean * (lead_time + 1)

    m = np.zeros(64)
    big_m = np.zeros(65)
    m[0] = 1.0 / (1.0 - pmf[0])
    big_m[1] = m[0]
    filled = 1

    y_star = 0
    while _g(y_star + 1, leftover, mean_ltd, h, p) < _g(y_star, leftover, mean_ltd, h, p):
        y_star += 1

    big_s = y_star
    s = y_star - 1
    while True:
        n = big_s - s
        m, big_m, filled = _ensure(m, big_m, filled, n, pmf)
        total = k
        for j in range(n):
            total += m[j] * _g(big_s - j, leftover, mean_ltd, h, p)
        c = total / big_m[n]
        if c <= _g(s, leftover, mean_ltd, h, p):
            break
        s -= 1
    best = c
    cand = big_s + 1
    while _g(cand, leftover, mean_ltd, h, p) <= best:
        n = cand - s
        m, big_m, filled = _ensure(m, big_m, filled, n, pmf)
        total = k
        for j in range(n):
            total += m[j] * _g(cand - j, leftover, mean_ltd, h, p)
        c = total / big_m[n]
        if c < best:
            big_s = cand
            while True:
                n = big_s - s
                m, big_m, filled = _ensure(m, big_m, filled, n, pmf)
                total = k
                for j in range(n):
                    total += m[j] * _g(big_s - j, leftover, mean_ltd, h, p)
                c = total / big_m[n]
                if c <= _g(s + 1, leftover, mean_ltd, h, p):
                    s += 1
                else:
                    break
            best = c
        cand += 1
    return s, big_s, best


@numba.njit(cache=True, parallel=True)
def _solve_batch(means: Any, h: float, p: float, k: float, lead_time: int) -> Any:
    n = means.size
    s_out = np.zeros(n, dtype=np.int64)
    big_out = np.zeros(n, dtype=np.int64)
    cost_out = np.zeros(n)
    for i in numba.prange(n):
        s, big_s, c = _solve_one(means[i], h, p, k, lead_time)
        s_out[i] = s
        big_out[i] = big_s
        cost_out[i] = c
    return s_out, big_out, cost_out


def solve_poisson_batch(
    means: Any, h: float, p: float, k: float, lead_time: int
) -> tuple[Any, Any, Any]:
    """(s, S, cost) arrays for Poisson means ``means`` (shape (n_items,))."""
    s, big_s, cost = _solve_batch(means, h, p, k, lead_time)
    return s, big_s, cost
