"""The ``koe`` command line: one Typer app, one module per command group."""

from __future__ import annotations

# Command modules register themselves on ``app`` when imported.
from service.cli import analyze as _analyze  # noqa: F401
from service.cli import backends as _backends  # noqa: F401
from service.cli import keys as _keys  # noqa: F401
from service.cli import serve as _serve  # noqa: F401
from service.cli import summary as _summary  # noqa: F401
from service.cli import topics as _topics  # noqa: F401
from service.cli._app import app, main

__all__ = ["app", "main"]
