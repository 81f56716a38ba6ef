"""`keybus topics apply --subscriptions` creates a group's retry, dead-letter and ledger topics.

Real: the session's Kafka broker and the `keybus` command run as a subprocess.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource

from keybus.testing import KafkaEndpoint


@pytest.fixture
def names(kafka_admin: AdminClient) -> Iterator[dict[str, str]]:
    """Give the test a unique source topic and group; delete every topic made from them."""
    source = f"orders-{uuid.uuid4().hex[:8]}"
    yield {"source": source, "group": "billing"}
    created = [
        name for name in kafka_admin.list_topics(timeout=10).topics if name.startswith(source)
    ]
    if created:
        for future in kafka_admin.delete_topics(created, request_timeout=30).values():
            future.result()


def test_apply_creates_subscription_topics(
    kafka: KafkaEndpoint, kafka_admin: AdminClient, names: dict[str, str], tmp_path: Path
) -> None:
    source = names["source"]
    topics_file = tmp_path / "topics.yaml"
    topics_file.write_text(f"topics:\n  - name: {source}\n    partitions: 4\n")
    subscriptions = tmp_path / "subscriptions.yaml"
    subscriptions.write_text(
        "subscriptions:\n"
        f"  - group: billing\n    topic: {source}\n    target: archive\n"
        "    retry: {tiers: [5s, 1m]}\n"
    )
    command = [
        sys.executable, "-m", "keybus.cli", "topics", "apply",
        "--file", str(topics_file), "--subscriptions", str(subscriptions),
        "--bootstrap-servers", kafka.bootstrap_servers,
    ]  # fmt: skip

    result = subprocess.run(command, capture_output=True, text=True, check=False)
    again = subprocess.run(command, capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stderr
    metadata = kafka_admin.list_topics(timeout=10).topics
    expected = {
        f"{source}.billing.retry.5s": 4,
        f"{source}.billing.retry.1m": 4,
        f"{source}.billing.dlq": 4,
        f"{source}.billing.dlq.replayed": 1,
    }
    for name, partitions in expected.items():
        assert name in metadata, result.stdout
        assert len(metadata[name].partitions) == partitions
    ledger = ConfigResource(ConfigResource.Type.TOPIC, f"{source}.billing.dlq.replayed")
    config = next(iter(kafka_admin.describe_configs([ledger]).values())).result()
    assert config["cleanup.policy"].value == "compact"
    assert again.returncode == 0, again.stderr
    assert "0 topic(s) to change, 5 unchanged." in again.stdout
