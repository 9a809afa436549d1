"""subzero: sell below zero — backorders, promises, replenishment and planning science."""

from __future__ import annotations

__all__ = ["__version__"]
__version__ = "0.1.0"
