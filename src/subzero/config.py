"""Settings from the environment (prefix ``SUBZERO_``), typed and validated."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from subzero.domain.errors import InvalidParameter

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Everything configurable, with defaults that work on a fresh machine."""

    model_config = SettingsConfigDict(env_prefix="SUBZERO_", extra="ignore")

    database_url: str = Field(
        "sqlite:///subzero.db",
        description="SQLAlchemy URL: sqlite:///FILE (default) or "
        "postgresql+psycopg://USER@HOST:PORT/NAME",
    )
    promise_confidence: float = Field(
        0.9, description="Target probability that a promised date is kept (0 < p < 1)."
    )

    @field_validator("promise_confidence")
    @classmethod
    def _confidence_in_range(cls, value: float) -> float:
        if not 0.5 <= value < 1.0:
            raise ValueError("must be at least 0.5 and below 1")
        return value

    @field_validator("database_url")
    @classmethod
    def _url_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment; a bad value names its variable."""
    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "SUBZERO_" + str(err["loc"][0]).upper() if err["loc"] else "SUBZERO_*"
        raise InvalidParameter(f"{name}: {err['msg']}") from None
