"""A registry of named entries (field types, operators, triggers, actions)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries by name; registering a name twice fails at start-up, not at use."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, entry: T) -> T:
        """Add an entry under its ``name`` attribute; usable as a class decorator."""
        name = entry.name  # type: ignore[attr-defined]
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = entry() if isinstance(entry, type) else entry
        return entry

    def get(self, name: str) -> T:
        """The entry called ``name``; KeyError names the kind when there is none."""
        try:
            return self._entries[name]
        except (KeyError, TypeError):  # TypeError: an unhashable name from JSON input ({} or [])
            raise KeyError(f"unknown {self.kind} {name!r}") from None

    def __contains__(self, name: object) -> bool:
        # Names come from JSON input: an object or list is simply not a registered name.
        return isinstance(name, str) and name in self._entries

    def __iter__(self) -> Iterator[T]:
        return iter(self._entries.values())

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._entries)
