"""The projections by name; other packages register theirs here or through entry points."""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.metadata import entry_points

from keybus.sourcing.errors import ProjectionError, UnknownProjectionError
from keybus.sourcing.projections.base import Projection

__all__ = [
    "ENTRY_POINT_GROUP",
    "ProjectionFactory",
    "ProjectionRegistry",
    "create_projection",
    "projection_names",
    "projections",
    "register_projection",
]

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "keybus.projections"
"""Entry point group whose objects are projection factories, loaded on first look-up."""

ProjectionFactory = Callable[[], Projection]
"""Returns a new projection; usually the projection class itself."""


class ProjectionRegistry:
    """Projection factories by name.

    Packages register a factory with `register` when imported, or declare it as an
    entry point in group `keybus.projections`, so `keybus replay` finds it without
    importing that package by name.
    """

    def __init__(self, *, load_entry_points: bool = True) -> None:
        self._factories: dict[str, ProjectionFactory] = {}
        self._entry_points_loaded = not load_entry_points

    def register(self, name: str, factory: ProjectionFactory) -> None:
        """Register `factory` under `name`; registering the same factory again is a no-op."""
        existing = self._factories.get(name)
        if existing is not None and existing is not factory:
            raise ProjectionError(
                f"A projection named {name!r} is registered already ({existing!r}). "
                "Give the new projection another name."
            )
        self._factories[name] = factory

    def create(self, name: str) -> Projection:
        """Return a new instance of the projection registered under `name`."""
        self._load_entry_points()
        factory = self._factories.get(name)
        if factory is None:
            registered = ", ".join(self.names()) or "none"
            raise UnknownProjectionError(
                f"No projection is named {name!r}. Registered: {registered}. "
                "Register it with keybus.sourcing.projections.register_projection or an entry "
                f"point in group {ENTRY_POINT_GROUP}."
            )
        return factory()

    def names(self) -> list[str]:
        """Return the registered names."""
        self._load_entry_points()
        return sorted(self._factories)

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for entry_point in entry_points(group=ENTRY_POINT_GROUP):
            factory = entry_point.load()
            self.register(entry_point.name, factory)
            logger.info(
                "projection loaded name=%s entry_point=%s", entry_point.name, entry_point.value
            )


projections = ProjectionRegistry()
"""The process-wide projection registry that `keybus replay` reads."""


def register_projection(factory: type[Projection]) -> type[Projection]:
    """Register a projection class under its `name`; usable as a class decorator."""
    projections.register(factory.name, factory)
    return factory


def create_projection(name: str) -> Projection:
    """Return a new instance of a registered projection."""
    return projections.create(name)


def projection_names() -> list[str]:
    """Return the names of the registered projections."""
    return projections.names()
