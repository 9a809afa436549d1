"""Pure-numpy reference of the simulator kernels: vectorised over items, a loop over periods.

It follows ``_kernels.py`` step by step on the same random numbers (the counter-based
uniforms below) and fills the same accumulators, so the compiled kernel can be checked
against it (``tests/planning/test_simulate_kernels.py``) and benchmarked against it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from subzero.planning.simulate._kernels import (
    BACKORDERED,
    BACKORDERS,
    BO_COST,
    CHUNK,
    DEMAND,
    EXP_COST,
    HOLD_COST,
    KEPT,
    LOST,
    LOST_COST,
    N_STREAMS,
    ON_HAND,
    ORDER_COST,
    ORDERS,
    P95,
    SERVED,
    WAIT_SUM,
)

__all__ = [
    "hist_percentile_rows",
    "order_quantity_vector",
    "simulate_items_reference",
    "simulate_serial_reference",
    "uniforms",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_GOLDEN = 0x9E3779B97F4A7C15
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_INV53 = 1.0 / 9007199254740992.0


def _hash53(keys: npt.NDArray[np.uint64], t: int, stream: int) -> IntArray:
    """Top 53 bits of SplitMix64(key + counter·φ), counter = t · N_STREAMS + stream + 1."""
    z = keys + np.uint64(((t * N_STREAMS + stream + 1) * _GOLDEN) % (1 << 64))
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.int64)


def uniforms(keys: npt.NDArray[np.uint64], t: int, stream: int) -> FloatArray:
    """U[0,1) for each key at period ``t`` on ``stream`` (SplitMix64 of key + counter·φ)."""
    return _hash53(keys, t, stream).astype(np.float64) * _INV53


def _draw(
    m: IntArray, thr: IntArray, guide: Any, off: IntArray, goff: IntArray, shift: IntArray
) -> IntArray:
    """#{k : thr[off + k] ≤ m} per item, searching up from the guide entry."""
    k: IntArray = np.asarray(guide[goff + (m >> shift)], dtype=np.int64)
    while True:
        step = thr[off + k] <= m
        if not step.any():
            return k
        k = k + step


def hist_percentile_rows(hist: IntArray, q: float = 95.0) -> FloatArray:
    """Row-wise np.percentile(values, q) from histograms of integer values, shape (m, W)."""
    total = hist.sum(axis=1)
    pos = q / 100.0 * (total - 1)
    lo_rank = np.floor(pos).astype(np.int64)
    frac = pos - lo_rank
    cum = np.cumsum(hist, axis=1)
    lo_val = np.argmax(cum > lo_rank[:, None], axis=1)
    hi_val = np.argmax(cum > (lo_rank + 1)[:, None], axis=1)
    out = np.where(frac == 0.0, lo_val.astype(np.float64), lo_val + frac * (hi_val - lo_val))
    return np.where(total == 0, 0.0, out)


