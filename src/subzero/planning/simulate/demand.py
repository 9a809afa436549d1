"""Demand models of the simulator, tabulated as integer CDFs the kernels invert.

Every model becomes a pmf on whole units (quantities are integers in the base unit):

* ``PoissonDemand(mean)`` — P(D ≤ k) = Q(k+1, λ) (regularised incomplete gamma).
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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from subzero.domain.errors import InvalidParameter

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
    "demand_cdf",
    "demand_mean",
    "pmf_cdf",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_TAIL = 1e-15


@dataclass(frozen=True, slots=True)
class PoissonDemand:
    """Poisson demand per period with mean [λ] ≥ 0."""

    mean: float


@dataclass(frozen=True, slots=True)
class NormalDemand:
    """Normal demand per period [μ, σ], rounded to whole units and truncated at 0."""

    mean: float
    sd: float


@dataclass(frozen=True, slots=True)
class EmpiricalDemand:
    """Bootstrap from a history of per-period demands (whole units ≥ 0)."""

    values: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class QuantileDemand:
    """A forecast's quantiles: ``values[i]`` is the ``levels[i]`` quantile of demand."""

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


def demand_mean(spec: DemandSpec) -> float:
    """Mean demand per period of ``spec`` as tabulated (after rounding/truncation)."""
    lo, cdf = demand_cdf(spec)
    pmf = np.diff(cdf, prepend=0.0)
    return float(np.dot(lo + np.arange(cdf.size), pmf))


def pmf_cdf(pmf: dict[int, float] | Sequence[tuple[int, float]], *, name: str) -> tuple[
        int, FloatArray]:
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
    """(lowest value, CDF on lowest…highest) of demand ``spec`` scaled by ``factor``."""
    match spec:
        case PoissonDemand(mean=mean):
            lam = mean * factor
            if not lam >= 0:
                raise InvalidParameter(f"Poisson mean {mean}: must be ≥ 0")
            if lam == 0:
                return 0, np.ones(1)
            lo = int(stats.poisson.ppf(_TAIL, lam))
            hi = max(lo, int(stats.poisson.isf(_TAIL, lam)) + 1)
            cdf = special.pdtr(np.arange(lo, hi + 1), lam)
        case NormalDemand(mean=mean, sd=sd):
            mu, sigma = mean * factor, sd * factor
            if sd < 0 or not np.isfinite(mean):
                raise InvalidParameter(f"normal demand ({mean}, {sd}): need sd ≥ 0")
            if sigma == 0:
                return max(0, round(mu)), np.ones(1)
            lo = max(0, int(np.floor(mu - 9 * sigma)))
            hi = max(lo, int(np.ceil(mu + 9 * sigma)))
            cdf = special.ndtr((np.arange(lo, hi + 1) + 0.5 - mu) / sigma)
        case EmpiricalDemand(values=values):
            hist = np.round(np.asarray(values, dtype=np.float64) * factor).astype(np.int64)
            if hist.size == 0 or (hist < 0).any():
                raise InvalidParameter(f"demand history {values[:5]}…: need values ≥ 0")
            lo = int(hist.min())
            cdf = np.cumsum(np.bincount(hist - lo)) / hist.size
        case QuantileDemand(levels=levels, values=values):
            lv = np.asarray(levels, dtype=np.float64)
            xv = np.asarray(values, dtype=np.float64) * factor
            if lv.size < 2 or lv.size != xv.size or (np.diff(lv) <= 0).any() or lv[0] <= 0 \
                    or lv[-1] >= 1 or (np.diff(xv) < 0).any():
                raise InvalidParameter(
                    f"forecast quantiles {levels} -> {values}: need ≥ 2 increasing levels in "
                    "(0, 1) and non-decreasing values")
            xv = xv + np.arange(xv.size) * 1e-9  # strictly increasing for interpolation
            x0 = xv[0] - (xv[1] - xv[0]) * lv[0] / (lv[1] - lv[0])
            x1 = xv[-1] + (xv[-1] - xv[-2]) * (1 - lv[-1]) / (lv[-1] - lv[-2])
            xp = np.concatenate([[x0], xv, [x1 + 1e-9]])
            fp = np.concatenate([[0.0], lv, [1.0]])
            lo = max(0, int(np.floor(x0)))
            hi = max(lo, int(np.ceil(x1)))
            cdf = np.interp(np.arange(lo, hi + 1) + 0.5, xp, fp)
        case _:
            raise InvalidParameter(f"unknown demand model {spec!r}")
    cdf = np.asarray(cdf, dtype=np.float64)
    cdf[-1] = 1.0
    return lo, cdf


@dataclass(frozen=True, slots=True)
class DemandTables:
    """Concatenated CDF and guide tables; ``off/length/lo`` have shape (n_regimes, n_items)."""

    cdf: FloatArray
    guide: IntArray
    off: IntArray
    length: IntArray
    lo: IntArray


class TableBuilder:
    """Concatenates CDF tables (deduplicated by key) with guide tables for inversion.

    guide[j] = min{k : cdf[k] > j / n}, so inversion of u starts at guide[⌊u·n⌋] and
    needs at most a few steps (Chen & Asau 1974).
    """

    def __init__(self) -> None:
        self._cdf: list[FloatArray] = []
        self._guide: list[IntArray] = []
        self._seen: dict[object, tuple[int, int, int]] = {}
        self._size = 0

    def add(self, key: object, lo: int, cdf: FloatArray) -> tuple[int, int, int]:
        """Add a table once; return (offset, length, lowest value)."""
        found = self._seen.get(key)
        if found is not None:
            return found
        n = cdf.size
        guide = np.searchsorted(cdf, np.arange(n) / n, side="right").astype(np.int64)
        entry = (self._size, n, lo)
        self._cdf.append(cdf)
        self._guide.append(guide)
        self._size += n
        self._seen[key] = entry
        return entry

    def arrays(self) -> tuple[FloatArray, IntArray]:
        """(all CDF values, all guide entries), aligned on the same offsets."""
        if not self._cdf:
            return np.ones(1), np.zeros(1, np.int64)
        return np.concatenate(self._cdf), np.concatenate(self._guide)


def build_demand_tables(specs: Sequence[DemandSpec], factors: FloatArray) -> DemandTables:
    """Tables for every (regime factor, item) pair."""
    builder = TableBuilder()
    shape = (factors.size, len(specs))
    off = np.zeros(shape, np.int64)
    length = np.zeros(shape, np.int64)
    lo = np.zeros(shape, np.int64)
    for r, f in enumerate(factors):
        for i, spec in enumerate(specs):
            key = (spec, float(f))
            entry = builder._seen.get(key)
            if entry is None:
                entry = builder.add(key, *demand_cdf(spec, float(f)))
            off[r, i], length[r, i], lo[r, i] = entry
    cdf, guide = builder.arrays()
    return DemandTables(cdf, guide, off, length, lo)
