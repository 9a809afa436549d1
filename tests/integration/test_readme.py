"""The README's console examples run as written, on the embedded default (SQLite).

Every ``$ subzero …`` line of the README's ``console`` blocks is run through bash (so
``$(date …)`` and ``;`` work as for a reader) and must succeed, or, where its comment
begins "refused", end in a clean refusal (exit code 1 and an ``error[…]`` line,
never a traceback). Where the README shows a command's whole JSON output, the command
must print exactly that. The tour starts from
an empty database; the planning loop and the partners' block run on a demo database (a
smaller one than ``make demo`` builds, with the items and suppliers they name); the
planning-science block gets the ``history.csv`` its forecasts read.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BIN = ROOT / ".venv" / "bin"

pytestmark = pytest.mark.slow


Step = tuple[str, str, str]  # command, the output the README shows, its comment


def _blocks() -> list[list[Step]]:
    """Each console block's steps."""
    blocks = []
    for body in re.findall(r"```console\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        steps: list[tuple[str, list[str], str]] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                cmd, _, comment = line[2:].partition(" # ")
                steps.append((cmd.strip(), [], comment.strip()))
            elif steps:
                steps[-1][1].append(line)
        blocks.append([(cmd, "\n".join(shown), comment) for cmd, shown, comment in steps])
    return blocks


def _run(cmd: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUBZERO_")}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        SUBZERO_DATABASE_URL=f"sqlite:///{cwd / 'subzero.db'}",
        COLUMNS="200",
    )
    return subprocess.run(
        ["bash", "-c", cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def _play(steps: list[Step], cwd: Path) -> dict[str, str]:
    """Run every step (see the module docstring); each command's stdout."""
    out = {}
    for cmd, shown, comment in steps:
        proc = _run(cmd, cwd)
        if comment.startswith("refused") and proc.returncode == 1:
            assert proc.stderr.startswith("error[") and "Traceback" not in proc.stderr
        else:
            assert proc.returncode == 0, f"README: `{cmd}` failed: {proc.stderr}"
        try:
            expected = json.loads(shown) if shown else None
        except json.JSONDecodeError:  # an abbreviated example ("...")
            expected = None
        if expected is not None:
            assert json.loads(proc.stdout) == expected, f"README: `{cmd}` prints otherwise"
        out[cmd] = proc.stdout
    return out


def test_the_readme_has_the_blocks_this_test_knows() -> None:
    blocks = _blocks()
    assert len(blocks) == 4
    assert blocks[0][0][0] == "subzero init"
    assert blocks[1][0][0].startswith("subzero forecast --from-ledger")
    assert blocks[2][0][0].startswith("subzero supplier-view Atlas-Supply")
    assert blocks[3][0][0].startswith("subzero policy newsvendor")


def test_the_tour_runs_as_written(tmp_path: Path) -> None:
    out = _play(_blocks()[0], tmp_path)
    # the tour's last word on W: nobody waits, and its alert says the 3 units still on
    # order are more than anyone needs
    assert "backorders (0 lines)" in out["subzero backorders"]
    (excess,) = json.loads(_run("subzero alerts --json", tmp_path).stdout)
    assert (excess["kind"], excess["sku"]) == ("excess_on_order", "W")
    assert excess["message"].startswith("3 units on order beyond need")


def test_the_demo_examples_run_as_written(tmp_path: Path) -> None:
    demo = _run("subzero demo --reset --days 30 --items 12", tmp_path)
    assert demo.returncode == 0, demo.stderr
    planning, partners = _blocks()[1:3]
    _play(planning, tmp_path)
    view = json.loads(_run("subzero supplier-view Atlas-Supply --json", tmp_path).stdout)
    sent = [p["po_id"] for p in view["purchase_orders"] if p["status"] == "sent"]
    assert sent, "the demo leaves Atlas-Supply no sent PO to confirm"
    _play([(cmd.replace(" ID ", f" {sent[-1]} "), *rest) for cmd, *rest in partners], tmp_path)


def test_the_planning_science_examples_run_as_written(tmp_path: Path) -> None:
    rows = ["unique_id,ds,y"]
    for uid, base in (("A", 5), ("B", 0)):
        for month in range(36):
            y = base + (month * 7 % 5) if uid == "A" else (3 if month % 4 == 0 else 0)
            rows.append(f"{uid},{2022 + month // 12}-{month % 12 + 1:02d}-01,{y}")
    (tmp_path / "history.csv").write_text("\n".join(rows) + "\n")
    _play(_blocks()[3], tmp_path)
    assert (tmp_path / "forecast.svg").read_text().startswith("<?xml")
    assert (tmp_path / "ltd.csv").read_text().splitlines()[0].startswith("unique_id")
