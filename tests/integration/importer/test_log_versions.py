"""A new import stops when its topic contains an import of an earlier version of the log.

Real Kafka and the real keybus registry, driven through the `keybus import` command
in-process with Typer's runner. The earlier version is `running-example.csv` from the
event-logs data folder beside the repository. The later versions are copies that a
test writes with rows appended or changed.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from keybus.cli import app
from keybus.importer import open_log
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

from .logfiles import DATA
from .topics import read_events

LOG = DATA / "running-example.csv"
LOG_EVENTS = 42
APPENDED_ROW = "42,pay compensation,Mike,2011-01-21 12:00:00+01:00,pay compensation,Mike,200,4,"
APPENDED_ROW += "Fluxicon Nitro\n"


class _Importer:
    """Run `keybus import` into one target topic with one progress topic."""

    def __init__(self, kafka: KafkaEndpoint, registry: str, target: str, progress: str) -> None:
        self.common = ["--topic", target, "--progress-topic", progress]
        self.common += ["--bootstrap-servers", kafka.bootstrap_servers, "--registry", registry]

    def __call__(self, log: Path, *flags: str) -> Any:
        rejects = log.with_name(log.name + ".rejects.jsonl")
        args = ["import", str(log), *self.common, "--rejects", str(rejects), *flags]
        return CliRunner().invoke(app, args)


def _importer(
    kafka: KafkaEndpoint, registry: str, topic: TopicFactory, target: str | None = None
) -> _Importer:
    progress = topic(partitions=1, config={"cleanup.policy": "compact"})
    return _Importer(kafka, registry, target or topic(partitions=2), progress)


def _grown_copy(folder: Path, name: str = "running-example.csv") -> Path:
    """Copy the log under `name` into `folder` with one row appended."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(LOG.read_bytes() + APPENDED_ROW.encode())
    return path


def _message(result: Any) -> str:
    return " ".join(result.output.split())


def _events(kafka: KafkaEndpoint, registry: str, importer: _Importer) -> list[dict[str, Any]]:
    return read_events(kafka.bootstrap_servers, registry, importer.common[1])


def test_grown_log_rejected_with_earlier_import(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    run = _importer(kafka, schema_registry, topic)
    assert run(LOG).exit_code == 0
    grown = _grown_copy(tmp_path / "v2")

    result = run(grown)

    assert result.exit_code == 1, result.output
    message = _message(result)
    earlier_sha = open_log(LOG).sha256[:12]
    assert f"import of running-example.csv (sha256 {earlier_sha}…, 42 rows)" in message
    assert "--new-rows-only" in message
    assert "--allow-other-imports" in message
    assert "--topic" in message
    assert len(_events(kafka, schema_registry, run)) == LOG_EVENTS


def test_new_rows_only_publishes_appended_rows(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    run = _importer(kafka, schema_registry, topic)
    assert run(LOG).exit_code == 0
    grown = _grown_copy(tmp_path / "v2")

    result = run(grown, "--new-rows-only")
    again = run(grown, "--new-rows-only")

    assert result.exit_code == 0, result.output
    assert again.exit_code == 0, again.output
    assert "already imported" in _message(again)
    events = _events(kafka, schema_registry, run)
    assert len(events) == LOG_EVENTS + 1
    assert Counter(event["source_row"] for event in events).most_common(1)[0][1] == 1
    last_of_case_4 = max(
        (event for event in events if event["case_id"] == "4"), key=lambda event: event["sequence"]
    )
    assert last_of_case_4["activity"] == "pay compensation"
    assert last_of_case_4["source_row"] == LOG_EVENTS + 1


def test_new_rows_only_chains_versions(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    run = _importer(kafka, schema_registry, topic)
    assert run(LOG).exit_code == 0
    second = _grown_copy(tmp_path / "v2")
    third = tmp_path / "v3" / "running-example.csv"
    third.parent.mkdir()
    third.write_bytes(second.read_bytes() + APPENDED_ROW.replace("42,", "43,", 1).encode())
    assert run(second, "--new-rows-only").exit_code == 0

    result = run(third, "--new-rows-only")

    assert result.exit_code == 0, result.output
    events = _events(kafka, schema_registry, run)
    assert sorted(event["source_row"] for event in events) == list(range(1, LOG_EVENTS + 3))


def test_changed_log_cannot_take_new_rows_only(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    run = _importer(kafka, schema_registry, topic)
    assert run(LOG).exit_code == 0
    changed = tmp_path / "v2" / "running-example.csv"
    changed.parent.mkdir()
    changed.write_text(LOG.read_text().replace("Pete", "Peter", 1) + APPENDED_ROW)

    rejected = run(changed, "--new-rows-only")

    assert rejected.exit_code == 1, rejected.output
    assert "none of the imports there qualifies" in _message(rejected)
    assert len(_events(kafka, schema_registry, run)) == LOG_EVENTS


def test_allow_other_imports_publishes_every_row(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    run = _importer(kafka, schema_registry, topic)
    assert run(LOG).exit_code == 0
    grown = _grown_copy(tmp_path / "v2")

    result = run(grown, "--allow-other-imports")

    assert result.exit_code == 0, result.output
    assert len(_events(kafka, schema_registry, run)) == 2 * LOG_EVENTS + 1


def test_renamed_grown_log_rejected(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    run = _importer(kafka, schema_registry, topic)
    assert run(LOG).exit_code == 0
    grown = _grown_copy(tmp_path / "v2", name="running-example-2011.csv")

    result = run(grown)

    assert result.exit_code == 1, result.output
    message = _message(result)
    assert "import of running-example.csv" in message
    assert "is a prefix of running-example-2011.csv" in message
    assert len(_events(kafka, schema_registry, run)) == LOG_EVENTS


def test_same_file_rerun_not_rejected(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory
) -> None:
    run = _importer(kafka, schema_registry, topic)
    assert run(LOG).exit_code == 0

    again = run(LOG)

    assert again.exit_code == 0, again.output
    assert "already imported" in _message(again)
    assert len(_events(kafka, schema_registry, run)) == LOG_EVENTS
