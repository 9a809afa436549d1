"""``subzero kpis --plot``: the service KPIs week by week, as a picture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from subzero.domain.errors import InvalidState

__all__ = ["plot_weekly_kpis"]


def plot_weekly_kpis(report: dict[str, Any], path: Path) -> None:
    """Draw ``report`` (``KpiReport.as_dict()`` split by week): fill rate, promises
    kept, OTIF and satisfaction per week of order placement, over the number of lines.

    Raises:
        InvalidState: no order line was placed in the window (nothing to draw).
    """
    weeks = report["groups"]
    if not weeks:
        raise InvalidState(
            f"--plot: no order lines placed {report['since']} … {report['until']}; nothing to draw"
        )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    days = np.array([w["key"] for w in weeks], dtype="datetime64[D]")
    fig, ax = plt.subplots(figsize=(9, 3.8), dpi=110)
    counts = ax.twinx()
    counts.bar(days, [w["lines"] for w in weeks], width=5, color="#dddddd", label="order lines")
    counts.set_ylabel("order lines")
    ax.set_zorder(counts.get_zorder() + 1)
    ax.patch.set_visible(False)  # the lines in front of the bars
    series = (
        ("fill_rate", "fill rate from stock", "#2b7bba", 100.0),
        ("promise_reliability", "promises kept", "#1a9850", 100.0),
        ("otif", "on time in full", "#fdae61", 100.0),
        ("satisfaction", "satisfaction (0-100)", "#d7301f", 1.0),
    )
    for key, label, color, scale in series:
        values = [np.nan if w[key] is None else w[key] * scale for w in weeks]
        ax.plot(days, values, marker="o", label=label, color=color)
    ax.set_ylim(0, 105)
    ax.set_ylabel("% (satisfaction: score)")
    ax.set_xlabel("week of order (Monday)")
    ax.set_title(
        f"service KPIs by week of order, {report['since']} … {report['until']}: "
        f"fill rate {report['overall']['fill_rate']:.0%}, "
        f"satisfaction {report['overall']['satisfaction']:.0f}"
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize="small")
    fig.autofmt_xdate()
    fig.tight_layout()
    from subzero.files import save_figure

    save_figure(fig, path)
