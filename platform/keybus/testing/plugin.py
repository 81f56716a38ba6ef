"""The keybus pytest plugin: a Kafka per test session and a topic per test.

Registered through the `pytest11` entry point, so a service repository that installs
keybus gets these fixtures without any conftest:

- `kafka` (session): a `KafkaEndpoint`; KEYBUS_BOOTSTRAP_SERVERS if set, else a
  testcontainers Kafka when a Docker engine answers, else a local Kafka process on
  free ports. KEYBUS_TEST_BACKEND=env|container|local forces one.
- `topic` (function): a factory `topic(partitions=1, config=None, prefix=None, name=None)
  -> str` that creates a uniquely named topic (or exactly `name`, for names derived
  from another topic) and deletes it after the test. It returns once metadata lists
  the topic with a leader for every partition, and the teardown returns once metadata
  no longer lists it, so the next run can create the same name at once.
- `schema_registry` (session): the URL of a `keybus registry serve` process running
  against the session's Kafka; `registry_factory` starts more instances.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import ClusterMetadata, NewTopic

from keybus.kafka import AdminClient
from keybus.testing.backends import KafkaEndpoint, provide_kafka
from keybus.testing.registry import registry_factory, schema_registry

__all__ = [
    "TopicFactory",
    "create_topic",
    "delete_topics",
    "kafka",
    "kafka_admin",
    "registry_factory",
    "schema_registry",
    "topic",
]

TopicFactory = Callable[..., str]

_ADMIN_TIMEOUT_S = 30.0
_METADATA_POLL_S = 0.1


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
        create_topic(kafka_admin, NewTopic(name, partitions, 1, config=dict(config or {})))
        created.append(name)
        return name

    yield create

    if created:
        delete_topics(kafka_admin, created)


def create_topic(
    admin: AdminClient, new_topic: NewTopic, *, timeout_s: float = _ADMIN_TIMEOUT_S
) -> None:
    """Create a topic; return once metadata lists it with a leader for every partition.

    Kafka acknowledges a creation before every broker's metadata includes the topic. A
    topic of the same name whose deletion is not finished makes the creation fail with
    TOPIC_ALREADY_EXISTS, so the creation is tried again until `timeout_s` passes.

    Raises:
        KafkaException: the creation failed for another reason than the name.
        TimeoutError: the name stayed taken, or metadata did not show the topic ready,
            within `timeout_s`.
    """
    deadline = time.monotonic() + timeout_s
    name = new_topic.topic
    while True:
        future = admin.create_topics([new_topic], request_timeout=timeout_s)[name]
        try:
            future.result()
            break
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"Topic {name} already exists and was not deleted within {timeout_s} s. "
                    "Delete the topic or create another name."
                ) from exc
        time.sleep(_METADATA_POLL_S)
    _wait_for_metadata(
        admin,
        lambda metadata: _is_ready(metadata, name, new_topic.num_partitions),
        deadline,
        f"Topic {name} was created but metadata did not list it with a leader for each "
        f"of its {new_topic.num_partitions} partitions within {timeout_s} s. Check the "
        "broker log.",
    )


def delete_topics(
    admin: AdminClient, names: Sequence[str], *, timeout_s: float = _ADMIN_TIMEOUT_S
) -> None:
    """Delete topics; return once metadata no longer lists any of them.

    Raises:
        KafkaException: a deletion failed.
        TimeoutError: metadata still listed a topic after `timeout_s`.
    """
    deadline = time.monotonic() + timeout_s
    for future in admin.delete_topics(list(names), request_timeout=timeout_s).values():
        future.result()
    _wait_for_metadata(
        admin,
        lambda metadata: not set(names) & set(metadata.topics),
        deadline,
        f"Topics {', '.join(names)} were deleted but metadata still listed them after "
        f"{timeout_s} s. Check the broker log.",
    )


def _is_ready(metadata: ClusterMetadata, name: str, partitions: int) -> bool:
    topic = metadata.topics.get(name)
    if topic is None or topic.error is not None or len(topic.partitions) != partitions:
        return False
    return all(
        partition.error is None and partition.leader >= 0 for partition in topic.partitions.values()
    )


def _wait_for_metadata(
    admin: AdminClient,
    condition: Callable[[ClusterMetadata], bool],
    deadline: float,
    message: str,
) -> None:
    # Metadata of all topics: a request for one named topic may create it, because the
    # admin client is a librdkafka producer handle, which allows automatic creation.
    while not condition(admin.list_topics(timeout=_ADMIN_TIMEOUT_S)):
        if time.monotonic() > deadline:
            raise TimeoutError(message)
        time.sleep(_METADATA_POLL_S)
