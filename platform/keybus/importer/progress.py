"""Import progress records: which rows of a file are in the topic, committed with them.

Progress lives in a compacted topic, `<topic>.import-progress` by default, keyed by the
target topic and the SHA-256 of the source file, so imports into several topics may
share one progress topic. Each transaction of an import writes its events and one
progress record together, so a reader with isolation level read_committed sees the
progress of exactly the events that became visible.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import Any

from confluent_kafka import KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import NewTopic

from keybus.errors import ConfigurationError
from keybus.kafka import AdminClient, Consumer

__all__ = [
    "Progress",
    "check_no_collision",
    "ensure_topic",
    "progress_key",
    "progress_topic_name",
    "read_imports",
    "read_progress",
]

logger = logging.getLogger(__name__)

_ADMIN_TIMEOUT_S = 30.0
_POLL_S = 0.5
_READ_TIMEOUT_S = 60.0


def progress_topic_name(topic: str) -> str:
    """Return the default progress topic of imports into `topic`."""
    return f"{topic}.import-progress"


def progress_key(topic: str, file_sha256: str) -> bytes:
    """Return the progress record key of imports of the file into `topic`.

    Kafka topic names cannot contain a colon, so the key is unambiguous.
    """
    return f"{topic}:{file_sha256}".encode()


@dataclass(frozen=True)
class Progress:
    """How far the import of one file into one topic has come.

    Attributes:
        file_sha256: the identity of the file: SHA-256 of its bytes as stored.
        file_name: the file's name when the import ran, for people reading the topic.
        last_row: the last row whose event (or reject) is committed.
        events: events committed so far.
        rejects: rows rejected up to `last_row`.
        finished: True once every row is committed.
        mapping_fingerprint: hash of the mapping the import used.
        schema_fingerprint: SHA-256 of the normalized event schema.
        file_bytes: the file's size as stored, so that a later version of the file can
            be checked to start with it; None in records written without it.
    """

    file_sha256: str
    file_name: str
    last_row: int
    events: int
    rejects: int
    finished: bool
    mapping_fingerprint: str
    schema_fingerprint: str
    file_bytes: int | None = None

    def to_json(self) -> bytes:
        """Return the record value."""
        return json.dumps(asdict(self), sort_keys=True).encode()

    @classmethod
    def from_json(cls, value: bytes) -> Progress:
        """Read a record value written by `to_json`."""
        data: dict[str, Any] = json.loads(value)
        return cls(**data)


def check_no_collision(bootstrap_servers: str, names: list[str]) -> None:
    """Raise unless each name is free or taken by the topic itself.

    Kafka rejects a new topic whose name differs from an existing one only by `.` and
    `_`, because both map to the same metric names.

    Raises:
        ConfigurationError: an existing topic collides with one of `names`.
    """
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    existing = admin.list_topics(timeout=_ADMIN_TIMEOUT_S).topics
    by_metric_name = {topic.replace(".", "_"): topic for topic in existing}
    for name in names:
        other = by_metric_name.get(name.replace(".", "_"))
        if other is not None and other != name:
            raise ConfigurationError(
                f"Topic {name} collides with the existing topic {other}: Kafka treats '.' "
                "and '_' in topic names as the same. Choose a name that differs from "
                f"{other} in more than '.' and '_'."
            )


def ensure_topic(
    bootstrap_servers: str,
    name: str,
    *,
    partitions: int,
    replication_factor: int,
    config: dict[str, str] | None = None,
) -> bool:
    """Create topic `name` unless it exists; return whether it was created."""
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    metadata = admin.list_topics(timeout=_ADMIN_TIMEOUT_S)
    if name in metadata.topics:
        return False
    new_topic = NewTopic(name, partitions, replication_factor, config=config or {})
    try:
        admin.create_topics([new_topic], request_timeout=_ADMIN_TIMEOUT_S)[name].result()
    except KafkaException as exc:
        if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise
        return False
    logger.info("topic created topic=%s partitions=%s", name, partitions)
    return True


def read_progress(
    bootstrap_servers: str, progress_topic: str, file_sha256: str, *, topic: str
) -> Progress | None:
    """Return the last committed progress of the file's import into `topic`.

    It reads `progress_topic` to its end. A missing topic reads as no progress.

    Raises:
        TimeoutError: the end of the topic was not reached within 60 s.
    """
    return read_imports(bootstrap_servers, progress_topic, topic=topic).get(file_sha256)


def read_imports(bootstrap_servers: str, progress_topic: str, *, topic: str) -> dict[str, Progress]:
    """Return the last committed progress of each file imported into `topic`, by SHA-256.

    It reads `progress_topic` to its end. A missing topic reads as no imports, and the
    read does not create it.

    Raises:
        TimeoutError: the end of the topic was not reached within 60 s.
    """
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"keybus-import-progress-{topic}",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "auto.offset.reset": "earliest",
        }
    )
    try:
        metadata = consumer.list_topics(progress_topic, timeout=_ADMIN_TIMEOUT_S)
        partitions = metadata.topics[progress_topic].partitions
        consumer.assign([TopicPartition(progress_topic, p, 0) for p in partitions])
        prefix = progress_key(topic, "")
        return _read_to_end(consumer, len(partitions), prefix, progress_topic)
    finally:
        consumer.close()


def _read_to_end(
    consumer: Consumer, partitions: int, prefix: bytes, topic: str
) -> dict[str, Progress]:
    latest: dict[str, Progress] = {}
    at_end: set[int] = set()
    waited_s = 0.0
    while len(at_end) < partitions:
        message = consumer.poll(_POLL_S)
        if message is None:
            waited_s += _POLL_S
            if waited_s > _READ_TIMEOUT_S:
                raise TimeoutError(
                    f"Progress topic {topic} was not read to its end within "
                    f"{_READ_TIMEOUT_S} s. Check that the brokers are reachable."
                )
            continue
        error = message.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                at_end.add(message.partition() or 0)
                continue
            raise KafkaException(error)
        key, value = message.key(), message.value()
        if key is not None and key.startswith(prefix) and value is not None:
            progress = Progress.from_json(value)
            latest[progress.file_sha256] = progress
    return latest
