"""The Typer application shared by every ``koe`` command module."""

from __future__ import annotations

import sys

import typer

from nlp.errors import FeedbackError

__all__ = ["app", "fail", "main"]

app = typer.Typer(
    name="koe",
    help="koe (声): analyse Japanese free-text feedback.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def fail(message: str) -> typer.Exit:
    """Print a one-line user error on stderr and return the exit to raise (code 1)."""
    typer.echo(f"koe: error: {message}", err=True)
    return typer.Exit(code=1)


def main() -> None:
    """Entry point of the ``koe`` console script: user errors never show a traceback."""
    try:
        app()
    except FeedbackError as exc:
        typer.echo(f"koe: error: {exc.message}", err=True)
        sys.exit(1)
