"""Fixtures of the event-sourcing tests: stream topics and a running command handler.

The handler runs as a real Faust worker process (`faust -A topologies.commands worker`)
against the session's Kafka and the keybus registry. It is started once per session,
because a Faust worker takes several seconds to join its group.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient, NewTopic
from tests.unit.sourcing.factories import schedule

from keybus.sourcing import CommandBus, CommandTimeoutError, find_aggregate
from keybus.sourcing.domain import ACCESS_GRANT, DELIVERY
from keybus.streams.workers import WorkerGroup
from keybus.testing import KafkaEndpoint

STREAM_PARTITIONS = 3
PROJECTION_STREAMS = {
    "deliveries": 3,
    "access-grants": 3,
    "lock-devices": 3,
    "reference.lock-directory": 1,
}
SNAPSHOT_EVERY = 3


@dataclass(frozen=True)
class Stack:
    """A running command handler and where it reads and writes."""

    bootstrap_servers: str
    registry_url: str
    prefix: str
    app_id: str
    workers: WorkerGroup
    worker_count: int = 1


def create_stream_topics(admin: AdminClient, prefix: str, names: list[str]) -> list[str]:
    """Create the event, command, reply and snapshot topics of aggregates; return them."""
    new_topics = []
    for name in names:
        topics = find_aggregate(name).topics(prefix)
        new_topics += [
            NewTopic(topics.events, STREAM_PARTITIONS, 1),
            NewTopic(topics.commands, STREAM_PARTITIONS, 1),
            NewTopic(topics.replies, 1, 1),
            NewTopic(topics.snapshots, 1, 1, config={"cleanup.policy": "compact"}),
        ]
    for future in admin.create_topics(new_topics, request_timeout=30).values():
        future.result()
    return [topic.topic for topic in new_topics]


def delete_topics(admin: AdminClient, *prefixes: str) -> None:
    """Delete every topic whose name starts with one of `prefixes`."""
    names = [name for name in admin.list_topics(timeout=30).topics if name.startswith(prefixes)]
    if names:
        for future in admin.delete_topics(names, request_timeout=30).values():
            future.result()


def wait_until_serving(stack: Stack, timeout_s: float = 120.0) -> None:
    """Send a probe command until the handler replies; fail with the worker's log."""
    deadline = time.monotonic() + timeout_s
    with CommandBus(stack.bootstrap_servers, [DELIVERY], topic_prefix=stack.prefix) as bus:
        probe = schedule(f"probe-{uuid.uuid4().hex[:6]}")
        command_id = bus.send_nowait(probe)
        while time.monotonic() < deadline:
            stack.workers.wait_healthy(stack.worker_count, seconds=0.1)
            try:
                bus.wait(command_id, timeout_s=2.0)
            except CommandTimeoutError:
                continue
            return
    raise TimeoutError(
        f"Command handler did not answer within {timeout_s} s; log:\n"
        + stack.workers.log_path(0).read_text()[-3000:]
    )


@contextlib.contextmanager
def running_handler(
    kafka: KafkaEndpoint, admin: AdminClient, registry_url: str, folder: Path, workers: int
) -> Iterator[Stack]:
    """Run `workers` command handler processes for both reference aggregates on new topics."""
    prefix = f"sourcing-{uuid.uuid4().hex[:8]}-"
    app_id = f"commands-{prefix.rstrip('-')}"
    create_stream_topics(admin, prefix, [DELIVERY.name, ACCESS_GRANT.name])
    group = WorkerGroup(
        with_parent=True,
        topology="commands",
        folder=folder,
        environment={
            "KEYBUS_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "KEYBUS_REGISTRY_URL": registry_url,
            "KEYBUS_APP_ID": app_id,
            "KEYBUS_TOPIC_PREFIX": prefix,
            "KEYBUS_AUTO_REGISTER": "true",
            "KEYBUS_SNAPSHOT_EVERY": str(SNAPSHOT_EVERY),
        },
    )
    stack = Stack(kafka.bootstrap_servers, registry_url, prefix, app_id, group, workers)
    try:
        group.start(workers)
        wait_until_serving(stack)
        yield stack
    finally:
        group.stop()
        delete_topics(admin, prefix, app_id)


@pytest.fixture(scope="session")
def command_handler(
    kafka: KafkaEndpoint,
    kafka_admin: AdminClient,
    schema_registry: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """Run one command handler worker for the session's command tests."""
    folder = tmp_path_factory.mktemp("commands")
    with running_handler(kafka, kafka_admin, schema_registry, folder, workers=1) as stack:
        yield stack


@pytest.fixture
def prefix(kafka_admin: AdminClient) -> Iterator[str]:
    """Create the source streams under a prefix of this test; delete them afterwards."""
    name = f"projections-{uuid.uuid4().hex[:8]}-"
    new_topics = [NewTopic(name + stream, count, 1) for stream, count in PROJECTION_STREAMS.items()]
    for future in kafka_admin.create_topics(new_topics, request_timeout=30).values():
        future.result()
    yield name
    delete_topics(kafka_admin, name)
