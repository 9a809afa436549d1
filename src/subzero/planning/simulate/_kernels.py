"""Compiled (numba) hot loops of the simulator; ``_reference.py`` is their numpy twin.

Both kernels consume the same random numbers: a uniform for (item, period, stream) is a
SplitMix64 hash of a per-item key and a counter (Steele, Lea & Flood, "Fast splittable
pseudorandom number generators", OOPSLA 2014), so results do not depend on the number
of threads, and ``tests/planning/test_simulate_kernels.py`` checks that both kernels
return the same accumulators on the same draws. Discrete draws invert a tabulated CDF
with a guide table (Chen & Asau 1974; Devroye 1986, §III.2.4): O(1) expected work, on
integers: the hash gives a 53-bit m (u = m / 2⁵³), the table holds ⌈F(k)·2⁵³⌉, and the
guide is indexed by the top bits of m (``demand.guide_tables``).

Two item kernels share these draws and conventions:

* ``_run_fast`` — the common case: any policy of ``engine.policy_code``, one supplier
  with a fixed lead time L, no expedite, no disruption (so orders never cross), any
  capacity and lost share. Its state lives in registers (net stock, inventory position,
  review countdown, per-batch integer sums), the pipeline is an array of receipts by
  day (one order per day: a plain store and a plain load, unsigned indices without
  negative-index fix-ups), days run in segments between batch boundaries and
  demand-regime changes (``_fast_segment``, with a separate loop for up-to policies
  reviewed daily), so a day costs one hash, one guide look-up and a handful of integer
  operations. The backorder FIFO is not walked in the
  loop: new backorders and fills are appended to a log in time order and
  ``_fast_waits`` matches them first in, first out after the run (exact waits,
  amortised O(1) per day).
* ``_run_item`` — everything else (stochastic lead times, a second supplier, expediting,
  disruption windows, non-crossing orders).

Costs are charged per batch as h·Σ on hand, p·Σ backorders, p_lost·Σ lost and K·#orders
(integer sums, so the three kernels agree exactly).

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
    "fill_guides",
    "needs_compiling",
    "poisson_tables",
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


_STEP = np.uint64(N_STREAMS * 0x9E3779B97F4A7C15 % (1 << 64))  # counter step per period
_ONE = np.uint64(1)
_BIG_CAP = np.iinfo(np.int64).max // 4  # engine._BIG: no capacity limit


@njit(cache=True, inline="always")
def _mix(z):  # type: ignore[no-untyped-def]
    """SplitMix64 finaliser of counter value z, top 53 bits as an int64."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    z = z ^ (z >> _S31)
    return np.int64(z >> _S11)


@njit(cache=True, inline="always")
def _uniform(key, t, stream):  # type: ignore[no-untyped-def]
    return float(_mix(key + np.uint64(t * N_STREAMS + stream + 1) * _GOLDEN)) * _INV53


@njit(cache=True, inline="always")
def _draw(m, thr, guide, off, goff, shift):  # type: ignore[no-untyped-def]
    """#{k : thr[off + k] ≤ m}: the inverse-CDF draw of u = m / 2⁵³."""
    k = np.int64(guide[goff + (m >> shift)])
    while thr[off + k] <= m:
        k += 1
    return k


@njit(cache=True)
def _poisson_window(x, buf):  # type: ignore[no-untyped-def]
    """Unnormalised Poisson(x) pmf on a..b into buf[0 : b−a+1]; returns (a, b, total)."""
    span = int(10.0 * np.sqrt(x) + 20.0)
    mode = int(np.floor(x))
    a = max(0, mode - span)
    b = mode + span + 1
    buf[mode - a] = 1.0
    for k in range(mode - 1, a - 1, -1):
        buf[k - a] = buf[k + 1 - a] * (k + 1) / x
    for k in range(mode + 1, b + 1):
        buf[k - a] = buf[k - 1 - a] * x / k
    total = 0.0
    for k in range(b, a - 1, -1):  # small terms first
        total += buf[k - a]
    return a, b, total


