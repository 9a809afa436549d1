"""Settings from the environment: the ``SUBZERO_*`` variables, their defaults, and a bad
value stopping start-up with a message that names the variable."""

from __future__ import annotations

import pytest

from subzero.config import Settings, get_settings
from subzero.domain.errors import InvalidParameter


def test_defaults_work_on_a_fresh_machine() -> None:
    assert Settings.from_env({}) == Settings("sqlite:///subzero.db", 0.9)


def test_variables_are_read_with_the_prefix_in_any_case() -> None:
    env = {
        "SUBZERO_DATABASE_URL": " postgresql+psycopg://u@h:5432/d ",
        "subzero_promise_confidence": "0.95",
        "DATABASE_URL": "sqlite:///not-ours.db",
        "SUBZERO_UNKNOWN": "ignored",
    }
    settings = Settings.from_env(env)
    assert settings.database_url == "postgresql+psycopg://u@h:5432/d"
    assert settings.promise_confidence == 0.95


def test_keyword_arguments_win_over_the_environment() -> None:
    env = {"SUBZERO_DATABASE_URL": "sqlite:///env.db"}
    assert Settings.from_env(env, database_url="sqlite:///kw.db").database_url == (
        "sqlite:///kw.db"
    )
    with pytest.raises(TypeError, match="databse_url"):
        Settings.from_env(env, databse_url="sqlite:///typo.db")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SUBZERO_PROMISE_CONFIDENCE": "1"}, "SUBZERO_PROMISE_CONFIDENCE: must be at least"),
        ({"SUBZERO_PROMISE_CONFIDENCE": "0.4"}, "SUBZERO_PROMISE_CONFIDENCE: must be at least"),
        ({"SUBZERO_PROMISE_CONFIDENCE": "nan"}, "SUBZERO_PROMISE_CONFIDENCE: must be at least"),
        ({"SUBZERO_PROMISE_CONFIDENCE": "high"}, "SUBZERO_PROMISE_CONFIDENCE: 'high' is not"),
        ({"SUBZERO_DATABASE_URL": "  "}, "SUBZERO_DATABASE_URL: must not be empty"),
    ],
)
def test_a_bad_value_names_its_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        Settings.from_env(env)


def test_get_settings_reads_the_process_environment_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    get_settings.cache_clear()
    monkeypatch.setenv("SUBZERO_DATABASE_URL", "sqlite:///from-env.db")
    try:
        assert get_settings().database_url == "sqlite:///from-env.db"
        monkeypatch.setenv("SUBZERO_DATABASE_URL", "sqlite:///changed.db")
        assert get_settings() is get_settings()
        assert get_settings().database_url == "sqlite:///from-env.db"
    finally:
        get_settings.cache_clear()
