"""Are the demo's promises kept, and is the probability told the truth?

Plays ``subzero demo`` for each seed (each in its own SQLite file, two at a time) and
reads its database: for every line backordered when placed, its **first** promise (the
first ``PromiseChanged`` of the line) and whether the line was filled by that day. Only
promises after the order day and before the last day played are judged. Per seed:

* ``kept``: the share of those first promises kept;
* ``told``: the mean probability told with them, and ``brier`` the mean squared gap
  between what was told and what happened (0 is perfect; telling 0.9 of a coin that
  lands 90 % of the time scores 0.09);
* ``promised_wait``: days from the order to the first promise, on average;
* ``re_promises`` and ``re_kept``: every later promise of those lines (as orders run
  late, or a supplier splits a delivery), made for that day or later and due before the
  last day played, and the share of them kept;
* the demo's own figures: every promise kept (``promise_reliability``, and over the
  first half, before the policies are set), the mean backorder wait and satisfaction.

    .venv/bin/python benchmarks/promise_calibration.py --seeds 1-9         # Markdown
    .venv/bin/python benchmarks/promise_calibration.py --seeds 1-3 --json  # figures
    .venv/bin/python benchmarks/promise_calibration.py --split-share 0.3   # split deliveries

About 40 s a seed on a 2-core machine, two seeds at a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import create_engine, select

from subzero.adapters.db import tables

SUBZERO = Path(sys.executable).with_name("subzero")


@dataclass(frozen=True, slots=True)
class SeedFigures:
    seed: int
    first_promises: int
    kept: float
    told: float
    brier: float
    promised_wait: float
    re_promises: int
    re_kept: float
    promise_reliability: float
    reliability_first_half: float
    mean_wait_days: float
    satisfaction: float


def first_and_later_promises(url: str) -> tuple[list[tuple[float, bool, int]], list[bool]]:
    """(probability told, kept, days promised) of each line's first promise, and
    whether each later promise of those lines was kept."""
    engine = create_engine(url)
    ev, ln = tables.events.c, tables.order_lines.c
    with engine.connect() as conn:
        last = conn.scalar(select(ev.at).order_by(ev.seq.desc()).limit(1))
        first: dict[int, dict[str, object]] = {}
        later: list[tuple[dt.date, dict[str, object]]] = []
        for at, payload in conn.execute(
            select(ev.at, ev.payload).where(ev.type == "PromiseChanged").order_by(ev.seq)
        ):
            change = json.loads(payload)
            if int(change["line_id"]) in first:
                later.append((at.date(), change))
            first.setdefault(int(change["line_id"]), change)
        lines = {
            line_id: (placed, filled)
            for line_id, placed, filled in conn.execute(select(ln.id, ln.placed_at, ln.filled_at))
        }
    engine.dispose()
    assert last is not None, "the demo left no events"
    out, judged = [], set()
    for line_id, change in first.items():
        placed, filled = lines[line_id]
        promised = dt.date.fromisoformat(str(change["new_date"]))
        if not placed.date() < promised < last.date():
            continue  # ready when ordered, or not yet due when the demo stopped
        kept = filled is not None and filled.date() <= promised
        out.append((float(str(change["probability"])), kept, (promised - placed.date()).days))
        judged.add(line_id)
    re_kept = []
    for day, change in later:
        line_id = int(change["line_id"])
        filled = lines[line_id][1]
        promised = dt.date.fromisoformat(str(change["new_date"]))
        if line_id not in judged or not day <= promised < last.date():
            continue
        re_kept.append(filled is not None and filled.date() <= promised)
    return out, re_kept


def run_seed(seed: int, folder: Path, split_share: float = 0.0) -> SeedFigures:
    url = f"sqlite:///{folder / f'demo-{seed}.db'}"
    done = subprocess.run(
        [str(SUBZERO), "demo", "--reset", "--json", "--seed", str(seed)]
        + (["--split-share", str(split_share)] if split_share else []),
        env={"SUBZERO_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
        | ({"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}),
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(done.stdout)
    promises, re_kept = first_and_later_promises(url)
    told = [p for p, _, _ in promises]
    kept = [k for _, k, _ in promises]
    return SeedFigures(
        seed=seed,
        first_promises=len(promises),
        kept=round(statistics.fmean(kept), 4),
        told=round(statistics.fmean(told), 4),
        brier=round(statistics.fmean((p - k) ** 2 for p, k in zip(told, kept, strict=True)), 4),
        promised_wait=round(statistics.fmean(d for _, _, d in promises), 2),
        re_promises=len(re_kept),
        re_kept=round(statistics.fmean(re_kept), 4) if re_kept else float("nan"),
        promise_reliability=report["promise_reliability"],
        reliability_first_half=report["before_policies"]["promise_reliability"],
        mean_wait_days=report["mean_wait_days"],
        satisfaction=report["satisfaction"],
    )


def seeds_from(text: str) -> list[int]:
    """``1-9`` or ``1,4,7``."""
    if "-" in text:
        lo, hi = (int(part) for part in text.split("-", 1))
        return list(range(lo, hi + 1))
    return [int(part) for part in text.split(",")]


def markdown(figures: list[SeedFigures]) -> str:
    keys = [k for k in asdict(figures[0]) if k != "seed"]
    head = "| seed | " + " | ".join(keys) + " |\n|---:|" + "---:|" * len(keys)
    rows = [f"| {f.seed} | " + " | ".join(str(getattr(f, k)) for k in keys) + " |" for f in figures]
    spans = [
        f"{min(getattr(f, k) for f in figures)}–{max(getattr(f, k) for f in figures)} "
        f"(mean {statistics.fmean(getattr(f, k) for f in figures):.4g})"
        for k in keys
    ]
    return "\n".join([head, *rows, "| all | " + " | ".join(spans) + " |"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1-3", help="e.g. 1-9 or 1,4,7")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--split-share", type=float, default=0.0, help="the demo's --split-share (default 0)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, ThreadPoolExecutor(args.jobs) as pool:
        figures = list(
            pool.map(
                lambda seed: run_seed(seed, Path(folder), args.split_share),
                seeds_from(args.seeds),
            )
        )
    if args.json:
        print(json.dumps([asdict(f) for f in figures], indent=2))
    else:
        print(markdown(figures))


if __name__ == "__main__":
    main()
