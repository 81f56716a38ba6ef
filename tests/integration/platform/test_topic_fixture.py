"""The plugin's `topic` fixture and its helpers against the session's real Kafka.

Nothing is faked. Topics of one fixed name per test are created and deleted in a loop.
Then a separate pytest process runs a test that uses the fixture, four times in a row
on the same broker, as a service repository would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

from confluent_kafka.admin import NewTopic

from keybus.kafka import AdminClient
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import create_topic, delete_topics

ROUNDS = 8

NAMED_TOPIC_TEST = """
def test_named_topic_listed(topic, kafka_admin):
    name = topic(name="{name}", partitions=3)

    metadata = kafka_admin.list_topics(timeout=10).topics

    assert name in metadata
    assert len(metadata[name].partitions) == 3
"""


def test_same_name_created_and_deleted_repeatedly(kafka_admin: AdminClient) -> None:
    name = f"topic-fixture-{uuid.uuid4().hex[:8]}"

    for round_number in range(ROUNDS):
        create_topic(kafka_admin, NewTopic(name, 3, 1))
        listed = kafka_admin.list_topics(timeout=10).topics
        delete_topics(kafka_admin, [name])
        remaining = kafka_admin.list_topics(timeout=10).topics

        assert name in listed, f"round {round_number}"
        assert len(listed[name].partitions) == 3, f"round {round_number}"
        assert all(p.leader >= 0 for p in listed[name].partitions.values()), f"round {round_number}"
        assert name not in remaining, f"round {round_number}"


def test_fixture_named_topic_in_repeated_runs(kafka: KafkaEndpoint, tmp_path: Path) -> None:
    name = f"topic-fixture-runs-{uuid.uuid4().hex[:8]}"
    test_file = tmp_path / "test_named.py"
    test_file.write_text(textwrap.dedent(NAMED_TOPIC_TEST.format(name=name)))
    environment = {**os.environ, "KEYBUS_BOOTSTRAP_SERVERS": kafka.bootstrap_servers}
    environment.pop("KEYBUS_TEST_BACKEND", None)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)]

    runs = [
        subprocess.run(
            command,
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        for _ in range(4)
    ]

    for number, run in enumerate(runs):
        assert run.returncode == 0, f"run {number}:\n{run.stdout}\n{run.stderr}"
