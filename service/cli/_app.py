"""The Typer application shared by every ``koe`` command module."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

from nlp.errors import FeedbackError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from service.settings import Settings

__all__ = ["app", "fail", "load_settings", "main", "open_database", "user_errors"]

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


def load_settings(**overrides: Any) -> Settings:
    """``Settings`` from ``KOE_*`` and the non-``None`` overrides; invalid ones exit 1."""
    from pydantic import ValidationError

    from service.settings import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        error = exc.errors()[0]
        raise fail(f"invalid settings: {error['loc']}: {error['msg']}") from None


def open_database(settings: Settings) -> Engine:
    """The settings' database, created or upgraded; an unusable one exits 1."""
    from sqlalchemy.exc import SQLAlchemyError

    from service.storage import create_db_engine, upgrade_database

    try:
        engine = create_db_engine(settings.database_url)
        upgrade_database(engine)
    except (OSError, ImportError, SQLAlchemyError) as exc:  # ImportError: no DB driver
        url = settings.database_url.split("@")[-1]  # no user or password in the message
        raise fail(f"cannot open the database {url} (KOE_DATABASE_URL): {exc}") from None
    return engine


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
