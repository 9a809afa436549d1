"""Demand models of the simulator, tabulated as integer CDFs the kernels invert.

Every model becomes a pmf on whole units (quantities are integers in the base unit):

* ``PoissonDemand(mean)`` — P(D ≤ k) = Σ_{j≤k} e^{−λ} λ^j / j!, from the ratio
  recursion p(j±1)/p(j) around the mode, normalised (``_kernels.poisson_tables``:
  all means of a catalogue in one compiled call, relative error ~1e-14).
* ``NormalDemand(mean, sd)`` — D = max(0, round(X)), X ~ N(μ, σ²), so
  P(D ≤ k) = Φ((k + ½ − μ)/σ) for k ≥ 0 (negative values lumped at zero).
* ``EmpiricalDemand(values)`` — bootstrap: each period draws one value of the history
  uniformly (Efron & Tibshirani 1993, ch. 6).
* ``QuantileDemand(levels, values)`` — a forecast's quantiles: the CDF interpolates
  linearly between (value, level) points, extended linearly to levels 0 and 1 and
  truncated at 0, then discretised by rounding as for the normal.

Seasonality and shocks multiply the mean: a ``DemandPattern`` maps each period to a
factor f (season index × shock), and each distinct f has its own table (Poisson λf;
normal μf, σf; empirical and quantile values × f). Sampling is exact, not a rescaled
draw. Tails beyond 1e-15 are folded into the end points.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

from subzero.domain.errors import InvalidParameter
from subzero.planning.simulate._kernels import fill_guides, poisson_tables

__all__ = [
    "DemandPattern",
    "DemandSpec",
    "DemandTables",
    "EmpiricalDemand",
    "NormalDemand",
    "PoissonDemand",
    "QuantileDemand",
    "Shock",
    "TableBuilder",
    "build_demand_tables",
    "check_demands",
    "demand_cdf",
    "demand_mean",
    "guide_tables",
    "pmf_cdf",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
I32Array = npt.NDArray[np.int32]
_TAIL = 1e-15
_TWO53 = 9007199254740992.0


@dataclass(frozen=True, slots=True)
class PoissonDemand:
    """Poisson demand per period with mean [λ] ≥ 0 (refused otherwise by ``check_demands``)."""

    mean: float


@dataclass(frozen=True, slots=True)
class NormalDemand:
    """Normal demand per period [μ ≥ 0, σ ≥ 0], rounded to whole units and truncated at 0."""

    mean: float
    sd: float


@dataclass(frozen=True, slots=True)
class EmpiricalDemand:
    """Bootstrap from a history of per-period demands (whole units ≥ 0)."""

    values: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class QuantileDemand:
    """A forecast's quantiles: ``values[i]`` (≥ 0) is the ``levels[i]`` quantile of demand."""

    levels: tuple[float, ...]
    values: tuple[float, ...]


DemandSpec = PoissonDemand | NormalDemand | EmpiricalDemand | QuantileDemand


@dataclass(frozen=True, slots=True)
class Shock:
    """Demand × ``factor`` on measured days first_day … first_day + days − 1."""

    first_day: int
    days: int
    factor: float


@dataclass(frozen=True, slots=True)
class DemandPattern:
    """Seasonality (factors repeating every len(seasonality) days) and shocks."""

    seasonality: tuple[float, ...] = ()
    shocks: tuple[Shock, ...] = ()

    def factors(self, periods: int, warmup: int) -> tuple[IntArray, FloatArray]:
        """(regime of each period, shape (warmup + periods,); factor of each regime).

        Day 0 is the first measured period; the warm-up sees the seasonality but no shocks.
        """
        total = warmup + periods
        day = np.arange(total) - warmup
        f = np.ones(total)
        if self.seasonality:
            season = np.asarray(self.seasonality, dtype=np.float64)
            if (season < 0).any():
                raise InvalidParameter(f"seasonality {self.seasonality}: factors must be ≥ 0")
            f *= season[day % season.size]
        for shock in self.shocks:
            if shock.factor < 0 or shock.days < 0:
                raise InvalidParameter(f"shock {shock}: factor and days must be ≥ 0")
            hit = (day >= shock.first_day) & (day < shock.first_day + shock.days)
            f[hit] *= shock.factor
        levels, regime = np.unique(np.round(f, 12), return_inverse=True)
        return regime.astype(np.int64), levels.astype(np.float64)


