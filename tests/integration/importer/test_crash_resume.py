"""Kill `keybus import` with SIGKILL midway, run it again, and count what the topic contains.

Real Kafka and the real keybus registry. The import runs as a separate process of the
real CLI and is killed by its pid once some but not all of its transactions committed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from confluent_kafka import Producer as KafkaProducer

from keybus.importer import Progress, open_log, progress_key, read_progress
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

from .logfiles import DATA, read_log
from .topics import read_events

LOG = DATA / "helpdesk.xes.gz"
BATCH_ROWS = 100
KILL_AFTER_ROWS = 1_000
_START_TIMEOUT_S = 120.0


def _command(  # noqa: PLR0917 - every value differs per call
    target: str, progress: str, kafka: KafkaEndpoint, registry: str, tmp: Path, batch_rows: int
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "keybus.cli",
        "import",
        str(LOG),
        "--topic",
        target,
        "--progress-topic",
        progress,
        "--bootstrap-servers",
        kafka.bootstrap_servers,
        "--registry",
        registry,
        "--batch-rows",
        str(batch_rows),
        "--rejects",
        str(tmp / "rejects.jsonl"),
    ]


def _kill_midway(process: subprocess.Popen[bytes], kafka: KafkaEndpoint, progress: str) -> int:
    """Follow the committed progress records and SIGKILL the import after a few batches."""
    consumer = Consumer(
        {
            "bootstrap.servers": kafka.bootstrap_servers,
            "group.id": f"test-follow-{progress}",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(progress, 0, OFFSET_BEGINNING)])
    deadline = time.monotonic() + _START_TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            assert process.poll() is None, "the import ended before it could be killed"
            message = consumer.poll(0.05)
            if message is None or message.error() is not None or message.value() is None:
                continue
            committed = Progress.from_json(message.value() or b"")
            if committed.last_row >= KILL_AFTER_ROWS:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
                return committed.last_row
    finally:
        consumer.close()
    process.kill()
    raise AssertionError(f"no progress committed within {_START_TIMEOUT_S} s")


def test_killed_import_resumes_exactly_once(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    target = topic(partitions=3)
    progress = topic(partitions=1, config={"cleanup.policy": "compact"})
    command = _command(target, progress, kafka, schema_registry, tmp_path, BATCH_ROWS)
    resume_command = _command(target, progress, kafka, schema_registry, tmp_path, 5_000)
    expected = read_log(LOG)

    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    killed_after = _kill_midway(process, kafka, progress)
    after_kill = read_progress(
        kafka.bootstrap_servers, progress, open_log(LOG).sha256, topic=target
    )

    assert process.returncode == -signal.SIGKILL
    assert after_kill is not None
    assert not after_kill.finished
    assert killed_after < len(expected)

    resumed = subprocess.run(
        resume_command, capture_output=True, text=True, timeout=300, check=False
    )

    assert resumed.returncode == 0, resumed.stderr
    assert "resumed after row" in resumed.stdout
    events = read_events(kafka.bootstrap_servers, schema_registry, target)
    assert len(events) == len(expected)
    assert len({e["event_id"] for e in events}) == len(expected)
    assert sorted(e["source_row"] for e in events) == list(range(1, len(expected) + 1))
    assert Counter(e["case_id"] for e in events) == Counter(e.case_id for e in expected)
    assert Counter(e["activity"] for e in events) == Counter(e.activity for e in expected)

    finished = subprocess.run(
        resume_command, capture_output=True, text=True, timeout=300, check=False
    )

    assert finished.returncode == 0, finished.stderr
    assert "already imported" in finished.stdout
    assert len(read_events(kafka.bootstrap_servers, schema_registry, target)) == len(expected)


def test_resume_with_other_mapping_rejected(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    log = tmp_path / "small.csv"
    log.write_text(
        "case:concept:name,concept:name,time:timestamp\nc1,A,2020-01-01 10:00:00+01:00\n"
    )
    target = topic(partitions=1)
    progress = topic(partitions=1, config={"cleanup.policy": "compact"})
    sha256 = open_log(log).sha256
    unfinished = Progress(
        file_sha256=sha256,
        file_name=log.name,
        last_row=1,
        events=1,
        rejects=0,
        finished=False,
        mapping_fingerprint="0" * 16,
        schema_fingerprint="0" * 64,
    )
    producer = KafkaProducer({"bootstrap.servers": kafka.bootstrap_servers})
    producer.produce(progress, key=progress_key(target, sha256), value=unfinished.to_json())
    producer.flush(30)
    command = _command(target, progress, kafka, schema_registry, tmp_path, 100)
    command[4] = str(log)

    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    assert f"An unfinished import of small.csv (sha256 {sha256[:12]}…)" in message
    assert "committed rows 1 to 1 with another mapping or schema" in message
    assert "Run it again with the same options" in message
