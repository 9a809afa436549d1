"""Supplier lead times as distributions over whole days, fitted from delivery history.

A purchase order placed on day t and received on day t + ℓ has lead time ℓ days.
``LeadTimeDistribution`` holds P(𝓛 = ℓ) for ℓ = 0, 1, …; it feeds lead-time demand
(``subzero.planning.policies.demand.lead_time_demand``), base-stock and (r, Q).

Fitting (``fit_lead_time``):

* ``empirical`` — the observed frequencies themselves (the table of past deliveries);
* ``gamma`` / ``lognormal`` — maximum-likelihood fit of a continuous law (location 0),
  discretised by rounding: P(𝓛 = ℓ) = F(ℓ + ½) − F(ℓ − ½), mass below ½ on day 0;
* ``poisson`` — ℓ ~ Poisson(mean), the MLE being the sample mean;
* ``auto`` — the parametric family with the smallest AIC on the discretised
  likelihood (Akaike 1974), falling back to ``empirical`` for fewer than 5 deliveries.

Parametric fits smooth the tail that a short history has not yet shown; the empirical
table never puts probability on a lead time it has not seen.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from subzero.domain.errors import InvalidParameter

__all__ = [
    "LeadTimeDistribution",
    "LeadTimeFamily",
    "LeadTimeFit",
    "fit_lead_time",
    "lead_times_from_deliveries",
]

logger = logging.getLogger(__name__)

LeadTimeFamily = Literal["empirical", "gamma", "lognormal", "poisson", "auto"]
FloatArray = npt.NDArray[np.float64]
_TAIL = 1e-9


@dataclass(frozen=True, slots=True, eq=False)
class LeadTimeDistribution:
    """Lead time in whole days: ``pmf[d] = P(𝓛 = d)`` for d = 0 … len(pmf) − 1."""

    pmf: FloatArray

    def __post_init__(self) -> None:
        pmf = self.pmf
        if pmf.ndim != 1 or pmf.size == 0 or np.any(pmf < 0):
            raise InvalidParameter("lead time pmf: need a non-empty 1-d array of probabilities ≥ 0")
        if abs(float(pmf.sum()) - 1.0) > 1e-6:
            raise InvalidParameter(f"lead time pmf sums to {float(pmf.sum()):.6g}, not 1")

    @classmethod
    def fixed(cls, days: int) -> LeadTimeDistribution:
        """A deterministic lead time of ``days`` ≥ 0."""
        if days < 0:
            raise InvalidParameter(f"lead time {days} days must be ≥ 0")
        pmf = np.zeros(days + 1)
        pmf[days] = 1.0
        return cls(pmf)

    @classmethod
    def from_table(cls, table: dict[int, float]) -> LeadTimeDistribution:
        """From ``{days: probability}`` (probabilities summing to 1)."""
        if not table or min(table) < 0:
            raise InvalidParameter(f"lead time table {table!r}: need days ≥ 0")
        pmf = np.zeros(max(table) + 1)
        for days, prob in table.items():
            pmf[days] += prob
        return cls(pmf)

    @property
    def mean(self) -> float:
        return float(np.dot(np.arange(self.pmf.size), self.pmf))

    @property
    def sd(self) -> float:
        d = np.arange(self.pmf.size)
        return math.sqrt(max(0.0, float(np.dot(d * d, self.pmf)) - self.mean**2))

    def quantile(self, level: float) -> int:
        """Smallest d with P(𝓛 ≤ d) ≥ level."""
        if not 0.0 < level < 1.0:
            raise InvalidParameter(f"quantile level {level} must lie in (0, 1)")
        return int(np.searchsorted(np.cumsum(self.pmf), level - 1e-12))


@dataclass(frozen=True, slots=True)
class LeadTimeFit:
    """A fitted supplier lead time: the distribution, its family, parameters and AIC."""

    distribution: LeadTimeDistribution
    family: str
    parameters: tuple[float, ...]
    observations: int
    aic: float


def lead_times_from_deliveries(
    ordered: Sequence[dt.date | dt.datetime], received: Sequence[dt.date | dt.datetime]
) -> npt.NDArray[np.int64]:
    """Whole-day lead times from order and receipt dates (datetimes use their UTC date)."""
    if len(ordered) != len(received):
        raise InvalidParameter(
            f"deliveries: {len(ordered)} order dates but {len(received)} receipt dates"
        )

    def _day(value: dt.date | dt.datetime) -> dt.date:
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(dt.UTC)
            return value.date()
        return value

    days = [(_day(r) - _day(o)).days for o, r in zip(ordered, received, strict=True)]
    bad = [d for d in days if d < 0]
    if bad:
        raise InvalidParameter(f"deliveries: receipts before their orders (lead times {bad})")
    return np.asarray(days, dtype=np.int64)


def _discretise(cdf_at_edges: FloatArray) -> FloatArray:
    pmf = np.diff(np.concatenate(([0.0], cdf_at_edges)))
    pmf = np.clip(pmf, 0.0, None)
    return np.asarray(pmf / pmf.sum(), dtype=np.float64)


def _parametric(family: str, obs: FloatArray) -> tuple[FloatArray, tuple[float, ...]]:
    from scipy import stats

    hi = int(obs.max()) * 4 + 30
    edges = np.arange(hi + 1) + 0.5
    if family == "poisson":
        mean = float(obs.mean())
        return _trim(stats.poisson.pmf(np.arange(hi + 1), mean)), (mean,)
    positive = np.maximum(obs, 0.5)  # a same-day delivery counts as half a day
    if family == "gamma":
        if np.ptp(positive) == 0:
            raise InvalidParameter("gamma fit: all lead times equal; use 'empirical'")
        shape, _, scale = stats.gamma.fit(positive, floc=0)
        return _trim(_discretise(stats.gamma.cdf(edges, shape, scale=scale))), (shape, scale)
    if family == "lognormal":
        if np.ptp(positive) == 0:
            raise InvalidParameter("lognormal fit: all lead times equal; use 'empirical'")
        sigma, _, scale = stats.lognorm.fit(positive, floc=0)
        return _trim(_discretise(stats.lognorm.cdf(edges, sigma, scale=scale))), (
            math.log(scale),
            sigma,
        )
    raise InvalidParameter(f"lead time family {family!r}: use empirical, gamma, lognormal, poisson")


def _trim(pmf: FloatArray) -> FloatArray:
    tail = np.cumsum(pmf[::-1])[::-1]
    keep = max(1, int(np.searchsorted(-tail, -_TAIL, side="right")))
    pmf = pmf[:keep]
    return np.asarray(pmf / pmf.sum(), dtype=np.float64)


def _aic(pmf: FloatArray, obs: npt.NDArray[np.int64], n_params: int) -> float:
    probs = np.where(obs < pmf.size, pmf[np.clip(obs, 0, pmf.size - 1)], 0.0)
    if np.any(probs <= 0):
        return math.inf
    return 2 * n_params - 2 * float(np.log(probs).sum())


def fit_lead_time(
    lead_times_days: Sequence[int] | npt.NDArray[np.int64], family: LeadTimeFamily = "auto"
) -> LeadTimeFit:
    """Fit a supplier's lead-time distribution from its delivery history.

    Args:
        lead_times_days: observed lead times in whole days (≥ 0), e.g. from
            ``lead_times_from_deliveries``.
        family: ``empirical``, ``gamma``, ``lognormal``, ``poisson`` or ``auto`` (see the
            module docstring).

    Raises:
        InvalidParameter: no observations, a negative lead time, or an unknown family.
    """
    obs = np.asarray(lead_times_days)
    if obs.size == 0:
        raise InvalidParameter("lead time fit: no deliveries observed")
    if np.any(obs < 0) or np.any(obs != np.round(obs)):
        raise InvalidParameter("lead time fit: lead times must be whole days ≥ 0")
    obs_i = obs.astype(np.int64)
    if family == "empirical" or (family == "auto" and (obs.size < 5 or np.ptp(obs) == 0)):
        pmf = np.bincount(obs_i).astype(np.float64) / obs.size
        n_params = int(np.count_nonzero(pmf)) - 1
        return LeadTimeFit(
            LeadTimeDistribution(pmf), "empirical", (), int(obs.size), _aic(pmf, obs_i, n_params)
        )
    families = ["gamma", "lognormal", "poisson"] if family == "auto" else [family]
    best: LeadTimeFit | None = None
    for name in families:
        pmf, params = _parametric(name, obs_i.astype(np.float64))
        fit = LeadTimeFit(
            LeadTimeDistribution(pmf), name, params, int(obs.size), _aic(pmf, obs_i, len(params))
        )
        if best is None or fit.aic < best.aic:
            best = fit
    assert best is not None
    logger.debug("lead time fit: %s (AIC %.1f) from %d deliveries", best.family, best.aic, obs.size)
    return best
