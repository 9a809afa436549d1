"""``manifest.json``: what an export wrote, checked on import.

An export writes the manifest last (``files.write_directory``), so a directory with one
is a complete export: it names the file of every entity and counts its rows. On import,
a manifest of a schema version this code cannot read is refused; a file it lists must
be there and hold the rows it counts (a file cut short, emptied or deleted is refused,
never imported as if it were whole); files it does not list are not read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from subzero.adapters.io.schema import ENTITIES, READABLE_VERSIONS
from subzero.service.exchange import Rejection

__all__ = ["MANIFEST", "Manifest", "read_manifest"]

MANIFEST = "manifest.json"
_FORMATS = ("csv", "parquet")


@dataclass(frozen=True, slots=True)
class Manifest:
    """The entity files an export wrote (entity -> file name) and their row counts."""

    files: dict[str, str]
    counts: dict[str, int]

    def count(self, entity: str) -> int | str:
        return self.counts.get(entity, "an unknown number of")

    def check_count(self, entity: str, name: str, rows: int, out: list[Rejection]) -> None:
        expected = self.counts.get(entity)
        if expected is not None and rows != expected:
            out.append(
                Rejection(
                    name,
                    f"{rows} row(s), but {MANIFEST} says {expected}: the file is not the "
                    "one exported (cut short or changed); export again",
                )
            )


def read_manifest(path: Path, out: list[Rejection]) -> Manifest | None:
    """The manifest, or None (with the reasons in ``out``) when it cannot be used."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        out.append(Rejection(path.name, f"not valid JSON ({exc})"))
        return None
    if not isinstance(data, dict):
        out.append(Rejection(path.name, "not a JSON object"))
        return None
    version = data.get("schema_version")
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        readable = " or ".join(map(str, READABLE_VERSIONS))
        message = f"schema_version {version!r}; this version reads {readable}"
        out.append(Rejection(path.name, message))
        return None
    problems: list[str] = []
    files = _files(data.get("files"), problems)
    counts = _counts(data.get("counts"), problems)
    for entity in files:
        if entity not in counts:
            problems.append(f"counts has no entry for {entity!r}")
    out.extend(Rejection(path.name, problem) for problem in problems)
    return None if problems else Manifest(files, counts)


def _files(value: Any, problems: list[str]) -> dict[str, str]:
    if not isinstance(value, dict):
        problems.append('"files" is not an object of entity: file name')
        return {}
    files: dict[str, str] = {}
    for entity, name in value.items():
        if entity not in ENTITIES:
            problems.append(f"unknown entity {entity!r} in files; known: {', '.join(ENTITIES)}")
        elif name not in {f"{entity}.{fmt}" for fmt in _FORMATS}:
            problems.append(f"files: {entity!r} is {name!r}; use {entity}.csv or {entity}.parquet")
        else:
            files[entity] = name
    return files


def _counts(value: Any, problems: list[str]) -> dict[str, int]:
    if not isinstance(value, dict):
        problems.append('"counts" is not an object of entity: rows')
        return {}
    counts: dict[str, int] = {}
    for entity, rows in value.items():
        if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
            problems.append(f"counts: {entity!r} is {rows!r}; must be a whole number ≥ 0")
        else:
            counts[str(entity)] = rows
    return counts
