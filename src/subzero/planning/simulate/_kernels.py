"""Compiled (numba) hot loops of the simulator; ``_reference.py`` is their numpy twin.

Both kernels consume the same random numbers: a uniform for (item, period, stream) is a
SplitMix64 hash of a per-item key and a counter (Steele, Lea & Flood, "Fast splittable
pseudorandom number generators", OOPSLA 2014), so results do not depend on the number
of threads, and ``tests/planning/test_simulate_kernels.py`` checks that both kernels
return the same accumulators on the same draws. Discrete draws invert a tabulated CDF
with a guide table (Chen & Asau 1974; Devroye 1986, §III.2.4): O(1) expected work.

Period t of one item (conventions of ``docs/simulator.md``):

1. review: expedite (dual-index rule) then the regular order from the inventory
   position IP = on hand − backorders + on order; the order is split over at most two
   supplier slots, each with its own lead-time table and disruption window;
2. receive what is due at t (an order with lead time 0 arrives now) and fill
   backorders first-in first-out, recording each unit's wait t − c (c = day it was
   backordered);
3. demand: serve from on hand; the shortage is backordered, or lost in share α
   (lost = ⌊α·short + U⌋, so the expected lost share is exactly α);
4. costs on the end-of-period levels: h·on hand + p·backorders + p_lost·lost, K per order.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = [
    "BACKORDERED",
    "BACKORDERS",
    "BO_COST",
    "CHUNK",
    "DEMAND",
    "EXP_COST",
    "HOLD_COST",
    "KEPT",
    "LOST",
    "LOST_COST",
    "N_METRICS",
    "N_STREAMS",
    "ON_HAND",
    "ORDERS",
    "ORDER_COST",
    "P95",
    "SERVED",
    "WAIT_SUM",
    "simulate_items_compiled",
    "simulate_serial_compiled",
]

# accumulator columns, per (item, batch)
DEMAND, SERVED, BACKORDERED, LOST, ON_HAND, BACKORDERS = 0, 1, 2, 3, 4, 5
HOLD_COST, BO_COST, ORDER_COST, EXP_COST, ORDERS, WAIT_SUM = 6, 7, 8, 9, 10, 11
KEPT, P95, LOST_COST = 12, 13, 14
N_METRICS = 15
CHUNK = 64  # items per parallel task (fixed, so results do not depend on threads)
N_STREAMS = 8  # random streams per period: 0 demand, 1 lost rounding, 2-3 lead times

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0


@njit(cache=True, inline="always")
def _uniform(key, t, stream):  # type: ignore[no-untyped-def]
    z = key + np.uint64(t * N_STREAMS + stream + 1) * _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    z = z ^ (z >> _S31)
    return float(z >> _S11) * _INV53


@njit(cache=True, inline="always")
def _draw(u, cdf, guide, off, n):  # type: ignore[no-untyped-def]
    k = guide[off + int(u * n)]
    while cdf[off + k] <= u:
        k += 1
    return k


@njit(cache=True, inline="always")
def _order_qty(kind, a, b, ip, day):  # type: ignore[no-untyped-def]
    # the rules of planning.policies.kinds.order_quantity, kind codes of engine.policy_code
    if kind == 0:
        return max(0, -ip)
    if kind == 1:
        return max(0, a - ip)
    if kind == 2:
        return b - ip if ip <= a else 0
    if kind == 3:
        return b * ((a - ip) // b + 1) if ip <= a else 0
    if kind == 4:
        return max(0, b - ip) if day % a == 0 else 0
    return b - ip if ip < a else 0


@njit(cache=True)
def _hist_percentile(hist, q):  # type: ignore[no-untyped-def]
    """np.percentile(values, q) (linear interpolation) from a histogram of integers."""
    total = 0
    for w in range(hist.size):
        total += hist[w]
    if total == 0:
        return 0.0
    pos = q / 100.0 * (total - 1)
    lo_rank = int(np.floor(pos))
    frac = pos - lo_rank
    cum = 0
    lo_val = -1
    for w in range(hist.size):
        cum += hist[w]
        if lo_val < 0 and cum > lo_rank:
            lo_val = w
        if cum > lo_rank + 1 or (cum > lo_rank and frac == 0.0):
            return lo_val + frac * (w - lo_val)
    return float(lo_val)


@njit(cache=True, inline="always")
def _flush(acc, i, b, loc):  # type: ignore[no-untyped-def]
    for m in range(N_METRICS):
        if m != WAIT_SUM and m != KEPT and m != P95:
            acc[i, b, m] += loc[m]
            loc[m] = 0.0


@njit(cache=True)
def _run_item(i, chunk, T, warmup, nb, keys, regime, dcdf, dguide, doff, dlen, dlo,  # type: ignore[no-untyped-def]
              kind, pa, pb, share2, lcdf, loff, llen, llo, crossing, dis_a, dis_b,
              capacity, exp_lt, exp_up, lost_share, h, p, p_lost, k_fix, c_exp,
              promise, init_oh, H, qcap, acc, hist, bhist):
    W = hist.shape[1]
    measured = T - warmup
    pipe = np.zeros(H, np.int64)
    qc = np.empty(qcap, np.int64)
    qn = np.empty(qcap, np.int64)
    bh = np.zeros(W, np.int64)
    last = np.full(2, -1, np.int64)
    head = 0
    size = 0
    oh = init_oh[i]
    bo = 0
    onorder = 0
    key = keys[i]
    cur = -1
    loc = np.zeros(N_METRICS)
    for t in range(T):
        b = (t - warmup) * nb // measured if t >= warmup else -1
        if b != cur:
            if cur >= 0:
                acc[i, cur, P95] = _hist_percentile(bh, 95.0)
                bh[:] = 0
                _flush(acc, i, cur, loc)
            cur = b
        # 1. review: expedite (dual index), then the regular order
        if exp_lt[i] >= 0:
            ipe = oh - bo
            for d in range(exp_lt[i] + 1):
                ipe += pipe[(t + d) % H]
            qe = exp_up[i] - ipe
            if qe > 0:
                pipe[(t + exp_lt[i]) % H] += qe
                onorder += qe
                if b >= 0:
                    loc[EXP_COST] += c_exp[i] * qe
        q = _order_qty(kind[i], pa[i], pb[i], oh - bo + onorder, t)
        q = min(q, capacity[i])
        if q > 0:
            if b >= 0:
                loc[ORDER_COST] += k_fix[i]
                loc[ORDERS] += 1.0
            q2 = int(share2[i] * q)
            for slot in range(2):
                qs = q - q2 if slot == 0 else q2
                if qs <= 0:
                    continue
                n_lt = llen[slot, i]
                lt = llo[slot, i]
                if n_lt > 1:
                    u = _uniform(key, t, 2 + slot)
                    k = 0
                    while lcdf[loff[slot, i] + k] <= u:
                        k += 1
                    lt += k
                tau = t + lt
                if not crossing[i]:
                    tau = max(tau, last[slot])
                if dis_a[slot, i] <= tau <= dis_b[slot, i]:
                    tau = dis_b[slot, i] + 1
                last[slot] = tau
                pipe[tau % H] += qs
                onorder += qs
        # 2. receive, fill backorders first in, first out
        arrived = pipe[t % H]
        if arrived > 0:
            pipe[t % H] = 0
            onorder -= arrived
            fill = min(arrived, bo)
            bo -= fill
            oh += arrived - fill
            while fill > 0:
                c = qc[head]
                take = min(qn[head], fill)
                if c >= warmup:
                    w = t - c
                    cb = (c - warmup) * nb // measured
                    acc[i, cb, WAIT_SUM] += take * w
                    if w <= promise[i]:
                        acc[i, cb, KEPT] += take
                    wc = min(w, W - 1)
                    hist[i, wc] += take
                    bh[wc] += take
                    bhist[chunk, b, wc] += take
                fill -= take
                if take == qn[head]:
                    head = (head + 1) % qcap
                    size -= 1
                else:
                    qn[head] -= take
        # 3. demand
        r = regime[t]
        d = dlo[r, i] + _draw(_uniform(key, t, 0), dcdf, dguide, doff[r, i], dlen[r, i])
        served = min(d, oh)
        oh -= served
        short = d - served
        lost = 0
        if short > 0:
            alpha = lost_share[i]
            if alpha >= 1.0:
                lost = short
            elif alpha > 0.0:
                lost = int(alpha * short + _uniform(key, t, 1))
            new_bo = short - lost
            if new_bo > 0:
                if size == qcap:
                    return False
                qc[(head + size) % qcap] = t
                qn[(head + size) % qcap] = new_bo
                size += 1
                bo += new_bo
        # 4. end-of-period accounting
        if b >= 0:
            loc[DEMAND] += d
            loc[SERVED] += served
            loc[BACKORDERED] += short - lost
            loc[LOST] += lost
            loc[ON_HAND] += oh
            loc[BACKORDERS] += bo
            loc[HOLD_COST] += h[i] * oh
            loc[BO_COST] += p[i] * bo
            loc[LOST_COST] += p_lost[i] * lost
    # lines still waiting count with their age so far (a lower bound)
    for j in range(size):
        slot_j = (head + j) % qcap
        c = qc[slot_j]
        if c >= warmup:
            w = T - c
            cb = (c - warmup) * nb // measured
            acc[i, cb, WAIT_SUM] += qn[slot_j] * w
            if w <= promise[i]:
                acc[i, cb, KEPT] += qn[slot_j]
            wc = min(w, W - 1)
            hist[i, wc] += qn[slot_j]
            bh[wc] += qn[slot_j]
            bhist[chunk, cur, wc] += qn[slot_j]
    if cur >= 0:
        acc[i, cur, P95] = _hist_percentile(bh, 95.0)
        _flush(acc, i, cur, loc)
    return True


@njit(cache=True, parallel=True)
def simulate_items_compiled(T, warmup, nb, keys, regime, dcdf, dguide, doff, dlen, dlo,  # type: ignore[no-untyped-def]
                            kind, pa, pb, share2, lcdf, loff, llen, llo, crossing, dis_a,
                            dis_b, capacity, exp_lt, exp_up, lost_share, h, p, p_lost,
                            k_fix, c_exp, promise, init_oh, H, qcap, acc, hist,
                            bhist):
    """Single-stage items, parallel over chunks of CHUNK items; returns #queue overflows."""
    n = keys.size
    n_chunks = (n + CHUNK - 1) // CHUNK
    overflow = np.zeros(n_chunks, np.int64)
    for chunk in prange(n_chunks):
        for i in range(chunk * CHUNK, min(n, (chunk + 1) * CHUNK)):
            ok = _run_item(i, chunk, T, warmup, nb, keys, regime, dcdf, dguide, doff, dlen,
                           dlo, kind, pa, pb, share2, lcdf, loff, llen, llo, crossing, dis_a,
                           dis_b, capacity, exp_lt, exp_up, lost_share, h, p, p_lost, k_fix,
                           c_exp, promise, init_oh, H, qcap, acc, hist, bhist)
            if not ok:
                overflow[chunk] += 1
    return overflow.sum()


