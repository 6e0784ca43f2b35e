"""Tenants and API keys; keys are stored as SHA-256 digests only.

A key is ``koe_`` + 43 characters of ``secrets.token_urlsafe(32)`` (256 random bits).
Plain SHA-256 is enough for such a key: with no dictionary to try, a leaked digest
cannot be reversed, so a slow hash or a server-side pepper (a secret to manage and
never lose) would add nothing. Lookups go by digest, so no comparison leaks timing.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import cast

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from service.storage.models import ApiKeyRow, TenantRow
from service.storage.types import KeyInfo, Principal, Scope

__all__ = ["KEY_PREFIX", "KeyStore", "generate_key", "hash_key"]

KEY_PREFIX = "koe_"
_DISPLAY_CHARS = 12
_CACHE_MAX = 10_000


def generate_key() -> str:
    """Return a new random API key."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """Return the hex SHA-256 digest stored for a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyStore:
    """Create, list, revoke and check API keys.

    ``authenticate`` remembers answers for ``cache_seconds`` (per process), so a key
    revoked from another process stops working within that time.
    """

    def __init__(self, engine: Engine, cache_seconds: float = 0.0) -> None:
        self._engine = engine
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    def create(self, tenant: str, scope: Scope = "full") -> tuple[str, KeyInfo]:
        """Create a key for ``tenant`` (created if new); return the key and its listing."""
        key = generate_key()
        now = time.time()
        with Session(self._engine) as session, session.begin():
            row = session.scalar(select(TenantRow).where(TenantRow.name == tenant))
            if row is None:
                row = TenantRow(name=tenant, created_at=now)
                session.add(row)
                session.flush()
            api_key = ApiKeyRow(
                tenant_id=row.id,
                key_hash=hash_key(key),
                prefix=key[:_DISPLAY_CHARS],
                scope=scope,
                created_at=now,
            )
            session.add(api_key)
            session.flush()
            info = _info(api_key, tenant)
        return key, info

    def list(self, tenant: str | None = None) -> list[KeyInfo]:
        """List keys, optionally of one tenant, oldest first."""
        stmt = select(ApiKeyRow, TenantRow.name).join(TenantRow).order_by(ApiKeyRow.id)
        if tenant is not None:
            stmt = stmt.where(TenantRow.name == tenant)
        with Session(self._engine) as session:
            return [_info(row, name) for row, name in session.execute(stmt)]

    def revoke(self, prefix: str) -> int:
        """Revoke the active keys whose display prefix is ``prefix``, or the key ``prefix``.

        ``prefix`` is either the whole 12-character prefix that :meth:`list` shows (every
        active key with that prefix is revoked) or a full key; anything else matches nothing.

        Returns:
            The number of keys revoked.
        """
        if len(prefix) < len(KEY_PREFIX) + 4:
            return 0
        stmt = (
            update(ApiKeyRow)
            .where(ApiKeyRow.revoked_at.is_(None))
            .where(ApiKeyRow.prefix == prefix[:_DISPLAY_CHARS])
            .values(revoked_at=time.time())
        )
        if len(prefix) > _DISPLAY_CHARS:
            stmt = stmt.where(ApiKeyRow.key_hash == hash_key(prefix))
        with self._engine.begin() as conn:
            return int(conn.execute(stmt).rowcount)

    def revoke_id(self, key_id: int) -> int:
        """Revoke the active key with this id; return 1 if it was revoked, else 0."""
        stmt = (
            update(ApiKeyRow)
            .where(ApiKeyRow.id == key_id, ApiKeyRow.revoked_at.is_(None))
            .values(revoked_at=time.time())
        )
        with self._engine.begin() as conn:
            return int(conn.execute(stmt).rowcount)

    def authenticate(self, key: str) -> Principal | None:
        """Return the principal of an active key, or ``None``."""
        if not key.startswith(KEY_PREFIX) or len(key) > 200:
            return None
        digest = hash_key(key)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        principal = self._lookup(digest)
        if self._cache_seconds > 0:
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[digest] = (now + self._cache_seconds, principal)
        return principal

    def _lookup(self, digest: str) -> Principal | None:
        stmt = (
            select(ApiKeyRow.tenant_id, TenantRow.name, ApiKeyRow.prefix, ApiKeyRow.scope)
            .join(TenantRow)
            .where(ApiKeyRow.key_hash == digest, ApiKeyRow.revoked_at.is_(None))
        )
        with self._engine.connect() as conn:
            row = conn.execute(stmt).first()
        if row is None:
            return None
        return Principal(
            tenant_id=row[0], tenant=row[1], key_prefix=row[2], scope=cast(Scope, row[3])
        )


def _info(row: ApiKeyRow, tenant: str) -> KeyInfo:
    return KeyInfo(
        id=row.id,
        tenant=tenant,
        prefix=row.prefix,
        scope=cast(Scope, row.scope),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
