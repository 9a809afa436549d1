"""Settings from the environment (prefix ``SUBZERO_``), typed and validated.

A frozen dataclass rather than pydantic-settings: importing pydantic and
pydantic-settings took about a tenth of a second, and every CLI command reads the
settings (``subzero stock SKU`` must answer in well under half a second). The
behaviour is that of the ``BaseSettings`` class it replaces: variable names are
matched case-insensitively, keyword arguments win over the environment, and a bad
value stops start-up with a message that names the variable.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from subzero.domain.errors import InvalidParameter

__all__ = ["ENV_PREFIX", "Settings", "get_settings"]

ENV_PREFIX = "SUBZERO_"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable, with defaults that work on a fresh machine.

    Attributes:
        database_url: SQLAlchemy URL: ``sqlite:///FILE`` (default) or
            ``postgresql+psycopg://USER@HOST:PORT/NAME`` (``SUBZERO_DATABASE_URL``).
        promise_confidence: target probability that a promised date is kept,
            0.5 <= p < 1 (``SUBZERO_PROMISE_CONFIDENCE``).

    Raises:
        InvalidParameter: a value is out of range; the message names its variable.
    """

    database_url: str = "sqlite:///subzero.db"
    promise_confidence: float = 0.9

    def __post_init__(self) -> None:
        url = str(self.database_url).strip()
        if not url:
            raise _invalid("database_url", "must not be empty")
        confidence = _as_float("promise_confidence", self.promise_confidence)
        if not 0.5 <= confidence < 1.0:
            raise _invalid("promise_confidence", "must be at least 0.5 and below 1")
        object.__setattr__(self, "database_url", url)
        object.__setattr__(self, "promise_confidence", confidence)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``SUBZERO_*`` variables (any case); ``overrides`` win."""
        environ = os.environ if environ is None else environ
        fields = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, value in environ.items():
            name = key.lower().removeprefix(ENV_PREFIX.lower())
            if key.upper().startswith(ENV_PREFIX) and name in fields:
                values[name] = value
        unknown = set(overrides) - fields
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        return cls(**{**values, **overrides})


def _invalid(field: str, message: str) -> InvalidParameter:
    return InvalidParameter(f"{ENV_PREFIX}{field.upper()}: {message}")


def _as_float(field: str, value: object) -> float:
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            pass
    raise _invalid(field, f"{value!r} is not a number")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, built once; a bad value names its variable."""
    return Settings.from_env()
