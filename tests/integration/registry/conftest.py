"""Fixtures for registry tests: the shared registry, private instances and unique names."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from keybus.testing.registry import registry_factory, schema_registry

__all__ = ["http", "registry_factory", "schema_registry", "unique"]


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Return a function that makes a name unique to this test."""
    suffix = uuid.uuid4().hex[:8]
    return lambda name: f"{name}-{suffix}"


@pytest.fixture
def http(schema_registry: str) -> Iterator[httpx.Client]:
    """Provide an HTTP client for the shared registry."""
    with httpx.Client(base_url=schema_registry, timeout=30.0) as client:
        yield client
