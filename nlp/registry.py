"""Registries of swappable backends, one per capability, filled by name.

Built-in backends register with the same decorator that outside code uses;
third-party packages add theirs through the entry-point group
``koe.sentiment_backends``, loaded lazily the first time a name is looked up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from importlib.metadata import EntryPoint, entry_points
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
        self._plugins: dict[str, EntryPoint] = {}

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
        if name not in self._items and name in self._plugins:
            self._items[name] = self._plugins[name].load()
        try:
            return self._items[name]
        except KeyError:
            raise UnknownBackendError(self.kind, name, self.names()) from None

    def names(self) -> list[str]:
        """Return the registered names, sorted."""
        self._ensure_populated()
        return sorted({*self._items, *self._plugins})

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __contains__(self, name: object) -> bool:
        self._ensure_populated()
        return name in self._items or name in self._plugins

    def _ensure_populated(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        assert self._entry_point_group is not None
        # Plugins are imported on first use: a backend that needs torch costs nothing
        # until a config names it.
        for ep in entry_points(group=self._entry_point_group):
            self._plugins.setdefault(ep.name, ep)


sentiment_backends: Registry[Callable[..., object]] = Registry(
    "sentiment backend", "koe.sentiment_backends"
)
