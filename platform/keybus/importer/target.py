"""Check that an import's target topic contains no events other than the import's own.

An event log imported into a topic that already contains other events, such as an
aggregate stream like `deliveries` or the events of another log, mixes two streams
that consumers of the topic cannot tell apart. Before an import sends anything, it
looks for other events in three places, cheapest first:

1. the event catalog: event types whose `keybus.topic` property names the topic;
2. the registry: subjects of the topic under another record name, `<topic>-<record
   name>` (topic_record strategy) or `<topic>-value` whose latest schema is another
   record (topic strategy);
3. the last records of each partition: CloudEvents `ce_type` or `ce_source` headers
   that differ from the import's, or records without them.

An empty or missing topic with none of these passes.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from keybus.catalog import EVENT_TYPES
from keybus.errors import listed
from keybus.events.cloudevents import read_headers
from keybus.importer.errors import MixedTopicError
from keybus.kafka import Consumer
from keybus.registry.client import RegistryClient, SchemaNotRegisteredError
from keybus.schemas.catalog import Catalog, CatalogError, default_catalog_dir
from keybus.types import Subject

__all__ = [
    "SAMPLED_RECORDS_PER_PARTITION",
    "RecordSample",
    "TopicEvidence",
    "catalog_event_types",
    "check_target_topic",
    "read_last_records",
    "registered_record_names",
]

logger = logging.getLogger(__name__)

SAMPLED_RECORDS_PER_PARTITION = 5
"""Records read from the end of each partition: the newest, so they show what is written
to the topic now.

NOTE: this is a sample. A topic whose other events are all older than its last 5
records in every partition passes this part of the check. Only the catalog and the
registry can still name those events."""

_OFFSET_TAIL_BASE = -2000
"""librdkafka's logical offset `RD_KAFKA_OFFSET_TAIL(n)` is this base minus n."""

_READ_TIMEOUT_S = 30.0
_POLL_S = 0.1
_AVRO_FULL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


@dataclass(frozen=True)
class RecordSample:
    """The CloudEvents type and source of the records read from the end of a topic.

    Attributes:
        read: records read.
        others: (ce_type, ce_source) of each record that is not the import's, where
            None stands for a missing header.
    """

    read: int = 0
    others: tuple[tuple[str | None, str | None], ...] = ()


@dataclass(frozen=True)
class TopicEvidence:
    """Evidence that a topic contains events other than an import's.

    Attributes:
        catalog_types: event types the event catalog assigns to the topic.
        subjects: registry subjects of the topic, each with the record name it is for.
        sample: the records read from the end of the topic.
    """

    catalog_types: tuple[str, ...] = ()
    subjects: tuple[tuple[Subject, str], ...] = ()
    sample: RecordSample = field(default_factory=RecordSample)

    def __bool__(self) -> bool:
        return bool(self.catalog_types or self.subjects or self.sample.others)

    def event_types(self) -> list[str]:
        """Return the other event types found, each once, in the order found."""
        found = [*self.catalog_types, *(name for _, name in self.subjects)]
        found += [event_type or "<no ce_type>" for event_type, _ in self.sample.others]
        return list(dict.fromkeys(found))

    def sources(self) -> list[str]:
        """Return the other `ce_source` values of the records read, each once."""
        return list(dict.fromkeys(source or "<no ce_source>" for _, source in self.sample.others))

    def describe(self) -> str:
        """Return the evidence as clauses joined by semicolons, for a one-line message."""
        clauses = []
        if self.catalog_types:
            clauses.append(f"the event catalog assigns it {listed(self.catalog_types)}")
        if self.subjects:
            # A topic_record subject names its record; a `-value` subject does not.
            named = [
                subject if subject.endswith(name) else f"{subject} ({name})"
                for subject, name in self.subjects
            ]
            clauses.append(f"the registry has subjects {listed(named)}")
        if self.sample.others:
            named = [
                f"{event_type or '<no ce_type>'} from {source or '<no ce_source>'}"
                for event_type, source in dict.fromkeys(self.sample.others)
            ]
            clauses.append(
                f"{len(self.sample.others)} of its last {self.sample.read} records are "
                f"{listed(named)}"
            )
        return "; ".join(clauses)


def check_target_topic(
    bootstrap_servers: str,
    registry: RegistryClient,
    topic: str,
    *,
    event_type: str,
    source: str,
    log_name: str,
    earlier_sources: frozenset[str] = frozenset(),
) -> None:
    """Raise MixedTopicError when `topic` contains events other than this import's.

    Records of `event_type` whose `ce_source` is in `earlier_sources`, the sources of
    earlier imports into the topic that this import may follow, count as the import's.

    Raises:
        MixedTopicError: the catalog, the registry or the topic's last records show
            events of another type or from another source.
        TimeoutError: the end of the topic was not reached within 30 s.
    """
    started = time.perf_counter()
    evidence = TopicEvidence(
        catalog_types=tuple(catalog_event_types(topic, event_type)),
        subjects=tuple(registered_record_names(registry, topic, event_type)),
        sample=read_last_records(
            bootstrap_servers,
            topic,
            event_type=event_type,
            source=source,
            earlier_sources=earlier_sources,
        ),
    )
    logger.debug(
        "target topic checked topic=%s records_read=%s elapsed_ms=%.0f",
        topic,
        evidence.sample.read,
        (time.perf_counter() - started) * 1000,
    )
    if not evidence:
        return
    raise MixedTopicError(
        f"Topic {topic} is used for other events: {evidence.describe()}. Importing "
        f"{event_type} events from {log_name} there would mix two streams. Import into a new "
        f"topic with --topic, or pass --allow-mixed-topic to append to {topic} anyway.",
        topic=topic,
        event_types=tuple(evidence.event_types()),
        sources=tuple(evidence.sources()),
    )


