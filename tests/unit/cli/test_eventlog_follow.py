"""The follower of `keybus event-log replay --serve` reports a failure on one line.

Real: the follower function and a SQLite projection in a temporary folder. Faked: the
replay, which raises a Kafka transport error at once, so no broker is involved.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from keybus.cli import eventlog
from keybus.importer.projections import EventLogProjection


def test_follower_failure_printed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def lost_broker(*_args: Any, **_kwargs: Any) -> None:
        raise KafkaException(KafkaError(KafkaError._TRANSPORT, "Broker transport failure"))

    monkeypatch.setattr(eventlog, "replay_projection", lost_broker)
    projection = EventLogProjection(tmp_path / "e.sqlite")

    eventlog._follow(
        projection=projection,
        bootstrap_servers="127.0.0.1:9",
        registry_url="http://127.0.0.1:9",
        topic="orders",
        stop=threading.Event(),
    )
    projection.close()

    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "following orders stopped" in errors[0]
    assert "Broker transport failure" in errors[0]
    assert "restart the command once Kafka is reachable again" in errors[0]