def check_demands(
    specs: Sequence[DemandSpec], describe: Callable[[int, str], str] | None = None
) -> None:
    """Raise InvalidParameter for a demand no table can be built for.

    Demand cannot be negative: a Poisson mean [λ] or normal mean [μ] must be a finite
    number ≥ 0 and a normal sd [σ] ≥ 0; a history needs at least one value, each ≥ 0;
    forecast quantiles need ≥ 2 increasing levels in (0, 1) with non-decreasing values
    ≥ 0. Vectorised over the Poisson and normal specs (a catalogue's are checked in one
    pass each).

    Args:
        specs: the demand of each item.
        describe: ``describe(index, field)`` names the value refused (field ``mean``,
            ``sd``, ``values`` or ``levels``); default "<model> demand <field>".
    """

    def default(i: int, field: str) -> str:
        return f"{type(specs[i]).__name__.removesuffix('Demand').lower()} demand {field}"

    name = describe or default
    kinds = list(map(type, specs))
    for kind, fields in ((PoissonDemand, ("mean",)), (NormalDemand, ("mean", "sd"))):
        rows = [i for i, k in enumerate(kinds) if k is kind]
        for field in fields if rows else ():
            column = np.array([getattr(specs[i], field) for i in rows], dtype=np.float64)
            ok = np.isfinite(column) & (column >= 0)
            if not ok.all():
                i = rows[int(np.flatnonzero(~ok)[0])]
                value = getattr(specs[i], field)
                why = " (demand cannot be negative)" if field == "mean" else ""
                raise InvalidParameter(f"{name(i, field)}: {value} must be ≥ 0{why}")
    tabulated = (PoissonDemand, NormalDemand)
    for i in [i for i, k in enumerate(kinds) if k not in tabulated]:
        match specs[i]:
            case EmpiricalDemand(values=values):
                if not values or min(values) < 0:
                    shown = f"{values[:5]}…" if len(values) > 5 else f"{values}"
                    raise InvalidParameter(
                        f"{name(i, 'values')}: {shown} needs at least one value, each ≥ 0"
                    )
            case QuantileDemand(levels=levels, values=values):
                lv = np.asarray(levels, dtype=np.float64)
                xv = np.asarray(values, dtype=np.float64)
                if (
                    lv.size < 2
                    or lv.size != xv.size
                    or (np.diff(lv) <= 0).any()
                    or lv[0] <= 0
                    or lv[-1] >= 1
                    or (np.diff(xv) < 0).any()
                    or not np.isfinite(xv).all()
                    or xv[0] < 0
                ):
                    raise InvalidParameter(
                        f"{name(i, 'levels')}: forecast quantiles {levels} -> {values} need ≥ 2 "
                        "increasing levels in (0, 1) and non-decreasing values ≥ 0"
                    )
            case spec:
                raise InvalidParameter(f"{name(i, 'model')}: unknown demand model {spec!r}")


def demand_mean(spec: DemandSpec) -> float:
    """Mean demand per period of ``spec`` as tabulated (after rounding/truncation)."""
    lo, cdf = demand_cdf(spec)
    pmf = np.diff(cdf, prepend=0.0)
    return float(np.dot(lo + np.arange(cdf.size), pmf))


def pmf_cdf(
    pmf: dict[int, float] | Sequence[tuple[int, float]], *, name: str
) -> tuple[int, FloatArray]:
    """(lowest value, CDF over lowest…highest) of a pmf {value: probability}."""
    pairs = sorted(dict(pmf).items())
    values = np.array([v for v, _ in pairs], dtype=np.int64)
    probs = np.array([pr for _, pr in pairs], dtype=np.float64)
    if values.size == 0 or (values < 0).any() or (probs < 0).any():
        raise InvalidParameter(f"{name}: {dict(pairs)} needs values ≥ 0, probabilities ≥ 0")
    if abs(probs.sum() - 1.0) > 1e-6:
        raise InvalidParameter(f"{name}: probabilities sum to {probs.sum():.6g}, not 1")
    lo = int(values[0])
    dense = np.zeros(int(values[-1]) - lo + 1)
    dense[values - lo] = probs
    cdf = np.cumsum(dense)
    cdf[-1] = 1.0
    return lo, cdf


