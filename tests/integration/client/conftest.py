"""Fixtures for SDK tests: the session's Kafka and keybus registry, and helpers to read back."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from keybus.client import Consumer
from keybus.events import Event
from keybus.registry import RegistryClient
from keybus.testing.registry import registry_factory, schema_registry

__all__ = ["Collect", "collect", "registry", "registry_factory", "schema_registry"]


@pytest.fixture
def registry(schema_registry: str) -> Iterator[RegistryClient]:
    """Provide a fresh registry client (empty cache) for the session's registry."""
    with RegistryClient(schema_registry) as client:
        yield client


def _collect(
    bootstrap_servers: str,
    registry_url: str,
    topic: str,
    event_types: list[type[Event]],
    count: int,
    *,
    timeout_s: float = 30.0,
    group_id: str | None = None,
    config: dict[str, object] | None = None,
) -> list[Event]:
    """Consume `count` events of `event_types` from `topic` with a new group and return them."""
    received: list[Event] = []
    with Consumer(
        bootstrap_servers,
        group_id or f"test-{uuid.uuid4().hex[:8]}",
        registry_url,
        topics=[topic],
        config=config,
    ) as consumer:
        for event_type in event_types:
            consumer.add_handler(event_type, received.append)
        consumer.run(max_events=count, idle_timeout_s=timeout_s, handle_signals=False)
    return received


Collect = Callable[..., list[Event]]
"""`collect(servers, registry_url, topic, event_types, count, ...) -> events`."""


@pytest.fixture
def collect() -> Collect:
    """Provide the function that consumes a number of events back from a topic."""
    return _collect
