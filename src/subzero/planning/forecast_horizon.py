"""Beyond the forecast horizon: a daily forecast continued past its last day, and the
variance of demand summed over more days than the backtest error paths reach.

A lead time can be longer than the horizon that was forecast (and backtested): a 28-day
forecast for an item whose supplier takes 40 days. Reading the missing days as zero
demand under-orders; stretching the horizon's spread as if days were independent
understates it, because forecast errors share a level error that grows with the sum
(Poisson demand: the variance-to-mean ratio of a sum stays flat; a drifting level: it
grows with every day added, measured in ``tests/planning/test_forecast_horizon.py``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["extend_forecast", "extrapolate_variance"]


def extend_forecast(
    means: npt.NDArray[np.float64],
    days: int,
    season: int = 7,
    *,
    statistical: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float64]:
    """A daily forecast continued to ``days`` days: each day past its end repeats the
    same weekday of its last week (a seasonal-naive continuation, so a weekly pattern is
    kept); a forecast of less than a week continues at its mean.

    A planner's override is for its day: a stored forecast's ``mean`` includes it, so
    the continuation is taken from ``statistical`` (the forecast before overrides) when
    given; continuing ``means`` would repeat a one-off order every week.

    Args:
        means: daily forecasts, shape ``(..., covered)``, covered >= 1.
        days: the length wanted, >= covered.
        season: the period repeated [days].
        statistical: the same days' forecasts before overrides, shape of ``means``; the
            days past the end continue these (default: ``means``).

    Returns:
        A new array of shape ``(..., days)`` that starts with ``means``.
    """
    covered = means.shape[-1]
    if not 1 <= covered <= days:
        raise ValueError(f"covered {covered} days of {days}")
    base = means if statistical is None else statistical
    if base.shape != means.shape:
        raise ValueError(f"statistical forecasts of shape {base.shape}, means {means.shape}")
    out = np.zeros((*means.shape[:-1], days))
    out[..., :covered] = base
    missing = np.arange(covered, days)
    if covered >= season:
        out[..., missing] = out[..., covered - season + (missing - covered) % season]
    else:
        out[..., missing] = out[..., :covered].mean(axis=-1, keepdims=True)
    out[..., :covered] = means
    return out


def extrapolate_variance(
    variances: npt.NDArray[np.float64], lead_time: int
) -> npt.NDArray[np.float64]:
    """The variance of a sum over ``lead_time`` periods, from the variances of the sums
    over 1..H periods (H < lead time).

    Var(D_l) = a l + b l^2: independent noise (a) plus a level error the periods share
    (b), so the variance per period, Var(D_l) / l = a + b l, is a straight line in l. It
    is fitted by least squares over l = 1..H, row by row. Where it does not rise (b <= 0:
    a variance that grows no faster than linearly) the variance measured at H is
    stretched linearly, Var(D_L) = Var(D_H) L / H; the extrapolated variance per period
    is never below the one measured at H.

    Args:
        variances: ``Var(D_l)`` for l = 1..H, shape ``(..., H)``.
        lead_time: periods to extrapolate to [L], L >= H.

    Returns:
        ``Var(D_L)``, shape ``(...,)``.
    """
    horizon = variances.shape[-1]
    if lead_time < horizon:
        raise ValueError(f"lead time {lead_time} is inside the horizon {horizon}")
    periods = np.arange(1, horizon + 1, dtype=np.float64)
    per_period = variances / periods
    last = per_period[..., -1]
    if horizon < 2:
        return lead_time * last
    centred = periods - periods.mean()
    slope = (per_period * centred).sum(axis=-1) / (centred * centred).sum()
    intercept = per_period.mean(axis=-1) - slope * periods.mean()
    grown = np.where(slope > 0, intercept + slope * lead_time, last)
    return lead_time * np.maximum(last, grown)
