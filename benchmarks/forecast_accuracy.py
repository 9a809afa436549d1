"""Hold-out accuracy of the automatic forecast on the real data in ../shared/data.

For each data set the last ``horizon`` periods of every series are held out; the
automatic run (:func:`subzero.planning.forecast.forecast`) sees only the periods before
them. Every candidate model and the automatic choice are scored on the hold-out by
RMSSE (the scaled error the choice minimises) and MASE, both scaled by the training
part of each series, averaged over series; the coverage of each quantile is the share of
hold-out actuals at or below it, and the coverage of the lead-time demand's quantiles the
share of sums of each series' first ``lead_time`` hold-out periods at or below them.

    .venv/bin/python benchmarks/forecast_accuracy.py            # prints the Markdown table
    .venv/bin/python benchmarks/forecast_accuracy.py --json     # the figures as JSON

The data folder is ``$SUBZERO_SHARED_DATA`` or ``../shared/data`` next to the repository.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from subzero.planning.forecast import ForecastSettings, forecast, run_forecast
from subzero.planning.forecast_backtest import series_scales
from subzero.planning.forecast_choice import ENSEMBLE
from subzero.planning.forecast_global import GLOBAL_MODEL, GlobalModel, global_setup
from subzero.planning.forecast_history import prepare_history
from subzero.planning.forecast_models import candidates, instantiate

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SUBZERO_SHARED_DATA", ROOT.parent / "shared" / "data"))


@dataclass(frozen=True, slots=True)
class DataSet:
    """One hold-out experiment."""

    name: str
    file: str
    freq: str
    horizon: int
    lead_time: int  # periods the lead-time demand sums
    quantiles: tuple[float, ...] = (0.5, 0.9, 0.95)


DATASETS = (
    DataSet("carparts", "carparts_monthly.csv", "M", 6, 3),
    DataSet("m5_foods3", "m5_ca1_foods3_10items_daily.csv", "D", 28, 7),
)


def load(
    data: DataSet, folder: Path = DATA, sample: int | None = None, seed: int = 0
) -> pd.DataFrame:
    """Read a tidy file; optionally a seeded random sample of its series."""
    frame = pd.read_csv(folder / data.file, dtype={"unique_id": str})
    if sample is not None:
        ids = np.sort(frame["unique_id"].unique())
        keep = np.random.default_rng(seed).choice(ids, size=min(sample, ids.size), replace=False)
        frame = frame[frame["unique_id"].isin(keep)]
    return frame.reset_index(drop=True)


def split(frame: pd.DataFrame, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training part and the last ``horizon`` periods of every series."""
    test = frame.groupby("unique_id", sort=False).tail(horizon)
    return frame.drop(test.index), test


def _scaled(actual: pd.DataFrame, column: str, scales: pd.DataFrame) -> tuple[float, float]:
    uid = actual["unique_id"].to_numpy()
    err = actual["y"].to_numpy(float) - np.maximum(actual[column].to_numpy(float), 0.0)
    rms = scales["rms_diff"].reindex(uid).to_numpy()
    mad = scales["mean_abs_diff"].reindex(uid).to_numpy()
    per = pd.DataFrame({"u": uid, "sq": err**2 / rms**2, "ab": np.abs(err) / mad})
    agg = per.groupby("u").mean()
    return float(np.sqrt(agg["sq"]).mean()), float(agg["ab"].mean())


def _per_series(actual: pd.DataFrame, column: str, scales: pd.DataFrame) -> pd.Series:
    """RMSSE per series."""
    uid = actual["unique_id"].to_numpy()
    err = actual["y"].to_numpy(float) - np.maximum(actual[column].to_numpy(float), 0.0)
    rms = scales["rms_diff"].reindex(uid).to_numpy()
    return np.sqrt(pd.Series(err**2 / rms**2).groupby(uid).mean())


def _paired_gap(gap: np.ndarray, n_boot: int = 2000) -> dict[str, float]:
    """Mean per-series RMSSE gap (automatic - best single) and its 95 % bootstrap interval."""
    rng = np.random.default_rng(0)
    means = rng.choice(gap, size=(n_boot, gap.size), replace=True).mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return {"mean": float(gap.mean()), "low": float(low), "high": float(high)}


