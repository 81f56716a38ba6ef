"""Consumer dispatch and policies, fed fake Kafka messages; the registry is in memory.

The confluent-kafka consumer is built but never subscribed, so no broker is contacted;
`Consumer.handle` is the per-record path that `run()` uses. Tests of `run()` replace the
client with a fake that hands out one batch and records stored offsets and seeks.
"""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import TopicPartition

from keybus.catalog import DoorLocked, DoorUnlocked
from keybus.catalog.com.example.access import AccessMethod, LockTrigger
from keybus.client import (
    ConsumedRecord,
    Consumer,
    Decision,
    HandlerError,
    SkipOnFailure,
    UnknownEventTypeError,
)
from keybus.events import Event
from keybus.registry import InMemoryRegistry
from keybus.serde import AvroSerializer, UnknownSchemaIdError, WireFormatError


class FakeMessage:
    """The parts of confluent_kafka.Message the consumer reads."""

    def __init__(self, value: bytes | None, offset: int = 0) -> None:
        self._value = value
        self._offset = offset
        self.header_reads = 0

    def topic(self) -> str:
        return "lock-devices"

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes:
        return b"lock-1"

    def value(self) -> bytes | None:
        return self._value

    def headers(self) -> list[tuple[str, bytes]]:
        self.header_reads += 1
        return [("ce_type", b"x")]

    def timestamp(self) -> tuple[int, int]:
        return (1, 1_700_000_000_000)

    def error(self) -> None:
        return None


class FakeKafka:
    """The confluent-kafka consumer calls `run()` makes, over one batch of messages."""

    def __init__(self, messages: list[FakeMessage]) -> None:
        self.queued = list(messages)
        self.stored: list[int] = []
        self.seeks: list[tuple[str, int, int]] = []

    def subscribe(self, topics: list[str], on_revoke: Any = None) -> None:
        pass

    def poll(self, timeout: float) -> FakeMessage | None:
        return self.queued.pop(0) if self.queued else None

    def consume(self, num_messages: int, timeout: float) -> list[FakeMessage]:
        taken, self.queued = self.queued[:num_messages], self.queued[num_messages:]
        return taken

    def store_offsets(self, message: FakeMessage) -> None:
        self.stored.append(message.offset())

    def seek(self, partition: TopicPartition) -> None:
        self.seeks.append((partition.topic, partition.partition, partition.offset))

    def commit(self, asynchronous: bool = True) -> None:
        pass


class RecordingPolicy:
    """Return the given decisions in turn and remember what it saw."""

    def __init__(self, *decisions: Decision) -> None:
        self.decisions = list(decisions)
        self.seen: list[tuple[ConsumedRecord, Exception]] = []

    def on_failure(self, record: ConsumedRecord, error: Exception) -> Decision:
        self.seen.append((record, error))
        return self.decisions.pop(0)


@pytest.fixture
def registry() -> InMemoryRegistry:
    return InMemoryRegistry()


def _consumer(registry: InMemoryRegistry, **options: Any) -> Consumer:
    return Consumer("127.0.0.1:9", "group", registry, **options)


def _message(registry: InMemoryRegistry, event: Event, offset: int = 0) -> FakeMessage:
    serializer = AvroSerializer(type(event).avro_schema(), registry, auto_register=True)
    return FakeMessage(serializer.encode(event.to_avro(), "lock-devices"), offset)


def test_handler_receives_typed_event(registry: InMemoryRegistry) -> None:
    consumer = _consumer(registry)
    seen: list[DoorUnlocked] = []
    consumer.handler(DoorUnlocked)(seen.append)
    event = DoorUnlocked(lock_id="lock-1", method=AccessMethod.PIN)

    consumer.handle(_message(registry, event))

    assert seen == [event]


def test_handler_with_two_parameters_gets_record(registry: InMemoryRegistry) -> None:
    consumer = _consumer(registry)
    records: list[ConsumedRecord] = []

    @consumer.handler(DoorUnlocked)
    def on_unlocked(event: DoorUnlocked, record: ConsumedRecord) -> None:
        records.append(record)

    consumer.handle(_message(registry, DoorUnlocked(lock_id="l", method="PIN"), offset=7))

    assert records[0].offset == 7
    assert records[0].event_type == "com.example.access.DoorUnlocked"
    assert records[0].schema_id == 1


