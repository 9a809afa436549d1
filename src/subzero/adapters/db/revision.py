"""The schema revision this code needs, in a module that imports nothing, so the stock
screen's SQLite reader (``adapters.db.stock_reader``) can check it without SQLAlchemy."""

from __future__ import annotations

__all__ = ["SCHEMA_REVISION"]

SCHEMA_REVISION = "0011"
"""The newest migration; a test checks it is Alembic's head."""
