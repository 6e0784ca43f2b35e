"""Migrations: ``upgrade head`` is idempotent and matches the ORM models exactly."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from service.storage import create_db_engine, upgrade_database
from service.storage.db import MIGRATIONS_DIR
from service.storage.models import Base


def test_migrations_match_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_migrations_idempotent_and_versioned(engine: Engine) -> None:
    upgrade_database(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
    assert {"tenants", "api_keys", "jobs", "comments", "chunks", "results"} <= set(
        inspect(engine).get_table_names()
    )


def test_migrations_are_numbered(tmp_path: Path) -> None:
    names = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("m*.py"))
    assert names and all(n[1:5].isdigit() for n in names)
    assert [int(n[1:5]) for n in names] == list(range(1, len(names) + 1))


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    engine.dispose()
