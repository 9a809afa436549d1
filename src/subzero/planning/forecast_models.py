"""The candidate forecast models: statsforecast models under stable short names.

Cheap models (about 0.1–0.3 ms per series) are backtested on every series. Expensive
models (AutoETS about 130–400 ms, AutoARIMA seconds per daily series) are tried on a
pilot sample first and run on a whole demand class only where the pilot shows they pay
(see :mod:`subzero.planning.forecast`).

References:
    Croston (1972), Operational Research Quarterly 23(3), 289–303 (``croston``);
    Syntetos & Boylan (2005), IJF 21(2), 303–314 (``sba``);
    Teunter, Syntetos & Babai (2011), EJOR 214(3), 606–615 (``tsb``);
    Nikolopoulos et al. (2011), JORS 62(3), 544–554 (``adida``);
    Petropoulos & Kourentzes (2015), JORS 66(6), 914–924 (``imapa``);
    Hyndman et al. (2008), *Forecasting with exponential smoothing* (``ses``, ``ets``);
    Fiorucci et al. (2016), IJF 32(4), 1151–1161 (``theta``);
    Hyndman & Khandakar (2008), JSS 27(3) (``arima``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FALLBACK_MODEL",
    "Candidate",
    "Cost",
    "candidates",
    "fallback_model",
    "instantiate",
]

FALLBACK_MODEL = "mean"
"""Model for series too short to backtest: the historic average (never negative)."""


class Cost(enum.StrEnum):
    """How expensive a model is to fit, which decides where it is tried."""

    CHEAP = "cheap"
    EXPENSIVE = "expensive"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One candidate model.

    Attributes:
        name: stable short name, used as column name and in reports.
        cost: ``CHEAP`` models are backtested on every series, ``EXPENSIVE`` ones on a
            pilot sample first.
        seasonal: the model uses the season length (skipped when the season is 1).
        build: makes the statsforecast model from ``(season, alias)``.
    """

    name: str
    cost: Cost
    seasonal: bool
    build: Callable[[int, str], Any]


def _seasonal_naive(season: int, alias: str) -> Any:
    from statsforecast.models import SeasonalNaive

    return SeasonalNaive(season_length=season, alias=alias)


def _naive(season: int, alias: str) -> Any:
    from statsforecast.models import Naive

    return Naive(alias=alias)


def _mean(season: int, alias: str) -> Any:
    from statsforecast.models import HistoricAverage

    return HistoricAverage(alias=alias)


def _window_average(season: int, alias: str) -> Any:
    from statsforecast.models import WindowAverage

    return WindowAverage(window_size=max(season, 4), alias=alias)


def _seasonal_window_average(season: int, alias: str) -> Any:
    from statsforecast.models import SeasonalWindowAverage

    # four seasons of a week, two of a year (a monthly series rarely has four years)
    return SeasonalWindowAverage(
        season_length=season, window_size=4 if season < 12 else 2, alias=alias
    )


def _ses(season: int, alias: str) -> Any:
    from statsforecast.models import SimpleExponentialSmoothingOptimized

    return SimpleExponentialSmoothingOptimized(alias=alias)


def _croston(season: int, alias: str) -> Any:
    from statsforecast.models import CrostonOptimized

    return CrostonOptimized(alias=alias)


def _sba(season: int, alias: str) -> Any:
    from statsforecast.models import CrostonSBA

    return CrostonSBA(alias=alias)


def _tsb(season: int, alias: str) -> Any:
    from statsforecast.models import TSB

    return TSB(alpha_d=0.1, alpha_p=0.1, alias=alias)


def _adida(season: int, alias: str) -> Any:
    from statsforecast.models import ADIDA

    return ADIDA(alias=alias)


def _imapa(season: int, alias: str) -> Any:
    from statsforecast.models import IMAPA

    return IMAPA(alias=alias)


def _ets(season: int, alias: str) -> Any:
    from statsforecast.models import AutoETS

    return AutoETS(season_length=season, alias=alias)


def _theta(season: int, alias: str) -> Any:
    from statsforecast.models import DynamicOptimizedTheta

    return DynamicOptimizedTheta(season_length=season, alias=alias)


def _arima(season: int, alias: str) -> Any:
    from statsforecast.models import AutoARIMA

    return AutoARIMA(season_length=season, alias=alias)


_ALL = (
    Candidate("naive", Cost.CHEAP, False, _naive),
    Candidate("seasonal_naive", Cost.CHEAP, True, _seasonal_naive),
    Candidate("mean", Cost.CHEAP, False, _mean),
    Candidate("window_average", Cost.CHEAP, False, _window_average),
    Candidate("seasonal_window_average", Cost.CHEAP, True, _seasonal_window_average),
    Candidate("ses", Cost.CHEAP, False, _ses),
    Candidate("croston", Cost.CHEAP, False, _croston),
    Candidate("sba", Cost.CHEAP, False, _sba),
    Candidate("tsb", Cost.CHEAP, False, _tsb),
    Candidate("adida", Cost.CHEAP, False, _adida),
    Candidate("imapa", Cost.CHEAP, False, _imapa),
    Candidate("ets", Cost.EXPENSIVE, False, _ets),
    Candidate("theta", Cost.EXPENSIVE, False, _theta),
    Candidate("arima", Cost.EXPENSIVE, False, _arima),
)


def candidates(season: int, *, cost: Cost | None = None) -> tuple[Candidate, ...]:
    """The candidate set for a season length, optionally of one cost.

    Seasonal models are left out when ``season`` is 1 (they would repeat ``naive`` and
    ``window_average``).
    """
    return tuple(
        c for c in _ALL if (cost is None or c.cost is cost) and (season > 1 or not c.seasonal)
    )


def instantiate(chosen: tuple[Candidate, ...], season: int) -> list[Any]:
    """statsforecast model objects for candidates, aliased by their names."""
    return [c.build(season, c.name) for c in chosen]


def fallback_model(season: int) -> Any:
    """The model for series too short to backtest (:data:`FALLBACK_MODEL`)."""
    return _mean(season, FALLBACK_MODEL)