def demand_cdf(spec: DemandSpec, factor: float = 1.0) -> tuple[int, FloatArray]:
    """(lowest value, CDF on lowest…highest) of demand ``spec`` scaled by ``factor`` ≥ 0."""
    check_demands([spec])
    if not factor >= 0:
        raise InvalidParameter(f"demand factor {factor}: must be ≥ 0")
    match spec:
        case PoissonDemand(mean=mean):
            lam = mean * factor
            if lam == 0:
                return 0, np.ones(1)
            los, _, cdf = poisson_tables(np.array([float(lam)]), _TAIL)
            lo = int(los[0])
        case NormalDemand(mean=mean, sd=sd):
            mu, sigma = mean * factor, sd * factor
            if sigma == 0:
                return max(0, round(mu)), np.ones(1)
            lo = max(0, int(np.floor(mu - 9 * sigma)))
            hi = max(lo, int(np.ceil(mu + 9 * sigma)))
            cdf = special.ndtr((np.arange(lo, hi + 1) + 0.5 - mu) / sigma)
        case EmpiricalDemand(values=values):
            hist = np.round(np.asarray(values, dtype=np.float64) * factor).astype(np.int64)
            lo = int(hist.min())
            cdf = np.cumsum(np.bincount(hist - lo)) / hist.size
        case QuantileDemand(levels=levels, values=values):
            lv = np.asarray(levels, dtype=np.float64)
            xv = np.asarray(values, dtype=np.float64) * factor
            xv = xv + np.arange(xv.size) * 1e-9  # strictly increasing for interpolation
            x0 = xv[0] - (xv[1] - xv[0]) * lv[0] / (lv[1] - lv[0])
            x1 = xv[-1] + (xv[-1] - xv[-2]) * (1 - lv[-1]) / (lv[-1] - lv[-2])
            xp = np.concatenate([[x0], xv, [x1 + 1e-9]])
            fp = np.concatenate([[0.0], lv, [1.0]])
            lo = max(0, int(np.floor(x0)))
            hi = max(lo, int(np.ceil(x1)))
            cdf = np.interp(np.arange(lo, hi + 1) + 0.5, xp, fp)
        case _:  # pragma: no cover - check_demands refused it
            raise InvalidParameter(f"unknown demand model {spec!r}")
    cdf = np.asarray(cdf, dtype=np.float64)
    cdf[-1] = 1.0
    return lo, cdf


@dataclass(frozen=True, slots=True)
class DemandTables:
    """Integer inversion tables of every (regime, item) demand distribution.

    ``thr`` holds the thresholds ⌈F(k)·2⁵³⌉ of all tables back to back (the last entry of
    each is 2⁵³), ``guide`` their guide tables; ``off``, ``goff``, ``shift`` and ``lo``
    have shape (n_regimes, n_items). A draw from the 53-bit integer m (a uniform
    u = m / 2⁵³) is lo + #{k : thr[off + k] ≤ m} = lo + min{k : F(k) > u}, found from
    k = guide[goff + (m >> shift)] upwards (see ``guide_tables``).
    """

    thr: IntArray
    guide: I32Array
    off: IntArray
    goff: IntArray
    shift: IntArray
    lo: IntArray


class TableBuilder:
    """Concatenates CDF tables (deduplicated by key), e.g. lead-time pmfs."""

    def __init__(self) -> None:
        self._cdf: list[FloatArray] = []
        self._seen: dict[object, tuple[int, int, int]] = {}
        self._size = 0

    def add(self, key: object, lo: int, cdf: FloatArray) -> tuple[int, int, int]:
        """Add a table once; return (offset, length, lowest value)."""
        found = self._seen.get(key)
        if found is not None:
            return found
        entry = (self._size, cdf.size, lo)
        self._cdf.append(cdf)
        self._size += cdf.size
        self._seen[key] = entry
        return entry

    def arrays(self) -> FloatArray:
        """All CDF values, back to back."""
        if not self._cdf:
            return np.ones(1)
        return np.concatenate(self._cdf)


