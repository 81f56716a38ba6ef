"""Import the real event logs into real Kafka through the real keybus registry.

Nothing is faked: each log is imported with `run_import`, read back with a
read_committed consumer and fastavro, and compared with figures computed from the
file by the independent parsers in `logfiles`. The four small logs are imported whole.
The BPI Challenge 2012 log (262,200 events) is imported whole only by
`bench/import/run.py`, because that takes minutes here, so this module imports its
first 600 traces, cut from the file unchanged.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from keybus.importer import ImportOptions, LogMapping, open_log, plan_import, run_import
from keybus.importer.projections import EventLogProjection
from keybus.importer.replay import replay_projection
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

from .logfiles import DATA, FileEvent, activity_figures, case_figures, read_log, slice_xes
from .topics import read_events

BPIC_TRACES = 600
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ms(value: datetime) -> int:
    return (value - _EPOCH) // timedelta(milliseconds=1)


@pytest.fixture(scope="module")
def bpic_slice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bpic")
    return slice_xes(DATA / "bpic2012.xes.gz", folder / "bpic2012-head.xes.gz", BPIC_TRACES)


def _log_path(name: str, bpic_slice: Path) -> Path:
    return bpic_slice if name == "bpic-slice" else DATA / name


def _import(
    path: Path, kafka: KafkaEndpoint, registry: str, topic: TopicFactory, tmp_path: Path
) -> tuple[str, Any]:
    target = topic(partitions=3)
    progress = topic(partitions=1, config={"cleanup.policy": "compact"})
    log = open_log(path)
    mapping = LogMapping()
    options = ImportOptions(
        topic=target,
        bootstrap_servers=kafka.bootstrap_servers,
        registry_url=registry,
        progress_topic=progress,
        rejects_path=tmp_path / "rejects.jsonl",
    )
    result = run_import(log, mapping, plan_import(log, mapping), options)
    return target, (log, mapping, options, result)


LOGS = [
    "receipt.csv",
    "helpdesk.xes.gz",
    "roadtraffic100traces.csv",
    "running-example.csv",
    "bpic-slice",
]


@pytest.mark.parametrize("name", LOGS)
def test_import_matches_file(  # noqa: PLR0917 - pytest fixtures
    name: str,
    kafka: KafkaEndpoint,
    schema_registry: str,
    topic: TopicFactory,
    tmp_path: Path,
    bpic_slice: Path,
) -> None:
    path = _log_path(name, bpic_slice)
    expected = read_log(path)

    target, (log, mapping, options, result) = _import(path, kafka, schema_registry, topic, tmp_path)
    events = read_events(kafka.bootstrap_servers, schema_registry, target)

    assert result.rejects == []
    assert not (tmp_path / "rejects.jsonl").exists()
    assert result.published == len(expected)
    assert len(events) == len(expected)
    assert Counter(e["case_id"] for e in events) == Counter(e.case_id for e in expected)
    assert Counter(e["activity"] for e in events) == Counter(e.activity for e in expected)
    assert len({e["event_id"] for e in events}) == len(events)
    _assert_case_order(events, expected)
    _assert_fields(events, expected)

    again = run_import(log, mapping, plan_import(log, mapping), options)

    assert again.already_finished
    assert again.published == 0
    assert len(read_events(kafka.bootstrap_servers, schema_registry, target)) == len(expected)

    _assert_projection(target, kafka, schema_registry, tmp_path, expected)


def _assert_case_order(events: list[dict[str, Any]], expected: list[FileEvent]) -> None:
    by_case: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in sorted(events, key=lambda e: (e["_partition"], e["_offset"])):
        by_case[event["case_id"]].append(event)
    file_by_case: dict[str, list[str]] = defaultdict(list)
    for event in expected:
        file_by_case[event.case_id].append(event.activity)
    for case_id, case_events in by_case.items():
        assert [e["activity"] for e in case_events] == file_by_case[case_id], case_id
        assert [e["sequence"] for e in case_events] == list(range(1, len(case_events) + 1))
        assert {e["_key"] for e in case_events} == {case_id}
        rows = [e["source_row"] for e in case_events]
        assert rows == sorted(rows), case_id


def _assert_fields(events: list[dict[str, Any]], expected: list[FileEvent]) -> None:
    for event in events:
        source = expected[event["source_row"] - 1]
        assert event["case_id"] == source.case_id
        assert event["activity"] == source.activity
        assert _ms(event["occurred_at"]) == source.at_ms
        assert event["resource"] == source.resource
        assert event["lifecycle"] == source.lifecycle


def _assert_projection(
    target: str, kafka: KafkaEndpoint, registry: str, tmp_path: Path, expected: list[FileEvent]
) -> None:
    projection = EventLogProjection(tmp_path / "projection.db")
    stats = replay_projection(
        projection,
        bootstrap_servers=kafka.bootstrap_servers,
        registry_url=registry,
        topic=target,
        start="beginning",
    )

    assert stats.applied == len(expected)
    for case_id, figures in case_figures(expected).items():
        stored = projection.case(case_id)
        assert stored is not None, case_id
        for name, value in figures.items():
            assert stored[name] == value, (case_id, name)
    for activity, figures in activity_figures(expected).items():
        stored = projection.activity(activity)
        assert stored is not None, activity
        for name, value in figures.items():
            assert stored[name] == value, (activity, name)
    assert projection.summary()["cases"] == len({e.case_id for e in expected})
    projection.close()