@njit(cache=True)
def _run_serial(i, chunk, T, warmup, nb, keys, regime, dcdf, dguide, doff, dlen, dlo,  # type: ignore[no-untyped-def]
                s_ech, lead, h_ech, p, promise, H, qcap, acc, hist,
                bhist):
    W = hist.shape[1]
    n_st = s_ech.size
    measured = T - warmup
    h_total = 0.0
    for j in range(n_st):
        h_total += h_ech[j]
    oh = np.zeros(n_st, np.int64)
    for j in range(n_st):
        oh[j] = max(0, s_ech[j] - (s_ech[j - 1] if j > 0 else 0))
    transit = np.zeros(n_st, np.int64)
    owed = np.zeros(n_st, np.int64)
    pipe = np.zeros((n_st, H), np.int64)
    qc = np.empty(qcap, np.int64)
    qn = np.empty(qcap, np.int64)
    bh = np.zeros(W, np.int64)
    head = 0
    size = 0
    bo = 0
    key = keys[i]
    cur = -1
    for t in range(T):
        b = (t - warmup) * nb // measured if t >= warmup else -1
        if b != cur:
            if cur >= 0:
                acc[i, cur, P95] = _hist_percentile(bh, 95.0)
                bh[:] = 0
            cur = b
        for j in range(n_st):
            a = pipe[j, t % H]
            pipe[j, t % H] = 0
            oh[j] += a
            transit[j] -= a
        # stages order and ship from the top (stage N) down to stage 1
        for j in range(n_st - 1, -1, -1):
            ip = owed[j] - bo
            for k in range(j + 1):
                ip += oh[k] + transit[k]
            owed[j] += max(0, s_ech[j] - ip)
            ship = owed[j] if j == n_st - 1 else min(owed[j], oh[j + 1])
            if ship > 0:
                owed[j] -= ship
                if j < n_st - 1:
                    oh[j + 1] -= ship
                if lead[j] == 0:
                    oh[j] += ship
                else:
                    pipe[j, (t + lead[j]) % H] += ship
                    transit[j] += ship
        fill = min(oh[0], bo)
        bo -= fill
        oh[0] -= fill
        while fill > 0:
            c = qc[head]
            take = min(qn[head], fill)
            if c >= warmup:
                w = t - c
                cb = (c - warmup) * nb // measured
                acc[i, cb, WAIT_SUM] += take * w
                if w <= promise:
                    acc[i, cb, KEPT] += take
                wc = min(w, W - 1)
                hist[i, wc] += take
                bh[wc] += take
                bhist[chunk, b, wc] += take
            fill -= take
            if take == qn[head]:
                head = (head + 1) % qcap
                size -= 1
            else:
                qn[head] -= take
        r = regime[t]
        d = dlo[r, i] + _draw(_uniform(key, t, 0), dcdf, dguide, doff[r, i], dlen[r, i])
        served = min(d, oh[0])
        oh[0] -= served
        short = d - served
        if short > 0:
            if size == qcap:
                return False
            qc[(head + size) % qcap] = t
            qn[(head + size) % qcap] = short
            size += 1
            bo += short
        if b >= 0:
            hold = h_total * bo
            level = -bo
            for j in range(n_st):
                level += oh[j] + (transit[j - 1] if j > 0 else 0)
                hold += h_ech[j] * level
            acc[i, b, DEMAND] += d
            acc[i, b, SERVED] += served
            acc[i, b, BACKORDERED] += short
            acc[i, b, ON_HAND] += oh[0]
            acc[i, b, BACKORDERS] += bo
            acc[i, b, HOLD_COST] += hold
            acc[i, b, BO_COST] += p * bo
    for j in range(size):
        slot_j = (head + j) % qcap
        c = qc[slot_j]
        if c >= warmup:
            w = T - c
            cb = (c - warmup) * nb // measured
            acc[i, cb, WAIT_SUM] += qn[slot_j] * w
            if w <= promise:
                acc[i, cb, KEPT] += qn[slot_j]
            wc = min(w, W - 1)
            hist[i, wc] += qn[slot_j]
            bh[wc] += qn[slot_j]
            bhist[chunk, cur, wc] += qn[slot_j]
    if cur >= 0:
        acc[i, cur, P95] = _hist_percentile(bh, 95.0)
    return True


@njit(cache=True, parallel=True)
def simulate_serial_compiled(T, warmup, nb, keys, regime, dcdf, dguide, doff, dlen, dlo,  # type: ignore[no-untyped-def]
                             s_ech, lead, h_ech, p, promise, H, qcap, acc, hist,
                             bhist):
    """Serial systems (one per item row, e.g. replications); returns #queue overflows."""
    n = keys.size
    n_chunks = (n + CHUNK - 1) // CHUNK
    overflow = np.zeros(n_chunks, np.int64)
    for chunk in prange(n_chunks):
        for i in range(chunk * CHUNK, min(n, (chunk + 1) * CHUNK)):
            ok = _run_serial(i, chunk, T, warmup, nb, keys, regime, dcdf, dguide, doff, dlen,
                             dlo, s_ech, lead, h_ech, p, promise, H, qcap, acc, hist, bhist)
            if not ok:
                overflow[chunk] += 1
    return overflow.sum()
