"""The CLI's one runtime, bootstrapped on first use from the environment's settings."""

from __future__ import annotations

from functools import lru_cache

from subzero.bootstrap import Runtime, bootstrap

__all__ = ["runtime"]


@lru_cache(maxsize=1)
def runtime() -> Runtime:
    return bootstrap()
