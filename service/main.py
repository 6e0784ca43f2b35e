"""Module-level app for ``fastapi``/``uvicorn service.main:app`` (settings from ``KOE_*``)."""

from __future__ import annotations

from service.app import create_app

__all__ = ["app"]

app = create_app()
