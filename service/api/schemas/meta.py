"""Schemas of ``/v1/packs``, ``/v1/models`` and the health endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = [
    "HealthPublic",
    "LabelPublic",
    "ModelsPublic",
    "PackPublic",
    "PacksPublic",
    "ThemePublic",
]


class LabelPublic(BaseModel):
    """A text in Japanese and English."""

    ja: str
    en: str


class ThemePublic(BaseModel):
    """A theme of a pack."""

    id: str
    label: LabelPublic
    description: LabelPublic | None


class PackPublic(BaseModel):
    """A theme pack requests may name."""

    id: str
    version: int
    label: LabelPublic
    default: bool
    themes: list[ThemePublic]


class PacksPublic(BaseModel):
    """The packs offered by this server."""

    data: list[PackPublic]
    count: int


class ModelsPublic(BaseModel):
    """The loaded pipeline: version, sentiment backend and the registered ones."""

    pipeline_version: str
    sentiment_backend: str
    available_backends: list[str]
    config: dict[str, Any]


class HealthPublic(BaseModel):
    """Liveness or readiness."""

    status: str
    checks: dict[str, bool] = {}
