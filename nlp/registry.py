"""Registries of swappable backends, one per capability, filled by name.

Built-in backends register with the same decorator that outside code uses;
third-party packages add theirs through the entry-point group
``koe.sentiment_backends``, loaded lazily the first time a name is looked up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from nlp.errors import UnknownBackendError

__all__ = ["Registry", "sentiment_backends"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Registry(Generic[T]):
    """A name → factory mapping with a ``register`` decorator.

    Names follow ``"<impl>.v<N>"``: bump N rather than change behaviour under an
    old name.
    """

    def __init__(self, kind: str, entry_point_group: str | None = None) -> None:
        self.kind = kind
        self._entry_point_group = entry_point_group
        self._entry_points_loaded = entry_point_group is None
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Register the decorated factory under ``name``."""

        def decorator(item: T) -> T:
            self._items[name] = item
            return item

        return decorator

    def unregister(self, name: str) -> None:
        """Remove ``name`` (used by tests that register fakes)."""
        self._items.pop(name, None)

    def get(self, name: str) -> T:
        """Return the factory registered as ``name``.

        Raises:
            UnknownBackendError: no such name; the message lists the known names.
        """
        self._ensure_populated()
        try:
            return self._items[name]
        except KeyError:
            raise UnknownBackendError(self.kind, name, self._items) from None

    def names(self) -> list[str]:
        """Return the registered names, sorted."""
        self._ensure_populated()
        return sorted(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __contains__(self, name: object) -> bool:
        self._ensure_populated()
        return name in self._items

    def _ensure_populated(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        assert self._entry_point_group is not None
        for ep in entry_points(group=self._entry_point_group):
            try:
                self._items.setdefault(ep.name, ep.load())
            except Exception:  # a broken plugin must not break the built-ins
                logger.warning("could not load %s plugin %r", self.kind, ep.name, exc_info=True)


sentiment_backends: Registry[Callable[..., object]] = Registry(
    "sentiment backend", "koe.sentiment_backends"
)
