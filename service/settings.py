"""Service settings (``KOE_*`` environment variables), shared by serve, worker and keys.

There is no module-level instance: :func:`service.app.create_app` receives one and
routes get it through :data:`service.api.deps.SettingsDep`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_database_url"]


def default_database_url() -> str:
    """Return the SQLite file in the user data directory (created on first use)."""
    directory = Path(platformdirs.user_data_dir("koe", appauthor=False))
    return f"sqlite:///{directory / 'koe.db'}"


class Settings(BaseSettings):
    """Service configuration; every field reads ``KOE_<NAME>`` from the environment."""

    # an empty KOE_* variable (KOE_PIPELINE_CONFIG=) means unset, not the current folder
    model_config = SettingsConfigDict(
        env_prefix="KOE_", extra="ignore", frozen=True, env_ignore_empty=True
    )

    #: SQLAlchemy URL; SQLite file by default, ``postgresql+psycopg://…`` for PostgreSQL
    database_url: str = Field(default_factory=default_database_url)
    #: keep the raw comment text after analysis (default: wiped once analysed)
    keep_raw_text: bool = False
    #: pipeline config TOML (``configs/standard.toml`` shape); the profile's if unset
    pipeline_config: Path | None = None
    #: profile used when no pipeline config is set: fast, standard or accurate
    profile: Literal["fast", "standard", "accurate"] = "accurate"
    #: interface and port of ``koe serve``
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    #: job worker processes started by ``koe serve`` (0: run ``koe worker`` separately)
    workers: int = Field(default=1, ge=0, le=64)
    #: comments claimed by a worker at once, and how long the claim lasts
    chunk_size: int = Field(default=200, ge=1, le=10_000)
    lease_seconds: float = Field(default=120.0, gt=0)
    #: a chunk claimed this many times without finishing fails its job (poison pill)
    max_attempts: int = Field(default=3, ge=1)
    #: idle workers look for new chunks this often
    poll_seconds: float = Field(default=0.2, gt=0)
    #: API key checks are remembered this long per process (revocation delay; 0: never)
    auth_cache_seconds: float = Field(default=5.0, ge=0)
    #: request limits
    max_body_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    max_sync_comments: int = Field(default=100, ge=1)
    #: ``POST /v1/analyses`` bodies: 100 comments of 10,000 characters fit in 4 MB
    max_sync_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    max_job_comments: int = Field(default=100_000, ge=1)
    #: attribute values of all comments of a job together (each costs memory while read)
    max_job_attributes: int = Field(default=1_000_000, ge=1)
    max_comment_chars: int = Field(default=10_000, ge=1)
    #: smallest ``min_group_size`` a report request may ask for (never below 3)
    report_min_group_size_floor: int = Field(default=3, ge=3)
    report_default_min_group_size: int = Field(default=5, ge=3)
    #: group columns per job and groups per report lattice (anonymity audit cost)
    report_max_group_columns: int = Field(default=4, ge=1, le=6)
    report_max_cells: int = Field(default=3000, ge=10)

    @model_validator(mode="after")
    def _check_report_defaults(self) -> Settings:
        if self.report_default_min_group_size < self.report_min_group_size_floor:
            raise ValueError(
                "KOE_REPORT_DEFAULT_MIN_GROUP_SIZE must be >= KOE_REPORT_MIN_GROUP_SIZE_FLOOR"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        """Whether the store is a SQLite database."""
        return self.database_url.startswith("sqlite")
