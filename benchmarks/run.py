"""`make bench`: run every benchmarks/bench_*.py and print ONE JSON object of figures.

Each module exposes ``run() -> dict`` returning its figures (times in seconds,
throughputs, and ratios against a reference implementation measured in the same run).
Progress goes to stderr; stdout carries only the JSON object.

    make bench                  # all
    make bench ONLY=policies    # one module (bench_policies.py)
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _machine() -> dict[str, object]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    only = os.environ.get("ONLY")
    figures: dict[str, object] = {"machine": _machine()}
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if only and name != only:
            continue
        spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"[bench] {name} …", file=sys.stderr, flush=True)
        start = time.perf_counter()
        figures[name] = module.run()
        print(f"[bench] {name} done in {time.perf_counter() - start:.1f}s", file=sys.stderr)
    figures["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    json.dump(figures, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