def _global_forecast(train: pd.DataFrame, data: DataSet, season: int, n_jobs: int) -> pd.DataFrame:
    """The global LightGBM model alone, trained on the training part of every series."""
    prepared = prepare_history(train, freq=data.freq)
    model = GlobalModel(global_setup(season, prepared.freq), freq=prepared.freq, n_jobs=n_jobs)
    model.fit(prepared.frame)
    return model.predict(prepared.frame, data.horizon)


def evaluate(
    data: DataSet,
    folder: Path = DATA,
    *,
    sample: int | None = None,
    n_jobs: int = 1,
    settings: ForecastSettings | None = None,
    cut: int = 0,
) -> dict[str, Any]:
    """Run the hold-out experiment; returns per-model and automatic figures.

    ``cut`` > 0 moves the origin back: the last ``cut`` × horizon periods of every series
    are dropped first (for the rolling-origin evaluation, :func:`rolling`).
    """
    frame = load(data, folder, sample)
    if cut:
        frame = frame.drop(frame.groupby("unique_id", sort=False).tail(cut * data.horizon).index)
    frame["ds"] = pd.to_datetime(frame["ds"])
    train, test = split(frame, data.horizon)
    start = time.perf_counter()
    result = forecast(
        train,
        data.horizon,
        quantiles=data.quantiles,
        freq=data.freq,
        n_jobs=n_jobs,
        settings=settings,
    )
    seconds = time.perf_counter() - start
    scales = series_scales(train.sort_values(["unique_id", "ds"]).reset_index(drop=True))
    auto = result.forecast.merge(test, on=["unique_id", "ds"], how="inner")
    rows: dict[str, dict[str, float]] = {}
    # every single candidate the run chose from, refitted on all series of the training part
    names = [c.name for c in candidates(result.season)]
    chose_from = [n for n in names if n in result.model_scores.index]
    singles = run_forecast(
        train.assign(unique_id=train["unique_id"].astype(str)),
        instantiate(
            tuple(c for c in candidates(result.season) if c.name in chose_from), result.season
        ),
        horizon=data.horizon,
        freq=result.freq,
        n_jobs=n_jobs,
    )
    if GLOBAL_MODEL in result.model_scores.index:
        chose_from.append(GLOBAL_MODEL)
        singles = singles.merge(
            _global_forecast(train, data, result.season, n_jobs),
            on=["unique_id", "ds"],
            how="left",
        )
    singles = singles.merge(test, on=["unique_id", "ds"], how="inner")
    # a single model that cannot forecast a series (too short) gets the fallback there,
    # as in the automatic run
    fallback = auto.set_index(["unique_id", "ds"])["mean"]
    keyed = singles.set_index(["unique_id", "ds"])
    for name in chose_from:
        keyed[name] = keyed[name].fillna(fallback.reindex(keyed.index))
    singles = keyed.reset_index()
    per_series: dict[str, pd.Series] = {}
    for name in chose_from:
        rmsse, mase = _scaled(singles, name, scales)
        rows[name] = {"rmsse": rmsse, "mase": mase}
        per_series[name] = _per_series(singles, name, scales)
    if ENSEMBLE in result.model_scores.index:
        rows[ENSEMBLE + " (as chosen per class)"] = {}
    rmsse, mase = _scaled(auto, "mean", scales)
    coverage = {f"q{lv:g}": float((auto["y"] <= auto[f"q{lv:g}"]).mean()) for lv in data.quantiles}
    rows["automatic"] = {"rmsse": rmsse, "mase": mase}
    rows.pop(ENSEMBLE + " (as chosen per class)", None)
    lead_time = _lead_time_coverage(result, test, data)
    best_single = min((r["rmsse"], n) for n, r in rows.items() if n != "automatic")
    auto_series = _per_series(auto, "mean", scales)
    gap = (auto_series - per_series[best_single[1]].reindex(auto_series.index)).to_numpy()
    return {
        "data": data.name,
        "series": int(frame["unique_id"].nunique()),
        "horizon": data.horizon,
        "seconds": round(seconds, 1),
        "models": rows,
        "best_single": best_single[1],
        "paired_gap_vs_best_single": _paired_gap(gap),
        "notes": result.notes,
        "coverage": coverage,
        "lead_time_coverage": lead_time,
        "chosen": result.choices["model"].value_counts().to_dict(),
        "classes": result.choices["demand_class"].value_counts().to_dict(),
        "pilot": [t.as_dict() for t in result.pilot],
    }