@njit(cache=True)
def poisson_tables(lam, tail):  # type: ignore[no-untyped-def]
    """(lowest values, lengths, CDFs back to back) of Poisson(λ) tables, λ ≥ 0.

    Table j runs from lo = min{k : F(k) ≥ tail} to max(lo, min{k : P(D > k) ≤ tail} + 1),
    the last entry set to 1. The pmf is built by the ratio recursion p(k±1)/p(k) from the
    mode over λ ± (10√λ + 20) (the mass outside is < 1e-20) and normalised, so no
    factorial or incomplete gamma function is evaluated (relative error ~1e-14).
    """
    n = lam.size
    lo = np.zeros(n, np.int64)
    length = np.ones(n, np.int64)
    width = 1
    for j in range(n):
        width = max(width, 2 * int(10.0 * np.sqrt(lam[j]) + 20.0) + 2)
    buf = np.empty(width)
    for j in range(n):
        if lam[j] <= 0.0:
            continue
        a, b, total = _poisson_window(lam[j], buf)
        cum = 0.0
        k_lo = a
        for k in range(a, b + 1):
            cum += buf[k - a]
            if cum / total >= tail:
                k_lo = k
                break
        upper = 0.0  # P(D > k) at the top of the loop
        hi_p = a  # becomes min{k : P(D > k) ≤ tail}
        for k in range(b, a - 1, -1):
            if upper / total > tail:
                hi_p = k + 1
                break
            upper += buf[k - a]
        lo[j] = k_lo
        length[j] = max(k_lo, hi_p + 1) - k_lo + 1
    out = np.empty(length.sum())
    pos = 0
    for j in range(n):
        if lam[j] > 0.0:
            a, b, total = _poisson_window(lam[j], buf)
            cum = 0.0
            for k in range(a, lo[j]):
                cum += buf[k - a]
            for k in range(lo[j], lo[j] + length[j]):
                if k <= b:
                    cum += buf[k - a]
                out[pos] = min(1.0, cum / total)
                pos += 1
        else:
            pos += 1
        out[pos - 1] = 1.0
    return lo, length, out


@njit(cache=True)
def fill_guides(thr, off, length, goff, shift, guide):  # type: ignore[no-untyped-def]
    """guide[goff_j + i] = #{k : thr[off_j + k] ≤ i · 2^shift_j} for every table j."""
    for j in range(off.size):
        k = 0
        n = length[j]
        for i in range(np.int64(1) << (53 - shift[j])):
            edge = np.int64(i) << shift[j]
            while k < n and thr[off[j] + k] <= edge:
                k += 1
            guide[goff[j] + i] = k


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
def _close_batch(acc, i, b, bh, bh_top):  # type: ignore[no-untyped-def]
    """P95 of the batch from its wait histogram bh[0 : bh_top + 1], then clear it."""
    if bh_top >= 0:
        acc[i, b, P95] = _hist_percentile(bh[: bh_top + 1], 95.0)
        bh[: bh_top + 1] = 0


@njit(cache=True, inline="always")
def _flush(acc, i, b, loc, h, p, p_lost, k_fix):  # type: ignore[no-untyped-def]
    # costs from the integer sums: identical in every kernel
    loc[HOLD_COST] = h * loc[ON_HAND]
    loc[BO_COST] = p * loc[BACKORDERS]
    loc[LOST_COST] = p_lost * loc[LOST]
    loc[ORDER_COST] = k_fix * loc[ORDERS]
    for m in range(N_METRICS):
        if m != WAIT_SUM and m != KEPT and m != P95:
            acc[i, b, m] += loc[m]
            loc[m] = 0.0


