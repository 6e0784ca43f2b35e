"""Alembic migrations of the service database: numbered, append-only."""
