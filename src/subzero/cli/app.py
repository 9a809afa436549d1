"""The root ``subzero`` command and its one error boundary."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

import click
import typer

from subzero.domain.errors import SubzeroError

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["app", "main"]

logger = logging.getLogger("subzero.cli")

app = typer.Typer(
    name="subzero",
    help="Sell below zero: take orders when stock is out, promise dates you can keep, "
    "buy and allocate smartly, plan stock so waits become rare and short.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress (INFO) to stderr."),
) -> None:
    from rich.logging import RichHandler

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=_stderr_console(), show_path=False)],
    )


def _stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def _register_commands() -> None:
    # One module per family of commands; each keeps its heavy imports inside its commands.
    from subzero.cli import (
        catalog,
        collaboration,
        demo,
        exchange,
        forecast,
        orders,
        plan,
        policy,
        simulate,
    )

    for module in (
        catalog,
        orders,
        demo,
        plan,
        forecast,
        simulate,
        policy,
        collaboration,
        exchange,
    ):
        module.register(app)


_register_commands()


def main() -> None:
    """Entry point: run the app; a SubzeroError becomes one line on stderr and exit 1."""
    try:
        rv = app(standalone_mode=False)
    except SubzeroError as exc:
        sys.stderr.write(f"error[{exc.code}]: {exc.message}\n")
        sys.exit(1)
    except click.exceptions.Abort:
        sys.stderr.write("aborted\n")
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception:
        logger.exception("unexpected error")
        sys.exit(2)
    sys.exit(rv if isinstance(rv, int) else 0)
