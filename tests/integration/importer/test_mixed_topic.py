"""A new import stops before writing when its target topic contains other events.

Real Kafka and the real keybus registry. Other events are published with the SDK
producer or written as raw records. Imports run through the `keybus import` command
in-process with Typer's runner, or through `run_import` where a test interrupts one.
The logs are two small real logs from the event-logs data folder beside the repository.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition
from confluent_kafka import Producer as KafkaProducer
from confluent_kafka.admin import AdminClient
from typer.testing import CliRunner

from keybus import Producer
from keybus.cli import app
from keybus.importer import (
    ImportOptions,
    LogMapping,
    MixedTopicError,
    open_log,
    plan_import,
    read_progress,
    run_import,
)
from keybus.registry.client import RegistryClient
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory
from keybus.types import Subject

from .logfiles import DATA

LOG = DATA / "running-example.csv"
LOG_EVENTS = 42
OTHER_LOG = DATA / "roadtraffic100traces.csv"
LOG_EVENT_TYPE = "keybus.eventlog.LogEvent"
PARCEL_WEIGHED: dict[str, Any] = {
    "type": "record",
    "name": "ParcelWeighed",
    "namespace": "com.example.shipping",
    "fields": [
        {"name": "parcel_id", "type": "string"},
        {"name": "weight_g", "type": "long"},
    ],
}
OTHER_SOURCE = "urn:example:scale"
OTHER_EVENTS = 4


class _ImportStoppedError(Exception):
    """Raised by a progress callback to stop an import after its first transaction."""


def _publish_parcels(kafka: KafkaEndpoint, registry: str, topic: str) -> None:
    with Producer(
        kafka.bootstrap_servers, registry, source=OTHER_SOURCE, auto_register=True
    ) as producer:
        for number in range(OTHER_EVENTS):
            producer.publish_dict(
                {"parcel_id": f"p{number}", "weight_g": 500 + number},
                schema=PARCEL_WEIGHED,
                topic=topic,
                key=f"p{number}",
                event_id=str(uuid.uuid4()),
            )


def _count_records(kafka: KafkaEndpoint, topic: str) -> int:
    """Return the committed records of `topic`, control records excluded."""
    consumer = Consumer(
        {
            "bootstrap.servers": kafka.bootstrap_servers,
            "group.id": f"test-count-{topic}",
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
            "enable.auto.commit": False,
        }
    )
    count = 0
    try:
        partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        at_end: set[int] = set()
        while len(at_end) < len(partitions):
            for message in consumer.consume(1_000, 1.0):
                error = message.error()
                if error is None:
                    count += 1
                else:
                    assert error.code() == KafkaError._PARTITION_EOF, error
                    at_end.add(message.partition() or 0)
    finally:
        consumer.close()
    return count


def _topic_exists(kafka: KafkaEndpoint, topic: str) -> bool:
    admin = AdminClient({"bootstrap.servers": kafka.bootstrap_servers})
    return topic in admin.list_topics(timeout=30).topics


def _subjects(registry: str, topic: str) -> list[Subject]:
    with RegistryClient(registry) as client:
        return [s for s in client.get_subjects() if s.startswith(f"{topic}-")]


ImportCommand = Callable[..., Any]
"""`(log, target, progress, *flags)` -> the CliRunner result of `keybus import`."""


@pytest.fixture
def import_command(kafka: KafkaEndpoint, schema_registry: str, tmp_path: Path) -> ImportCommand:
    """Return a function that runs `keybus import` against the session's Kafka and registry."""

    def run(log: Path, target: str, progress: str, *flags: str) -> Any:
        args = ["import", str(log), "--topic", target, "--progress-topic", progress]
        args += ["--rejects", str(tmp_path / f"{progress}.rejects.jsonl")]
        args += ["--bootstrap-servers", kafka.bootstrap_servers, "--registry", schema_registry]
        return CliRunner().invoke(app, [*args, *flags])

    return run


def _options(kafka: KafkaEndpoint, registry: str, target: str, progress: str) -> ImportOptions:
    return ImportOptions(
        topic=target,
        bootstrap_servers=kafka.bootstrap_servers,
        registry_url=registry,
        batch_rows=10,
        progress_topic=progress,
    )


def _message(result: Any) -> str:
    return " ".join(result.output.split())


def test_topic_with_other_events_rejected(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, import_command: ImportCommand
) -> None:
    target = topic(partitions=2)
    progress = topic(partitions=1, config={"cleanup.policy": "compact"})
    _publish_parcels(kafka, schema_registry, target)

    result = import_command(LOG, target, progress)

    assert result.exit_code == 1, result.output
    message = _message(result)
    assert f"Topic {target} is used for other events" in message
    assert f"the registry has subjects {target}-com.example.shipping.ParcelWeighed" in message
    assert f"com.example.shipping.ParcelWeighed from {OTHER_SOURCE}" in message
    assert "Import into a new topic with --topic" in message
    assert "--allow-mixed-topic" in message
    assert _count_records(kafka, target) == OTHER_EVENTS
    assert _subjects(schema_registry, target) == [f"{target}-com.example.shipping.ParcelWeighed"]


def test_rejected_import_creates_no_progress_topic(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, import_command: ImportCommand
) -> None:
    target = topic(partitions=2)
    _publish_parcels(kafka, schema_registry, target)
    progress = f"{target}.never-{uuid.uuid4().hex[:6]}"

    result = import_command(LOG, target, progress)

    assert result.exit_code == 1, result.output
    assert not _topic_exists(kafka, progress)


