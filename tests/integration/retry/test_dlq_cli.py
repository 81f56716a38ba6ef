"""`keybus dlq list/show/replay` as a user runs them, against the session's real Kafka.

Real: the broker, the retrying consumer and the `keybus` command run as a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

from retry_kit import GroupTopics, drive, produce, read_all, settle, unique_group

from keybus import Producer
from keybus.catalog import DoorLocked
from keybus.retry import InboundRecord, RetryingConsumer, RetryPolicy
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

POLICY = RetryPolicy(tiers_s=(1.0,), max_attempts=1, jitter_ratio=0.0)


def _keybus(servers: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "keybus.cli", *args, "--bootstrap-servers", servers],
        capture_output=True,
        text=True,
        check=False,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "TERM": "dumb"},
    )


class Inventory:
    """A handler that rejects every event until it is repaired, as after a bad deploy."""

    def __init__(self) -> None:
        self.repaired = False
        self.handled: Counter[str] = Counter()
        self.replay_counts: list[str | None] = []

    def __call__(self, record: InboundRecord) -> None:
        if not self.repaired:
            raise ConnectionRefusedError("inventory database refused the connection")
        self.handled[record.header_text("ce_id") or ""] += 1
        self.replay_counts.append(record.header_text("keybus-replay-count"))


def test_dlq_list_show_and_replay_once(
    kafka: KafkaEndpoint, topic: TopicFactory, group_topics: GroupTopics
) -> None:
    servers = kafka.bootstrap_servers
    source = topic()
    group = unique_group("dlq-cli")
    retry_1s, dead_letters, _ledger = group_topics(source, group, POLICY)
    inventory = Inventory()
    consumer = RetryingConsumer(
        bootstrap_servers=servers,
        group=group,
        topics=[source],
        handler=inventory,
        policy=POLICY,
        decoder=lambda record: json.loads(record.value or b""),
    )
    for index in range(3):
        headers = [("ce_id", f"evt-{index}".encode()), ("ce_type", b"com.example.StockReserved")]
        produce(servers, source, [(f"sku-{index}".encode(), b'{"qty": 1}')], headers=headers)
    produce(servers, source, [(b"sku-9", b"\xff\xfe")], headers=[("ce_id", b"evt-9")])
    drive(consumer, lambda: consumer.stats.dead_lettered == 4, timeout_s=20)

    listed = _keybus(servers, "dlq", "list", dead_letters, "--json")
    shown = _keybus(servers, "dlq", "show", dead_letters, "--key", "sku-1")
    dry_run = _keybus(servers, "dlq", "replay", dead_letters, "--dry-run")
    replayed = _keybus(
        servers, "dlq", "replay", dead_letters, "--error-type", "ConnectionRefusedError"
    )
    inventory.repaired = True
    drive(consumer, lambda: len(inventory.handled) == 3, timeout_s=20)
    again = _keybus(
        servers, "dlq", "replay", dead_letters, "--error-type", "ConnectionRefusedError"
    )
    settle(consumer, 1.5)
    to_retry = _keybus(servers, "dlq", "replay", dead_letters, "--to", "retry", "--key", "sku-9")
    consumer.close()

    summary = json.loads(listed.stdout)
    assert listed.returncode == 0, listed.stderr
    assert summary["total"] == 4
    counts = {row["error_type"]: row["count"] for row in summary["errors"]}
    assert counts == {
        "ConnectionRefusedError": 3,
        "keybus.retry.errors.UndecodableRecordError": 1,
    }
    assert summary["errors"][0]["by_age"]["< 1 h"] == 3
    assert shown.returncode == 0, shown.stderr
    assert '"event_id": "evt-1"' in shown.stdout
    assert '"error-type": "ConnectionRefusedError"' in shown.stdout
    assert '"qty": 1' in shown.stdout
    assert "1 of 1 matching dead letter(s) shown." in shown.stdout
    assert dry_run.returncode == 0, dry_run.stderr
    assert "4 matching, 0 already replayed, would replay 4 to original." in dry_run.stdout
    assert replayed.returncode == 0, replayed.stderr
    assert "3 matching, 0 already replayed, replayed 3 to original." in replayed.stdout
    assert inventory.handled == Counter({"evt-0": 1, "evt-1": 1, "evt-2": 1})
    assert inventory.replay_counts == ["1", "1", "1"]
    assert again.returncode == 0, again.stderr
    assert "3 matching, 3 already replayed, replayed 0 to original." in again.stdout
    assert sum(1 for m in read_all(servers, source) if m.key() != b"sku-9") == 6
    assert to_retry.returncode == 0, to_retry.stderr
    [copy] = read_all(servers, retry_1s)
    assert copy.key() == b"sku-9"
    assert dict(copy.headers() or [])["keybus-replay-count"] == b"1"
    assert len(read_all(servers, dead_letters)) == 4, "replay deletes nothing"


def test_dlq_replay_of_missing_topic_fails_clearly(kafka: KafkaEndpoint) -> None:
    result = _keybus(kafka.bootstrap_servers, "dlq", "replay", "no-such-topic.group.dlq")

    assert result.returncode == 1
    assert "Topic 'no-such-topic.group.dlq' does not exist" in result.stderr


def test_dlq_show_decodes_avro_with_registry(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, group_topics: GroupTopics
) -> None:
    servers = kafka.bootstrap_servers
    source = topic()
    group = unique_group("dlq-avro")
    _retry_1s, dead_letters, _ledger = group_topics(source, group, POLICY)
    with Producer(servers, schema_registry, auto_register=True) as producer:
        producer.publish(
            DoorLocked(lock_id="lock-7", trigger="MANUAL", open_duration_ms=9), topic=source
        )
    consumer = RetryingConsumer(
        bootstrap_servers=servers,
        group=group,
        topics=[source],
        handler=Inventory(),
        policy=POLICY,
    )
    drive(consumer, lambda: consumer.stats.dead_lettered == 1, timeout_s=20)
    consumer.close()

    decoded = _keybus(servers, "dlq", "show", dead_letters, "--registry-url", schema_registry)
    raw = _keybus(servers, "dlq", "show", dead_letters)

    assert decoded.returncode == 0, decoded.stderr
    assert '"lock_id": "lock-7"' in decoded.stdout
    assert '"open_duration_ms": 9' in decoded.stdout
    assert '"event_type": "com.example.access.DoorLocked"' in decoded.stdout
    assert raw.returncode == 0, raw.stderr
    assert '"hex": "00' in raw.stdout
