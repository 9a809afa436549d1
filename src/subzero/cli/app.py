"""The root ``subzero`` command and its one error boundary."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

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
    rich_markup_mode="markdown",  # joins a docstring's wrapped lines into paragraphs
)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress (INFO) to stderr."),
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[_RichStderrHandler()],
    )


class _RichStderrHandler(logging.Handler):
    """rich's ``RichHandler`` on stderr, created at the first record: a command that
    logs nothing does not pay for importing rich."""

    def __init__(self) -> None:
        super().__init__()
        self._rich: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self._rich is None:
            from rich.logging import RichHandler

            self._rich = RichHandler(console=_stderr_console(), show_path=False)
            self._rich.setFormatter(self.formatter)
        self._rich.handle(record)


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
    """Entry point: run the app; a SubzeroError, or a file that cannot be read or
    written (``OSError``), becomes one line on stderr and exit 1.

    Typer carries its own copy of click, so click's errors are caught here as
    ``typer.TyperException`` (a usage error is shown as typer shows it, exit 2)."""
    try:
        rv = app(standalone_mode=False)
    except SubzeroError as exc:
        sys.stderr.write(f"error[{exc.code}]: {exc.message}\n")
        sys.exit(1)
    except OSError as exc:  # a full disk, a folder without write permission
        sys.stderr.write(f"error[io]: {exc}\n")
        sys.exit(1)
    except typer.Abort:
        sys.stderr.write("aborted\n")
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:
        _show_usage_error(exc)
        sys.exit(exc.exit_code)
    except Exception:
        logger.exception("unexpected error")
        sys.exit(2)
    sys.exit(rv if isinstance(rv, int) else 0)


def _show_usage_error(exc: typer.TyperException) -> None:
    """As typer does in standalone mode (after ``no_args_is_help`` it shows nothing
    more: the help is already on screen)."""
    from typer import rich_utils

    rich_utils.rich_format_error(exc)  # type: ignore[arg-type]