def _lead_time_coverage(result: Any, test: pd.DataFrame, data: DataSet) -> dict[str, Any]:
    """Share of the actual sums of each series' first ``lead_time`` hold-out periods at or
    below the lead-time demand's quantiles (``ForecastResult.lead_time_summary``); series
    with fewer hold-out periods, or none before the origin, are left out."""
    first = test.sort_values(["unique_id", "ds"]).groupby("unique_id").head(data.lead_time)
    sums = first.groupby("unique_id")["y"].agg(["sum", "size"])
    sums = sums[(sums["size"] == data.lead_time) & sums.index.isin(result.choices.index)]
    ltd = result.lead_time_summary(dict.fromkeys(map(str, sums.index), data.lead_time))
    ltd = ltd.set_index("unique_id").reindex(sums.index.astype(str))
    actual = sums["sum"].to_numpy()
    return {
        "periods": data.lead_time,
        "sums": len(sums),
        "actual_total": float(actual.sum()),
        "mean_total": float(ltd["mean"].sum()),
        **{
            f"q{lv:g}": float((actual <= ltd[f"q{lv:g}"].to_numpy()).mean())
            for lv in data.quantiles
        },
    }


def rolling(
    data: DataSet, origins: int, folder: Path = DATA, n_jobs: int = 1, first: int = 0
) -> dict[str, Any]:
    """Rolling-origin evaluation (Tashman 2000, IJF 16(4), 437–450) over the last periods.

    The experiment of :func:`evaluate` is repeated at ``origins`` consecutive origins,
    ``horizon`` periods apart, the latest ``first`` × horizon periods before the plain
    hold-out (0: the hold-out itself); each run sees only the periods before its origin.
    Returns the mean RMSSE per model over the origins, the coverage pooled over all
    hold-out actuals, how often the automatic choice scored best, and the per-origin
    gap to the single model with the best mean, with a 95 % bootstrap interval over
    origins.
    """
    runs = [evaluate(data, folder, n_jobs=n_jobs, cut=k) for k in range(first, first + origins)]
    names = set.intersection(*(set(r["models"]) for r in runs))
    table = pd.DataFrame(
        {k: {n: r["models"][n]["rmsse"] for n in names} for k, r in enumerate(runs)}
    )
    best_single = table.drop(index="automatic").min()
    best_name = str(table.drop(index="automatic").mean(axis=1).idxmin())
    gap = (table.loc["automatic"] - table.loc[best_name]).to_numpy()
    return {
        "data": data.name,
        "series": runs[0]["series"],
        "horizon": data.horizon,
        "origins": origins,
        "first": first,
        "best_single": best_name,
        "gap_vs_best_single": _paired_gap(gap),
        "rmsse": table.mean(axis=1).sort_values().to_dict(),
        "rmsse_per_origin": table.round(4).to_dict(),
        "automatic_best_at": int((table.loc["automatic"] < best_single).sum()),
        "coverage": {
            q: float(np.mean([r["coverage"][q] for r in runs])) for q in runs[0]["coverage"]
        },
        "coverage_per_origin": [r["coverage"] for r in runs],
        "lead_time_coverage": _pooled([r["lead_time_coverage"] for r in runs]),
    }


