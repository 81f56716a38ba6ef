"""Cases from public bug reports on retry routing and dead-letter headers, on real Kafka.

Real: the session's Kafka broker, the retrying consumer, the replay code. The handlers
and decoders are test functions that fail on purpose.
"""

from __future__ import annotations

from collections import Counter

import pydantic
from confluent_kafka import Consumer, Message, TopicPartition
from retry_kit import GroupTopics, drive, produce, read_all, settle, unique_group

from keybus.retry import InboundRecord, Outcome, RetryingConsumer, RetryPolicy
from keybus.retry.deadletters import read_dead_letters
from keybus.retry.headers import MAX_STACKTRACE_BYTES
from keybus.retry.replay import ReplayDestination, replay
from keybus.serde import unframe
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

# Four attempts in all, a fixed 1 s backoff and one shared retry topic.
SINGLE_TIER = RetryPolicy(tiers_s=(1.0,), max_attempts=4, jitter_ratio=0.0)


class Payment(pydantic.BaseModel):
    """The event the payments handler expects."""

    payment_id: str
    amount_cents: int


def _committed(servers: str, group: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": servers, "group.id": group})
    try:
        [position] = consumer.committed([TopicPartition(topic, 0)], timeout=10)
        return position.offset
    finally:
        consumer.close()


def _headers(message: Message) -> dict[str, list[bytes]]:
    found: dict[str, list[bytes]] = {}
    for name, value in message.headers() or []:
        found.setdefault(name, []).append(value or b"")
    return found


def test_b17_transient_failure_processed_once(
    kafka: KafkaEndpoint, topic: TopicFactory, group_topics: GroupTopics
) -> None:
    payments = topic(prefix="payments")
    group = unique_group("b17")
    retry_topic, dead_letters, _ledger = group_topics(payments, group, SINGLE_TIER)
    calls: Counter[str] = Counter()

    def handler(record: InboundRecord) -> None:
        calls["deliveries"] += 1
        if calls["deliveries"] <= 2:
            raise ConnectionResetError("card network reset the connection")
        calls["processed"] += 1

    consumer = RetryingConsumer(
        bootstrap_servers=kafka.bootstrap_servers,
        group=group,
        topics=[payments],
        handler=handler,
        policy=SINGLE_TIER,
        decoder=lambda record: Payment.model_validate_json(record.value or b""),
    )
    produce(kafka.bootstrap_servers, payments, [(b"p-1", b'{"payment_id":"p-1","amount_cents":5}')])

    drive(consumer, lambda: calls["processed"] == 1, timeout_s=30)
    settle(consumer, 1.5)
    consumer.close()

    assert calls["processed"] == 1
    assert read_all(kafka.bootstrap_servers, dead_letters) == []
    assert len(read_all(kafka.bootstrap_servers, retry_topic)) <= 2


def _b17_undecodable(
    kafka: KafkaEndpoint,
    topic: TopicFactory,
    group_topics: GroupTopics,
    dead_letter_handler: object = None,
) -> tuple[str, str, str, str, RetryingConsumer]:
    payments = topic(prefix="payments")
    group = unique_group("b17")
    retry_topic, dead_letters, _ledger = group_topics(payments, group, SINGLE_TIER)
    consumer = RetryingConsumer(
        bootstrap_servers=kafka.bootstrap_servers,
        group=group,
        topics=[payments],
        handler=lambda record: None,
        policy=SINGLE_TIER,
        decoder=lambda record: Payment.model_validate_json(unframe(record.value)[1].tobytes()),
        dead_letter_handler=dead_letter_handler,  # type: ignore[arg-type]
    )
    # The first value is not in the wire format, the second is framed but fails validation.
    framed_invalid = b"\x00\x00\x00\x00\x01" + b'{"payment_id": 7}'
    produce(kafka.bootstrap_servers, payments, [(b"p-2", b"not framed"), (b"p-3", framed_invalid)])
    drive(consumer, lambda: consumer.stats.dead_lettered == 2, timeout_s=20)
    settle(consumer, 1.5)
    consumer.close()
    return payments, group, retry_topic, dead_letters, consumer


def test_b17_undecodable_goes_straight_to_dead_letters(
    kafka: KafkaEndpoint, topic: TopicFactory, group_topics: GroupTopics
) -> None:
    payments, group, retry_topic, dead_letters, _consumer = _b17_undecodable(
        kafka, topic, group_topics
    )

    parked = read_all(kafka.bootstrap_servers, dead_letters)
    wire, invalid = (_headers(message) for message in parked)
    assert len(parked) == 2
    assert read_all(kafka.bootstrap_servers, retry_topic) == []
    for headers, offset in ((wire, b"0"), (invalid, b"1")):
        assert headers["keybus-original-topic"] == [payments.encode()]
        assert headers["keybus-original-partition"] == [b"0"]
        assert headers["keybus-original-offset"] == [offset]
        assert headers["keybus-error-type"] == [b"keybus.retry.errors.UndecodableRecordError"]
        assert headers["keybus-attempts"] == [b"1"]
    assert b"WireFormatError" in wire["keybus-error-message"][0]
    assert b"ValidationError" in invalid["keybus-error-message"][0]
    assert _committed(kafka.bootstrap_servers, group, payments) == 2


def test_b17_failing_dead_letter_handler_does_not_loop(
    kafka: KafkaEndpoint, topic: TopicFactory, group_topics: GroupTopics
) -> None:
    notified: list[Outcome] = []

    def dead_letter_handler(record: InboundRecord, outcome: Outcome) -> None:
        notified.append(outcome)
        raise ValueError(f"alerting rejected {record.key!r}")

    payments, group, retry_topic, dead_letters, consumer = _b17_undecodable(
        kafka, topic, group_topics, dead_letter_handler
    )

    assert len(read_all(kafka.bootstrap_servers, dead_letters)) == 2
    assert read_all(kafka.bootstrap_servers, retry_topic) == []
    assert len(notified) == 2
    assert consumer.stats.dead_lettered == 2
    assert _committed(kafka.bootstrap_servers, group, payments) == 2


def _deep_failure(depth: int) -> None:
    if depth == 0:
        raise RuntimeError("ledger service returned 503 " + "x" * 300)
    _deep_failure(depth - 1)


def test_b18_headers_do_not_pile_up(
    kafka: KafkaEndpoint, topic: TopicFactory, group_topics: GroupTopics
) -> None:
    orders = topic(partitions=3, prefix="orders")
    group = unique_group("b18")
    policy = RetryPolicy(tiers_s=(0.3, 0.6), max_attempts=3, jitter_ratio=0.0)
    _tier_1, _tier_2, dead_letters, _ledger = group_topics(orders, group, policy, partitions=3)
    consumer = RetryingConsumer(
        bootstrap_servers=kafka.bootstrap_servers,
        group=group,
        topics=[orders],
        handler=lambda record: _deep_failure(60),
        policy=policy,
    )
    produce(kafka.bootstrap_servers, orders, [(b"order-42", b'{"total": 10}')])
    servers = kafka.bootstrap_servers
    sizes: list[int] = []
    partitions: set[int] = set()

    for replays in range(11):
        drive(consumer, lambda count=replays: consumer.stats.dead_lettered == count + 1, 20)
        consumer.failures.producer.flush(10)  # parked copies are acknowledged asynchronously
        letters = read_dead_letters(servers, dead_letters)
        latest = max(letters, key=lambda letter: letter.state.replay_count).record
        assert latest.header_text("keybus-replay-count") == (str(replays) if replays else None)
        counts = Counter(name for name, _value in latest.headers)
        assert max(counts.values()) == 1, counts
        assert len(latest.header("keybus-error-stacktrace") or b"") <= MAX_STACKTRACE_BYTES
        assert latest.header_text("keybus-original-topic") == orders
        assert latest.header_text("keybus-original-offset") == "0"
        sizes.append(sum(len(n) + len(v) for n, v in latest.headers) + len(latest.value or b""))
        partitions.add(int(latest.header_text("keybus-original-partition") or -1))
        if replays < 10:
            report = replay(servers, dead_letters, letters, ReplayDestination.ORIGINAL)
            assert report.replayed == 1
    consumer.close()

    copies = [m for m in read_all(servers, orders, partitions=3) if m.key() == b"order-42"]
    assert len(read_dead_letters(servers, dead_letters)) == 11, "replay never deletes"
    assert len(copies) == 11
    assert {message.partition() for message in copies} == partitions
    assert sizes[-1] - sizes[1] <= 16, sizes
    assert sizes[1] - sizes[0] <= 64, sizes