def test_mixed_topic_allowed_with_flag(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, import_command: ImportCommand
) -> None:
    target = topic(partitions=2)
    progress = topic(partitions=1, config={"cleanup.policy": "compact"})
    _publish_parcels(kafka, schema_registry, target)

    result = import_command(LOG, target, progress, "--allow-mixed-topic")

    assert result.exit_code == 0, result.output
    assert _count_records(kafka, target) == OTHER_EVENTS + LOG_EVENTS


def test_records_without_cloudevents_rejected(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, import_command: ImportCommand
) -> None:
    target = topic(partitions=1)
    progress = topic(partitions=1, config={"cleanup.policy": "compact"})
    producer = KafkaProducer({"bootstrap.servers": kafka.bootstrap_servers})
    producer.produce(target, key=b"k", value=b"plain bytes")
    assert producer.flush(30) == 0

    result = import_command(LOG, target, progress)

    assert result.exit_code == 1, result.output
    assert "1 of its last 1 records are <no ce_type> from <no ce_source>" in _message(result)
    assert _count_records(kafka, target) == 1


def test_events_of_another_log_rejected(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, import_command: ImportCommand
) -> None:
    target = topic(partitions=2)
    first_progress = topic(partitions=1, config={"cleanup.policy": "compact"})
    second_progress = topic(partitions=1, config={"cleanup.policy": "compact"})
    first = import_command(LOG, target, first_progress)
    assert first.exit_code == 0, first.output

    second = import_command(OTHER_LOG, target, second_progress)

    assert second.exit_code == 1, second.output
    source = f"urn:keybus:import:sha256:{open_log(LOG).sha256}"
    assert f"{LOG_EVENT_TYPE} from {source}" in _message(second)
    assert _count_records(kafka, target) == LOG_EVENTS


@pytest.mark.parametrize(
    ("suffix", "expected"),
    [
        ("com.example.shipping.ParcelWeighed", "{topic}-com.example.shipping.ParcelWeighed"),
        ("value", "{topic}-value (com.example.shipping.ParcelWeighed)"),
    ],
)
def test_subject_of_other_record_rejected(  # noqa: PLR0917 - pytest fixtures
    suffix: str,
    expected: str,
    kafka: KafkaEndpoint,
    schema_registry: str,
    topic: TopicFactory,
    import_command: ImportCommand,
) -> None:
    target = topic(partitions=1)
    progress = topic(partitions=1, config={"cleanup.policy": "compact"})
    with RegistryClient(schema_registry) as client:
        client.register(Subject(f"{target}-{suffix}"), json.dumps(PARCEL_WEIGHED))

    result = import_command(LOG, target, progress)

    assert result.exit_code == 1, result.output
    assert f"the registry has subjects {expected.format(topic=target)}" in _message(result)
    assert _count_records(kafka, target) == 0


def test_catalog_topic_rejected(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory
) -> None:
    progress = topic(partitions=1, config={"cleanup.policy": "compact"})
    log = open_log(LOG)
    mapping = LogMapping()
    options = _options(kafka, schema_registry, "deliveries", progress)

    with pytest.raises(MixedTopicError) as raised:
        run_import(log, mapping, plan_import(log, mapping), options)

    assert raised.value.topic == "deliveries"
    assert "com.example.delivery.DeliveryScheduled" in raised.value.event_types
    assert "the event catalog assigns it com.example.delivery" in raised.value.message


def test_empty_existing_topic_accepted(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, import_command: ImportCommand
) -> None:
    target = topic(partitions=3)
    progress = topic(partitions=1, config={"cleanup.policy": "compact"})

    result = import_command(LOG, target, progress)

    assert result.exit_code == 0, result.output
    assert _count_records(kafka, target) == LOG_EVENTS


def test_interrupted_mixed_import_resumes_without_flag(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory
) -> None:
    target = topic(partitions=2)
    progress = topic(partitions=1, config={"cleanup.policy": "compact"})
    _publish_parcels(kafka, schema_registry, target)
    log = open_log(LOG)
    mapping = LogMapping()
    options = _options(kafka, schema_registry, target, progress)
    mixed = dataclasses.replace(options, allow_mixed_topic=True)

    def fail_after_first_commit(rows: int) -> None:
        raise _ImportStoppedError(rows)

    with pytest.raises(_ImportStoppedError):
        run_import(log, mapping, plan_import(log, mapping), mixed, fail_after_first_commit)
    interrupted = read_progress(kafka.bootstrap_servers, progress, log.sha256, topic=options.topic)
    resumed = run_import(log, mapping, plan_import(log, mapping), options)

    assert interrupted is not None
    assert not interrupted.finished
    assert resumed.resumed_after_row == interrupted.last_row
    assert resumed.published == LOG_EVENTS - interrupted.events
    assert _count_records(kafka, target) == OTHER_EVENTS + LOG_EVENTS


def test_finished_mixed_import_rerun_without_flag(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, import_command: ImportCommand
) -> None:
    target = topic(partitions=2)
    progress = topic(partitions=1, config={"cleanup.policy": "compact"})
    _publish_parcels(kafka, schema_registry, target)
    first = import_command(LOG, target, progress, "--allow-mixed-topic")
    assert first.exit_code == 0, first.output

    again = import_command(LOG, target, progress)

    assert again.exit_code == 0, again.output
    assert "already imported" in again.output
    assert _count_records(kafka, target) == OTHER_EVENTS + LOG_EVENTS


def test_imports_into_two_topics_share_progress_topic(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, import_command: ImportCommand
) -> None:
    first_target = topic(partitions=2)
    second_target = topic(partitions=2)
    progress = topic(partitions=1, config={"cleanup.policy": "compact"})

    first = import_command(LOG, first_target, progress)
    second = import_command(LOG, second_target, progress)

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "already imported" not in second.output
    assert _count_records(kafka, first_target) == LOG_EVENTS
    assert _count_records(kafka, second_target) == LOG_EVENTS