def test_headers_unread_until_used(registry: InMemoryRegistry) -> None:
    consumer = _consumer(registry)
    consumer.handler(DoorUnlocked)(print)
    message = _message(registry, DoorUnlocked(lock_id="l", method="PIN"))

    consumer.handle(message)

    assert message.header_reads == 0


def test_record_headers_come_from_message(registry: InMemoryRegistry) -> None:
    consumer = _consumer(registry)
    types: list[str | None] = []

    @consumer.handler(DoorUnlocked)
    def on_unlocked(event: DoorUnlocked, record: ConsumedRecord) -> None:
        types.append(record.cloudevent.type)

    consumer.handle(_message(registry, DoorUnlocked(lock_id="l", method="PIN")))

    assert types == ["x"]


def test_handler_added_later_gets_known_type(registry: InMemoryRegistry) -> None:
    consumer = _consumer(registry)
    seen: list[DoorUnlocked] = []
    consumer.handle(_message(registry, DoorUnlocked(lock_id="l", method="PIN")))

    consumer.handler(DoorUnlocked)(seen.append)
    consumer.handle(_message(registry, DoorUnlocked(lock_id="l", method="PIN")))

    assert len(seen) == 1


def test_events_dispatched_by_writer_type(registry: InMemoryRegistry) -> None:
    consumer = _consumer(registry)
    unlocked: list[Event] = []
    locked: list[Event] = []
    consumer.handler(DoorUnlocked)(unlocked.append)
    consumer.handler(DoorLocked)(locked.append)

    consumer.handle(
        _message(registry, DoorLocked(lock_id="l", trigger=LockTrigger.KEY, open_duration_ms=5))
    )

    assert unlocked == []
    assert len(locked) == 1


def test_second_handler_for_type_rejected(registry: InMemoryRegistry) -> None:
    consumer = _consumer(registry)
    consumer.handler(DoorUnlocked)(print)

    with pytest.raises(Exception, match="already has a handler"):
        consumer.handler(DoorUnlocked)(print)


def test_topics_default_to_handled_types(registry: InMemoryRegistry) -> None:
    consumer = _consumer(registry)
    consumer.handler(DoorUnlocked)(print)

    assert consumer.subscribed_topics() == ["lock-devices"]


class TestUnknownEvents:
    """Event types without a handler are skipped, failed or routed; never a crash."""

    def test_skipped_by_default(self, registry: InMemoryRegistry) -> None:
        consumer = _consumer(registry)
        consumer.handler(DoorLocked)(print)

        consumer.handle(_message(registry, DoorUnlocked(lock_id="l", method="PIN")))

    def test_routed_to_function_with_decoded_dict(self, registry: InMemoryRegistry) -> None:
        routed: list[ConsumedRecord] = []
        consumer = _consumer(registry, unknown_events=routed.append)

        consumer.handle(_message(registry, DoorUnlocked(lock_id="l", method="PIN")))

        assert routed[0].event_type == "com.example.access.DoorUnlocked"
        assert routed[0].event["lock_id"] == "l"

    def test_fail_passes_error_to_failure_policy(self, registry: InMemoryRegistry) -> None:
        policy = RecordingPolicy(Decision.SKIP)
        consumer = _consumer(registry, unknown_events="fail", failure_policy=policy)

        consumer.handle(_message(registry, DoorUnlocked(lock_id="l", method="PIN")))

        assert isinstance(policy.seen[0][1], UnknownEventTypeError)
        assert "has no handler" in str(policy.seen[0][1])