def guide_tables(
    cdf: FloatArray, lengths: IntArray
) -> tuple[IntArray, I32Array, IntArray, IntArray]:
    """(thresholds, guide entries, guide offsets, shifts) of back-to-back CDF tables.

    Table j of n entries gets G = 2^g ≥ 2n guide entries (g ≤ 20), shift 53 − g, and
    guide[i] = #{k : thr[k] ≤ i·2^shift}, so the search from guide[m >> shift] starts at
    or below the answer and ends after well under one step on average (Chen & Asau 1974,
    with a power-of-two index taken from the top bits of m instead of a float product).
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    thr = np.ceil(cdf * _TWO53).astype(np.int64)
    off = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    thr[off + lengths - 1] = 1 << 53  # F = 1 at the end: never ≤ m < 2⁵³
    g = np.minimum(np.ceil(np.log2(2 * np.maximum(lengths, 1))).astype(np.int64), 20)
    size = np.left_shift(1, g)
    shift = 53 - g
    goff = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.int64)
    guide = np.empty(int(size.sum()), np.int32)
    fill_guides(thr, off, lengths, goff, shift, guide)
    return thr, guide, goff, shift


def _normal_tables(mu: FloatArray, sigma: FloatArray) -> tuple[IntArray, IntArray, FloatArray]:
    """The same for max(0, round(N(μ, σ²))) (σ = 0: the point max(0, round(μ)))."""
    pos = sigma > 0
    sp = np.where(pos, sigma, 1.0)
    lo = np.where(pos, np.maximum(0, np.floor(mu - 9 * sp)), np.maximum(0, np.round(mu))).astype(
        np.int64
    )
    hi = np.where(pos, np.maximum(lo, np.ceil(mu + 9 * sp)), lo).astype(np.int64)
    lengths = hi - lo + 1
    table = np.repeat(np.arange(mu.size), lengths)
    first = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    k = lo[table] + np.arange(int(lengths.sum())) - first[table]
    cdf = special.ndtr((k + 0.5 - mu[table]) / sp[table])
    cdf[first + lengths - 1] = 1.0
    return lo, lengths, cdf


def build_demand_tables(specs: Sequence[DemandSpec], factors: FloatArray) -> DemandTables:
    """Tables for every (regime factor, item) pair, one vectorised call per model family.

    Poisson and normal tables are built for all distinct (scaled) parameters at once;
    equal parameters share a table. Other models go through ``demand_cdf`` once per
    distinct (spec, factor). The tables equal ``demand_cdf``'s. Demand ``check_demands``
    refuses raises InvalidParameter.
    """
    check_demands(specs)
    if not (np.asarray(factors) >= 0).all():
        raise InvalidParameter(f"demand factors {factors}: must be ≥ 0")
    n, n_reg = len(specs), factors.size
    f = np.asarray(factors, dtype=np.float64)
    pois: list[PoissonDemand] = []
    norm: list[NormalDemand] = []
    pi: list[int] = []
    ni: list[int] = []
    oi: list[int] = []
    for i, spec in enumerate(specs):
        if type(spec) is PoissonDemand:
            pois.append(spec)
            pi.append(i)
        elif type(spec) is NormalDemand:
            norm.append(spec)
            ni.append(i)
        else:
            oi.append(i)
    table_of = np.zeros((n_reg, n), np.int64)
    parts: list[tuple[IntArray, IntArray, FloatArray]] = []
    n_tables = 0
    if pi:
        mean = np.array([sp.mean for sp in pois], dtype=np.float64)
        lam = f[:, None] * mean[None, :]
        uniq, inv = np.unique(lam, return_inverse=True)
        parts.append(poisson_tables(uniq, _TAIL))
        table_of[:, pi] = inv.reshape(lam.shape) + n_tables
        n_tables += uniq.size
    if ni:
        pars = np.array([(sp.mean, sp.sd) for sp in norm], dtype=np.float64).reshape(-1, 2)
        both = np.stack([f[:, None] * pars[None, :, 0], f[:, None] * pars[None, :, 1]], -1)
        uniq2, inv = np.unique(both.reshape(-1, 2), axis=0, return_inverse=True)
        parts.append(_normal_tables(uniq2[:, 0], uniq2[:, 1]))
        table_of[:, ni] = inv.reshape(n_reg, len(ni)) + n_tables
        n_tables += uniq2.shape[0]
    if oi:
        seen: dict[tuple[object, float], int] = {}
        los: list[int] = []
        lens: list[int] = []
        cdfs: list[FloatArray] = []
        for r, fr in enumerate(f.tolist()):
            for i in oi:
                key = (specs[i], fr)
                t = seen.get(key)
                if t is None:
                    lo_i, cdf_i = demand_cdf(specs[i], fr)
                    t = seen[key] = len(cdfs)
                    los.append(lo_i)
                    lens.append(cdf_i.size)
                    cdfs.append(cdf_i)
                table_of[r, i] = t + n_tables
        parts.append((np.array(los, np.int64), np.array(lens, np.int64), np.concatenate(cdfs)))
        n_tables += len(cdfs)
    lo = np.concatenate([p[0] for p in parts])
    lengths = np.concatenate([p[1] for p in parts])
    cdf = np.concatenate([p[2] for p in parts])
    thr, guide, goff, shift = guide_tables(cdf, lengths)
    off = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    return DemandTables(thr, guide, off[table_of], goff[table_of], shift[table_of], lo[table_of])
