"""The example rules route real activities of an imported log to their own topics.

Real Kafka and the real keybus registry. The first 300 traces of the BPI Challenge
2012 log are imported, and every committed record is read back as bytes. Each record
goes through `RecordRouter`, the code the router topology runs per record, with
registry decoding and `examples/event-logs/rules.yaml` (its source topic renamed to
the test's topic). Expected counts come from the file.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from keybus.importer import ImportOptions, LogMapping, open_log, plan_import, run_import
from keybus.routing import rules_from_data
from keybus.streams import RecordRouter, RegistryDecoder
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

from .logfiles import DATA, FileEvent, read_log, slice_xes

RULES = Path(__file__).resolve().parents[3] / "examples" / "event-logs" / "rules.yaml"
SOURCE = "loan-applications"


def _records(servers: str, topic: str) -> list[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"test-{topic}",
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
        }
    )
    partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    records = []
    at_end: set[int] = set()
    while len(at_end) < len(partitions):
        for message in consumer.consume(5_000, 1.0):
            error = message.error()
            if error is not None:
                assert error.code() == KafkaError._PARTITION_EOF, error
                at_end.add(message.partition())
                continue
            records.append((message.key(), message.value(), message.headers() or []))
    consumer.close()
    return records


def _expected(events: list[FileEvent], target: str) -> dict[str, int]:
    calls = {"W_Nabellen offertes", "W_Nabellen incomplete dossiers"}
    outcomes = {"A_APPROVED", "A_DECLINED", "A_CANCELLED", "A_ACTIVATED"}
    return {
        f"{target}.outcomes": sum(e.activity in outcomes for e in events),
        f"{target}.offers": sum(e.activity in {"O_SENT", "O_SENT_BACK"} for e in events),
        f"{target}.calls": sum(e.activity in calls and e.lifecycle == "START" for e in events),
        f"{target}.unassigned-work": sum(
            e.activity.startswith("W_") and e.resource is None for e in events
        ),
    }


def test_example_rules_route_real_activities(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    path = slice_xes(DATA / "bpic2012.xes.gz", tmp_path / "bpic-head.xes.gz", 300)
    target = topic(partitions=2)
    log, mapping = open_log(path), LogMapping()
    options = ImportOptions(
        topic=target,
        bootstrap_servers=kafka.bootstrap_servers,
        registry_url=schema_registry,
        progress_topic=topic(partitions=1, config={"cleanup.policy": "compact"}),
    )
    run_import(log, mapping, plan_import(log, mapping), options)
    text = RULES.read_text().replace(f"{SOURCE}.", f"{target}.").replace(SOURCE, target)
    rules = rules_from_data(yaml.safe_load(text), origin=str(RULES))
    router = RecordRouter(
        lambda: rules,
        RegistryDecoder(schema_registry),
        catch_all_topic=None,
        group="importer-routing",
    )

    routed: Counter[str] = Counter()
    for key, value, headers in _records(kafka.bootstrap_servers, target):
        outcome = router.route(target, key, value, headers)
        assert not outcome.undecodable
        routed.update(output.topic for output in outcome.outputs)

    expected = _expected(read_log(path), target)
    assert all(count > 0 for count in expected.values()), expected
    assert dict(routed) == expected
