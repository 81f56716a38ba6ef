"""`keybus replay` ends with one error line when its broker stops during the read.

Runs its own throwaway LocalKafka (not the session's), because the test stops it while
the command reads. The command runs in-process with Typer's runner. The records are not
in the wire format, so the projection skips them without asking the registry, whose
address is a free port. The broker is stopped when the command first polls for records,
after it has read the topic's metadata and end offsets, and the catch-up stall limit is
cut to 3 s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from typer.testing import CliRunner

from keybus.cli import app
from keybus.sourcing.projections import runner
from keybus.testing import free_port, local_kafka

RECORDS = 2_000


def test_broker_stopped_mid_replay_fails_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with local_kafka("replay-loss") as cluster:
        servers = cluster.bootstrap_servers
        admin = AdminClient({"bootstrap.servers": servers})
        admin.create_topics([NewTopic("deliveries", 1, 1)])["deliveries"].result()
        producer = Producer({"bootstrap.servers": servers, "linger.ms": 20})
        for number in range(RECORDS):
            producer.produce("deliveries", key=b"d-%d" % (number % 50), value=b"not framed")
            producer.poll(0)
        assert producer.flush(30) == 0
        real_poll = runner.poll_batch

        def stop_then_poll(*args: Any) -> list[Any]:
            if cluster.is_running():
                cluster.stop()
            return real_poll(*args)

        monkeypatch.setattr(runner, "poll_batch", stop_then_poll)
        monkeypatch.setattr(runner, "CATCH_UP_STALL_S", 3.0)

        result = CliRunner().invoke(
            app,
            [
                "replay",
                "--projection",
                "delivery-status",
                "--db",
                str(tmp_path / "p.sqlite"),
                "--bootstrap-servers",
                servers,
                "--registry",
                f"http://127.0.0.1:{free_port()}",
            ],
        )

    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == 1, result.output
    assert len(errors) == 1, result.output
    assert f"Kafka is not reachable at {servers}" in errors[0]
    assert "the replay of delivery-status read nothing for 3 s with" in errors[0]
    assert "Traceback" not in result.output
