"""Demand distributions for the policy optimisers, and lead-time demand.

Two kinds of per-period demand are used throughout ``subzero.planning.policies``:

* ``NormalDemand(mean, sd)`` — continuous, for the closed-form normal models.
* ``DiscreteDemand(pmf)`` — integer demand 0, 1, 2, … with ``pmf[k] = P(D = k)``;
  built from a Poisson or negative-binomial law, a pmf table, or forecast quantiles.

Lead-time demand (Zipkin, *Foundations of Inventory Management*, §6.2; Silver, Pyke &
Thomas, *Inventory and Production Management in Supply Chains*, 4th ed., §6.10):

* fixed lead time L: the L-fold convolution of period demand (Poisson(λ) → Poisson(Lλ);
  Normal(μ, σ) → Normal(Lμ, √L σ));
* random lead time 𝓛 independent of demand: the mixture Σ_l P(𝓛 = l) · D^{*l}, with
  mean E[𝓛]μ and variance E[𝓛]σ² + Var(𝓛)μ². For normal demand the mixture is
  replaced by a normal with those two moments (an approximation, stated as such).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from subzero.domain.errors import InvalidParameter
from subzero.planning.leadtime import LeadTimeDistribution

__all__ = [
    "Demand",
    "DiscreteDemand",
    "NormalDemand",
    "demand_from_pmf",
    "demand_from_quantiles",
    "discrete_demand_from_quantiles",
    "discretised_normal",
    "lead_time_demand",
    "negative_binomial_demand",
    "poisson_demand",
]

FloatArray = npt.NDArray[np.float64]
_TAIL = 1e-12


@dataclass(frozen=True, slots=True)
class NormalDemand:
    """Normally distributed demand per period: mean [μ] ≥ 0 (demand cannot be negative;
    a mean below zero gave negative stock levels and costs) and standard deviation
    [σ] > 0."""

    mean: float
    sd: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mean) and math.isfinite(self.sd)) or self.sd <= 0:
            raise InvalidParameter(
                f"normal demand: sd={self.sd} must be > 0 and mean={self.mean} finite"
            )
        if self.mean < 0:
            raise InvalidParameter(
                f"normal demand: mean={self.mean} must be ≥ 0 (demand cannot be negative)"
            )


@dataclass(frozen=True, slots=True, eq=False)
class DiscreteDemand:
    """Integer demand with ``pmf[k] = P(D = k)`` for k = 0 … len(pmf) − 1 (sums to 1)."""

    pmf: FloatArray

    @property
    def mean(self) -> float:
        return float(np.dot(np.arange(self.pmf.size), self.pmf))

    @property
    def sd(self) -> float:
        k = np.arange(self.pmf.size)
        return float(math.sqrt(max(0.0, float(np.dot(k * k, self.pmf)) - self.mean**2)))

    def cdf(self, y: npt.ArrayLike) -> FloatArray:
        """P(D ≤ y) for integer y (any integer, also below 0 or beyond the support)."""
        cum = np.cumsum(self.pmf)
        yi = np.asarray(y, dtype=np.int64)
        out = np.where(yi < 0, 0.0, cum[np.clip(yi, 0, cum.size - 1)])
        return np.asarray(out, dtype=np.float64)

    def expected_leftover(self, y: npt.ArrayLike) -> FloatArray:
        """E[(y − D)⁺] for integer y: Σ_{k<y} F(k) (Zipkin, *Foundations*, §6.2.2)."""
        cum_f = np.concatenate(([0.0], np.cumsum(np.cumsum(self.pmf))))
        n = self.pmf.size
        yi = np.asarray(y, dtype=np.int64)
        inside = cum_f[np.clip(yi, 0, n)]
        out = np.where(yi <= 0, 0.0, np.where(yi <= n, inside, cum_f[n] + (yi - n)))
        return np.asarray(out, dtype=np.float64)

    def expected_shortage(self, y: npt.ArrayLike) -> FloatArray:
        """First-order loss n(y) = E[(D − y)⁺] = E[(y − D)⁺] + μ − y."""
        yi = np.asarray(y, dtype=np.int64)
        return np.asarray(self.expected_leftover(yi) + self.mean - yi, dtype=np.float64)

    def convolve(self, other: DiscreteDemand) -> DiscreteDemand:
        """Demand of two independent periods added together."""
        return _trimmed(np.convolve(self.pmf, other.pmf))

    def periods(self, n: int) -> DiscreteDemand:
        """Demand over ``n`` ≥ 0 independent periods (n-fold convolution; n = 0 is D ≡ 0)."""
        if n < 0:
            raise InvalidParameter(f"number of periods {n} must be ≥ 0")
        result = DiscreteDemand(np.array([1.0]))
        base, k = self, n
        while k:  # convolution by repeated squaring
            if k & 1:
                result = result.convolve(base)
            k >>= 1
            if k:
                base = base.convolve(base)
        return result


Demand = NormalDemand | DiscreteDemand


def _trimmed(pmf: FloatArray) -> DiscreteDemand:
    pmf = np.clip(np.asarray(pmf, dtype=np.float64), 0.0, None)
    tail = np.cumsum(pmf[::-1])[::-1]  # P(D ≥ k)
    keep = int(np.searchsorted(-tail, -_TAIL, side="right"))  # drop a negligible tail
    keep = max(1, min(pmf.size, keep))
    pmf = pmf[:keep]
    return DiscreteDemand(pmf / pmf.sum())


def poisson_demand(mean: float) -> DiscreteDemand:
    """Poisson(mean) demand per period, truncated where P(D ≥ k) < 1e-12."""
    from scipy import stats

    if not math.isfinite(mean) or mean < 0:
        raise InvalidParameter(f"poisson demand: mean={mean} must be ≥ 0")
    hi = int(stats.poisson.isf(_TAIL, mean)) + 2 if mean > 0 else 1
    return _trimmed(stats.poisson.pmf(np.arange(hi), mean))


def negative_binomial_demand(mean: float, sd: float) -> DiscreteDemand:
    """Negative-binomial demand with the given mean and sd (needs sd² > mean > 0).

    Parametrised as scipy's ``nbinom(n, q)`` with n = μ²/(σ² − μ), q = μ/σ²
    (the over-dispersed Poisson–gamma mixture; Zipkin, *Foundations*, §6.2.3).
    """
    from scipy import stats

    if not (mean > 0 and sd * sd > mean):
        raise InvalidParameter(
            f"negative binomial demand: need sd² > mean > 0, got mean={mean}, sd={sd}"
        )
    n, q = mean * mean / (sd * sd - mean), mean / (sd * sd)
    hi = int(stats.nbinom.isf(_TAIL, n, q)) + 2
    return _trimmed(stats.nbinom.pmf(np.arange(hi), n, q))


def discretised_normal(mean: float, sd: float) -> DiscreteDemand:
    """Integer demand from N(mean, sd²) rounded to the nearest integer, folded at zero:
    P(D = k) = Φ((k + ½ − μ)/σ) − Φ((k − ½ − μ)/σ) for k ≥ 1, P(D = 0) = Φ((½ − μ)/σ).
    """
    from scipy import stats

    NormalDemand(mean, sd)  # validates
    hi = max(1, math.ceil(mean + 10 * sd) + 2)
    cdf = stats.norm.cdf(np.arange(hi + 1) + 0.5, mean, sd)
    cdf[-1] = 1.0
    return _trimmed(np.diff(np.concatenate(([0.0], cdf))))


def demand_from_pmf(table: Mapping[int, float] | Sequence[float]) -> DiscreteDemand:
    """Demand from a pmf table ``{value: probability}`` (or a list for values 0, 1, …).

    Raises:
        InvalidParameter: empty table, a negative value or probability, or
            probabilities that do not sum to 1 (within 1e-6).
    """
    items = dict(table) if isinstance(table, Mapping) else dict(enumerate(table))
    if not items:
        raise InvalidParameter("pmf: empty table; give at least one VALUE:PROBABILITY")
    bad_values = [k for k in items if int(k) != k or k < 0]
    if bad_values:
        raise InvalidParameter(f"pmf: demand values {bad_values} must be integers ≥ 0")
    bad_probs = {k: p for k, p in items.items() if not (0.0 <= p <= 1.0)}
    if bad_probs:
        raise InvalidParameter(f"pmf: probabilities {bad_probs} must lie in [0, 1]")
    total = math.fsum(items.values())
    if abs(total - 1.0) > 1e-6:
        raise InvalidParameter(f"pmf: probabilities sum to {total:.6g}; they must sum to 1")
    pmf = np.zeros(int(max(items)) + 1)
    for k, p in items.items():
        pmf[int(k)] += p
    return DiscreteDemand(pmf / pmf.sum())


def _check_quantiles(
    levels: Sequence[float], values: Sequence[float]
) -> tuple[FloatArray, FloatArray]:
    lv, vv = np.asarray(levels, dtype=np.float64), np.asarray(values, dtype=np.float64)
    if lv.size != vv.size or lv.size < 2:
        raise InvalidParameter(
            f"quantiles: need ≥ 2 (level, value) pairs of equal length, got {lv.size} and {vv.size}"
        )
    if np.any((lv <= 0) | (lv >= 1)) or np.any(np.diff(lv) <= 0):
        raise InvalidParameter(f"quantiles: levels {lv.tolist()} must increase inside (0, 1)")
    if np.any(np.diff(vv) < 0):
        raise InvalidParameter(f"quantiles: values {vv.tolist()} must not decrease")
    if not np.all(np.isfinite(vv)) or vv[0] < 0:
        raise InvalidParameter(
            f"quantiles: values {vv.tolist()} must be finite and ≥ 0 (demand cannot be negative)"
        )
    return lv, vv


def demand_from_quantiles(levels: Sequence[float], values: Sequence[float]) -> NormalDemand:
    """Normal demand fitted to forecast quantiles by least squares: q_i ≈ μ + σ z(τ_i).

    Args:
        levels: quantile levels τ_i in (0, 1), increasing (e.g. 0.1, 0.5, 0.9).
        values: forecast quantiles q_i, non-decreasing.
    """
    lv, vv = _check_quantiles(levels, values)
    mean, sd = _fit_normal(lv, vv)
    if mean < 0:
        raise InvalidParameter(
            f"quantiles: levels {lv.tolist()} at values {vv.tolist()} fit a normal with a "
            f"negative mean ({mean:.4g}): a normal does not describe them; use "
            "discrete_demand_from_quantiles"
        )
    return NormalDemand(mean, sd)


def _fit_normal(levels: FloatArray, values: FloatArray) -> tuple[float, float]:
    """(μ, σ) of q_i ≈ μ + σ z(τ_i) by least squares; σ > 0."""
    from scipy import stats

    sd, mean = np.polyfit(stats.norm.ppf(levels), values, 1)
    if sd <= 0:
        raise InvalidParameter(f"quantiles: values {values.tolist()} imply no spread (sd ≤ 0)")
    return float(mean), float(sd)


def discrete_demand_from_quantiles(
    levels: Sequence[float], values: Sequence[float]
) -> DiscreteDemand:
    """Integer demand whose cdf runs piecewise linearly through the forecast quantiles.

    Between the outermost quantiles the cdf is the linear interpolation of (q_i, τ_i);
    beyond them it follows the normal fitted by ``demand_from_quantiles`` (kept monotone),
    and demand below zero is folded onto zero. P(D = k) = F(k + ½) − F(k − ½).
    """
    from scipy import stats

    lv, vv = _check_quantiles(levels, values)
    fit_mean, fit_sd = _fit_normal(lv, vv)  # a tail model only: its mean may lie below 0
    hi = math.ceil(max(vv[-1], fit_mean + 8 * fit_sd)) + 2
    edges = np.arange(hi + 1) + 0.5
    normal = stats.norm.cdf(edges, fit_mean, fit_sd)
    inner = np.interp(edges, vv, lv)
    cdf = np.where(edges < vv[0], np.minimum(normal, lv[0]), inner)
    cdf = np.where(edges > vv[-1], np.maximum(normal, lv[-1]), cdf)
    cdf = np.maximum.accumulate(cdf)
    cdf[-1] = 1.0
    pmf = np.diff(np.concatenate(([0.0], cdf)))
    return _trimmed(pmf)


def lead_time_demand(
    demand: Demand, lead_time: int | LeadTimeDistribution, *, extra_periods: int = 0
) -> Demand:
    """Demand over a (fixed or random) lead time plus ``extra_periods`` fixed periods.

    The periodic-review base-stock model protects against demand over L + 1 periods
    (Snyder & Shen, *Fundamentals of Supply Chain Theory*, 2nd ed., §4.3.2): call with
    ``extra_periods=1``; an (R, S) policy uses ``extra_periods=R``.

    Args:
        demand: demand per period.
        lead_time: whole periods ≥ 0, or a ``LeadTimeDistribution``.
        extra_periods: fixed periods added to the lead time (≥ 0).
    """
    if extra_periods < 0:
        raise InvalidParameter(f"extra_periods={extra_periods} must be ≥ 0")
    if isinstance(lead_time, LeadTimeDistribution):
        lt_pmf = lead_time.pmf
    else:
        if int(lead_time) != lead_time or lead_time < 0:
            raise InvalidParameter(f"lead time {lead_time} must be a whole number of periods ≥ 0")
        lt_pmf = np.zeros(int(lead_time) + 1)
        lt_pmf[-1] = 1.0
    days = np.arange(lt_pmf.size) + extra_periods
    if isinstance(demand, NormalDemand):
        mean_l = float(np.dot(days, lt_pmf))
        var_l = float(np.dot(days**2, lt_pmf)) - mean_l**2
        var = mean_l * demand.sd**2 + max(0.0, var_l) * demand.mean**2
        if var <= 0:
            raise InvalidParameter("lead-time demand has zero variance (lead time + periods = 0)")
        return NormalDemand(mean_l * demand.mean, math.sqrt(var))
    total = np.zeros(1)
    for days_l, weight in zip(days, lt_pmf, strict=True):
        if weight <= 0:
            continue
        part = demand.periods(int(days_l)).pmf * weight
        if part.size > total.size:
            total = np.pad(total, (0, part.size - total.size))
        total[: part.size] += part
    return _trimmed(total)