def _pooled(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Lead-time coverages of several origins, pooled over all their sums."""
    total = sum(p["sums"] for p in parts)
    levels = [k for k in parts[0] if k.startswith("q")]
    return {
        "periods": parts[0]["periods"],
        "sums": total,
        "actual_total": sum(p["actual_total"] for p in parts),
        "mean_total": sum(p["mean_total"] for p in parts),
        **{q: sum(p[q] * p["sums"] for p in parts) / total for q in levels},
    }


def _lead_time_line(cover: dict[str, Any]) -> str:
    shares = ", ".join(f"{k}: {v:.1%}" for k, v in cover.items() if k.startswith("q"))
    return (
        f"Lead-time demand (the sum of the first {cover['periods']} periods, "
        f"{cover['sums']} sums): {shares}; actual sums / forecast mean: "
        f"{cover['actual_total'] / cover['mean_total']:.3f}."
    )


def rolling_markdown(report: dict[str, Any]) -> str:
    """The table of one rolling-origin evaluation."""
    h, first, n = report["horizon"], report["first"], report["origins"]
    span = (
        f"the last {n * h} periods"
        if first == 0
        else f"the {n * h} periods before the last {first * h}: origins never used to "
        "choose anything"
    )
    lines = [
        f"### {report['data']}: rolling origin, {n} origins {h} periods apart ({span})",
        "",
        "| model | mean RMSSE over origins |",
        "| --- | ---: |",
    ]
    for name, value in report["rmsse"].items():
        label = f"**{name}**" if name == "automatic" else name
        lines.append(f"| {label} | {value:.4f} |")
    cover = ", ".join(f"{k}: {v:.1%}" for k, v in report["coverage"].items())
    gap = report["gap_vs_best_single"]
    per_origin = ", ".join(f"{c['q0.9']:.1%}" for c in report["coverage_per_origin"])
    lines += [
        "",
        f"Quantile coverage pooled over all origins: {cover} (q0.9 per origin, latest "
        f"first: {per_origin}). The automatic choice scored better than every single model "
        f"at {report['automatic_best_at']} of {report['origins']} origins.",
        "",
        _lead_time_line(report["lead_time_coverage"]),
        "",
        f"Automatic minus the single model with the best mean ({report['best_single']}), "
        f"mean RMSSE over origins: {gap['mean']:+.4f} (95 % bootstrap interval over "
        f"origins {gap['low']:+.4f} to {gap['high']:+.4f}).",
        "",
    ]
    return "\n".join(lines)


def markdown(report: dict[str, Any]) -> str:
    """The table of one experiment."""
    lines = [
        f"### {report['data']}: {report['series']} series, hold-out of the last "
        f"{report['horizon']} periods",
        "",
        "| model | RMSSE | MASE |",
        "| --- | ---: | ---: |",
    ]
    order = sorted(report["models"].items(), key=lambda kv: kv[1]["rmsse"])
    for name, row in order:
        label = f"**{name}**" if name == "automatic" else name
        lines.append(f"| {label} | {row['rmsse']:.4f} | {row['mase']:.4f} |")
    cover = ", ".join(f"{k}: {v:.1%}" for k, v in report["coverage"].items())
    gap = report["paired_gap_vs_best_single"]
    lines += [
        "",
        f"Quantile coverage (share of actuals at or below): {cover}.",
        "",
        _lead_time_line(report["lead_time_coverage"]),
        "",
        f"Automatic minus the best single model ({report['best_single']}), mean per-series "
        f"RMSSE: {gap['mean']:+.4f} (95 % bootstrap interval over series "
        f"{gap['low']:+.4f} to {gap['high']:+.4f}).",
        "",
    ]
    return "\n".join(lines)


ROLLING_ORIGINS = {"m5_foods3": 7}
"""Data sets also evaluated by rolling origin (carparts is too short for more origins):
the hold-out and the 6 origins before it, on which the choice's rules were chosen."""

UNTOUCHED_ORIGINS = {"m5_foods3": 12}
"""Origins before those of :data:`ROLLING_ORIGINS`, never used to choose a rule or a
setting: the untouched test of the rules chosen on the later ones."""


def main(argv: list[str]) -> None:
    reports = [evaluate(d, n_jobs=1) for d in DATASETS]
    rolled = [rolling(d, ROLLING_ORIGINS[d.name]) for d in DATASETS if d.name in ROLLING_ORIGINS]
    rolled += [
        rolling(d, UNTOUCHED_ORIGINS[d.name], first=ROLLING_ORIGINS[d.name])
        for d in DATASETS
        if d.name in UNTOUCHED_ORIGINS
    ]
    if "--json" in argv:
        json.dump({"hold_out": reports, "rolling": rolled}, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return
    for report in reports:
        sys.stdout.write(markdown(report) + "\n")
        sys.stderr.write(
            json.dumps(
                {k: report[k] for k in ("chosen", "classes", "notes", "seconds")}, default=str
            )
            + "\n"
        )
    for report in rolled:
        sys.stdout.write(rolling_markdown(report) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