def catalog_event_types(topic: str, event_type: str) -> list[str]:
    """Return the event types other than `event_type` that the event catalog puts on `topic`.

    The catalog is the generated bindings of `keybus.catalog` and, when it exists, the
    folder `default_catalog_dir()` finds, as `keybus schemas register` reads it.
    """
    declared = {name for name, model in EVENT_TYPES.items() if model.__topic__ == topic}
    folder = default_catalog_dir()
    if folder.is_dir():
        try:
            catalog = Catalog.load(folder)
        except CatalogError as exc:
            logger.warning(
                "event catalog unreadable, checked the generated bindings only folder=%s error=%s",
                folder,
                exc,
            )
        else:
            declared.update(event.event_type for event in catalog if event.topic == topic)
    declared.discard(event_type)
    return sorted(declared)


def registered_record_names(
    registry: RegistryClient, topic: str, event_type: str
) -> list[tuple[Subject, str]]:
    """Return the subjects of `topic` for a record other than `event_type`.

    `<topic>-<record name>` names its record; `<topic>-value` costs one more request for
    its latest schema. Key subjects and record_name subjects name no topic, so they are
    not read. A subject of a longer topic, such as `<topic>-archive-value`, has a suffix
    that is not an Avro full name and is skipped.
    """
    prefix = f"{topic}-"
    found: list[tuple[Subject, str]] = []
    for subject in registry.get_subjects():
        if not subject.startswith(prefix):
            continue
        suffix = subject.removeprefix(prefix)
        if suffix == "key" or not _AVRO_FULL_NAME.match(suffix):
            continue
        name = _latest_record_name(registry, subject) if suffix == "value" else suffix
        if name is not None and name != event_type:
            found.append((subject, name))
    return found


def _latest_record_name(registry: RegistryClient, subject: Subject) -> str | None:
    """Return the full name of the latest schema of `subject`, or a description of it."""
    try:
        latest = registry.get_version(subject, "latest")
    except SchemaNotRegisteredError:
        # Deleted between listing and reading: nothing registered to compare.
        return None
    if latest.schema_type != "AVRO":
        return f"a {latest.schema_type} schema"
    schema = json.loads(latest.schema)
    if isinstance(schema, dict) and isinstance(schema.get("name"), str):
        name: str = schema["name"]
        namespace = schema.get("namespace") or ""
        return name if "." in name or not namespace else f"{namespace}.{name}"
    if isinstance(schema, list):
        return f"a union schema of {len(schema)} types"
    return f"an unnamed {schema.get('type') if isinstance(schema, dict) else schema} schema"


def read_last_records(
    bootstrap_servers: str,
    topic: str,
    *,
    event_type: str,
    source: str,
    earlier_sources: frozenset[str] = frozenset(),
) -> RecordSample:
    """Read the CloudEvents headers of the last records of each partition of `topic`.

    Aborted and uncommitted records are read too (read_uncommitted), so that an open
    transaction of another producer cannot stall the check. A missing topic reads as
    empty.

    Raises:
        TimeoutError: the end of every partition was not reached within 30 s.
    """
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            # Partitions are assigned, never subscribed, so the group is neither joined
            # nor committed to.
            "group.id": "keybus-import-target-check",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "auto.offset.reset": "earliest",
            "isolation.level": "read_uncommitted",
            # An empty partition reports its end after one fetch instead of after the
            # default 500 ms wait for data.
            "fetch.wait.max.ms": 10,
        }
    )
    try:
        # A consumer does not request topic creation (allow.auto.create.topics is false by
        # default), so a missing topic comes back without partitions.
        metadata = consumer.list_topics(topic, timeout=_READ_TIMEOUT_S).topics.get(topic)
        partitions = list(metadata.partitions) if metadata is not None else []
        if not partitions:
            return RecordSample()
        tail = _OFFSET_TAIL_BASE - SAMPLED_RECORDS_PER_PARTITION
        consumer.assign([TopicPartition(topic, p, tail) for p in partitions])
        kinds = _read_to_end(consumer, topic, len(partitions))
    finally:
        consumer.close()
    sources = earlier_sources | {source}
    others = tuple(kind for kind in kinds if kind[0] != event_type or kind[1] not in sources)
    return RecordSample(read=len(kinds), others=others)


def _read_to_end(
    consumer: Consumer, topic: str, partitions: int
) -> list[tuple[str | None, str | None]]:
    """Return `ce_type` and `ce_source` of each record up to the end of every partition."""
    kinds: list[tuple[str | None, str | None]] = []
    at_end: set[int] = set()
    deadline = time.monotonic() + _READ_TIMEOUT_S
    while len(at_end) < partitions:
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"The last records of topic {topic} were not read within {_READ_TIMEOUT_S} s. "
                "Check that the brokers are reachable, or pass --allow-mixed-topic to skip "
                "the check of the target topic."
            )
        message = consumer.poll(_POLL_S)
        if message is None:
            continue
        error = message.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                at_end.add(message.partition() or 0)
                continue
            raise KafkaException(error)
        headers = message.headers() or []
        attributes = read_headers(list(headers.items()) if isinstance(headers, dict) else headers)
        kinds.append((attributes.type, attributes.source))
    return kinds