@njit(cache=True, inline="always")
def _record(acc, hist, bhist, bh, i, chunk, b, cb, units, w, promise):  # type: ignore[no-untyped-def]
    """Record ``units`` backordered in batch cb that waited w days, ended in batch b."""
    acc[i, cb, WAIT_SUM] += units * w
    if w <= promise:
        acc[i, cb, KEPT] += units
    wc = min(w, hist.shape[1] - 1)
    hist[i, wc] += units
    bh[wc] += units
    bhist[chunk, b, wc] += units
    return wc


@njit(cache=True, inline="always")
def _mix53(z):  # type: ignore[no-untyped-def]
    """``_mix`` as a uint64 (unsigned indices skip numba's negative-index fix-up)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    z = z ^ (z >> _S31)
    return z >> _S11


@njit(cache=True, inline="always")
def _fast_segment(  # type: ignore[no-untyped-def]
    generic,
    t0,
    t1,
    due,
    due_later,
    thr_i,
    guide_i,
    shift,
    lo,
    review,
    qstep,
    trig,
    target,
    cap,
    alpha,
    key,
    log,
    n_log,
    z,
    net,
    ip,
    countdown,
    s_d,
    s_net,
    s_bo,
    s_orders,
    s_lost,
):
    """Days t0 … t1 − 1 of one item, no batch boundary or regime change in between.

    ``generic`` is a constant at each call site: False compiles the loop for an up-to
    policy (trig < target) reviewed every day with unlimited capacity (base-stock,
    (s,S), min/max, make-to-order), True for any policy of the fast path. ``due[t]`` is
    the quantity arriving on day t, ``due_later`` the same array from day L on: with a
    fixed lead time each day receives exactly one order, so no ring, masking or
    read-modify-write is needed.
    """
    for t in range(t0, t1):
        tu = np.uint64(t)
        # 1. review
        if generic:
            q = 0
            if countdown == 0:
                if qstep > 0:
                    q = qstep * ((trig - ip) // qstep + 1) if ip <= trig else 0
                else:
                    q = target - ip if ip <= trig else 0
                q = max(0, min(q, cap))
                countdown = review
                s_orders += 1 if q > 0 else 0
                ip += q
            countdown -= 1
        else:
            q = target - ip if ip <= trig else 0
            s_orders += 1 if q > 0 else 0
            ip += q
        due_later[tu] = q
        # 2. receive; log the units that fill backorders
        arrived = due[tu]
        if net < 0 < arrived:
            log[n_log] = t
            log[n_log + 1] = -min(arrived, -net)
            n_log += 2
        net += arrived
        # 3. demand; log new backorders
        m = _mix53(z)
        z += _STEP
        k = np.uint64(guide_i[m >> shift])
        while thr_i[k] <= m:
            k += _ONE
        d = lo + np.int64(k)
        s_d += d
        if d > net:  # a shortage (net < d), or d = 0 while backordered
            short = d - max(net, 0)
            if alpha > 0.0 and short > 0:
                lost = short if alpha >= 1.0 else int(alpha * short + _uniform(key, t, 1))
                s_lost += lost
                short -= lost
                d -= lost  # what leaves the inventory position
            if short > 0:
                log[n_log] = t
                log[n_log + 1] = short
                n_log += 2
        net -= d
        ip -= d
        # 4. end-of-period sums (Σ on hand = Σ net + Σ backorders)
        s_net += net
        s_bo += max(-net, 0)
    return n_log, z, net, ip, countdown, s_d, s_net, s_bo, s_orders, s_lost


@njit(cache=True)
def _run_fast(  # type: ignore[no-untyped-def]
    i,
    chunk,
    T,
    warmup,
    nb,
    keys,
    regime,
    thr,
    guide,
    doff,
    dgoff,
    dshift,
    dlo,
    kind,
    pa,
    pb,
    lead,
    capacity,
    lost_share,
    h,
    p,
    p_lost,
    k_fix,
    promise,
    init_oh,
    acc,
    hist,
    bhist,
    pipe,
    log,
    bh,
    next_change,
):
    """One item on the fast path (see the module docstring).

    ``thr`` and ``guide`` are the demand tables viewed as uint64 and uint32. The days run
    in segments without batch boundaries or regime changes (next_change[t] is the first
    day after t with another demand regime, T if none). The hot loop keeps net stock and
    inventory position in registers and never walks the backorder FIFO: it logs new
    backorders (t, units) and fills against backorders (t, −units) in time order, and
    ``_fast_waits`` matches them first in, first out afterwards (amortised O(1) per
    period, exact waits). Scratch: pipe (≥ T + L entries: receipts by day), log (≥ 4T
    entries), bh (zeros, left zeroed).
    """
    measured = T - warmup
    L = lead[i]
    pipe[:L] = 0
    due_later = pipe[L:]
    # the policy as: review every `review` days; order when ip ≤ trig, up to `target`,
    # or (qstep > 0) in multiples of qstep
    code = kind[i]
    a = pa[i]
    b = pb[i]
    review = 1
    qstep = 0
    trig = a - 1
    target = a
    if code == 0:
        trig, target = -1, 0
    elif code == 2:
        trig, target = a, b
    elif code == 3:
        trig, qstep = a, b
    elif code == 4:
        review, trig, target = a, b - 1, b
    elif code == 5:
        trig, target = a - 1, b
    cap = capacity[i]
    generic = review != 1 or qstep > 0 or cap < _BIG_CAP or trig >= target
    alpha = lost_share[i]
    key = keys[i]
    net = init_oh[i]  # on hand − backorders
    ip = net  # inventory position
    countdown = 0  # review when 0 (day % review == 0)
    cur = -1
    batch_end = warmup  # first day of the next batch
    n_log = 0
    s_d = s_net = s_bo = s_orders = s_lost = 0  # per-batch sums
    z = key + _GOLDEN  # counter of stream 0 at t = 0
    t0 = 0
    while t0 < T:
        if t0 == batch_end:
            if cur >= 0:
                _fast_flush(
                    acc,
                    i,
                    cur,
                    s_d,
                    s_net + s_bo,
                    s_bo,
                    s_orders,
                    s_lost,
                    h[i],
                    p[i],
                    p_lost[i],
                    k_fix[i],
                )
            s_d = s_net = s_bo = s_orders = s_lost = 0
            cur += 1
            batch_end = warmup + ((cur + 1) * measured + nb - 1) // nb if cur + 1 < nb else T
        r = regime[t0]
        thr_i = thr[doff[r, i] :]
        guide_i = guide[dgoff[r, i] :]
        shift = np.uint64(dshift[r, i])
        lo = dlo[r, i]
        t1 = min(batch_end, next_change[t0])
        if generic:
            n_log, z, net, ip, countdown, s_d, s_net, s_bo, s_orders, s_lost = _fast_segment(
                True,
                t0,
                t1,
                pipe,
                due_later,
                thr_i,
                guide_i,
                shift,
                lo,
                review,
                qstep,
                trig,
                target,
                cap,
                alpha,
                key,
                log,
                n_log,
                z,
                net,
                ip,
                countdown,
                s_d,
                s_net,
                s_bo,
                s_orders,
                s_lost,
            )
        else:
            n_log, z, net, ip, countdown, s_d, s_net, s_bo, s_orders, s_lost = _fast_segment(
                False,
                t0,
                t1,
                pipe,
                due_later,
                thr_i,
                guide_i,
                shift,
                lo,
                review,
                qstep,
                trig,
                target,
                cap,
                alpha,
                key,
                log,
                n_log,
                z,
                net,
                ip,
                countdown,
                s_d,
                s_net,
                s_bo,
                s_orders,
                s_lost,
            )
        t0 = t1
    _fast_flush(
        acc, i, cur, s_d, s_net + s_bo, s_bo, s_orders, s_lost, h[i], p[i], p_lost[i], k_fix[i]
    )
    _fast_waits(i, chunk, T, warmup, nb, log, n_log, promise[i], acc, hist, bhist, bh)
    return True


@njit(cache=True)
def _fast_flush(  # type: ignore[no-untyped-def]
    acc, i, b, s_d, s_oh, s_bo, s_orders, s_lost, h, p, p_lost, k_fix
):
    acc[i, b, DEMAND] += s_d
    acc[i, b, SERVED] += s_d - s_lost  # minus the backordered units, in _fast_waits
    acc[i, b, LOST] += s_lost
    acc[i, b, ON_HAND] += s_oh
    acc[i, b, BACKORDERS] += s_bo
    acc[i, b, ORDERS] += s_orders
    acc[i, b, HOLD_COST] += h * s_oh
    acc[i, b, BO_COST] += p * s_bo
    acc[i, b, LOST_COST] += p_lost * s_lost
    acc[i, b, ORDER_COST] += k_fix * s_orders


@njit(cache=True)
def _fast_waits(  # type: ignore[no-untyped-def]
    i, chunk, T, warmup, nb, log, n_log, promise, acc, hist, bhist, bh
):
    """Match the backorder and fill log of ``_run_fast`` first in, first out.

    Records each cohort's waits as ``_run_item`` does: in the batch it was backordered
    (sums) and the batch it was filled (histograms, batch P95); cohorts still waiting at
    the end count with their age T − c in the last batch.
    """
    measured = T - warmup
    head = -2  # log index of the oldest cohort still waiting
    rem = 0  # its units still waiting
    cur = -1
    bh_top = -1
    for e in range(0, n_log, 2):
        units = log[e + 1]
        if units > 0:  # a new cohort
            c = log[e]
            if c >= warmup:
                cb = (c - warmup) * nb // measured
                acc[i, cb, BACKORDERED] += units
                acc[i, cb, SERVED] -= units
            continue
        tf = log[e]
        f = -units
        b = (tf - warmup) * nb // measured if tf >= warmup else -1
        if b != cur:
            if cur >= 0:
                _close_batch(acc, i, cur, bh, bh_top)
                bh_top = -1
            cur = b
        while f > 0:
            if rem == 0:  # the next cohort (one exists: fills only meet backorders)
                head += 2
                while log[head + 1] <= 0:
                    head += 2
                rem = log[head + 1]
            take = min(rem, f)
            c = log[head]
            if c >= warmup:
                wc = _record(
                    acc,
                    hist,
                    bhist,
                    bh,
                    i,
                    chunk,
                    b,
                    (c - warmup) * nb // measured,
                    take,
                    tf - c,
                    promise,
                )
                bh_top = max(bh_top, wc)
            f -= take
            rem -= take
    if cur != nb - 1:
        if cur >= 0:
            _close_batch(acc, i, cur, bh, bh_top)
            bh_top = -1
        cur = nb - 1
    # cohorts still waiting: the rest of the current one, then every later one
    while True:
        if rem == 0:
            head += 2
            while head < n_log and log[head + 1] <= 0:
                head += 2
            if head >= n_log:
                break
            rem = log[head + 1]
        c = log[head]
        if c >= warmup:
            wc = _record(
                acc,
                hist,
                bhist,
                bh,
                i,
                chunk,
                cur,
                (c - warmup) * nb // measured,
                rem,
                T - c,
                promise,
            )
            bh_top = max(bh_top, wc)
        rem = 0
    _close_batch(acc, i, cur, bh, bh_top)


@njit(cache=True)
def _run_item(  # type: ignore[no-untyped-def]
    i,
    chunk,
    T,
    warmup,
    nb,
    keys,
    regime,
    thr,
    guide,
    doff,
    dgoff,
    dshift,
    dlo,
    kind,
    pa,
    pb,
    share2,
    lcdf,
    loff,
    llen,
    llo,
    crossing,
    dis_a,
    dis_b,
    capacity,
    exp_lt,
    exp_up,
    lost_share,
    h,
    p,
    p_lost,
    k_fix,
    c_exp,
    promise,
    init_oh,
    H,
    qcap,
    acc,
    hist,
    bhist,
):
    """One item on the general path; False if the backorder FIFO overflows."""
    W = hist.shape[1]
    measured = T - warmup
    pipe = np.zeros(H, np.int64)
    qc = np.empty(qcap, np.int64)
    qn = np.empty(qcap, np.int64)
    bh = np.zeros(W, np.int64)
    bh_top = -1
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
                _close_batch(acc, i, cur, bh, bh_top)
                bh_top = -1
                _flush(acc, i, cur, loc, h[i], p[i], p_lost[i], k_fix[i])
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
                    cb = (c - warmup) * nb // measured
                    wc = _record(acc, hist, bhist, bh, i, chunk, b, cb, take, t - c, promise[i])
                    bh_top = max(bh_top, wc)
                fill -= take
                if take == qn[head]:
                    head = (head + 1) % qcap
                    size -= 1
                else:
                    qn[head] -= take
        # 3. demand
        r = regime[t]
        m = _mix(key + np.uint64(t * N_STREAMS + 1) * _GOLDEN)
        d = dlo[r, i] + _draw(m, thr, guide, doff[r, i], dgoff[r, i], dshift[r, i])
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
        # 4. end-of-period sums
        if b >= 0:
            loc[DEMAND] += d
            loc[SERVED] += served
            loc[BACKORDERED] += short - lost
            loc[LOST] += lost
            loc[ON_HAND] += oh
            loc[BACKORDERS] += bo
    # lines still waiting count with their age so far (a lower bound)
    for j in range(size):
        slot_j = (head + j) % qcap
        c = qc[slot_j]
        if c >= warmup:
            cb = (c - warmup) * nb // measured
            wc = _record(acc, hist, bhist, bh, i, chunk, cur, cb, qn[slot_j], T - c, promise[i])
            bh_top = max(bh_top, wc)
    if cur >= 0:
        _close_batch(acc, i, cur, bh, bh_top)
        _flush(acc, i, cur, loc, h[i], p[i], p_lost[i], k_fix[i])
    return True


@njit(cache=True, parallel=True)
def simulate_items_compiled(  # type: ignore[no-untyped-def]
    T,
    warmup,
    nb,
    keys,
    regime,
    thr,
    guide,
    doff,
    dgoff,
    dshift,
    dlo,
    kind,
    pa,
    pb,
    share2,
    lcdf,
    loff,
    llen,
    llo,
    crossing,
    dis_a,
    dis_b,
    capacity,
    exp_lt,
    exp_up,
    lost_share,
    h,
    p,
    p_lost,
    k_fix,
    c_exp,
    promise,
    init_oh,
    fast,
    H,
    qcap,
    acc,
    hist,
    bhist,
):
    """Single-stage items, parallel over chunks of CHUNK items; returns #queue overflows.

    Items with ``fast[i]`` take ``_run_fast`` (their lead time is llo[0, i]), the others
    ``_run_item``; both give the same sums on the same draws.
    """
    n = keys.size
    n_chunks = (n + CHUNK - 1) // CHUNK
    overflow = np.zeros(n_chunks, np.int64)
    lead = llo[0]
    thr_u = thr.view(np.uint64)
    guide_u = guide.view(np.uint32)
    fast_items = fast.any()
    next_change = np.empty(T, np.int64)  # first day after t where the regime changes
    change = T
    for t in range(T - 1, -1, -1):
        next_change[t] = change
        if t > 0 and regime[t] != regime[t - 1]:
            change = t
    for chunk in prange(n_chunks):
        days = T if fast_items else 0  # fast-path scratch only when needed
        pipe = np.empty(days + H, np.int64)  # receipts by day (H > any lead time)
        bh = np.zeros(hist.shape[1], np.int64)
        log = np.empty(4 * days, np.int64)
        for i in range(chunk * CHUNK, min(n, (chunk + 1) * CHUNK)):
            if fast[i]:
                ok = _run_fast(
                    i,
                    chunk,
                    T,
                    warmup,
                    nb,
                    keys,
                    regime,
                    thr_u,
                    guide_u,
                    doff,
                    dgoff,
                    dshift,
                    dlo,
                    kind,
                    pa,
                    pb,
                    lead,
                    capacity,
                    lost_share,
                    h,
                    p,
                    p_lost,
                    k_fix,
                    promise,
                    init_oh,
                    acc,
                    hist,
                    bhist,
                    pipe,
                    log,
                    bh,
                    next_change,
                )
            else:
                ok = _run_item(
                    i,
                    chunk,
                    T,
                    warmup,
                    nb,
                    keys,
                    regime,
                    thr,
                    guide,
                    doff,
                    dgoff,
                    dshift,
                    dlo,
                    kind,
                    pa,
                    pb,
                    share2,
                    lcdf,
                    loff,
                    llen,
                    llo,
                    crossing,
                    dis_a,
                    dis_b,
                    capacity,
                    exp_lt,
                    exp_up,
                    lost_share,
                    h,
                    p,
                    p_lost,
                    k_fix,
                    c_exp,
                    promise,
                    init_oh,
                    H,
                    qcap,
                    acc,
                    hist,
                    bhist,
                )
            if not ok:  # only _run_item can overflow its queue
                overflow[chunk] += 1
    return overflow.sum()


@njit(cache=True)
def _run_serial(  # type: ignore[no-untyped-def]
    i,
    chunk,
    T,
    warmup,
    nb,
    keys,
    regime,
    thr,
    guide,
    doff,
    dgoff,
    dshift,
    dlo,
    s_ech,
    lead,
    h_ech,
    p,
    promise,
    H,
    qcap,
    acc,
    hist,
    bhist,
):
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
        m = _mix(key + np.uint64(t * N_STREAMS + 1) * _GOLDEN)
        d = dlo[r, i] + _draw(m, thr, guide, doff[r, i], dgoff[r, i], dshift[r, i])
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
def simulate_serial_compiled(  # type: ignore[no-untyped-def]
    T,
    warmup,
    nb,
    keys,
    regime,
    thr,
    guide,
    doff,
    dgoff,
    dshift,
    dlo,
    s_ech,
    lead,
    h_ech,
    p,
    promise,
    H,
    qcap,
    acc,
    hist,
    bhist,
):
    """Serial systems (one per item row, e.g. replications); returns #queue overflows."""
    n = keys.size
    n_chunks = (n + CHUNK - 1) // CHUNK
    overflow = np.zeros(n_chunks, np.int64)
    for chunk in prange(n_chunks):
        for i in range(chunk * CHUNK, min(n, (chunk + 1) * CHUNK)):
            ok = _run_serial(
                i,
                chunk,
                T,
                warmup,
                nb,
                keys,
                regime,
                thr,
                guide,
                doff,
                dgoff,
                dshift,
                dlo,
                s_ech,
                lead,
                h_ech,
                p,
                promise,
                H,
                qcap,
                acc,
                hist,
                bhist,
            )
            if not ok:
                overflow[chunk] += 1
    return overflow.sum()


def needs_compiling(serial: bool = False) -> bool:
    """True when the kernel (``simulate_serial_compiled`` with ``serial``, else
    ``simulate_items_compiled``) has no on-disk cache yet, so its first call compiles it
    (about half a minute on the 2-core reference machine; later processes load it).
    Read from numba's cache index file; False when numba does not say where that is."""
    import os

    kernel = simulate_serial_compiled if serial else simulate_items_compiled
    cache = getattr(kernel, "_cache", None)
    index = getattr(getattr(cache, "_cache_file", None), "_index_path", None)
    return isinstance(index, str) and not os.path.exists(index)
