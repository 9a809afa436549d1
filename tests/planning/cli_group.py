"""One CLI module's commands under a Typer group, as the real ``subzero`` root holds
them (a group, so a lone command keeps its name on the command line)."""

from __future__ import annotations

from collections.abc import Callable

import typer


def command_group(register: Callable[[typer.Typer], None]) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass

    register(app)
    return app