def order_quantity_vector(
    kind: IntArray, a: IntArray, b: IntArray, ip: IntArray, day: int
) -> IntArray:
    """``kinds.order_quantity`` over arrays (kind codes of ``engine.policy_code``)."""
    review = np.where(kind == 4, a, 1)
    q_multiple = np.maximum(b, 1)
    out = np.select(
        [kind == 0, kind == 1, kind == 2, kind == 3, kind == 4],
        [
            np.maximum(0, -ip),
            np.maximum(0, a - ip),
            np.where(ip <= a, b - ip, 0),
            np.where(ip <= a, b * ((a - ip) // q_multiple + 1), 0),
            np.where(day % review == 0, np.maximum(0, b - ip), 0),
        ],
        np.where(ip < a, b - ip, 0),
    )
    return np.asarray(out, dtype=np.int64)


class _Waits:
    """FIFO queues of backordered cohorts (day, units), one per item, and wait records."""

    def __init__(
        self,
        n: int,
        qcap: int,
        warmup: int,
        nb: int,
        measured: int,
        promise: IntArray,
        acc: FloatArray,
        hist: IntArray,
        bhist: IntArray,
    ):
        self.qc = np.zeros((n, qcap), np.int64)
        self.qn = np.zeros((n, qcap), np.int64)
        self.head = np.zeros(n, np.int64)
        self.size = np.zeros(n, np.int64)
        self.bh = np.zeros((n, hist.shape[1]), np.int64)
        self.chunk = np.arange(n) // CHUNK
        self.qcap, self.warmup, self.nb, self.measured = qcap, warmup, nb, measured
        self.promise, self.acc, self.hist, self.bhist = promise, acc, hist, bhist

    def record(self, rows: IntArray, c: IntArray, units: IntArray, w: IntArray, b: int) -> None:
        keep = c >= self.warmup
        rows, c, units, w = rows[keep], c[keep], units[keep], w[keep]
        cb = (c - self.warmup) * self.nb // self.measured
        self.acc[rows, cb, WAIT_SUM] += units * w
        kept = w <= self.promise[rows]
        self.acc[rows[kept], cb[kept], KEPT] += units[kept]
        wc = np.minimum(w, self.hist.shape[1] - 1)
        self.hist[rows, wc] += units
        self.bh[rows, wc] += units
        np.add.at(self.bhist, (self.chunk[rows], np.full(rows.size, b), wc), units)

    def fill(self, fill: IntArray, t: int, b: int) -> None:
        rem = fill.copy()
        while True:
            rows = np.flatnonzero(rem > 0)
            if rows.size == 0:
                return
            hd = self.head[rows]
            avail = self.qn[rows, hd]
            take = np.minimum(avail, rem[rows])
            c = self.qc[rows, hd]
            self.record(rows, c, take, t - c, b)
            rem[rows] -= take
            done = take == avail
            self.head[rows[done]] = (hd[done] + 1) % self.qcap
            self.size[rows[done]] -= 1
            self.qn[rows[~done], hd[~done]] -= take[~done]

    def push(self, units: IntArray, t: int) -> bool:
        rows = np.flatnonzero(units > 0)
        if (self.size[rows] == self.qcap).any():
            return False
        tail = (self.head[rows] + self.size[rows]) % self.qcap
        self.qc[rows, tail] = t
        self.qn[rows, tail] = units[rows]
        self.size[rows] += 1
        return True

    def close_batch(self, cur: int) -> None:
        self.acc[:, cur, P95] = hist_percentile_rows(self.bh)
        self.bh[:] = 0

    def flush(self, T: int, cur: int) -> None:
        for j in range(int(self.size.max(initial=0))):
            rows = np.flatnonzero(self.size > j)
            slot = (self.head[rows] + j) % self.qcap
            c = self.qc[rows, slot]
            self.record(rows, c, self.qn[rows, slot], T - c, cur)
        self.close_batch(cur)


def simulate_items_reference(
    T: int,
    warmup: int,
    nb: int,
    keys: Any,
    regime: Any,
    thr: Any,
    guide: Any,
    doff: Any,
    dgoff: Any,
    dshift: Any,
    dlo: Any,
    kind: Any,
    pa: Any,
    pb: Any,
    share2: Any,
    lcdf: Any,
    loff: Any,
    llen: Any,
    llo: Any,
    crossing: Any,
    dis_a: Any,
    dis_b: Any,
    capacity: Any,
    exp_lt: Any,
    exp_up: Any,
    lost_share: Any,
    h: Any,
    p: Any,
    p_lost: Any,
    k_fix: Any,
    c_exp: Any,
    promise: Any,
    init_oh: Any,
    fast: Any,
    H: int,
    qcap: int,
    acc: Any,
    hist: Any,
    bhist: Any,
) -> int:
    """Numpy twin of ``_kernels.simulate_items_compiled`` (same arguments and outputs).

    ``fast`` is ignored: every item follows the general rules, which the compiled fast
    path reproduces exactly. Costs are h·Σ on hand etc. per batch, as in the kernels.
    """
    n = keys.size
    measured = T - warmup
    waits = _Waits(n, qcap, warmup, nb, measured, promise, acc, hist, bhist)
    pipe = np.zeros((n, H), np.int64)
    last = np.full((2, n), -1, np.int64)
    oh = init_oh.astype(np.int64).copy()
    bo = np.zeros(n, np.int64)
    onorder = np.zeros(n, np.int64)
    rows_e = np.flatnonzero(exp_lt >= 0)
    cur = -1
    for t in range(T):
        b = (t - warmup) * nb // measured if t >= warmup else -1
        if b != cur:
            if cur >= 0:
                waits.close_batch(cur)
            cur = b
        if rows_e.size:
            le = exp_lt[rows_e]
            ipe = oh[rows_e] - bo[rows_e]
            for d in range(int(le.max()) + 1):
                ipe = ipe + np.where(d <= le, pipe[rows_e, (t + d) % H], 0)
            qe = exp_up[rows_e] - ipe
            pos = qe > 0
            re, qe = rows_e[pos], qe[pos]
            pipe[re, (t + exp_lt[re]) % H] += qe
            onorder[re] += qe
            if b >= 0:
                acc[re, b, EXP_COST] += c_exp[re] * qe
        q = np.minimum(order_quantity_vector(kind, pa, pb, oh - bo + onorder, t), capacity)
        if b >= 0:
            acc[q > 0, b, ORDERS] += 1.0
        q2 = (share2 * q).astype(np.int64)
        for slot in range(2):
            qs = q - q2 if slot == 0 else q2
            rows = np.flatnonzero(qs > 0)
            lt = llo[slot, rows].copy()
            multi = rows[llen[slot, rows] > 1]
            if multi.size:
                u = uniforms(keys[multi], t, 2 + slot)
                off = loff[slot, multi]
                k = np.zeros(multi.size, np.int64)
                while True:
                    step = lcdf[off + k] <= u
                    if not step.any():
                        break
                    k += step
                lt[llen[slot, rows] > 1] += k
            tau = t + lt
            tau = np.where(crossing[rows], tau, np.maximum(tau, last[slot, rows]))
            hit = (dis_a[slot, rows] <= tau) & (tau <= dis_b[slot, rows])
            tau = np.where(hit, dis_b[slot, rows] + 1, tau)
            last[slot, rows] = tau
            pipe[rows, tau % H] += qs[rows]
            onorder[rows] += qs[rows]
        arrived = pipe[:, t % H].copy()
        pipe[:, t % H] = 0
        onorder -= arrived
        fill = np.minimum(arrived, bo)
        bo -= fill
        oh += arrived - fill
        waits.fill(fill, t, b)
        r = regime[t]
        d = dlo[r] + _draw(_hash53(keys, t, 0), thr, guide, doff[r], dgoff[r], dshift[r])
        served = np.minimum(d, oh)
        oh -= served
        short = d - served
        lost = np.where((short > 0) & (lost_share >= 1.0), short, 0)
        part = np.flatnonzero((short > 0) & (lost_share > 0.0) & (lost_share < 1.0))
        if part.size:
            lost[part] = (lost_share[part] * short[part] + uniforms(keys[part], t, 1)).astype(
                np.int64
            )
        if not waits.push(short - lost, t):
            return 1
        bo += short - lost
        if b >= 0:
            acc[:, b, DEMAND] += d
            acc[:, b, SERVED] += served
            acc[:, b, BACKORDERED] += short - lost
            acc[:, b, LOST] += lost
            acc[:, b, ON_HAND] += oh
            acc[:, b, BACKORDERS] += bo
    waits.flush(T, cur)
    acc[:, :, HOLD_COST] = h[:, None] * acc[:, :, ON_HAND]
    acc[:, :, BO_COST] = p[:, None] * acc[:, :, BACKORDERS]
    acc[:, :, LOST_COST] = p_lost[:, None] * acc[:, :, LOST]
    acc[:, :, ORDER_COST] = k_fix[:, None] * acc[:, :, ORDERS]
    return 0


def simulate_serial_reference(
    T: int,
    warmup: int,
    nb: int,
    keys: Any,
    regime: Any,
    thr: Any,
    guide: Any,
    doff: Any,
    dgoff: Any,
    dshift: Any,
    dlo: Any,
    s_ech: Any,
    lead: Any,
    h_ech: Any,
    p: float,
    promise: int,
    H: int,
    qcap: int,
    acc: Any,
    hist: Any,
    bhist: Any,
) -> int:
    """Numpy twin of ``_kernels.simulate_serial_compiled``."""
    n = keys.size
    n_st = s_ech.size
    measured = T - warmup
    waits = _Waits(n, qcap, warmup, nb, measured, np.full(n, promise, np.int64), acc, hist, bhist)
    local = np.maximum(0, s_ech - np.concatenate([[0], s_ech[:-1]]))
    oh = np.tile(local, (n, 1)).astype(np.int64)
    transit = np.zeros((n, n_st), np.int64)
    owed = np.zeros((n, n_st), np.int64)
    pipe = np.zeros((n, n_st, H), np.int64)
    bo = np.zeros(n, np.int64)
    h_total = float(h_ech.sum())
    cur = -1
    for t in range(T):
        b = (t - warmup) * nb // measured if t >= warmup else -1
        if b != cur:
            if cur >= 0:
                waits.close_batch(cur)
            cur = b
        a = pipe[:, :, t % H].copy()
        pipe[:, :, t % H] = 0
        oh += a
        transit -= a
        for j in range(n_st - 1, -1, -1):
            ip = owed[:, j] - bo + oh[:, : j + 1].sum(axis=1) + transit[:, : j + 1].sum(axis=1)
            owed[:, j] += np.maximum(0, s_ech[j] - ip)
            ship = owed[:, j].copy() if j == n_st - 1 else np.minimum(owed[:, j], oh[:, j + 1])
            owed[:, j] -= ship
            if j < n_st - 1:
                oh[:, j + 1] -= ship
            if lead[j] == 0:
                oh[:, j] += ship
            else:
                pipe[:, j, (t + lead[j]) % H] += ship
                transit[:, j] += ship
        fill = np.minimum(oh[:, 0], bo)
        bo -= fill
        oh[:, 0] -= fill
        waits.fill(fill, t, b)
        r = regime[t]
        d = dlo[r] + _draw(_hash53(keys, t, 0), thr, guide, doff[r], dgoff[r], dshift[r])
        served = np.minimum(d, oh[:, 0])
        oh[:, 0] -= served
        short = d - served
        if not waits.push(short, t):
            return 1
        bo += short
        if b >= 0:
            hold = h_total * bo
            level = -bo
            for j in range(n_st):
                level = level + oh[:, j] + (transit[:, j - 1] if j > 0 else 0)
                hold = hold + h_ech[j] * level
            acc[:, b, DEMAND] += d
            acc[:, b, SERVED] += served
            acc[:, b, BACKORDERED] += short
            acc[:, b, ON_HAND] += oh[:, 0]
            acc[:, b, BACKORDERS] += bo
            acc[:, b, HOLD_COST] += hold
            acc[:, b, BO_COST] += p * bo
    waits.flush(T, cur)
    return 0