class TestFailurePolicy:
    """Every decode or handler failure goes to the policy, which decides what follows."""

    def test_default_policy_stops_with_position(self, registry: InMemoryRegistry) -> None:
        consumer = _consumer(registry)

        @consumer.handler(DoorUnlocked)
        def broken(event: DoorUnlocked) -> None:
            raise ValueError("database down")

        with pytest.raises(HandlerError) as caught:
            consumer.handle(_message(registry, DoorUnlocked(lock_id="l", method="PIN"), offset=3))

        assert caught.value.offset == 3
        assert "lock-devices[0]@3" in str(caught.value)
        assert "ValueError: database down" in str(caught.value)
        assert "not committed" in str(caught.value)

    def test_retry_runs_handler_again(self, registry: InMemoryRegistry) -> None:
        policy = RecordingPolicy(Decision.RETRY, Decision.RETRY)
        consumer = _consumer(registry, failure_policy=policy)
        attempts: list[int] = []

        @consumer.handler(DoorUnlocked)
        def flaky(event: DoorUnlocked, record: ConsumedRecord) -> None:
            attempts.append(record.attempt)
            if record.attempt < 3:
                raise TimeoutError("slow")

        consumer.handle(_message(registry, DoorUnlocked(lock_id="l", method="PIN")))

        assert attempts == [1, 2, 3]
        assert len(policy.seen) == 2

    def test_skip_moves_on(self, registry: InMemoryRegistry) -> None:
        consumer = _consumer(registry, failure_policy=SkipOnFailure())

        @consumer.handler(DoorUnlocked)
        def broken(event: DoorUnlocked) -> None:
            raise ValueError("bad")

        consumer.handle(_message(registry, DoorUnlocked(lock_id="l", method="PIN")))

    def test_bytes_without_magic_byte_reach_policy(self, registry: InMemoryRegistry) -> None:
        policy = RecordingPolicy(Decision.SKIP)
        consumer = _consumer(registry, failure_policy=policy)

        consumer.handle(FakeMessage(b'{"lock_id": "l"}'))

        record, error = policy.seen[0]
        assert isinstance(error, WireFormatError)
        assert record.event is None
        assert record.schema_id is None

    def test_unknown_schema_id_reaches_policy(self, registry: InMemoryRegistry) -> None:
        policy = RecordingPolicy(Decision.SKIP)
        consumer = _consumer(registry, failure_policy=policy)

        consumer.handle(FakeMessage(b"\x00\x00\x00\x30\x39\x02"))

        record, error = policy.seen[0]
        assert isinstance(error, UnknownSchemaIdError)
        assert record.schema_id == 12345


class TestLeavingBatchEarly:
    """A batch left early is rewound, so no later offset is stored past an unhandled record."""

    def _run(self, registry: InMemoryRegistry, kafka: FakeKafka, **options: Any) -> Consumer:
        consumer = _consumer(registry, **options)
        consumer._kafka = kafka  # type: ignore[assignment]
        return consumer

    def _batch(self, registry: InMemoryRegistry, count: int) -> list[FakeMessage]:
        event = DoorUnlocked(lock_id="l", method=AccessMethod.PIN)
        return [_message(registry, event, offset) for offset in range(count)]

    def test_max_events_rewinds_to_next_record(self, registry: InMemoryRegistry) -> None:
        kafka = FakeKafka(self._batch(registry, 5))
        consumer = self._run(registry, kafka)
        consumer.handler(DoorUnlocked)(print)

        consumer.run(max_events=2, handle_signals=False)

        assert kafka.stored == [0, 1]
        assert kafka.seeks == [("lock-devices", 0, 2)]

    def test_stop_decision_rewinds_to_failed_record(self, registry: InMemoryRegistry) -> None:
        kafka = FakeKafka(self._batch(registry, 4))
        consumer = self._run(registry, kafka)

        @consumer.handler(DoorUnlocked)
        def fail_at_offset_one(event: DoorUnlocked, record: ConsumedRecord) -> None:
            if record.offset == 1:
                raise ValueError("database down")

        with pytest.raises(HandlerError):
            consumer.run(handle_signals=False)

        assert kafka.stored == [0]
        assert kafka.seeks == [("lock-devices", 0, 1)]

    def test_whole_batch_needs_no_rewind(self, registry: InMemoryRegistry) -> None:
        kafka = FakeKafka(self._batch(registry, 3))
        consumer = self._run(registry, kafka)
        consumer.handler(DoorUnlocked)(print)

        consumer.run(max_events=3, handle_signals=False)

        assert kafka.stored == [0, 1, 2]
        assert kafka.seeks == []
