"""The Typer application shared by every ``koe`` command module."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from nlp.errors import FeedbackError

__all__ = ["app", "fail", "main", "user_errors"]

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


@contextmanager
def user_errors(source: str, *also: type[Exception]) -> Iterator[None]:
    """Turn a command's user-facing failures into one ``koe: error:`` line and exit 1.

    Library errors keep their message, file errors name the file; ``also`` lists further
    exception types whose first message line is shown (e.g. ``ValueError``).
    """
    try:
        yield
    except FeedbackError as exc:
        raise fail(exc.message) from None
    except OSError as exc:
        raise fail(f"{exc.filename or source}: {exc.strerror}") from None
    except also as exc:
        raise fail(str(exc).splitlines()[0]) from None


def main() -> None:
    """Entry point of the ``koe`` console script: user errors never show a traceback."""
    try:
        app()
    except FeedbackError as exc:
        typer.echo(f"koe: error: {exc.message}", err=True)
        sys.exit(1)
