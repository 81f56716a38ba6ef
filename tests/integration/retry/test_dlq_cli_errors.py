"""`keybus dlq` on topics that are not dead-letter topics, and on a missing ledger.

Real: the broker and the `keybus` command, run in-process with Typer's runner. The
dead-letter records are produced directly with the headers a keybus consumer writes.
"""

from __future__ import annotations

from confluent_kafka import Producer
from retry_kit import produce
from typer.testing import CliRunner

from keybus.cli import app
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

_PARKED_HEADERS = [
    ("ce_id", b"evt-1"),
    ("keybus-original-partition", b"0"),
    ("keybus-original-offset", b"7"),
    ("keybus-error-type", b"TimeoutError"),
]


def _dlq(servers: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["dlq", *args, "--bootstrap-servers", servers])
    return result.exit_code, result.output


def test_list_rejects_topic_not_named_dlq(kafka: KafkaEndpoint, topic: TopicFactory) -> None:
    plain = topic()
    produce(kafka.bootstrap_servers, plain, [(b"k", b"v")])

    code, output = _dlq(kafka.bootstrap_servers, "list", plain)
    forced_code, forced_output = _dlq(kafka.bootstrap_servers, "list", plain, "--any-topic")

    assert code == 1
    assert "is not a dead-letter topic" in output
    assert "<topic>.<group>.dlq" in output
    assert forced_code == 0, forced_output
    assert "1 dead letter(s)" in forced_output


def test_list_rejects_dlq_without_headers(kafka: KafkaEndpoint, topic: TopicFactory) -> None:
    name = topic(name=f"{topic()}.someone.dlq")
    produce(kafka.bootstrap_servers, name, [(b"k", b"v"), (b"k", b"w")])

    code, output = _dlq(kafka.bootstrap_servers, "list", name)

    assert code == 1
    assert "contains 2 records, but none carries" in output
    assert "--any-topic" in output


def test_inverted_window_names_both_values(kafka: KafkaEndpoint) -> None:
    code, output = _dlq(
        kafka.bootstrap_servers, "show", "orders.billing.dlq", "--since", "1h", "--until", "2h"
    )

    assert code == 1
    assert "--since 1h" in output
    assert "--until 2h" in output


def test_dry_run_reads_missing_ledger_as_empty(kafka: KafkaEndpoint, topic: TopicFactory) -> None:
    source = topic(prefix="orders")
    name = topic(name=f"{source}.billing.dlq")
    headers = [*_PARKED_HEADERS, ("keybus-original-topic", source.encode())]
    produce(kafka.bootstrap_servers, name, [(b"sku-1", b"{}")], headers=headers)

    code, output = _dlq(kafka.bootstrap_servers, "replay", name, "--dry-run")

    assert code == 0, output
    assert "would replay 1 to original" in output
    assert f"{name}.replayed does not exist" in output


def test_any_topic_reads_transactional_topic(kafka: KafkaEndpoint, topic: TopicFactory) -> None:
    name = topic()
    producer = Producer(
        {"bootstrap.servers": kafka.bootstrap_servers, "transactional.id": f"{name}-writer"}
    )
    producer.init_transactions(30)
    producer.begin_transaction()
    producer.produce(name, key=b"k", value=b"v")
    producer.commit_transaction(30)

    code, output = _dlq(kafka.bootstrap_servers, "list", name, "--any-topic")

    assert code == 0, output
    assert "1 dead letter(s)" in output
