"""The result of an automatic forecast run, and its JSON report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from subzero.domain.errors import InvalidParameter
from subzero.planning.forecast_pilot import PilotTrial
from subzero.planning.forecast_quantiles import (
    LeadTimeDemand,
    ResidualBank,
    bootstrap_lead_time_demand,
    lead_time_summary,
    quantile_name,
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
            stockout_periods, model, reason, backtest_rmsse, backtest_mase, backtest_spl``
            (``stockout_periods``: periods marked or detected as stock-outs).
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
        stockouts: the periods taken for stock-outs, marked or detected (``unique_id,
            ds``; empty when there is none).
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
    stockouts: pd.DataFrame | None = None

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
            return bootstrap_lead_time_demand(
                self.own_history[unique_id],
                lead_time=lead_time,
                horizon=self.horizon,
                levels=self.bank.levels,
                n_samples=n_samples,
                rng=rng,
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

    def lead_time_summary(
        self, lead_times: Mapping[str, int], levels: tuple[float, ...] | None = None
    ) -> pd.DataFrame:
        """Each series' demand over its own lead time, for every series at once: mean,
        standard deviation and quantiles (what a policy needs of ``lead_time_demand``).

        A series forecast from its own history (the bootstrap of independent periods) has
        exact moments, L times its past mean and L times its past variance, and the
        quantiles of ``bootstrap_lead_time_demand``. The others take theirs from their
        group's error paths (``forecast_quantiles.lead_time_summary``), extrapolated past
        the horizon when L is longer (``forecast_horizon``).

        Args:
            lead_times: periods to sum per series [L], each L >= 1.
            levels: quantile levels (default: the run's).

        Returns:
            ``unique_id, lead_time, mean, sd, q<level>…``, one row per series of
            ``lead_times``, in its order.

        Raises:
            InvalidParameter: an unknown series, or a lead time below 1.
        """
        import pandas as pd

        levels = self.bank.levels if levels is None else tuple(sorted(set(levels)))
        qcols = [quantile_name(lv) for lv in levels]
        out = pd.DataFrame({"unique_id": list(lead_times), "lead_time": list(lead_times.values())})
        ids = self.forecast["unique_id"].to_numpy()
        order = pd.Index(pd.unique(ids))
        rows = order.get_indexer(out["unique_id"])
        if (rows < 0).any():
            unknown = out["unique_id"].to_numpy()[rows < 0][0]
            raise InvalidParameter(f"lead-time demand: unknown series {unknown!r}")
        bad = out[out["lead_time"] < 1]
        if not bad.empty:
            raise InvalidParameter(
                f"lead-time demand of {bad['unique_id'].iloc[0]!r}: lead time "
                f"{bad['lead_time'].iloc[0]} must be at least 1"
            )
        figures = np.full((len(out), 2 + len(levels)), np.nan)
        own = np.asarray([uid in self.own_history for uid in out["unique_id"]], dtype=bool)
        rng = np.random.default_rng(0)
        for k in np.flatnonzero(own):
            past, lead = self.own_history[out["unique_id"].iloc[k]], int(out["lead_time"].iloc[k])
            boot = bootstrap_lead_time_demand(
                past, lead_time=lead, levels=levels, n_samples=4000, rng=rng
            )  # L independent draws from the past, past the horizon too: exact moments
            figures[k] = [lead * past.mean(), np.sqrt(lead * past.var()), *boot.quantiles.values()]
        means = np.zeros((len(order), self.horizon))
        step = self.forecast.groupby("unique_id", sort=False).cumcount().to_numpy()
        means[order.get_indexer(ids), step] = self.forecast["mean"].to_numpy(np.float64)
        rest = np.flatnonzero(~own)
        groups = self.groups.reindex(out["unique_id"].iloc[rest]).fillna("*").astype(str)
        keys = pd.Series([self.bank.group_of(g) for g in groups], index=rest)
        leads = out["lead_time"].iloc[rest].set_axis(rest)
        for (group, lead), members in keys.groupby([keys, leads]):
            at = members.index.to_numpy()
            scales = self.scales.reindex(out["unique_id"].iloc[at]).fillna(0.0)
            mean, sd, quantiles = lead_time_summary(
                means[rows[at]],
                scales.to_numpy(np.float64),
                self.bank.paths[str(group)],
                lead_time=int(lead),
                levels=levels,
            )
            figures[at] = np.column_stack([mean, sd, quantiles])
        out[["mean", "sd", *qcols]] = figures
        return out

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
