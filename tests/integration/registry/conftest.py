"""Fixtures for registry tests: an HTTP client of the session registry and unique names.

The `schema_registry` and `registry_factory` fixtures come from the keybus pytest plugin.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

__all__ = ["http", "unique"]


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
