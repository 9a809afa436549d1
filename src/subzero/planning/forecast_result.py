"""The result of an automatic forecast run, and its JSON report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from subzero.domain.errors import InvalidParameter
from subzero.planning.forecast_pilot import PilotTrial
from subzero.planning.forecast_quantiles import (
    LeadTimeDemand,
    ResidualBank,
    sample_lead_time_demand,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ForecastResult"]


@dataclass(frozen=True, slots=True)
class ForecastResult:
    """The output of an automatic run.

    Attributes:
        forecast: ``unique_id, ds, mean, q<level>…``, ``horizon`` rows per series.
        choices: per series (index ``unique_id``): ``demand_class, adi, cv2, periods,
            model, reason, backtest_rmsse, backtest_mase, backtest_spl``.
        model_scores: per option (index): mean backtest ``rmsse, mase, spl`` and the
            number of ``series`` it was scored on.
        pilot: the expensive models' pilot trials.
        bank: backtest error paths and conformal offsets.
        scales: quantile scale per series (0 for a series with no demand).
        groups: ranking group per series.
        horizon: periods forecast.
        freq: the calendar used.
        season: season length used.
        seconds: time per stage.
        notes: what the run decided beyond the per-series choice, in words (the global
            model, the switch margin and its nested-backtest trials, the ensembles).
        own_history: per series that had no backtest errors to borrow (every series too
            short when none could be backtested): its past demand, from which its
            quantiles and lead-time demand are drawn.
    """

    forecast: pd.DataFrame
    choices: pd.DataFrame
    model_scores: pd.DataFrame
    pilot: tuple[PilotTrial, ...]
    bank: ResidualBank
    scales: pd.Series
    groups: pd.Series
    horizon: int
    freq: str | int
    season: int
    seconds: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    own_history: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)

    def lead_time_demand(
        self,
        unique_id: str,
        lead_time: int,
        *,
        n_samples: int = 4000,
        rng: np.random.Generator | None = None,
    ) -> LeadTimeDemand:
        """Distribution of the series' demand summed over the next ``lead_time`` periods."""
        rows = self.forecast[self.forecast["unique_id"] == unique_id]
        if rows.empty:
            raise InvalidParameter(f"lead-time demand: unknown series {unique_id!r}")
        rng = rng if rng is not None else np.random.default_rng(0)
        if unique_id in self.own_history:
            past = self.own_history[unique_id]
            return _bootstrap_own_history(
                past, lead_time, self.horizon, self.bank.levels, n_samples, rng
            )
        group = self.bank.group_of(str(self.groups.get(unique_id, "*")))
        return sample_lead_time_demand(
            rows["mean"].to_numpy(dtype=np.float64),
            float(self.scales.get(unique_id, 0.0)),
            self.bank.paths[group],
            lead_time=lead_time,
            levels=self.bank.levels,
            n_samples=n_samples,
            rng=rng,
        )

    def report(self) -> dict[str, Any]:
        """A JSON-ready summary: per series and per candidate model."""

        def clean(value: Any) -> Any:
            if isinstance(value, float | np.floating):
                return None if not np.isfinite(value) else round(float(value), 6)
            if isinstance(value, np.integer):
                return int(value)
            return value

        series = [
            {"unique_id": uid, **{k: clean(v) for k, v in row.items()}}
            for uid, row in self.choices.to_dict(orient="index").items()
        ]
        models = {
            name: {k: clean(v) for k, v in row.items()}
            for name, row in self.model_scores.to_dict(orient="index").items()
        }
        return {
            "horizon": self.horizon,
            "freq": str(self.freq),
            "season": self.season,
            "quantiles": list(self.bank.levels),
            "models": models,
            "pilot": [trial.as_dict() for trial in self.pilot],
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "notes": dict(self.notes),
            "series": series,
        }


def _bootstrap_own_history(
    history: npt.NDArray[np.float64],
    lead_time: int,
    horizon: int,
    levels: tuple[float, ...],
    n_samples: int,
    rng: np.random.Generator,
) -> LeadTimeDemand:
    """Lead-time demand of a series forecast by its historic mean: the sum of
    ``lead_time`` periods drawn with replacement from its own past (the bootstrap of
    independent periods, matching the mean model and its quantiles)."""
    if not 1 <= lead_time <= horizon:
        raise InvalidParameter(
            f"lead_time: {lead_time} must be between 1 and the forecast horizon {horizon}"
        )
    past = history if history.size else np.zeros(1)
    total = rng.choice(past, size=(n_samples, lead_time), replace=True).sum(axis=1)
    values = np.quantile(total, levels) if levels else np.empty(0)
    return LeadTimeDemand(
        lead_time=lead_time,
        mean=float(total.mean()),
        quantiles={float(lv): float(v) for lv, v in zip(levels, values, strict=True)},
        samples=total,
    )
