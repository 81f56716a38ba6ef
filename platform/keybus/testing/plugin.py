"""The keybus pytest plugin: a Kafka per test session and a topic per test.

Registered through the `pytest11` entry point, so a service repository that installs
keybus gets these fixtures without any conftest:

- `kafka` (session): a `KafkaEndpoint`; KEYBUS_BOOTSTRAP_SERVERS if set, else a
  testcontainers Kafka when a Docker engine answers, else a local Kafka process on
  free ports. KEYBUS_TEST_BACKEND=env|container|local forces one.
- `topic` (function): a factory `topic(partitions=1, config=None, prefix=None, name=None)
  -> str` that creates a uniquely named topic (or exactly `name`, for names derived
  from another topic) and deletes it after the test.
- `schema_registry` (session): the URL of a `keybus registry serve` process running
  against the session's Kafka; `registry_factory` starts more instances.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Mapping

import pytest
from confluent_kafka.admin import NewTopic

from keybus.kafka import AdminClient
from keybus.testing.backends import KafkaEndpoint, provide_kafka
from keybus.testing.registry import registry_factory, schema_registry

__all__ = [
    "TopicFactory",
    "kafka",
    "kafka_admin",
    "registry_factory",
    "schema_registry",
    "topic",
]

TopicFactory = Callable[..., str]

_ADMIN_TIMEOUT_S = 30.0


@pytest.fixture(scope="session")
def kafka() -> Iterator[KafkaEndpoint]:
    """Provide one Kafka cluster for the whole test session."""
    with provide_kafka() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def kafka_admin(kafka: KafkaEndpoint) -> AdminClient:
    """Provide an AdminClient connected to the session's Kafka."""
    return AdminClient({"bootstrap.servers": kafka.bootstrap_servers})


@pytest.fixture
def topic(request: pytest.FixtureRequest, kafka_admin: AdminClient) -> Iterator[TopicFactory]:
    """Create uniquely named topics for one test and delete them afterwards."""
    created: list[str] = []
    test_name = re.sub(r"[^a-zA-Z0-9]+", "-", request.node.name).strip("-")[:60]

    def create(
        partitions: int = 1,
        config: Mapping[str, str] | None = None,
        prefix: str | None = None,
        name: str | None = None,
    ) -> str:
        name = name or f"{prefix or test_name}-{uuid.uuid4().hex[:8]}"
        new_topic = NewTopic(name, partitions, 1, config=dict(config or {}))
        futures = kafka_admin.create_topics([new_topic], request_timeout=_ADMIN_TIMEOUT_S)
        futures[name].result()
        created.append(name)
        return name

    yield create

    if created:
        for future in kafka_admin.delete_topics(created, request_timeout=_ADMIN_TIMEOUT_S).values():
            future.result()
